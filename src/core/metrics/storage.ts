/**
 * Times every physical storage operation for `coffer_storage_operation_duration_seconds`.
 * It wraps the backend below the transaction layer, so `batch` is one transaction's commit.
 */
import type { BatchCondition, BatchOp, ChangeFeed, ListOptions, NamedStorage, StorageEntry, StorageSnapshot } from '../../storage/types.js';
import { promiseOf } from '../../storage/promise-step.js';
import type { CofferMetrics, StorageOperation } from './metrics.js';

/** A NamedStorage that reports each operation's latency to `metrics` and otherwise passes through. */
export class InstrumentedStorage implements NamedStorage {
  readonly type: string;
  readonly changes?: ChangeFeed;

  constructor(private readonly inner: NamedStorage, private readonly metrics: CofferMetrics) {
    this.type = inner.type;
    if (inner.changes !== undefined) this.changes = inner.changes;
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return this.timed('get', () => this.inner.get(key));
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.timed('put', () => this.inner.put(key, value));
  }

  delete(key: string): Promise<void> {
    return this.timed('delete', () => this.inner.delete(key));
  }

  list(prefix: string, options?: ListOptions): Promise<string[]> {
    return this.timed('list', () => this.inner.list(prefix, options));
  }

  scan(prefix: string, options?: ListOptions): Promise<string[]> {
    return this.timed('scan', () => this.inner.scan(prefix, options));
  }

  batch(ops: BatchOp[], conditions?: BatchCondition[]): Promise<void> {
    return this.timed('batch', () => this.inner.batch(ops, conditions));
  }

  /**
   * `op()` timed, whether it resolves, rejects or throws, in one promise step rather than an
   * async function's (every read and commit passes here: see promise-step.ts).
   */
  private timed<T>(operation: StorageOperation, op: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    return promiseOf(op).then(
      (value) => {
        this.metrics.observeStorage(operation, t0);
        return value;
      },
      (err: unknown) => {
        this.metrics.observeStorage(operation, t0);
        throw err;
      },
    );
  }

  /** Whole-store copies are not timed per entry: passed through. */
  snapshot(options?: { batchSize?: number }): Promise<StorageSnapshot> {
    return this.inner.snapshot(options);
  }

  replaceAll(batches: AsyncIterable<StorageEntry[]> | Iterable<StorageEntry[]>): Promise<number> {
    return this.inner.replaceAll(batches);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
