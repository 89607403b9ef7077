/**
 * A random 32-byte key (a salt or an encryption key) kept in barrier-encrypted storage and
 * created on first use. Concurrent first calls share one key; a failed load (e.g. sealed
 * mid-way) is not remembered, so the next call retries.
 */
import { randomBytes } from 'node:crypto';
import type { Storage } from '../storage/types.js';

/** Lazily loads or creates the key at `key` in `storage`. */
export class StoredKey {
  private pending: Promise<Buffer> | undefined;
  /** The key once loaded: lets hot paths skip an await. */
  value: Buffer | undefined;

  constructor(private readonly storage: Storage, private readonly key: string) {}

  /** The key, loading or creating it on first use. */
  get(): Promise<Buffer> {
    if (this.value) return Promise.resolve(this.value);
    this.pending ??= (async () => {
      const existing = await this.storage.get(this.key);
      if (existing && existing.length > 0) return (this.value = Buffer.from(existing));
      const fresh = randomBytes(32);
      await this.storage.put(this.key, fresh);
      return (this.value = fresh);
    })().catch((err: unknown) => {
      this.pending = undefined;
      throw err;
    });
    return this.pending;
  }

  /** Forgets the key (on seal). */
  clear(): void {
    this.value?.fill(0);
    this.value = undefined;
    this.pending = undefined;
  }
}
