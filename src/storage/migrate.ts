/**
 * Copies every entry from one storage to another (`coffer operator migrate`) and verifies the
 * copy: the destination's entry count and content checksum must equal the source's.
 *
 * The content checksum is SHA-256 over every entry in key byte order, each framed as
 * `u32 BE key length, key, u32 BE value length, value`: two stores with the same entries have
 * the same checksum whatever their backend.
 */
import { createHash } from 'node:crypto';
import type { NamedStorage, StorageEntry } from './types.js';

/** What a migration did. */
export interface MigrationResult {
  count: number;
  /** Hex SHA-256 content checksum, equal on both sides. */
  checksum: string;
}

/** Options of {@link migrateStorage}. */
export interface MigrationOptions {
  /** Replace the entries of a destination that is not empty (otherwise it is refused). */
  force?: boolean;
  /** Called with entries copied so far and the total (then again while verifying). */
  onProgress?: (phase: 'copy' | 'verify', done: number, total: number) => void;
  batchSize?: number;
}

/** The destination holds entries and `force` was not given. */
export class DestinationNotEmptyError extends Error {
  constructor(readonly entries: number) {
    super(`the destination storage is not empty (${entries} entries); nothing was copied. Pass -force to replace its entries with the source's`);
    this.name = 'DestinationNotEmptyError';
  }
}

/** Feeds `entries` into a running content checksum. */
function hashEntries(hash: ReturnType<typeof createHash>, entries: readonly StorageEntry[]): void {
  const len = Buffer.allocUnsafe(4);
  for (const e of entries) {
    const key = Buffer.from(e.key, 'utf8');
    len.writeUInt32BE(key.length);
    hash.update(len);
    hash.update(key);
    len.writeUInt32BE(e.value.length);
    hash.update(len);
    hash.update(e.value);
  }
}

/** Count and content checksum of a storage, from one consistent snapshot. */
export async function storageDigest(storage: NamedStorage, onProgress?: (done: number, total: number) => void, batchSize = 1_000): Promise<MigrationResult> {
  const snap = await storage.snapshot({ batchSize });
  const hash = createHash('sha256');
  let count = 0;
  for await (const batch of snap.entries()) {
    hashEntries(hash, batch);
    count += batch.length;
    onProgress?.(count, snap.count);
  }
  return { count, checksum: hash.digest('hex') };
}

/**
 * Copies every entry of `source` into `destination` (replacing whatever it held, in one
 * destination transaction), then re-reads the destination and checks count and checksum.
 * Throws DestinationNotEmptyError (nothing written) for a non-empty destination without
 * `force`, and an Error when the verification fails.
 */
export async function migrateStorage(source: NamedStorage, destination: NamedStorage, options: MigrationOptions = {}): Promise<MigrationResult> {
  const batchSize = options.batchSize ?? 1_000;
  if (!options.force) {
    const existing = await destination.snapshot({ batchSize: 1 });
    const n = existing.count;
    await existing.release();
    if (n > 0) throw new DestinationNotEmptyError(n);
  }
  const snap = await source.snapshot({ batchSize });
  const hash = createHash('sha256');
  let copied = 0;
  const total = snap.count;
  async function* batches(): AsyncGenerator<StorageEntry[]> {
    for await (const batch of snap.entries()) {
      hashEntries(hash, batch);
      copied += batch.length;
      options.onProgress?.('copy', copied, total);
      yield batch;
    }
  }
  try {
    await destination.replaceAll(batches());
  } finally {
    await snap.release();
  }
  const sourceResult: MigrationResult = { count: copied, checksum: hash.digest('hex') };
  const copy = await storageDigest(destination, (done, all) => options.onProgress?.('verify', done, all), batchSize);
  if (copy.count !== sourceResult.count || copy.checksum !== sourceResult.checksum) {
    // Another writer on the destination, or a broken copy: say so rather than report success.
    throw new Error(
      `migration verification failed: the source has ${sourceResult.count} entries (checksum ${sourceResult.checksum}) but the destination has ${copy.count} (checksum ${copy.checksum}); is a server running on either storage?`,
    );
  }
  return sourceResult;
}
