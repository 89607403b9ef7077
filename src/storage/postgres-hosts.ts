/**
 * Multi-host PostgreSQL connection URLs and a pool that follows the writable primary.
 *
 * libpq accepts `postgres://user@h1:5432,h2:5432/db?target_session_attrs=read-write` and
 * connects to the first host that is writable; the `pg` driver cannot parse that URL, so it
 * is split here into one single-host URL per host (every other parameter, e.g. `sslmode`,
 * is kept and parsed by `pg` as before).
 *
 * {@link FailoverPool} keeps a `pg.Pool` on the host it found writable. A connection error,
 * an admin shutdown (57P01) or a read-only refusal (25006, the host was demoted) marks that
 * pool broken; the next call looks for the primary again, host by host, each attempt bounded
 * by the connect timeout. While none is writable every call fails fast with one
 * {@link StorageUnavailableError}, and the pool recovers by itself once a primary answers.
 */

import pg from 'pg';
import { StorageUnavailableError } from './errors.js';

/** One host of a connection URL; `host` is a name, an IP address or a Unix socket directory. */
export interface PgHost {
  host: string;
  port: number;
}

/**
 * Which host Coffer accepts, after libpq's `target_session_attrs`: `read-write` (the default:
 * Coffer writes, so it always wants a writable session, where libpq's default is `any`),
 * `primary` (not in recovery), or `any` (the first host that accepts a connection).
 */
export type TargetSessionAttrs = 'read-write' | 'primary' | 'any';

/** A connection URL split per host. */
export interface PgTargets {
  hosts: PgHost[];
  targetSessionAttrs: TargetSessionAttrs;
  /** One single-host connection string per host, in the same order, for `pg`. */
  urls: string[];
}

const DEFAULT_PORT = 5432;
const EXAMPLE = 'postgres://coffer@db1:5432,db2:5432/coffer?target_session_attrs=read-write';

/** Replace the password in a connection URL (single- or multi-host) so it can appear in a message. */
export function redactConnectionUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // A multi-host URL is not a WHATWG URL: blank the password in `scheme://user:password@`.
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):[^@]*@/i, '$1:***@');
    // Not a URL (keyword form): drop any password=... pair.
    return url.replace(/password\s*=\s*('[^']*'|\S+)/gi, 'password=***');
  }
}

/** `host:port`, with IPv6 addresses in brackets, as hosts appear in messages. */
export function hostLabel(h: PgHost): string {
  return `${h.host.includes(':') ? `[${h.host}]` : h.host}:${h.port}`;
}

function parsePort(text: string, where: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new Error(`postgresql storage: port "${text}" of ${where} is invalid; use a number from 1 to 65535 (e.g. ${EXAMPLE})`);
  }
  return port;
}

/** One entry of the authority's host list: `host`, `host:port`, `[v6]`, `[v6]:port`, or empty. */
function parseHostEntry(entry: string): { host: string; port?: string } {
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(entry);
  if (v6) return { host: v6[1]!, port: v6[2] };
  if (entry.startsWith('[')) throw new Error(`postgresql storage: host "${entry}" has an unclosed "[" (write IPv6 addresses as [::1]:5432)`);
  const colon = entry.lastIndexOf(':');
  if (colon < 0) return { host: decodeURIComponent(entry) };
  return { host: decodeURIComponent(entry.slice(0, colon)), port: entry.slice(colon + 1) };
}

/**
 * Split a libpq connection URL into its hosts. Accepts one or several hosts in the authority
 * (`h1:5432,[::1]:5433,h3`), or `?host=h1,h2&port=5432,5433` (which override the authority,
 * as in libpq); a host without a port gets the single `port=` value or 5432; a host that
 * starts with `/` (percent-encoded in the authority) is a Unix socket directory.
 * Throws an Error that says how to fix the URL; the message never contains the password.
 */
