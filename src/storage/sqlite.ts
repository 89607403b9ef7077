/**
 * SQLite storage (better-sqlite3), the embedded default on disk.
 *
 * Schema: one table `coffer_kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID`.
 * The primary-key B-tree keeps keys in byte order (BINARY collation compares UTF-8
 * bytes), which is all a one-level listing needs: listOneLevel reads the files of the
 * listed level in sequence and, on meeting a sub-folder, emits `name/` once and seeks
 * past the subtree (`key >= 'prefix/name0'`). A listing costs one B-tree seek per name
 * returned, however many keys lie below it, and needs no folder-marker rows to keep
 * consistent on put/delete. (WITHOUT ROWID stores the value in the key's B-tree: one
 * lookup per get instead of two.)
 *
 * Durability: WAL, and a write is acknowledged only once the WAL holding its commit is
 * fsync'd. Writes are group-committed: every put/delete/batch is queued and the queue is
 * written in ONE transaction — on `setImmediate` when no sync is running, else when the
 * running sync completes (a write queued during a sync could not be acknowledged before
 * the next sync anyway, so waiting for it costs no latency, and one commit of everything
 * that arrived meanwhile costs far less CPU than one per event-loop turn: each commit
 * rewrites its B-tree pages, interior ones included, into the WAL). The
 * commit itself runs with `synchronous = NORMAL` (no fsync on the event loop); the WAL
 * file is then `fdatasync`ed on libuv's thread pool, at most one sync at a time, and a
 * sync settles every group committed before it started. So the event loop keeps
 * serving requests while the disk syncs. This is as durable as `synchronous = FULL`:
 * a commit's frames are in the WAL file before the sync that acknowledges it, and
 * recovery replays every complete frame. Until that sync, no reader sees the commit:
 * `get` of a key written by a not-yet-synced commit, and every list/scan/snapshot
 * while one is pending, wait for the sync (the value cache is updated only then).
 * A failed fsync leaves the outcome unknown: the storage refuses all further calls.
 *
 * Files: the directory is created (0700) when missing; the database file is created
 * with mode 0600 before SQLite opens it, SQLite gives its -wal/-shm files the same
 * mode, and we chmod them too in case they pre-existed.
 */

import { chmodSync, closeSync, existsSync, fdatasync, fsyncSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConflictError, StorageUnavailableError } from './errors.js';
import {
  closedError,
  listOneLevel,
  normalizeListOptions,
  scanRange,
  sameValue,
  validateBatch,
  validateConditions,
  validateKey,
  validatePrefix,
  validateValue,
} from './keys.js';
import { checkedBatches, checkedBatchesSync, isSyncIterable, materializedSnapshot, snapshotBatchSize } from './snapshot.js';
import { ValueCache } from './value-cache.js';
import type { BatchCondition, BatchOp, ListOptions, NamedStorage, StorageEntry, StorageSnapshot } from './types.js';

/**
 * SQLite's page cache for the one connection, in MiB, unless configured (`cache_size_mb`).
 * SQLite's own default is 2 MiB. At a million KV v2 secrets (2.5M rows) the B-tree's interior
 * pages take 64 MiB (WITHOUT ROWID: interior cells carry whole rows, fanout ~11), so with 2 MiB
 * a lookup that misses the value cache reads 3.0 pages through the OS; with 64 MiB, 1.45
 * (measured, bench/README.md). When the OS page cache holds the file this saves syscalls, not
 * CPU; when it does not, it saves disk reads. A fixed cap (SQLite evicts beyond it, and only
 * allocates pages it has read), so resident memory does not grow with the data.
 */
export const DEFAULT_SQLITE_CACHE_SIZE_MB = 64;
/** Bounds of `cache_size_mb`: at least SQLite's default, at most 16 GiB. */
export const SQLITE_CACHE_SIZE_MB_MIN = 2;
export const SQLITE_CACHE_SIZE_MB_MAX = 16_384;

/**
 * Upper bound of `mmap_size_mb` (1 TiB). Off (0) by default: SQLite then maps up to that much of
 * the file and reads pages in place instead of through read(2) and its page cache. At a million
 * secrets (a 1.4 GB file) that cut a random KV read's CPU by ~16% (bench/README.md), bringing it
 * to what a read costs at 10,000; but every page touched counts in the process's RSS (it is the
 * OS page cache, shared and reclaimable, yet monitors show it as the server's memory), and an I/O
 * error on the file becomes a SIGBUS that stops the server instead of a failed request.
 */
