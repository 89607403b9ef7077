/**
 * PostgreSQL storage (`pg` Pool), for several Coffer nodes sharing one database.
 *
 * Schema: `<table> (key BYTEA PRIMARY KEY, value BYTEA NOT NULL)`, created when missing.
 * Plain SQL only (no extensions, no server-side functions), so it also runs on
 * Postgres-compatible distributed SQL. Keys are stored as their UTF-8 bytes: BYTEA
 * compares bytewise on every such database, whereas TEXT ordering depends on the
 * database collation (en_US would sort `a/b` and `a0` by linguistic rules).
 *
 * One-level listing is a range scan with collapse, done in chunks: fetch up to CHUNK
 * keys in order from the range's lower bound, emit file names, emit each sub-folder
 * `name/` once and skip its keys; when a chunk ends inside a sub-folder, the next query
 * seeks past that folder (`key >= prefix/name0`). Round trips grow with the names
 * returned and with folders bigger than a chunk, never with the total number of keys
 * below the listed level. The upper bound `prefix || 0xFF` is exact: 0xFF never occurs
 * in UTF-8.
 */

import type pg from 'pg';
import { changeChannel, PostgresChangeFeed, WRITE_TX_LIMITS } from './postgres-changes.js';
import {
  closedError,
  folderEnd,
  listStart,
  normalizeListOptions,
  scanStart,
  validateBatch,
  validateConditions,
  validateKey,
  validatePrefix,
  validateValue,
} from './keys.js';
import { FailoverPool } from './postgres-hosts.js';
import { StorageUnavailableError } from './errors.js';
import { createSchema } from './postgres-schema.js';
import { lockId, PgGroupWriter } from './postgres-writes.js';
import { ValueCache } from './value-cache.js';
import { checkedBatches, snapshotBatchSize } from './snapshot.js';
import type { BatchCondition, BatchOp, ChangeFeed, ListOptions, NamedStorage, StorageEntry, StorageSnapshot } from './types.js';

/** The table a server uses when the config names none. */
export const DEFAULT_TABLE = 'coffer_kv';

import { redactConnectionUrl } from './postgres-hosts.js';
export { redactConnectionUrl };

/** Keys fetched per list query. */
const CHUNK = 500;

/** Options for {@link PostgresStorage.open}. */
export interface PostgresStorageOptions {
  /**
   * `postgres://user:password@host:5432/db`, or several hosts in libpq's form
   * (`postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write`): the writable one is used.
   */
  connectionUrl: string;
  /** Table name, optionally schema-qualified (`schema.table`); default `coffer_kv`. */
  table?: string;
  /** Maximum pool size; default 10. */
  maxConnections?: number;
  /** How long to wait for a connection (per host), in ms; default 10000. */
  connectTimeoutMs?: number;
  /** Client-side bound on one statement, in ms; default 30000 (see FailoverPoolOptions). */
  queryTimeoutMs?: number;
  /**
   * Hold a session advisory lock on the table while open, so only one Coffer server uses it at
   * a time (its caches and per-key locks are per process). A second one fails at start.
   */
  exclusive?: boolean;
  /**
   * Several active nodes on this table: every write also records its keys in
   * `<table>_changes` (same transaction) and notifies the other nodes, and `changes` is this
   * node's feed of the others' writes (see postgres-changes.ts). `nodeId` must be unique per node.
   */
  ha?: { nodeId: string; maxLagMs?: number };
}

/** The HA write path: where and how a write transaction records its keys. */
interface HaWrites {
  /** BEGIN plus the limits that bound a write transaction (see COMMIT_BOUND_MS). */
  begin: string;
  /** Inserts the change row (last statement before COMMIT) and notifies; $1 node, $2 keys. */
  record: string;
  nodeId: string;
  changesTable: string;
  channel: string;
}

/** Quote a table name (`name` or `schema.name`) after checking it is a plain identifier. */
export function quoteTable(table: string): string {
  return tableParts(table).map((p) => `"${p}"`).join('.');
}