export function parseConnectionUrl(url: string): PgTargets {
  const m = /^(postgres(?:ql)?):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/i.exec(url.trim());
  if (!m) {
    throw new Error(`postgresql storage: connection_url must be a URL like "${EXAMPLE}"`);
  }
  const [, scheme, authority, path, query = ''] = m as unknown as [string, string, string, string, string | undefined];
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at + 1) : '';
  const hostList = at >= 0 ? authority.slice(at + 1) : authority;

  // Keep every query parameter but the ones this function resolves, in their original encoding.
  const own = new Map<string, string>();
  const kept: string[] = [];
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    if (key === 'host' || key === 'port' || key === 'target_session_attrs') {
      own.set(key, decodeURIComponent((eq < 0 ? '' : pair.slice(eq + 1)).replace(/\+/g, ' ')));
    } else {
      kept.push(pair);
    }
  }

  const entries = own.has('host')
    ? own.get('host')!.split(',').map((host) => ({ host: host.trim(), port: undefined as string | undefined }))
    : hostList.split(',').map(parseHostEntry);
  const ports = own.has('port') ? own.get('port')!.split(',').map((p) => p.trim()) : [];
  if (ports.length > 1 && ports.length !== entries.length) {
    throw new Error(
      `postgresql storage: connection_url names ${entries.length} host(s) but ${ports.length} ports; give one port for all hosts or one per host`,
    );
  }
  if (entries.length > 1 && entries.some((e) => e.host === '')) {
    throw new Error(`postgresql storage: connection_url has an empty host in its host list "${hostList}"; name every host (e.g. ${EXAMPLE})`);
  }
  const hosts = entries.map((e, i): PgHost => {
    const where = `host "${e.host || 'localhost'}"`;
    const portText = ports.length > 1 ? ports[i]! : ports[0] ?? e.port;
    const port = portText === undefined || portText === '' ? DEFAULT_PORT : parsePort(portText, where);
    return { host: e.host || 'localhost', port };
  });

  const attrs = own.get('target_session_attrs') ?? 'read-write';
  if (attrs === 'read-only' || attrs === 'standby' || attrs === 'prefer-standby') {
    throw new Error(
      `postgresql storage: target_session_attrs=${attrs} would send Coffer's writes to a standby; use read-write (the default) or primary`,
    );
  }
  if (attrs !== 'read-write' && attrs !== 'primary' && attrs !== 'any') {
    throw new Error(`postgresql storage: target_session_attrs "${attrs}" is unknown; use read-write (the default), primary or any`);
  }

  const rest = kept.length ? `?${kept.join('&')}` : '';
  const urls = hosts.map((h) => {
    // A socket directory goes percent-encoded into the authority, which `pg` decodes back.
    const host = h.host.startsWith('/') ? encodeURIComponent(h.host) : h.host.includes(':') ? `[${h.host}]` : h.host;
    return `${scheme}://${userinfo}${host}:${h.port}${path}${rest}`;
  });
  return { hosts, targetSessionAttrs: attrs, urls };
}

/** Node socket errors (ECONNREFUSED, ...) and SQLSTATEs after which this host is not our primary any more. */
const LOST_SQLSTATES = new Set([
  '25006', // read_only_sql_transaction: the host is (now) a standby
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up, shutting down, or in recovery
  '08000', '08001', '08003', '08004', '08006', // connection exceptions
]);

/**
 * True when `err` means the connection to the primary is gone or points at a host that can no
 * longer take writes: socket errors, `pg`'s connection and timeout errors, and the SQLSTATEs above.
 */
export function isConnectionLoss(err: unknown): boolean {
  if (err instanceof StorageUnavailableError) return true;
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (LOST_SQLSTATES.has(code) || /^E[A-Z]{3,}$/.test(code))) return true;
  return (
    typeof message === 'string' &&
    /connection terminated|connection timeout|timeout expired|query read timeout|not queryable|connection ended/i.test(message)
  );
}

/** Options for {@link FailoverPool}. */
export interface FailoverPoolOptions {
  /** A libpq URL with one or several hosts (see {@link parseConnectionUrl}). */
  connectionUrl: string;
  /** Connections kept to the primary; default 10. */
  max?: number;
  /** Bound on connecting to one host and on waiting for a pooled connection, in ms; default 10000. */
  connectTimeoutMs?: number;
  /**
   * Client-side bound on one statement, in ms; default 30000. The server's statement_timeout is
   * set above it: a server-side cancel during a synchronous-replication wait would report the
   * commit as done although no standby has it, whereas a client-side timeout never acknowledges.
   */
  queryTimeoutMs?: number;
  /** After a search found no primary, calls fail at once for this long, in ms; default 250. */
  retryAfterMs?: number;
}

interface Primary {
  index: number;
  pool: pg.Pool;
}

/**
 * A `pg.Pool` stand-in (`query`, `connect`, `end`) that talks to the writable host of a
 * multi-host URL and finds the new one after a failover. Errors while no primary is
 * reachable are {@link StorageUnavailableError}s.
 */