export const SQLITE_MMAP_SIZE_MB_MAX = 1_048_576;

/** Options of {@link SqliteStorage.open}. */
export interface SqliteOptions {
  /** Page cache in MiB (default {@link DEFAULT_SQLITE_CACHE_SIZE_MB}). */
  cacheSizeMb?: number;
  /** Memory-mapped reads of up to this many MiB of the file (default 0: off; see {@link SQLITE_MMAP_SIZE_MB_MAX}). */
  mmapSizeMb?: number;
}

/** Schema version stored in `PRAGMA user_version`. */
const SCHEMA_VERSION = 1;

/** A write waiting for the next group commit. */
interface PendingWrite {
  ops: BatchOp[];
  /** Checked inside the group's transaction just before `ops` run (undefined = unconditional). */
  conditions: BatchCondition[] | undefined;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A committed write waiting for the WAL sync that makes it durable. */
interface UnsyncedWrite {
  write: PendingWrite;
  /** The commit epoch it belongs to. */
  epoch: number;
}

/** Storage in one SQLite database file (type `sqlite`). Create it with {@link SqliteStorage.open}. */
export class SqliteStorage implements NamedStorage {
  readonly type = 'sqlite';
  /** Absolute path of the database file (or `:memory:`). */
  readonly path: string;

  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string]>;
  private readonly putStmt: Database.Statement<[string, Uint8Array]>;
  private readonly deleteStmt: Database.Statement<[string]>;
  private readonly scanStmt: Database.Statement<[string]>;
  /** One bounded range read for a recursive scan page (LIMIT -1 = no limit). */
  private readonly rangeStmt: Database.Statement<[string, number]>;
  /** Runs the group in one transaction; returns, per write, whether it was applied (false = its condition failed). */
  private readonly applyAll: (group: PendingWrite[]) => boolean[];

  private pending: PendingWrite[] = [];
  private flushTimer: NodeJS.Immediate | undefined;
  /** The WAL file to fdatasync (undefined for `:memory:`, where commits are acknowledged at once). */
  private readonly walPath: string | undefined;
  private walFd: number | undefined;
  /** Commit epochs: one per committed group (or replaceAll); `synced` is the last epoch known durable. */
  private committedEpoch = 0;
  private syncedEpoch = 0;
  private syncing = false;
  /** Set when an fsync failed: what the disk holds is unknown, every later call fails. */
  private failed: Error | undefined;
  /** Committed writes waiting for their sync, in commit order. */
  private unsynced: UnsyncedWrite[] = [];
  /** Keys written by a commit that is not synced yet, with the epoch of their latest such commit. */
  private readonly unsyncedKeys = new Map<string, number>();
  /** replaceAll rewrote every key in this epoch: until it is synced, every read waits. */
  private allUnsyncedEpoch = 0;
  /** Readers waiting for an epoch to be synced. */
  private syncWaiters: { epoch: number; resolve: () => void; reject: (err: unknown) => void }[] = [];
  /**
   * Recently read or written values (ciphertext: this is below the barrier). Safe because the
   * database file is locked exclusively: no other process can change it behind the cache.
   */
  private readonly cache = new ValueCache(20_000, 32 * 1024 * 1024);
  private closed = false;

