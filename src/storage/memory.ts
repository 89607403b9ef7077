/**
 * In-memory storage for `--dev` and tests. Nothing survives the process.
 *
 * Values live in a Map; keys are also kept in byte order in a SortedKeys index (sorted
 * blocks): get is a Map lookup, adding or removing a key costs O(log n + block size),
 * and `list` binary-searches to the start of the range and past each sub-folder (see
 * listOneLevel), so it stays fast with tens of thousands of keys.
 */

import {
  checkConditions,
  closedError,
  listOneLevel,
  normalizeListOptions,
  scanRange,
  validateBatch,
  validateConditions,
  validateKey,
  validatePrefix,
  validateValue,
} from './keys.js';
import { checkedBatches, materializedSnapshot, snapshotBatchSize } from './snapshot.js';
import { SortedKeys } from './sorted-keys.js';
import type { BatchCondition, BatchOp, ListOptions, NamedStorage, StorageEntry, StorageSnapshot } from './types.js';

/** A sorted in-memory map implementing the Storage contract (type `inmem`). */
export class MemoryStorage implements NamedStorage {
  readonly type = 'inmem';
  /** All keys, in byte order. */
  private readonly keys = new SortedKeys();
  private readonly values = new Map<string, Uint8Array>();
  private closed = false;

  /**
   * Read a value: a fresh copy, so the caller cannot change what is stored. A Buffer,
   * like the SQL backends return, so callers see the same type whatever the backend.
   */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.checkOpen();
    validateKey(key);
    const value = this.values.get(key);
    return value === undefined ? undefined : Buffer.from(value);
  }

  /** Store a copy of `value` under `key`. */
  async put(key: string, value: Uint8Array): Promise<void> {
    this.checkOpen();
    validateKey(key);
    validateValue(value);
    this.set(key, new Uint8Array(value));
  }

  /** Remove `key`; removing a missing key is not an error. */
  async delete(key: string): Promise<void> {
    this.checkOpen();
    validateKey(key);
    this.remove(key);
  }

  /** One level below `prefix`, sorted, sub-folders as `name/`. */
  async list(prefix: string, options?: ListOptions): Promise<string[]> {
    this.checkOpen();
    validatePrefix(prefix);
    const opts = normalizeListOptions(options);
    return listOneLevel(prefix, opts, (lower) => this.keys.from(lower));
  }

  /** Every key below `prefix`, recursively, relative to it, in byte order. */
  async scan(prefix: string, options?: ListOptions): Promise<string[]> {
    this.checkOpen();
    validatePrefix(prefix);
    return scanRange(prefix, normalizeListOptions(options), (lower) => this.keys.from(lower));
  }

  /**
   * Apply all operations in order, or none when one of them is invalid or a condition does
   * not hold (ConflictError). Check and apply run in one synchronous step: nothing interleaves.
   */
  async batch(ops: BatchOp[], conditions?: BatchCondition[]): Promise<void> {
    this.checkOpen();
    validateBatch(ops);
    validateConditions(conditions);
    checkConditions(conditions, (key) => this.values.get(key));
    // Copy first: after validation nothing below can throw, so the batch is all-or-nothing.
    const copies = ops.map((op) => (op.type === 'put' ? { ...op, value: new Uint8Array(op.value) } : op));
    for (const op of copies) {
      if (op.type === 'put') this.set(op.key, op.value);
      else this.remove(op.key);
    }
  }

  /** Every entry as of now: read in one synchronous step, so no write interleaves. Values are copies. */
  async snapshot(options?: { batchSize?: number }): Promise<StorageSnapshot> {
    this.checkOpen();
    const batchSize = snapshotBatchSize(options);
    const entries: StorageEntry[] = [];
    for (const key of this.keys.from('')) entries.push({ key, value: Buffer.from(this.values.get(key)!) });
    return materializedSnapshot(entries, batchSize);
  }

  /** Replace every entry: the new store is built aside and swapped in, so a failing source changes nothing. */
  async replaceAll(batches: AsyncIterable<StorageEntry[]> | Iterable<StorageEntry[]>): Promise<number> {
    this.checkOpen();
    const next: StorageEntry[] = [];
    for await (const batch of checkedBatches(batches)) for (const e of batch) next.push({ key: e.key, value: new Uint8Array(e.value) });
    this.checkOpen();
    this.keys.clear();
    this.values.clear();
    for (const e of next) this.set(e.key, e.value);
    return next.length;
  }

  /** Drop all data; later calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    this.keys.clear();
    this.values.clear();
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
  }

  private set(key: string, value: Uint8Array): void {
    if (!this.values.has(key)) this.keys.add(key);
    this.values.set(key, value);
  }

  private remove(key: string): void {
    if (this.values.delete(key)) this.keys.delete(key);
  }
}