/** The parts of a checked table name. */
function tableParts(table: string): string[] {
  const parts = table.split('.');
  const ident = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
  if (parts.length > 2 || !parts.every((p) => ident.test(p))) {
    throw new Error(
      `postgresql storage: table name "${table}" is invalid; use letters, digits and "_" (optionally "schema.table"), starting with a letter or "_"`,
    );
  }
  return parts;
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The exclusive upper bound of the keys below `prefix` (0xFF never occurs in UTF-8); none for the root. */
const rangeEnd = (prefix: string): Buffer | undefined => (prefix === '' ? undefined : Buffer.concat([utf8(prefix), Buffer.from([0xff])]));

/** Storage in one PostgreSQL table (type `postgresql`). Create it with {@link PostgresStorage.open}. */
export class PostgresStorage implements NamedStorage {
  readonly type = 'postgresql';
  /** The quoted table name. */
  readonly table: string;
  /** Other nodes' writes (only with the `ha` option). */
  readonly changes?: ChangeFeed;

  private readonly pool: FailoverPool;
  private feed: PostgresChangeFeed | undefined;
  private ha: HaWrites | undefined;
  private readonly sql: {
    get: string;
    /** The name of `get` as a prepared statement (a hash of its text, which names the table). */
    getName: string;
    scan: string;
    scanTail: string;
  };
  /** Every write goes through it (see postgres-writes.ts); replaced when ha starts. */
  private writer: PgGroupWriter;
  private readonly maxGroups: number;
  /** False once the server showed it cannot keep the named read statement (see readValue). */
  private namedReads = true;
  private closed = false;
  /** The connection holding the advisory lock (exclusive mode). */
  private lockClient: pg.Client | undefined;
  /** Set when the lock connection dropped: another server may have taken over, so stop serving. */
  private lockLost = false;
  /** Told `'all'` when the lock is ours again (the exclusive mode's `changes`). */
  private readonly relockListeners = new Set<(keys: 'all') => void>();
  /** Calls still running; close() lets them finish before ending the pool. */
  private readonly inflight = new Set<Promise<unknown>>();
  /**
   * Values (and absences) read or written, only in exclusive mode: the advisory lock makes this
   * server the table's only writer, so nothing changes behind the cache. A read fills it only
   * when no write of its key was in flight or completed while it ran (see get).
   */
  private cache: ValueCache | undefined;
  /** Writes in flight per key. */
  private readonly writing = new Map<string, number>();
  /** Counts completed writes; `touched` has the count at each key's last completed write. */
  private writeEpoch = 0;
  private readonly touched = new Map<string, number>();
  /** Reads that started before this epoch never fill the cache (`touched` was cleared, or replaceAll ran). */
  private touchedFloor = 0;

  private constructor(pool: FailoverPool, table: string, maxConnections: number) {
    this.pool = pool;
    this.table = table;
    this.sql = {
      get: `SELECT value FROM ${table} WHERE key = $1`,
      getName: `coffer_get_${(lockId(`SELECT value FROM ${table} WHERE key = $1`) >>> 0).toString(16)}`,
      scan: `SELECT key FROM ${table} WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3`,
      // For the root prefix: no upper bound.
      scanTail: `SELECT key FROM ${table} WHERE key >= $1 ORDER BY key LIMIT $2`,
    };
    // Write groups take at most half the pool: reads keep connections of their own.
    this.maxGroups = Math.max(1, Math.floor(maxConnections / 2));
    this.writer = new PgGroupWriter({ connect: () => pool.connect(), table, maxGroups: this.maxGroups });
  }

  /** Connect, create the table when missing, and return the storage. */
  static async open(options: PostgresStorageOptions): Promise<PostgresStorage> {
    const { connectionUrl } = options ?? ({} as PostgresStorageOptions);
    if (typeof connectionUrl !== 'string' || connectionUrl.trim() === '') {
      throw new Error('postgresql storage needs connectionUrl (e.g. "postgres://coffer@127.0.0.1:5432/coffer")');
    }
    const table = quoteTable(options.table ?? DEFAULT_TABLE);
    const maxConnections = options.maxConnections ?? 10;
    // Splits multi-host URLs and follows the primary; throws here when the URL is malformed.
    const pool = new FailoverPool({
      connectionUrl,
      max: maxConnections,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      queryTimeoutMs: options.queryTimeoutMs,
    });
    try {
      await createSchema(pool, [`CREATE TABLE IF NOT EXISTS ${table} (key BYTEA PRIMARY KEY, value BYTEA NOT NULL)`]);
    } catch (err) {
      await pool.end().catch(() => {});
      throw new Error(
        `postgresql storage: cannot prepare table ${table} at ${redactConnectionUrl(connectionUrl)}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const storage = new PostgresStorage(pool, table, maxConnections);
    if (options.ha !== undefined) {
      try {
        await storage.startHa(options, options.table ?? 'coffer_kv');
      } catch (err) {
        await pool.end().catch(() => {});
        throw err;
      }
    }
    if (options.exclusive) {
      try {
        await storage.takeLock();
      } catch (err) {
        await pool.end().catch(() => {});
        throw err;
      }
      storage.cache = new ValueCache(20_000, 32 * 1024 * 1024);
      // Not a cluster's feed: it only says "drop every cache" after the lock was lost and taken
      // again (another server may have written in between), so core's caches follow the value cache.
      (storage as { changes?: ChangeFeed }).changes = {
        subscribe: (listener) => {
          storage.relockListeners.add(listener);
          return () => storage.relockListeners.delete(listener);
        },
        isCurrent: () => true,
      };
    }
    return storage;
  }

  /** Creates `<table>_changes` when missing, enables the HA write path and starts the change feed. */
  private async startHa(options: PostgresStorageOptions, tableName: string): Promise<void> {
    const { nodeId, maxLagMs } = options.ha!;
    if (typeof nodeId !== 'string' || nodeId.trim() === '' || nodeId.length > 200) {
      throw new Error('postgresql storage: ha.nodeId must be a non-empty string (at most 200 characters), unique per node');
    }
    if (maxLagMs !== undefined && (!Number.isSafeInteger(maxLagMs) || maxLagMs < 100)) {
      throw new Error('postgresql storage: ha.maxLagMs must be an integer number of milliseconds >= 100');
    }
    const parts = tableParts(tableName);
    const base = parts[parts.length - 1]!;
    if (base.length > 52) {
      throw new Error(`postgresql storage: with ha, the table name must be at most 52 characters (it gets a "_changes" companion table)`);
    }
    const changesTable = quoteTable([...parts.slice(0, -1), `${base}_changes`].join('.'));
    const channel = changeChannel(this.table);
    try {
      await createSchema(this.pool, [
        // seq is taken at insert; `at` is written as clock_timestamp() (the insert time, not the
        // transaction start) because the feed's resync relies on it (see resync()).
        `CREATE TABLE IF NOT EXISTS ${changesTable} (seq BIGSERIAL PRIMARY KEY, node_id TEXT NOT NULL, keys TEXT[] NOT NULL, at TIMESTAMPTZ NOT NULL DEFAULT now())`,
        `CREATE INDEX IF NOT EXISTS "${base}_changes_at" ON ${changesTable} (at)`,
      ]);
    } catch (err) {
      throw new Error(`postgresql storage: cannot prepare table ${changesTable}: ${(err as Error).message}`, { cause: err });
    }
    this.ha = {
      begin: `BEGIN; SET LOCAL statement_timeout = ${WRITE_TX_LIMITS.statementTimeoutMs}; SET LOCAL idle_in_transaction_session_timeout = ${WRITE_TX_LIMITS.idleInTransactionTimeoutMs}`,
      record: `WITH c AS (INSERT INTO ${changesTable} (node_id, keys, at) VALUES ($1, $2::text[], clock_timestamp()) RETURNING seq) SELECT pg_notify('${channel}', seq::text) FROM c`,
      nodeId,
      changesTable,
      channel,
    };
    this.writer = new PgGroupWriter({ connect: () => this.pool.connect(), table: this.table, maxGroups: this.maxGroups, ha: this.ha });
    this.feed = await PostgresChangeFeed.start({
      connect: () => this.pool.connectClient(`coffer-changes:${nodeId}`),
      changesTable,
      channel,
      nodeId,
      ...(maxLagMs !== undefined ? { maxLagMs } : {}),
    });
    (this as { changes?: ChangeFeed }).changes = this.feed;
  }

  /** Takes the table's advisory lock on a dedicated connection and keeps it until close(). */
  private async takeLock(): Promise<void> {
    const client = await this.pool.connectClient();
    // Only the connection that holds the lock can lose it (once: lockDropped forgets it).
    const onDrop = () => {
      if (this.lockClient === client && !this.closed) this.lockDropped();
    };
    client.on('error', onDrop);
    client.on('end', onDrop);
    let locked: boolean | undefined;
    try {
      locked = (await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`coffer:${this.table}`])).rows[0]?.locked;
    } finally {
      if (!locked) await client.end().catch(() => {});
    }
    if (!locked) throw new Error(`postgresql storage: table ${this.table} is in use by another Coffer server (one active server per table)`);
    this.lockClient = client;
  }

  /**
   * The lock's connection dropped (database restart, failover, network, an operator's
   * pg_terminate_backend): the database freed the lock, so another server may take it and write.
   * Invariant (exclusive cache): nothing cached while the lock was held is served once it may
   * not be held: the cache is emptied now, calls answer 503 until the lock is ours again, and
   * the cache is emptied again then, and the users of `changes` (core's token, policy and mount
   * caches) are told to drop everything (the other server may have written in between).
   */
  private lockDropped(): void {
    this.lockClient = undefined;
    this.lockLost = true;
    this.forgetCache();
    void this.retakeLock();
  }

  /** Tries to take the lock again (after 0.25 s, then backing off to every 2 s) until it is ours or the storage closes. */
  private async retakeLock(): Promise<void> {
    for (let wait = 250; !this.closed; wait = Math.min(wait * 2, 2000)) {
      await new Promise((r) => setTimeout(r, wait).unref());
      if (this.closed) return;
      try {
        await this.takeLock();
      } catch {
        continue; // unreachable, or held by another server: 503 meanwhile, try again
      }
      if (this.closed) {
        await this.lockClient?.end().catch(() => {});
        return;
      }
      // One synchronous step: no call sees the lock back before the caches above are told.
      this.forgetCache();
      this.lockLost = false;
      for (const listener of this.relockListeners) listener('all');
      return;
    }
  }

  /** Empties the value cache; reads already running cannot fill it (see get). */
  private forgetCache(): void {
    if (!this.cache) return;
    this.cache.clear();
    this.touchedFloor = ++this.writeEpoch;
  }

  /** Read a value (undefined when missing). */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.checkOpen();
    validateKey(key);
    const cached = this.cache?.get(key);
    if (cached !== undefined) return cached === null ? undefined : Buffer.from(cached);
    const start = this.writeEpoch;
    const res = await this.track(this.readValue(key));
    const value = res.rows[0]?.value;
    // Only a read that no write of its key overlapped may fill the cache.
    if (this.cache && !this.writing.has(key) && this.touchedFloor <= start && (this.touched.get(key) ?? 0) <= start) {
      this.cache.set(key, value ?? null);
    }
    return value;
  }

  /**
   * The row of `key`, through a named prepared statement (PostgreSQL parses and plans it once per
   * connection: about half its CPU per read). A server that lost the statement or cannot keep one
   * (26000: DEALLOCATE, a proxy that moves sessions) gets unnamed statements from then on.
   */
  private async readValue(key: string): Promise<pg.QueryResult<{ value: Buffer }>> {
    if (this.namedReads) {
      try {
        return await this.pool.query<{ value: Buffer }>(this.sql.get, [utf8(key)], this.sql.getName);
      } catch (err) {
        if ((err as { code?: string }).code !== '26000') throw err;
        this.namedReads = false;
      }
    }
    return this.pool.query<{ value: Buffer }>(this.sql.get, [utf8(key)]);
  }

  /** Store `value` under `key` (a batch of one; see batch). The value is copied now: the write may wait for a group. */
  async put(key: string, value: Uint8Array): Promise<void> {
    this.checkOpen();
    validateKey(key);
    validateValue(value);
    return this.track(this.write([{ type: 'put', key, value: Buffer.from(value) }], undefined));
  }

  /** Remove `key`; removing a missing key is not an error. */
  async delete(key: string): Promise<void> {
    this.checkOpen();
    validateKey(key);
    return this.track(this.write([{ type: 'delete', key }], undefined));
  }

  /** One level below `prefix`, sorted, sub-folders as `name/`. */
  async list(prefix: string, options?: ListOptions): Promise<string[]> {
    this.checkOpen();
    validatePrefix(prefix);
    return this.track(this.listOneLevel(prefix, normalizeListOptions(options)));
  }

  private async listOneLevel(prefix: string, { after, limit }: { after: string; limit: number }): Promise<string[]> {
    const upper = rangeEnd(prefix);
    const chunk = limit > 0 ? Math.min(Math.max(limit, 16), CHUNK) : CHUNK;
    const names: string[] = [];
    let lower = listStart(prefix, after);
    // The sub-folder whose keys are being skipped (ends in '/').
    let folder: string | undefined;

    for (;;) {
      const res = await this.keysFrom(lower, upper, chunk);
      let last = '';
      for (const row of res.rows) {
        const key = row.key.toString('utf8');
        last = key;
        if (folder !== undefined && key.startsWith(folder)) continue;
        folder = undefined;
        const rest = key.slice(prefix.length);
        if (rest === '') continue;
        const slash = rest.indexOf('/');
        if (slash < 0) {
          names.push(rest);
        } else {
          names.push(rest.slice(0, slash + 1));
          folder = prefix + rest.slice(0, slash + 1);
        }
        if (limit > 0 && names.length >= limit) return names;
      }
      if (res.rows.length < chunk) return names;
      // Continue after the last row, or past the folder we are inside.
      lower = folder !== undefined && last.startsWith(folder) ? folderEnd(folder) : last + '\x01';
    }
  }

  /** Up to `chunk` keys from `lower` (inclusive) on, in byte order, below `upper` when given. */
  private keysFrom(lower: string, upper: Buffer | undefined, chunk: number): Promise<pg.QueryResult<{ key: Buffer }>> {
    return upper === undefined
      ? this.pool.query<{ key: Buffer }>(this.sql.scanTail, [utf8(lower), chunk])
      : this.pool.query<{ key: Buffer }>(this.sql.scan, [utf8(lower), upper, chunk]);
  }

  /**
   * Every key below `prefix`, recursively, relative to it, in byte order. With a limit this is
   * one range query (`LIMIT limit`); without one, chunks of CHUNK keys.
   */
  async scan(prefix: string, options?: ListOptions): Promise<string[]> {
    this.checkOpen();
    validatePrefix(prefix);
    return this.track(this.scanRange(prefix, normalizeListOptions(options)));
  }

  private async scanRange(prefix: string, { after, limit }: { after: string; limit: number }): Promise<string[]> {
    const upper = rangeEnd(prefix);
    const names: string[] = [];
    let lower = scanStart(prefix, after);
    for (;;) {
      const chunk = limit > 0 ? limit - names.length : CHUNK;
      const res = await this.keysFrom(lower, upper, chunk);
      let last = '';
      for (const row of res.rows) {
        last = row.key.toString('utf8');
        if (last.length > prefix.length) names.push(last.slice(prefix.length));
      }
      if (res.rows.length < chunk || (limit > 0 && names.length >= limit)) return names;
      lower = last + '\x01';
    }
  }

  /**
   * Apply all operations in one transaction: all or none. With `conditions`, they are checked
   * in that transaction with every key involved locked (see postgres-writes.ts); when one does
   * not hold nothing is written and the call rejects with a ConflictError. Concurrent batches
   * are group-committed: several share one database transaction, each applied or refused alone.
   */
  async batch(ops: BatchOp[], conditions?: BatchCondition[]): Promise<void> {
    this.checkOpen();
    validateBatch(ops);
    validateConditions(conditions);
    const conds = conditions?.length ? conditions.map((c) => ({ key: c.key, value: c.value && Buffer.from(c.value) })) : undefined;
    if (ops.length === 0 && conds === undefined) return;
    // Copy values now: the caller may reuse its buffers before the group runs.
    const copies = ops.map(
      (op): BatchOp => (op.type === 'put' ? { type: 'put', key: op.key, value: Buffer.from(op.value) } : { type: 'delete', key: op.key }),
    );
    return this.track(this.write(copies, conds));
  }

  /** Runs a write through the group writer and keeps the cache (exclusive mode) in step with it. */
  private async write(ops: BatchOp[], conditions: BatchCondition[] | undefined): Promise<void> {
    const cache = this.cache;
    if (!cache) return this.writer.write(ops, conditions);
    const keys = [...new Set(ops.map((op) => op.key))];
    for (const k of keys) this.writing.set(k, (this.writing.get(k) ?? 0) + 1);
    try {
      await this.writer.write(ops, conditions);
      // Another write of the same key still in flight may complete in either order: forget the key then.
      cache.apply(ops.filter((op) => this.writing.get(op.key) === 1), true);
      for (const k of keys) if (this.writing.get(k)! > 1) cache.delete(k);
    } catch (err) {
      // Conflicted (a condition came from a stale entry?) or unknown outcome: read these again.
      for (const k of keys) cache.delete(k);
      // A checked key whose cached value is the condition's, with no write of it in flight (the
      // cache is then current: exclusive mode), did not fail: keep it. Dropping every checked key
      // made each conflict send the next writes back to PostgreSQL for the mount config and the
      // events `subscribed` record, which every write checks.
      for (const c of conditions ?? []) {
        if (this.writing.has(c.key) || !cachedEquals(cache.get(c.key), c.value)) cache.delete(c.key);
      }
      throw err;
    } finally {
      const epoch = ++this.writeEpoch;
      for (const k of keys) {
        const n = this.writing.get(k)! - 1;
        if (n === 0) this.writing.delete(k);
        else this.writing.set(k, n);
        this.touched.set(k, epoch);
      }
      if (this.touched.size > 10_000) {
        this.touched.clear();
        this.touchedFloor = epoch;
      }
    }
  }

  /**
   * A REPEATABLE READ, READ ONLY transaction on its own connection: the count and every page
   * (keyset pagination in key order) see the same committed state while writers go on.
   */
  async snapshot(options?: { batchSize?: number }): Promise<StorageSnapshot> {
    this.checkOpen();
    const batchSize = snapshotBatchSize(options);
    const client = await this.pool.connect();
    let released = false;
    const release = async (err?: Error): Promise<void> => {
      if (released) return;
      released = true;
      let broken = err;
      await client.query('ROLLBACK').catch((e: Error) => (broken ??= e));
      client.release(broken);
    };
    let count: number;
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // The first query fixes the transaction's snapshot.
      const res = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.table}`);
      count = Number(res.rows[0]!.n);
    } catch (err) {
      await release(err as Error);
      throw err;
    }
    const page = `SELECT key, value FROM ${this.table} WHERE key > $1 ORDER BY key LIMIT $2`;
    return {
      count,
      entries: async function* (this: void) {
        try {
          let after: Buffer = Buffer.alloc(0);
          for (;;) {
            if (released) return;
            const rows = (await client.query<{ key: Buffer; value: Buffer }>(page, [after, batchSize])).rows;
            if (rows.length > 0) yield rows.map((r) => ({ key: r.key.toString('utf8'), value: r.value }));
            if (rows.length < batchSize) return;
            after = rows[rows.length - 1]!.key;
          }
        } catch (err) {
          await release(err as Error);
          throw err;
        } finally {
          await release();
        }
      },
      release: () => release(),
    };
  }

  /**
   * Replace every entry in one transaction (DELETE, then multi-row inserts per batch): other
   * sessions see the old store until COMMIT. With ha, the change row names every key touched.
   */
  async replaceAll(batches: AsyncIterable<StorageEntry[]> | Iterable<StorageEntry[]>): Promise<number> {
    this.checkOpen();
    return this.track(this.replaceAllTx(batches));
  }

  private async replaceAllTx(batches: AsyncIterable<StorageEntry[]> | Iterable<StorageEntry[]>): Promise<number> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    let count = 0;
    try {
      await client.query(this.ha?.begin ?? 'BEGIN');
      // Writers check and write under advisory locks on their keys (postgres-writes.ts), not on
      // rows; the table lock waits for every writer in flight and holds new ones until COMMIT.
      await client.query(`LOCK TABLE ${this.table} IN SHARE ROW EXCLUSIVE MODE`);
      const deleted = await client.query<{ key: Buffer }>(`DELETE FROM ${this.table} RETURNING key`);
      const touched = new Set(deleted.rows.map((r) => r.key.toString('utf8')));
      const insert = `INSERT INTO ${this.table} (key, value) SELECT k, v FROM unnest($1::bytea[], $2::bytea[]) AS t(k, v)`;
      for await (const batch of checkedBatches(batches)) {
        if (batch.length === 0) continue;
        await client.query(insert, [batch.map((e) => utf8(e.key)), batch.map((e) => Buffer.from(e.value))]);
        for (const e of batch) touched.add(e.key);
        count += batch.length;
      }
      if (this.ha && touched.size > 0) await client.query(this.ha.record, [this.ha.nodeId, [...touched]]);
      await client.query('COMMIT');
      this.forgetCache();
      return count;
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e));
      // The COMMIT may have happened (connection lost): read everything again.
      this.forgetCache();
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Let running calls finish, then end the pool. Later calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    await this.feed?.close();
    await this.pool.end();
    // Ending the session releases the advisory lock.
    await this.lockClient?.end().catch(() => {});
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
    if (this.lockLost) {
      throw new StorageUnavailableError(this.pool.hostLabels, {
        message: `storage unavailable: the connection holding this server's lock on ${this.table} dropped; taking the lock again (retry shortly; if another Coffer server took the table, stop one of them)`,
      });
    }
  }
}

/** True when a value cache entry (`null`: known absent) is exactly a condition's value (undefined: absent). */
function cachedEquals(cached: Buffer | null | undefined, value: Uint8Array | undefined): boolean {
  if (cached === undefined) return false;
  if (cached === null) return value === undefined;
  return value !== undefined && cached.equals(value);
}