  private constructor(db: Database.Database, path: string) {
    this.db = db;
    this.path = path;
    if (path !== ':memory:') this.walPath = `${path}-wal`;
    this.getStmt = db.prepare<[string]>('SELECT value FROM coffer_kv WHERE key = ?').pluck();
    this.putStmt = db.prepare<[string, Uint8Array]>(
      'INSERT INTO coffer_kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.deleteStmt = db.prepare<[string]>('DELETE FROM coffer_kv WHERE key = ?');
    this.scanStmt = db.prepare<[string]>('SELECT key FROM coffer_kv WHERE key >= ? ORDER BY key').pluck();
    this.rangeStmt = db.prepare<[string, number]>('SELECT key FROM coffer_kv WHERE key >= ? ORDER BY key LIMIT ?').pluck();
    // Each write's conditions are checked against the state left by the writes before it in
    // the group, and a write whose condition fails is skipped before any of its ops ran: it
    // fails alone (ConflictError) without aborting its neighbours, no savepoint needed.
    const apply = db.transaction((group: PendingWrite[]) => {
      // What the group's applied writes have put (or deleted: null) so far, for the conditions of the writes after them.
      const written = new Map<string, Buffer | null>();
      return group.map((write) => this.applyWrite(write, written));
    });
    // IMMEDIATE takes the write lock up front: no lock upgrade (SQLITE_BUSY) half-way.
    this.applyAll = (group) => apply.immediate(group);
  }

  /**
   * Open (or create) the database at `path`; the directory is created when missing.
   * `:memory:` gives a private in-memory database (no durability; for tests).
   */
  static async open(path: string, options: SqliteOptions = {}): Promise<SqliteStorage> {
    if (typeof path !== 'string' || path.trim() === '') {
      throw new Error('sqlite storage needs a database file path (e.g. "/var/lib/coffer/coffer.db")');
    }
    const cacheSizeMb = options.cacheSizeMb ?? DEFAULT_SQLITE_CACHE_SIZE_MB;
    if (!Number.isInteger(cacheSizeMb) || cacheSizeMb < SQLITE_CACHE_SIZE_MB_MIN || cacheSizeMb > SQLITE_CACHE_SIZE_MB_MAX) {
      throw new Error(`sqlite storage: cacheSizeMb must be a whole number from ${SQLITE_CACHE_SIZE_MB_MIN} to ${SQLITE_CACHE_SIZE_MB_MAX} (got ${String(cacheSizeMb)})`);
    }
    const mmapSizeMb = options.mmapSizeMb ?? 0;
    if (!Number.isInteger(mmapSizeMb) || mmapSizeMb < 0 || mmapSizeMb > SQLITE_MMAP_SIZE_MB_MAX) {
      throw new Error(`sqlite storage: mmapSizeMb must be a whole number from 0 to ${SQLITE_MMAP_SIZE_MB_MAX} (got ${String(mmapSizeMb)})`);
    }
    if (path === ':memory:') return new SqliteStorage(SqliteStorage.openDb(path, cacheSizeMb, 0), path);

    const file = resolve(path);
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    // Create the file ourselves so it is never world-readable, even for a moment.
    closeSync(openSync(file, 'a', 0o600));
    chmodSync(file, 0o600);
    const db = SqliteStorage.openDb(file, cacheSizeMb, mmapSizeMb);
    try {
      for (const suffix of ['-wal', '-shm']) {
        if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
      }
    } catch (err) {
      db.close();
      throw err;
    }
    return new SqliteStorage(db, file);
  }

  private static openDb(file: string, cacheSizeMb: number, mmapSizeMb: number): Database.Database {
    const db = new Database(file);
    try {
      // One server per database file: caches above (tokens, policies) assume no other writer.
      // Exclusive locking also keeps the WAL index in process memory, which halves read cost.
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (file !== ':memory:' && mode !== 'wal') {
        throw new Error(`sqlite storage: cannot switch ${file} to WAL mode (got "${String(mode)}")`);
      }
      // NORMAL: a commit does not fsync on the event loop; flush() fdatasyncs the WAL off it
      // before acknowledging (see the file comment). Checkpoints still sync as with FULL.
      db.pragma(file === ':memory:' ? 'synchronous = FULL' : 'synchronous = NORMAL');
      db.pragma('busy_timeout = 2000');
      // Negative = KiB (not pages). A cap: pages are allocated as read, evicted beyond it.
      db.pragma(`cache_size = -${cacheSizeMb * 1024}`);
      // Off unless configured: mapped pages count in RSS up to the file's size (see SQLITE_MMAP_SIZE_MB_MAX).
      if (mmapSizeMb > 0) db.pragma(`mmap_size = ${mmapSizeMb * 1024 * 1024}`);
      // Take the exclusive lock now, so a second server on the same file fails at start.
      db.exec('BEGIN IMMEDIATE; COMMIT;');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new Error(
          `sqlite storage: ${file} has schema version ${version}, newer than this Coffer supports (${SCHEMA_VERSION})`,
        );
      }
      db.exec(
        'CREATE TABLE IF NOT EXISTS coffer_kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID',
      );
      if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
      return db;
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
        throw new Error(`sqlite storage: ${file} is in use by another process (is another Coffer server running on it?)`);
      }
      throw err;
    }
  }

  /** Read a value (a fresh Buffer; undefined when missing). */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.checkOpen();
    validateKey(key);
    // A value whose commit is not synced yet is not readable yet.
    for (let e = this.unsyncedEpochOf(key); e !== undefined; e = this.unsyncedEpochOf(key)) await this.waitSynced(e);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached === null ? undefined : Buffer.from(cached);
    const value = this.getStmt.get(key) as Buffer | undefined;
    this.cache.set(key, value ?? null);
    return value ?? undefined;
  }

  /** Store `value` under `key`; resolves once the commit is on disk. */
  async put(key: string, value: Uint8Array): Promise<void> {
    this.checkOpen();
    validateKey(key);
    validateValue(value);
    return this.enqueue([{ type: 'put', key, value: Buffer.from(value) }]);
  }

  /** Remove `key`; removing a missing key is not an error. */
  async delete(key: string): Promise<void> {
    this.checkOpen();
    validateKey(key);
    return this.enqueue([{ type: 'delete', key }]);
  }

  /** One level below `prefix`, sorted, sub-folders as `name/`. */
  async list(prefix: string, options?: ListOptions): Promise<string[]> {
    this.checkOpen();
    validatePrefix(prefix);
    const opts = normalizeListOptions(options);
    await this.allSynced();
    return listOneLevel(prefix, opts, (lower) => this.scanStmt.iterate(lower) as IterableIterator<string>);
  }

  /** Every key below `prefix`, recursively, relative to it, in byte order: one ordered range read. */
  async scan(prefix: string, options?: ListOptions): Promise<string[]> {
    this.checkOpen();
    validatePrefix(prefix);
    const opts = normalizeListOptions(options);
    await this.allSynced();
    // Rows past the prefix end the iteration early (scanRange stops on the first one).
    return scanRange(prefix, opts, (lower) => this.rangeStmt.iterate(lower, opts.limit > 0 ? opts.limit : -1) as IterableIterator<string>);
  }

  /**
   * Apply all operations in one transaction: all or none. With `conditions`, they are checked
   * inside that transaction; if one fails nothing is written and the call rejects with a
   * ConflictError.
   */
  async batch(ops: BatchOp[], conditions?: BatchCondition[]): Promise<void> {
    this.checkOpen();
    validateBatch(ops);
    validateConditions(conditions);
    const conds = conditions?.length ? conditions.map((c) => ({ key: c.key, value: c.value && Buffer.from(c.value) })) : undefined;
    if (ops.length === 0 && conds === undefined) return;
    // Copy values now: the caller may reuse its buffers before the commit runs.
    const copies = ops.map(
      (op): BatchOp =>
        op.type === 'put' ? { type: 'put', key: op.key, value: Buffer.from(op.value) } : { type: 'delete', key: op.key },
    );
    return this.enqueue(copies, conds);
  }

  /**
   * Every committed entry as of now. All writes run on this connection in `flush` (a later
   * event-loop turn), so reading every row in one synchronous step is a consistent snapshot
   * without blocking writers for longer than the read. It holds the (encrypted) store in memory.
   */
  async snapshot(options?: { batchSize?: number }): Promise<StorageSnapshot> {
    this.checkOpen();
    const batchSize = snapshotBatchSize(options);
    await this.allSynced();
    this.checkOpen();
    const rows = this.db.prepare('SELECT key, value FROM coffer_kv ORDER BY key').all() as { key: string; value: Buffer }[];
    return materializedSnapshot(rows, batchSize);
  }

  /**
   * Replace every entry in one IMMEDIATE transaction that runs in one synchronous step, so no
   * reader on this connection sees a half-restored store. A synchronous source (a snapshot
   * file, see snapshot-file.ts) is read inside the transaction, batch by batch, so the store is
   * never held in memory; an asynchronous one is read and checked first. Either way an error in
   * the source rolls everything back. Queued writes commit before it.
   */
  async replaceAll(batches: AsyncIterable<StorageEntry[]> | Iterable<StorageEntry[]>): Promise<number> {
    this.checkOpen();
    let source: Iterable<StorageEntry[]>;
    if (isSyncIterable(batches)) {
      source = checkedBatchesSync(batches);
    } else {
      const all: StorageEntry[][] = [];
      for await (const batch of checkedBatches(batches)) all.push(batch);
      source = all;
    }
    this.checkOpen();
    if (this.pending.length > 0) this.flush();
    let count = 0;
    const replace = this.db.transaction(() => {
      this.db.exec('DELETE FROM coffer_kv');
      for (const batch of source) for (const e of batch) {
        this.putStmt.run(e.key, Buffer.from(e.value));
        count++;
      }
    });
    replace.immediate();
    this.cache.clear();
    this.allUnsyncedEpoch = ++this.committedEpoch;
    this.startSync();
    await this.waitSynced(this.allUnsyncedEpoch);
    return count;
  }

  /** Commit queued writes, then close the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pending.length > 0) this.flush();
    // Acknowledge (or fail) every committed write before the file goes.
    await this.waitSynced(this.committedEpoch).catch(() => {});
    this.db.close();
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
  }

  private checkOpen(): void {
    if (this.failed) throw this.failed;
    if (this.closed) throw closedError();
  }

  /** The epoch to wait for when `key` was written by a commit that is not durable yet; else undefined. */
  private unsyncedEpochOf(key: string): number | undefined {
    if (this.syncedEpoch >= this.committedEpoch) return undefined;
    const e = Math.max(this.unsyncedKeys.get(key) ?? 0, this.allUnsyncedEpoch);
    return e > this.syncedEpoch ? e : undefined;
  }

  /**
   * Waits until no commit is waiting for its sync, so a read of several keys sees only durable
   * data. Groups keep committing meanwhile, so it gives up after a few rounds (under a steady
   * write load a listing may then include a commit whose sync is under way).
   */
  private async allSynced(): Promise<void> {
    for (let i = 0; i < 5 && this.syncedEpoch < this.committedEpoch; i++) await this.waitSynced(this.committedEpoch);
  }

  /** Resolves once every commit up to `epoch` is durable (rejects when the sync failed). */
  private waitSynced(epoch: number): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.syncedEpoch >= epoch) return Promise.resolve();
    return new Promise((resolve, reject) => this.syncWaiters.push({ epoch, resolve, reject }));
  }

  /**
   * Starts an fdatasync of the WAL covering every commit so far, unless one is running (its
   * completion starts the next). Runs on libuv's thread pool: the event loop goes on meanwhile.
   */
  private startSync(): void {
    if (this.syncing || this.syncedEpoch >= this.committedEpoch || this.failed) return;
    const target = this.committedEpoch;
    if (this.walPath === undefined) {
      this.synced(target); // :memory: has nothing to sync
      return;
    }
    this.syncing = true;
    let fd: number;
    try {
      fd = this.walFd ??= this.openWal(this.walPath);
    } catch (err) {
      this.syncing = false;
      this.syncFailed(err);
      return;
    }
    fdatasync(fd, (err) => {
      this.syncing = false;
      if (err) this.syncFailed(err);
      else {
        this.synced(target);
        // What was queued during the sync commits now, as one group (see enqueue), and the
        // next sync starts at once.
        if (this.pending.length > 0) this.flush();
        this.startSync();
      }
    });
  }

  /** Opens the WAL file for syncing, and syncs the directory once so the file's entry is durable too. */
  private openWal(walPath: string): number {
    const fd = openSync(walPath, 'r');
    const dir = openSync(dirname(walPath), 'r');
    try {
      fsyncDirectory(dir);
    } finally {
      closeSync(dir);
    }
    return fd;
  }

  /** Every commit up to `epoch` is durable: fill the cache in commit order, acknowledge, wake readers. */
  private synced(epoch: number): void {
    this.syncedEpoch = epoch;
    let n = 0;
    for (; n < this.unsynced.length && this.unsynced[n]!.epoch <= epoch; n++) {
      const { write } = this.unsynced[n]!;
      this.cache.apply(write.ops, true);
      write.resolve();
    }
    this.unsynced = this.unsynced.slice(n);
    for (const [key, e] of this.unsyncedKeys) if (e <= epoch) this.unsyncedKeys.delete(key);
    const waiting = this.syncWaiters;
    this.syncWaiters = [];
    for (const w of waiting) {
      if (w.epoch <= epoch) w.resolve();
      else this.syncWaiters.push(w);
    }
  }

  /** An fsync failed: the committed-but-unsynced writes may or may not be on disk. Fail them and every later call. */
  private syncFailed(err: unknown): void {
    // A 503 with the reason for every later call (not a bare 500): the operator must restart.
    this.failed = new StorageUnavailableError([], {
      message: `storage unavailable: sqlite storage: syncing the write-ahead log failed (${(err as Error).message ?? String(err)}); the last writes may be lost — restart the server`,
      cause: err,
    });
    for (const { write } of this.unsynced) write.reject(this.failed);
    this.unsynced = [];
    // Queued writes were waiting for this sync to end (enqueue): they fail too.
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    for (const write of this.pending) write.reject(this.failed);
    this.pending = [];
    for (const w of this.syncWaiters) w.reject(this.failed);
    this.syncWaiters = [];
  }

  /**
   * Queues a write for the next group commit: on the next event-loop turn when the disk is idle,
   * else when the running sync completes (its callback flushes the queue). Either way the write
   * is acknowledged by the first sync that starts after its commit.
   */
  private enqueue(ops: BatchOp[], conditions?: BatchCondition[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ ops, conditions, resolve, reject });
      if (!this.syncing) this.flushTimer ??= setImmediate(() => this.flush());
    });
  }

  /**
   * Write every queued write in one transaction; on failure, retry each alone so one bad write
   * fails only its caller. Applied writes are acknowledged by the WAL sync that follows.
   */
  private flush(): void {
    if (this.flushTimer !== undefined) clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    const group = this.pending;
    this.pending = [];
    if (group.length === 0) return;
    if (this.failed) {
      for (const write of group) write.reject(this.failed);
      return;
    }
    const epoch = this.committedEpoch + 1;
    let committed = false;
    try {
      const applied = this.applyAll(group);
      committed = true;
      group.forEach((write, i) => this.settle(write, applied[i]!, epoch));
    } catch (err) {
      if (group.length === 1) group[0]!.reject(writeError(err));
      else {
        for (const write of group) {
          try {
            const applied = this.applyAll([write])[0]!;
            committed = true;
            this.settle(write, applied, epoch);
          } catch (e) {
            write.reject(writeError(e));
          }
        }
      }
    }
    if (committed) {
      this.committedEpoch = epoch;
      this.startSync();
    }
  }

  /** After the commit: queue an applied write for its sync, or reject a conflicted one. */
  private settle(write: PendingWrite, applied: boolean, epoch: number): void {
    if (!applied) {
      write.reject(new ConflictError());
      return;
    }
    this.unsynced.push({ write, epoch });
    for (const op of write.ops) this.unsyncedKeys.set(op.key, epoch);
  }

  /** Inside the group transaction: check the write's conditions, then run its ops. False when a condition failed. */
  private applyWrite(write: PendingWrite, written: Map<string, Buffer | null>): boolean {
    for (const c of write.conditions ?? []) {
      if (!sameValue(this.currentValue(c.key, written), c.value)) return false;
    }
    this.applyOps(write.ops);
    for (const op of write.ops) written.set(op.key, op.type === 'put' ? (op.value as Buffer) : null);
    return true;
  }

  /**
   * Inside the group transaction: `key`'s value in the database right now, for a condition.
   * Invariant: it is what `SELECT` would return. A key an earlier write of this group changed
   * comes from `written`; a key with no commit awaiting its sync (and no replaceAll awaiting
   * its own) from the value cache when it holds the key, because the cache then mirrors the
   * database (this connection is the only writer, and the cache takes a commit's values when its
   * sync lands); anything else is read from the database.
   */
  private currentValue(key: string, written: Map<string, Buffer | null>): Uint8Array | undefined {
    const w = written.get(key);
    if (w !== undefined) return w ?? undefined;
    if (!this.unsyncedKeys.has(key) && this.allUnsyncedEpoch <= this.syncedEpoch) {
      const cached = this.cache.get(key);
      if (cached !== undefined) return cached ?? undefined;
    }
    return (this.getStmt.get(key) as Buffer | undefined) ?? undefined;
  }

  private applyOps(ops: BatchOp[]): void {
    for (const op of ops) {
      if (op.type === 'put') this.putStmt.run(op.key, op.value);
      else this.deleteStmt.run(op.key);
    }
  }
}

/** fsync on a directory descriptor; some file systems refuse it (EINVAL, EISDIR): then there is nothing to do. */
function fsyncDirectory(fd: number): void {
  try {
    fsyncSync(fd);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'ENOTSUP') throw err;
  }
}

/**
 * A failed SQLite write as the caller should see it: a full disk is a 503 that says what to do
 * (SQLite rolled the transaction back: nothing of the write was applied, and the server goes on
 * serving reads and takes writes again once there is space); anything else as it came.
 */
function writeError(err: unknown): unknown {
  if ((err as { code?: unknown } | null)?.code !== 'SQLITE_FULL') return err;
  return new StorageUnavailableError([], {
    message: 'storage unavailable: the disk holding the SQLite database is full; this write was not applied (reads still work): free disk space, then retry',
    notApplied: true,
    cause: err,
  });
}
