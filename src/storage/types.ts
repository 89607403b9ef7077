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
 * A condition of a conditional batch: the key must hold exactly `value` (byte-equal) when
 * the batch commits; `undefined` means the key must be absent.
 */
export interface BatchCondition {
  key: string;
  value: Uint8Array | undefined;
}

/**
 * A key/value store.
 *
 * `list(prefix)` is one level deep, like Vault's LIST: for keys `a/b`, `a/c/d` and
 * prefix `a/` it returns `['b', 'c/']`, sorted by byte order, without duplicates.
 * `batch` applies all operations or none. With `conditions`, it first checks every condition
 * atomically with the writes; if one does not hold it writes nothing and rejects with a
 * ConflictError (`code: 'storage_conflict'`, see errors.ts).
 * A write that resolved is durable.
 */
export interface Storage {
  get(key: string): Promise<Uint8Array | undefined>;
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  list(prefix: string, options?: ListOptions): Promise<string[]>;
  /**
   * Every key below `prefix`, recursively, relative to it and in byte order (no folder entries):
   * for keys `a/b`, `a/c/d` and prefix `a/` it returns `['b', 'c/d']`. `after` is a relative key
   * from a previous page; one ordered range read per page on the SQL backends. A key equal to
   * the prefix itself is not returned.
   */
  scan(prefix: string, options?: ListOptions): Promise<string[]>;
  batch(ops: BatchOp[], conditions?: BatchCondition[]): Promise<void>;
  /** Release connections and file handles. */
  close(): Promise<void>;
}

/** Storage backends report this name in `sys/seal-status` (`storage_type`). */
export interface NamedStorage extends Storage, SnapshotStorage {
  readonly type: string;
  /** Other nodes' committed writes, when the backend is shared by several nodes (postgres with `ha`). */
  readonly changes?: ChangeFeed;
}

/** Other nodes' committed writes (see postgres-changes.ts). */
export interface ChangeFeed {
  /**
   * Keys written by OTHER nodes, after their commit; `'all'` when changes may have been missed
   * (reconnect, too far behind): drop every cache. Returns an unsubscribe function.
   */
  subscribe(listener: (keys: readonly string[] | 'all') => void): () => void;
  /**
   * True when this node is known to have applied every change committed before
   * (now - maxLagMs): the feed's connection is up and a confirmation round trip succeeded
   * recently enough. Callers fail closed (503) while false.
   */
  isCurrent(): boolean;
}

/** One node of a cluster sharing a storage, as its registry knows it. */
export interface ClusterMember {
  nodeId: string;
  apiAddr: string;
  clusterAddr?: string;
  /** When the node last wrote its heartbeat (the database's clock). */
  lastHeartbeat: Date;
  leader: boolean;
  version?: string;
}

/** Leadership and membership among the nodes sharing a storage (PostgreSQL with ha_enabled). */
export interface ClusterCoordinator {
  readonly nodeId: string;
  /** True while this node leads background work. */
  isLeader(): boolean;
  leader(): Promise<ClusterMember | undefined>;
  members(): Promise<ClusterMember[]>;
  /** Gives leadership up so another node takes it. */
  stepDown(): Promise<void>;
}

/** One physical entry, as a snapshot or a migration copies it. */
export interface StorageEntry {
  key: string;
  value: Uint8Array;
}

/**
 * A consistent, read-only view of every entry at one point in time (see `SnapshotStorage`).
 * Writes that commit after it was taken are not in it. Call `release` when done (iterating to
 * the end releases it too).
 */
export interface StorageSnapshot {
  /** How many entries the snapshot holds. */
  readonly count: number;
  /** Every entry, in key byte order, in batches of at most `batchSize`. Iterate once. */
  entries(): AsyncIterable<StorageEntry[]>;
  /** Ends the read (transaction) early; safe to call more than once. */
  release(): Promise<void>;
}

/**
 * Whole-store copies for snapshots and migration. Every backend implements it; one
 * conformance suite (test/storage/conformance.ts) checks it.
 */
export interface SnapshotStorage {
  /** Takes a consistent snapshot of every entry while writes continue. */
  snapshot(options?: { batchSize?: number }): Promise<StorageSnapshot>;
  /**
   * Replaces EVERY entry with `batches`, atomically: readers see the old store or the new one,
   * never a mix; when `batches` throws, nothing changes. Returns how many entries were written.
   */
  replaceAll(batches: AsyncIterable<StorageEntry[]> | Iterable<StorageEntry[]>): Promise<number>;
}
