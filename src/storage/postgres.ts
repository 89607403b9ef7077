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
import {
  closedError,
  folderEnd,
  listStart,
  normalizeListOptions,
  validateBatch,
  validateKey,
  validatePrefix,
  validateValue,
} from './keys.js';
import { FailoverPool, redactConnectionUrl } from './postgres-hosts.js';
import type { BatchOp, ListOptions, NamedStorage } from './types.js';

export { redactConnectionUrl } from './postgres-hosts.js';

/** Keys fetched per list query. */
const CHUNK = 500;
/** SQLSTATEs worth retrying a batch for: serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
const BATCH_ATTEMPTS = 4;

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
}

/** Quote a table name (`name` or `schema.name`) after checking it is a plain identifier. */
export function quoteTable(table: string): string {
  const parts = table.split('.');
  const ident = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
  if (parts.length > 2 || !parts.every((p) => ident.test(p))) {
    throw new Error(
      `postgresql storage: table name "${table}" is invalid; use letters, digits and "_" (optionally "schema.table"), starting with a letter or "_"`,
    );
  }
  return parts.map((p) => `"${p}"`).join('.');
}

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Storage in one PostgreSQL table (type `postgresql`). Create it with {@link PostgresStorage.open}. */
export class PostgresStorage implements NamedStorage {
  readonly type = 'postgresql';
  /** The quoted table name. */
  readonly table: string;

  private readonly pool: FailoverPool;
  private readonly sql: {
    get: string;
    put: string;
    delete: string;
    scan: string;
    scanTail: string;
  };
  private closed = false;
  /** The connection holding the advisory lock (exclusive mode). */
  private lockClient: pg.Client | undefined;
  /** Set when the lock connection dropped: another server may have taken over, so stop serving. */
  private lockLost = false;
  /** Calls still running; close() lets them finish before ending the pool. */
  private readonly inflight = new Set<Promise<unknown>>();

  private constructor(pool: FailoverPool, table: string) {
    this.pool = pool;
    this.table = table;
    this.sql = {
      get: `SELECT value FROM ${table} WHERE key = $1`,
      put: `INSERT INTO ${table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      delete: `DELETE FROM ${table} WHERE key = $1`,
      scan: `SELECT key FROM ${table} WHERE key >= $1 AND key < $2 ORDER BY key LIMIT $3`,
      // For the root prefix: no upper bound.
      scanTail: `SELECT key FROM ${table} WHERE key >= $1 ORDER BY key LIMIT $2`,
    };
  }

  /** Connect, create the table when missing, and return the storage. */
  static async open(options: PostgresStorageOptions): Promise<PostgresStorage> {
    const { connectionUrl } = options ?? ({} as PostgresStorageOptions);
    if (typeof connectionUrl !== 'string' || connectionUrl.trim() === '') {
      throw new Error('postgresql storage needs connectionUrl (e.g. "postgres://coffer@127.0.0.1:5432/coffer")');
    }
    const table = quoteTable(options.table ?? 'coffer_kv');
    // Splits multi-host URLs and follows the primary; throws here when the URL is malformed.
    const pool = new FailoverPool({
      connectionUrl,
      max: options.maxConnections ?? 10,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      queryTimeoutMs: options.queryTimeoutMs,
    });
    try {
      await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (key BYTEA PRIMARY KEY, value BYTEA NOT NULL)`);
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Two nodes creating the table at once: the loser sees a duplicate; the table exists.
      if (code !== '23505' && code !== '42P07') {
        await pool.end().catch(() => {});
        throw new Error(
          `postgresql storage: cannot prepare table ${table} at ${redactConnectionUrl(connectionUrl)}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
    const storage = new PostgresStorage(pool, table);
    if (options.exclusive) {
      try {
        await storage.takeLock();
      } catch (err) {
        await pool.end().catch(() => {});
        throw err;
      }
    }
    return storage;
  }

  /** Takes the table's advisory lock on a dedicated connection and keeps it until close(). */
  private async takeLock(): Promise<void> {
    const client = await this.pool.connectClient();
    client.on('error', () => {
      this.lockLost = true;
    });
    client.on('end', () => {
      if (!this.closed) this.lockLost = true;
    });
    const res = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [`coffer:${this.table}`]);
    if (!res.rows[0]?.locked) {
      await client.end().catch(() => {});
      throw new Error(`postgresql storage: table ${this.table} is in use by another Coffer server (one active server per table)`);
    }
    this.lockClient = client;
  }

  /** Read a value (undefined when missing). */
  async get(key: string): Promise<Uint8Array | undefined> {
    this.checkOpen();
    validateKey(key);
    const res = await this.track(this.pool.query<{ value: Buffer }>(this.sql.get, [utf8(key)]));
    return res.rows[0]?.value;
  }

  /** Store `value` under `key` (one autocommitted statement). The value is copied now: the query may wait for a connection. */
  async put(key: string, value: Uint8Array): Promise<void> {
    this.checkOpen();
    validateKey(key);
    validateValue(value);
    await this.track(this.pool.query(this.sql.put, [utf8(key), Buffer.from(value)]));
  }

  /** Remove `key`; removing a missing key is not an error. */
  async delete(key: string): Promise<void> {
    this.checkOpen();
    validateKey(key);
    await this.track(this.pool.query(this.sql.delete, [utf8(key)]));
  }

  /** One level below `prefix`, sorted, sub-folders as `name/`. */
  async list(prefix: string, options?: ListOptions): Promise<string[]> {
    this.checkOpen();
    validatePrefix(prefix);
    return this.track(this.listOneLevel(prefix, normalizeListOptions(options)));
  }

  private async listOneLevel(prefix: string, { after, limit }: { after: string; limit: number }): Promise<string[]> {
    const upper = prefix === '' ? undefined : Buffer.concat([utf8(prefix), Buffer.from([0xff])]);
    const chunk = limit > 0 ? Math.min(Math.max(limit, 16), CHUNK) : CHUNK;
    const names: string[] = [];
    let lower = listStart(prefix, after);
    // The sub-folder whose keys are being skipped (ends in '/').
    let folder: string | undefined;

    for (;;) {
      const res =
        upper === undefined
          ? await this.pool.query<{ key: Buffer }>(this.sql.scanTail, [utf8(lower), chunk])
          : await this.pool.query<{ key: Buffer }>(this.sql.scan, [utf8(lower), upper, chunk]);
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

  /** Apply all operations in one transaction on one checked-out client: all or none. */
  async batch(ops: BatchOp[]): Promise<void> {
    this.checkOpen();
    validateBatch(ops);
    if (ops.length === 0) return;
    const params = ops.map((op) =>
      op.type === 'put'
        ? { text: this.sql.put, values: [utf8(op.key), Buffer.from(op.value)] }
        : { text: this.sql.delete, values: [utf8(op.key)] },
    );
    return this.track(this.runBatch(params));
  }

  private async runBatch(params: { text: string; values: unknown[] }[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.runTransaction(params);
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (attempt >= BATCH_ATTEMPTS || code === undefined || !RETRYABLE.has(code)) throw err;
      }
    }
  }

  /** Let running calls finish, then end the pool. Later calls reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
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

  private async runTransaction(statements: { text: string; values: unknown[] }[]): Promise<void> {
    const client = await this.pool.connect();
    // Set when the connection is unusable: release(err) destroys it instead of pooling it.
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      for (const s of statements) await client.query(s.text, s.values);
      await client.query('COMMIT');
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private checkOpen(): void {
    if (this.closed) throw closedError();
    if (this.lockLost) throw new Error(`postgresql storage: lost the lock on ${this.table} (database connection dropped); restart this server`);
  }
}
