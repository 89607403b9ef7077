/**
 * The change feed of a PostgreSQL table shared by several active nodes (HA).
 *
 * Every write transaction (see PostgresStorage with `ha`) inserts one row
 * `(seq, node_id, keys, at)` into `<table>_changes` as its LAST statement, and `pg_notify`s the
 * table's channel; PostgreSQL delivers the notification on commit. Each node keeps one
 * dedicated connection that LISTENs; a notification (or the heartbeat) triggers a fetch of
 * the rows it has not seen, and the keys of rows written by OTHER nodes go to subscribers,
 * who drop their caches.
 *
 * Commit order is not seq order: seq is taken when the row is inserted, so seq 10 may commit
 * after seq 11. Seqs skipped over are tracked as holes and fetched again until they appear or
 * until no transaction can still commit them. That bound is real because write transactions
 * run with `SET LOCAL statement_timeout` and `idle_in_transaction_session_timeout`
 * ({@link WRITE_TX_LIMITS}) and insert their change row last: from taking its seq to COMMIT a
 * transaction runs at most two statements and one idle gap (group writes send the change row
 * and COMMIT in the message that runs the batches: no gap), far below {@link COMMIT_BOUND_MS}.
 */

import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { ChangeFeed } from './types.js';

/** Limits every HA write transaction sets (SET LOCAL), which make {@link COMMIT_BOUND_MS} hold. */
export const WRITE_TX_LIMITS = { statementTimeoutMs: 5_000, idleInTransactionTimeoutMs: 5_000 } as const;
/**
 * Upper bound between a write transaction taking its seq and its commit (or abort): the
 * change-row INSERT, an idle gap and COMMIT, each bounded by WRITE_TX_LIMITS, with margin.
 */
export const COMMIT_BOUND_MS = 30_000;

/** Rows fetched per round trip; a full page means we are far behind: resynchronise. */
const PAGE = 1_000;

/** Options of {@link PostgresChangeFeed.start}. */
export interface ChangeFeedOptions {
  /** Opens a dedicated session on the primary (not pooled; the feed ends it). */
  connect: () => Promise<pg.Client>;
  /** The quoted, possibly schema-qualified changes table. */
  changesTable: string;
  /** The NOTIFY channel (see {@link changeChannel}). */
  channel: string;
  /** This node: its own rows are not echoed. */
  nodeId: string;
  /** isCurrent() turns false when the last confirmed fetch started longer ago than this; default 2000. */
  maxLagMs?: number;
  /** How often the feed confirms currency (a fetch round trip); default 300, at most maxLagMs / 3. */
  heartbeatMs?: number;
  /** Rows older than this are pruned; default 5 minutes. */
  pruneAfterMs?: number;
  /** A node prunes at most this often; default 30 s. */
  pruneEveryMs?: number;
}

/** The NOTIFY channel of a table: a fixed-length identifier, whatever the table name. */
export function changeChannel(quotedTable: string): string {
  return 'coffer_changes_' + createHash('sha256').update(quotedTable).digest('hex').slice(0, 32);
}

type Listener = (keys: readonly string[] | 'all') => void;

interface ChangeRow {
  seq: string;
  node_id: string;
  keys: string[];
}

/** Other nodes' committed writes on one table, from LISTEN/NOTIFY plus the change sequence. */
export class PostgresChangeFeed implements ChangeFeed {
  private readonly opts: Required<ChangeFeedOptions>;
  private readonly listeners = new Set<Listener>();
  private client: pg.Client | undefined;
  /** Highest seq seen. */
  private last = 0;
  /** Seqs below `last` not seen yet, with the (local) time after which they cannot commit any more. */
  private readonly holes = new Map<number, number>();
  /** Start time (performance.now) of the last fetch that completed; undefined while (re)synchronising. */
  private confirmedAt: number | undefined;
  private lastPrune = 0;
  private fetching = false;
  private again = false;
  private needResync = false;
  private backoffMs = 100;
  private heartbeat: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(options: ChangeFeedOptions) {
    const maxLagMs = options.maxLagMs ?? 2_000;
    // Several beats per lag bound, so one slow round trip does not flip isCurrent().
    const heartbeatMs = options.heartbeatMs ?? Math.min(300, Math.floor(maxLagMs / 3));
    this.opts = { pruneAfterMs: 5 * 60_000, pruneEveryMs: 30_000, ...options, maxLagMs, heartbeatMs };
  }

