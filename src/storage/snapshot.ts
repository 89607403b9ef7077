/**
 * Helpers shared by the backends' whole-store copies (`snapshot` / `replaceAll`, see types.ts).
 */
import { validateKey, validateValue } from './keys.js';
import type { StorageEntry, StorageSnapshot } from './types.js';

/** Entries per batch when the caller names none. */
export const DEFAULT_SNAPSHOT_BATCH = 1_000;

/** Checks a `batchSize` option: a positive integer, default {@link DEFAULT_SNAPSHOT_BATCH}. */
export function snapshotBatchSize(options: { batchSize?: number } | undefined): number {
  const size = options?.batchSize ?? DEFAULT_SNAPSHOT_BATCH;
  if (!Number.isSafeInteger(size) || size < 1) throw new Error('snapshot batchSize must be a positive integer');
  return size;
}

/** A snapshot over entries already read (memory and SQLite read them in one synchronous step). */
export function materializedSnapshot(entries: StorageEntry[], batchSize: number): StorageSnapshot {
  let released = false;
  return {
    count: entries.length,
    async *entries() {
      for (let i = 0; i < entries.length && !released; i += batchSize) yield entries.slice(i, i + batchSize);
      released = true;
    },
    async release() {
      released = true;
    },
  };
}

/**
 * Iterates `batches` (sync or async), checking every entry is a valid key/value and that no key
 * repeats, so a bad source fails before the backend commits anything.
 */
export async function* checkedBatches(
  batches: AsyncIterable<StorageEntry[]> | Iterable<StorageEntry[]>,
): AsyncGenerator<StorageEntry[]> {
  const seen = new Set<string>();
  for await (const batch of batches) yield checkBatch(batch, seen);
}

/** The synchronous twin of {@link checkedBatches}, for a synchronous source (a snapshot file). */
export function* checkedBatchesSync(batches: Iterable<StorageEntry[]>): Generator<StorageEntry[]> {
  const seen = new Set<string>();
  for (const batch of batches) yield checkBatch(batch, seen);
}

/** True for a synchronous iterable that is not also asynchronous. */
export function isSyncIterable<T>(x: AsyncIterable<T> | Iterable<T>): x is Iterable<T> {
  return typeof (x as Iterable<T>)[Symbol.iterator] === 'function' && typeof (x as AsyncIterable<T>)[Symbol.asyncIterator] !== 'function';
}

function checkBatch(batch: StorageEntry[], seen: Set<string>): StorageEntry[] {
  if (!Array.isArray(batch)) throw new Error('replaceAll: each batch must be an array of entries');
  for (const e of batch) {
    validateKey(e?.key, 'replaceAll: storage key');
    validateValue(e.value, `replaceAll: value of ${JSON.stringify(e.key)}`);
    if (seen.has(e.key)) throw new Error(`replaceAll: key ${JSON.stringify(e.key)} appears twice`);
    seen.add(e.key);
  }
  return batch;
}
