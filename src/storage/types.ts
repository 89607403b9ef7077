/**
 * The storage contract every backend (memory, sqlite, postgres) implements.
 *
 * Storage is untrusted: the barrier above it hands it only ciphertext. Keys are
 * `/`-separated strings without a leading slash; values are opaque bytes.
 */

/** Options for a one-level, paginated listing. */
export interface ListOptions {
  /** Return only entries that sort strictly after this one (as returned by a previous page). */
  after?: string;
  /** Return at most this many entries; 0 or undefined means no limit. */
  limit?: number;
}

/** One operation in an atomic batch. */
export type BatchOp =
  | { type: 'put'; key: string; value: Uint8Array }
  | { type: 'delete'; key: string };

/**
 * A key/value store.
 *
 * `list(prefix)` is one level deep, like Vault's LIST: for keys `a/b`, `a/c/d` and
 * prefix `a/` it returns `['b', 'c/']`, sorted by byte order, without duplicates.
 * `batch` applies all operations or none.
 * A write that resolved is durable.
 */
export interface Storage {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string, options?: ListOptions): Promise<string[]>;
  batch(ops: BatchOp[]): Promise<void>;
  /** Release connections and file handles. */
  close(): Promise<void>;
}

/** Storage backends report this name in `sys/seal-status` (`storage_type`). */
export interface NamedStorage extends Storage {
  readonly type: string;
}
