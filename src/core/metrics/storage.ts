/**
 * Times every physical storage operation for `coffer_storage_operation_duration_seconds`.
 * It wraps the backend below the transaction layer, so `batch` is one transaction's commit.
 */
import type { BatchCondition, BatchOp, ChangeFeed, ListOptions, NamedStorage, StorageEntry, StorageSnapshot } from '../../storage/types.js';
import type { CofferMetrics } from './metrics.js';

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

  async put(key: string, value: Uint8Array): Promise<void> {
    const t0 = performance.now();
    try {
      return await this.inner.put(key, value);
    } finally {
      this.metrics.observeStorage('put', t0);
    }
  }

  async delete(key: string): Promise<void> {
    const t0 = performance.now();
    try {
      return await this.inner.delete(key);
    } finally {
      this.metrics.observeStorage('delete', t0);
    }
  }

  async list(prefix: string, options?: ListOptions): Promise<string[]> {
    const t0 = performance.now();
    try {
      return await this.inner.list(prefix, options);
    } finally {
      this.metrics.observeStorage('list', t0);
    }
  }

  async scan(prefix: string, options?: ListOptions): Promise<string[]> {
    const t0 = performance.now();
    try {
      return await this.inner.scan(prefix, options);
    } finally {
      this.metrics.observeStorage('scan', t0);
    }
  }

  batch(ops: BatchOp[], conditions?: BatchCondition[]): Promise<void> {
    return this.timed('batch', () => this.inner.batch(ops, conditions));
  }

  /**
   * `op()` timed, in one promise step rather than an async function's (every read and commit
   * passes here, and each promise costs hook work while a transaction runs).
   */
  private timed<T>(operation: 'get' | 'batch', op: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    let result: Promise<T>;
    try {
      result = op();
    } catch (err) {
      this.metrics.observeStorage(operation, t0);
      return Promise.reject(err);
    }
    return result.then(
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
