/**
 * A small LRU of stored values by key, bounded by entries and bytes, for a backend that is the
 * only writer of its store (SQLite's locked file, PostgreSQL in exclusive mode). It may also
 * remember that a key is absent (`null`), which costs one entry and no bytes.
 */
import type { BatchOp } from './types.js';

/** Values (ciphertext: caches live below the barrier) by key; updated only after a commit. */
export class ValueCache {
  private readonly map = new Map<string, Buffer | null>();
  private bytes = 0;

  constructor(private readonly maxEntries: number, private readonly maxBytes: number) {}

  /** The cached value, `null` when the key is known absent, undefined when not cached. */
  get(key: string): Buffer | null | undefined {
    const v = this.map.get(key);
    if (v !== undefined) {
      // Refresh recency (Map iteration order is insertion order).
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }

  /** Caches a value, or `null` for a key known absent. */
  set(key: string, value: Buffer | null): void {
    this.delete(key);
    if (value !== null && value.length > this.maxBytes / 64) return; // large values are not worth the memory
    this.map.set(key, value);
    this.bytes += value?.length ?? 0;
    while (this.map.size > this.maxEntries || this.bytes > this.maxBytes) {
      const oldest = this.map.keys().next().value as string;
      this.delete(oldest);
    }
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  delete(key: string): void {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.bytes -= v?.length ?? 0;
      this.map.delete(key);
    }
  }

  /** Mirrors committed operations; with `absent`, a delete is remembered as a known absence. */
  apply(ops: Iterable<BatchOp>, absent = false): void {
    for (const op of ops) {
      if (op.type === 'put') this.set(op.key, Buffer.from(op.value));
      else if (absent) this.set(op.key, null);
      else this.delete(op.key);
    }
  }
}