export class FailoverPool {
  /** The URL's hosts, in order. */
  readonly targets: PgTargets;
  private readonly max: number;
  private readonly connectTimeoutMs: number;
  private readonly queryTimeoutMs: number;
  private readonly retryAfterMs: number;
  private current: Primary | undefined;
  private searching: Promise<Primary> | undefined;
  private lastFailure: { at: number; reasons: string[] } | undefined;
  private ended = false;
  /** Pool clients whose query() already reports connection loss to this pool. */
  private readonly watched = new WeakSet<pg.PoolClient>();

  /** Parses the URL now (throwing a clear Error when it is malformed); connects lazily. */
  constructor(options: FailoverPoolOptions) {
    this.targets = parseConnectionUrl(options.connectionUrl);
    const count = (name: keyof FailoverPoolOptions, fallback: number): number => {
      const v = options[name] ?? fallback;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
        throw new Error(`postgresql storage: ${name} must be a positive integer (got ${JSON.stringify(v)})`);
      }
      return v;
    };
    this.max = count('max', 10);
    this.connectTimeoutMs = count('connectTimeoutMs', 10_000);
    this.queryTimeoutMs = count('queryTimeoutMs', 30_000);
    this.retryAfterMs = count('retryAfterMs', 250);
  }

  /** The hosts as `host:port` (for messages). */
  get hostLabels(): string[] {
    return this.targets.hosts.map(hostLabel);
  }

  /** The host currently used as the primary, if one is known. */
  get primary(): PgHost | undefined {
    return this.current ? this.targets.hosts[this.current.index] : undefined;
  }

  /**
   * Run one statement on the primary (it is retried once on a new primary only when it surely did
   * not run). With `name`, it is a named prepared statement: parsed once per connection (`pg`
   * keeps track), then only bound and run.
   */
  async query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[], name?: string): Promise<pg.QueryResult<R>> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      try {
        const res = await (name === undefined ? client.query<R>(text, values) : client.query<R>({ name, text, values }));
        client.release();
        return res;
      } catch (err) {
        const lost = isConnectionLoss(err);
        client.release(lost ? (err as Error) : undefined);
        // 25006: the host refused the statement because it is a standby now; nothing ran.
        const readOnly = (err as { cause?: { code?: string } }).cause?.code === '25006';
        if (readOnly && attempt === 1) continue;
        throw err;
      }
    }
  }

  /**
   * Check out a pooled connection to the primary (release it with `release()`, or
   * `release(err)` when it is broken). Its query errors that mean the primary is gone arrive
   * as StorageUnavailableError (with the original as `cause`) and make the pool look again.
   */
  async connect(): Promise<pg.PoolClient> {
    for (let attempt = 1; ; attempt++) {
      const primary = await this.find();
      let client: pg.PoolClient;
      try {
        client = await primary.pool.connect();
      } catch (err) {
        this.markBroken(primary);
        // Nothing ran: look for the primary once more before reporting.
        if (attempt === 1) continue;
        throw this.unavailable(err);
      }
      return this.watch(primary, client);
    }
  }

  /**
   * A dedicated session on the primary (for advisory locks, LISTEN): not pooled, the caller
   * ends it. It already has an 'error' listener, so a dropped connection cannot crash the
   * process; add your own to react.
   */
  async connectClient(applicationName = 'coffer'): Promise<pg.Client> {
    for (let attempt = 1; ; attempt++) {
      const primary = await this.find();
      const client = this.newClient(primary.index, applicationName);
      try {
        await client.connect();
        // The primary may have been demoted since it was found.
        const why = await this.unwritable(client);
        if (why) throw new Error(why);
        return client;
      } catch (err) {
        void client.end().catch(() => {});
        this.markBroken(primary);
        if (attempt === 1) continue;
        throw this.unavailable(err);
      }
    }
  }

  /** Close the pool; later calls fail. */
  async end(): Promise<void> {
    this.ended = true;
    const primary = this.current;
    this.current = undefined;
    await primary?.pool.end();
  }

  private newClient(index: number, applicationName: string): pg.Client {
    const client = new pg.Client({ ...this.clientConfig(index), application_name: applicationName.slice(0, 63) });
    client.on('error', () => {});
    return client;
  }

  private clientConfig(index: number): pg.ClientConfig {
    return {
      connectionString: this.targets.urls[index],
      connectionTimeoutMillis: this.connectTimeoutMs,
      query_timeout: this.queryTimeoutMs,
      statement_timeout: this.queryTimeoutMs + 5_000,
      // Notice a peer that vanished without closing the socket (power loss, partition).
      keepAlive: true,
      // Operators (and tests) can tell Coffer's sessions apart in pg_stat_activity.
      application_name: 'coffer',
    };
  }

  /** Why the session cannot take Coffer's writes, or undefined when it can. */
  private async unwritable(client: pg.Client): Promise<string | undefined> {
    const attrs = this.targets.targetSessionAttrs;
    if (attrs === 'any') return undefined;
    const res = await client.query<{ recovery: boolean; read_only: string }>(
      "SELECT pg_is_in_recovery() AS recovery, current_setting('transaction_read_only') AS read_only",
    );
    const row = res.rows[0]!;
    if (row.recovery) return 'standby (in recovery)';
    if (attrs === 'read-write' && row.read_only !== 'off') return 'read-only (default_transaction_read_only is on)';
    return undefined;
  }

  /** The current primary, or one search shared by all callers; fails fast right after a failed search. */
  private find(): Promise<Primary> {
    if (this.ended) return Promise.reject(new Error('postgresql storage: the connection pool is closed'));
    if (this.current) return Promise.resolve(this.current);
    const failed = this.lastFailure;
    if (failed && Date.now() - failed.at < this.retryAfterMs) {
      return Promise.reject(new StorageUnavailableError(this.hostLabels, { reasons: failed.reasons }));
    }
    this.searching ??= this.search().finally(() => {
      this.searching = undefined;
    });
    return this.searching;
  }

  /** Try each host in order; the first writable one becomes the primary. */
  private async search(): Promise<Primary> {
    const reasons: string[] = [];
    for (const [index, host] of this.targets.hosts.entries()) {
      const client = this.newClient(index, 'coffer');
      try {
        await client.connect();
        const why = await this.unwritable(client);
        if (why) {
          reasons.push(`${hostLabel(host)}: ${why}`);
          continue;
        }
        if (this.ended) throw new Error('postgresql storage: the connection pool is closed');
        this.lastFailure = undefined;
        this.current = { index, pool: this.newPool(index) };
        return this.current;
      } catch (err) {
        if (this.ended) throw err;
        reasons.push(`${hostLabel(host)}: ${(err as Error).message || String(err)}`);
      } finally {
        void client.end().catch(() => {});
      }
    }
    this.lastFailure = { at: Date.now(), reasons };
    throw new StorageUnavailableError(this.hostLabels, { reasons });
  }

  private newPool(index: number): pg.Pool {
    const pool = new pg.Pool({ ...this.clientConfig(index), max: this.max });
    // An idle connection dropped (server stopped): look for the primary on the next call
    // instead of failing it first. Without a listener the 'error' event would crash the process.
    pool.on('error', (err) => {
      if (isConnectionLoss(err) && this.current?.pool === pool) this.markBroken(this.current);
    });
    return pool;
  }

  /** Forget `primary` (if still current) so the next call searches again. */
  private markBroken(primary: Primary): void {
    if (this.current !== primary) return;
    this.current = undefined;
    // Ends idle connections now and the checked-out ones when their holders release them.
    void primary.pool.end().catch(() => {});
  }

  private unavailable(err: unknown): StorageUnavailableError {
    if (err instanceof StorageUnavailableError) return err;
    return new StorageUnavailableError(this.hostLabels, {
      reasons: [(err as Error)?.message ?? String(err)],
      cause: err,
    });
  }

  /** Make the client's promise-returning query() report connection loss, and survive its 'error' events (once per client). */
  private watch(primary: Primary, client: pg.PoolClient): pg.PoolClient {
    if (this.watched.has(client)) return client;
    this.watched.add(client);
    // pg emits 'error' on a checked-out client whose connection drops, even while the same error
    // rejects its query; pg-pool listens only while the client is idle, so without this listener
    // a primary crash during a call would crash the process.
    client.on('error', () => this.markBroken(primary));
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const result = query(...args);
      if (!(result instanceof Promise)) return result;
      return result.catch((err: unknown) => {
        if (!isConnectionLoss(err)) throw err;
        this.markBroken(primary);
        throw this.unavailable(err);
      });
    };
    return client;
  }
}