  /** Connects, LISTENs and synchronises once; rejects when the database cannot be reached. */
  static async start(options: ChangeFeedOptions): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(options);
    try {
      await feed.connect();
    } catch (err) {
      await feed.close(); // a failed first sync may have scheduled a reconnect
      throw err;
    }
    feed.heartbeat = setInterval(() => feed.beat(), feed.opts.heartbeatMs);
    feed.heartbeat.unref();
    return feed;
  }

  /** See {@link ChangeFeed.subscribe}. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** See {@link ChangeFeed.isCurrent}. */
  isCurrent(): boolean {
    return this.client !== undefined && this.confirmedAt !== undefined && performance.now() - this.confirmedAt <= this.opts.maxLagMs;
  }

  /** Stops the heartbeat and closes the LISTEN connection. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    // A dedicated session on the current primary (multi-host URLs and failover are the pool's job).
    const client = await this.opts.connect();
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', () => this.poke());
    try {
      await client.query(`LISTEN "${this.opts.channel}"`);
      this.client = client;
      this.needResync = true;
      await this.drain();
      if (this.client !== client || this.confirmedAt === undefined) throw new Error('postgresql change feed: lost the connection while synchronising');
    } catch (err) {
      if (this.client === client) this.client = undefined;
      await client.end().catch(() => {});
      throw err;
    }
    this.backoffMs = 100;
  }

  /** The LISTEN connection dropped: not current until reconnected and resynchronised. */
  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.confirmedAt = undefined;
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed) return;
      this.connect().catch(() => {
        this.backoffMs = Math.min(this.backoffMs * 2, 5_000);
        this.scheduleReconnect();
      });
    }, this.backoffMs);
    this.reconnectTimer.unref();
  }

  private beat(): void {
    if (this.client === undefined) return;
    this.poke();
    if (performance.now() - this.lastPrune >= this.opts.pruneEveryMs) {
      this.lastPrune = performance.now();
      // Keeps the newest old row: resync() needs one row older than its window as a floor.
      this.client
        .query(
          `DELETE FROM ${this.opts.changesTable} WHERE at < now() - $1::interval
             AND seq < (SELECT max(seq) FROM ${this.opts.changesTable} WHERE at < now() - $1::interval)`,
          [`${this.opts.pruneAfterMs} milliseconds`],
        )
        .catch(() => {});
    }
  }

  /** A notification or heartbeat: fetch, coalescing bursts into one fetch in flight plus at most one rerun. */
  private poke(): void {
    if (this.fetching) {
      this.again = true;
      return;
    }
    void this.drain();
  }

  private async drain(): Promise<void> {
    this.fetching = true;
    try {
      do {
        this.again = false;
        const client = this.client;
        if (client === undefined) return;
        if (this.needResync) await this.resync(client);
        else await this.fetch(client);
      } while (this.again);
    } catch {
      // A failed query: the connection is suspect; replace it (lost() resynchronises).
      if (this.client !== undefined) this.lost(this.client);
    } finally {
      this.fetching = false;
    }
  }

  /**
   * Start over (first connect, reconnect, far behind): emit 'all', then rebuild `last` and the
   * holes from one snapshot. `at` is the insert time of each row (clock_timestamp(), taken
   * with its seq), so every seq at or below the newest row older than 2 x COMMIT_BOUND_MS was
   * taken before now - 2 x bound and has committed or aborted: that is the floor. Above it,
   * every seq not visible yet is a hole that may still commit within the bound.
   */
  private async resync(client: pg.Client): Promise<void> {
    this.confirmedAt = undefined;
    const started = performance.now();
    const res = await client.query<{ floor: string; seqs: string[] }>(
      `WITH f AS (SELECT coalesce(max(seq), 0) AS floor FROM ${this.opts.changesTable} WHERE at < now() - $1::interval)
       SELECT f.floor, array(SELECT seq FROM ${this.opts.changesTable} WHERE seq > f.floor ORDER BY seq) AS seqs FROM f`,
      [`${2 * COMMIT_BOUND_MS} milliseconds`],
    );
    const deadline = performance.now() + COMMIT_BOUND_MS;
    const floor = Number(res.rows[0]!.floor);
    const seen = res.rows[0]!.seqs.map(Number);
    this.holes.clear();
    let next = floor + 1;
    for (const s of seen) {
      for (; next < s; next++) this.holes.set(next, deadline);
      next = s + 1;
    }
    this.last = next - 1;
    this.needResync = false;
    this.confirmedAt = started;
    this.emit('all');
  }

  /**
   * Fetch rows above `last` and the holes. Invariant: after a fetch that started at time t,
   * every change committed before t has been emitted, because the query's snapshot (taken
   * after t) contains it and it is either above `last` or one of the holes; a hole is only
   * given up in a fetch that started after its deadline, when it can no longer commit.
   */
  private async fetch(client: pg.Client): Promise<void> {
    const started = performance.now();
    if (this.confirmedAt !== undefined && started - this.confirmedAt > this.opts.pruneAfterMs / 2) {
      // Stalled for long: rows we never saw may have been pruned.
      this.needResync = true;
      return this.resync(client);
    }
    const res = await client.query<ChangeRow>(
      `SELECT seq, node_id, keys FROM ${this.opts.changesTable} WHERE seq > $1 OR seq = ANY($2::bigint[]) ORDER BY seq LIMIT ${PAGE}`,
      [this.last, [...this.holes.keys()]],
    );
    const top = Number(res.rows[res.rows.length - 1]?.seq ?? this.last);
    if (res.rows.length >= PAGE || top - this.last > 10 * PAGE) {
      // Far behind (or the sequence jumped): drop every cache rather than track that many holes.
      this.needResync = true;
      return this.resync(client);
    }
    const deadline = performance.now() + COMMIT_BOUND_MS;
    const keys = new Set<string>();
    for (const row of res.rows) {
      const seq = Number(row.seq);
      if (seq > this.last) {
        for (let s = this.last + 1; s < seq; s++) this.holes.set(s, deadline);
        this.last = seq;
      } else if (!this.holes.delete(seq)) {
        continue; // seen before
      }
      if (row.node_id !== this.opts.nodeId) for (const k of row.keys) keys.add(k);
    }
    for (const [s, until] of this.holes) if (until < started) this.holes.delete(s);
    this.confirmedAt = started;
    if (keys.size > 0) this.emit([...keys]);
  }

  private emit(keys: readonly string[] | 'all'): void {
    for (const listener of this.listeners) {
      try {
        listener(keys);
      } catch {
        // One failing subscriber must not stop the others or the feed.
      }
    }
  }
}
