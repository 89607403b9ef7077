/**
 * Leader election and a node registry for several Coffer nodes on one PostgreSQL table.
 *
 * Leadership is a session advisory lock (key derived from the table name) held on a dedicated
 * connection. Non-leaders try to take it every heartbeat (~1 s). A leader that dies, even by
 * SIGKILL, closes its socket, so the server frees the lock at once and the next try of another
 * node gets it. A leader whose connection drops or times out steps down at once (before anything
 * else it does), since the server may already have given the lock to another node.
 *
 * Registry: `<table>_nodes (node_id, api_addr, cluster_addr, version, heartbeat, leader)`,
 * upserted every heartbeat with the database's clock (node clocks may drift); members() lists
 * the nodes heard from within the stale window. The connection goes through {@link FailoverPool},
 * so after a database failover the lock is taken again on the new primary (advisory locks are
 * not replicated, so nobody holds it there until a node takes it).
 */

import type pg from 'pg';
import { FailoverPool, isConnectionLoss } from './postgres-hosts.js';
import { quoteTable } from './postgres.js';
import { createSchema } from './postgres-schema.js';
import type { ClusterCoordinator, ClusterMember } from './types.js';

/** Options for {@link PostgresCoordinator.open}. */
export interface PostgresCoordinatorOptions {
  /** Same URL as the storage (one or several hosts). */
  connectionUrl: string;
  /** The storage table; the registry is `<table>_nodes` and the lock key derives from it. */
  table: string;
  /** Unique per node (e.g. host name, or a random id kept across restarts). */
  nodeId: string;
  /** The address clients use for this node (Vault's `api_addr`). */
  apiAddr: string;
  clusterAddr?: string;
  version?: string;
  /** Heartbeat and lock-try interval in ms; default 1000. */
  heartbeatMs?: number;
  /** A node not heard from for this long is not a member, in ms; default 5 heartbeats. */
  staleAfterMs?: number;
  /** After stepDown() this node waits this long before trying to lead again, in ms; default 10000 (Vault's step-down wait). */
  stepDownHoldMs?: number;
  /** Connect timeout per host, in ms; default 5000. */
  connectTimeoutMs?: number;
}

interface NodeRow {
  node_id: string;
  api_addr: string;
  cluster_addr: string | null;
  version: string | null;
  heartbeat: Date;
  leader: boolean;
}

const toMember = (r: NodeRow): ClusterMember => ({
  nodeId: r.node_id,
  apiAddr: r.api_addr,
  ...(r.cluster_addr !== null ? { clusterAddr: r.cluster_addr } : {}),
  lastHeartbeat: r.heartbeat,
  leader: r.leader,
  ...(r.version !== null ? { version: r.version } : {}),
});

/** Rows not heard from for this long are deleted by the leader. */
const PRUNE_AFTER = '1 day';

/** One leader for background work among the nodes sharing a PostgreSQL table. */
export class PostgresCoordinator implements ClusterCoordinator {
  private readonly pool: FailoverPool;
  private readonly nodes: string;
  private readonly lockKey: string;
  private readonly opts: Required<Pick<PostgresCoordinatorOptions, 'nodeId' | 'apiAddr' | 'heartbeatMs' | 'staleAfterMs' | 'stepDownHoldMs'>> &
    Pick<PostgresCoordinatorOptions, 'clusterAddr' | 'version'>;
  /** The dedicated connection that holds (or tries for) the lock. */
  private session: pg.Client | undefined;
  private leading = false;
  private readonly listeners: ((leader: boolean) => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Serializes ticks, stepDown and close on the session. */
  private chain: Promise<void> = Promise.resolve();
  private holdUntil = 0;
  private closed = false;

  private constructor(pool: FailoverPool, table: string, options: PostgresCoordinatorOptions) {
    this.pool = pool;
    this.nodes = quoteTable(`${table}_nodes`);
    this.lockKey = `coffer:leader:${quoteTable(table)}`;
    const heartbeatMs = options.heartbeatMs ?? 1000;
    this.opts = {
      nodeId: options.nodeId,
      apiAddr: options.apiAddr,
      clusterAddr: options.clusterAddr,
      version: options.version,
      heartbeatMs,
      staleAfterMs: options.staleAfterMs ?? 5 * heartbeatMs,
      stepDownHoldMs: options.stepDownHoldMs ?? 10_000,
    };
  }

  /** Create the registry table when missing, register this node, try once to lead, and keep heartbeating. */
  static async open(options: PostgresCoordinatorOptions): Promise<PostgresCoordinator> {
    const { connectionUrl, table, nodeId, apiAddr, heartbeatMs } = options ?? ({} as PostgresCoordinatorOptions);
    for (const [name, v] of [['connectionUrl', connectionUrl], ['table', table], ['nodeId', nodeId], ['apiAddr', apiAddr]] as const) {
      if (typeof v !== 'string' || v.trim() === '') throw new Error(`postgresql coordinator needs "${name}" (a non-empty string)`);
    }
    if (heartbeatMs !== undefined && !(Number.isInteger(heartbeatMs) && heartbeatMs >= 50)) {
      throw new Error('postgresql coordinator: heartbeatMs must be an integer of at least 50 (ms)');
    }
    quoteTable(table);
    // Statements get a few heartbeats: a leader whose connection hangs longer steps down.
    const hb = heartbeatMs ?? 1000;
    const pool = new FailoverPool({ connectionUrl, max: 2, connectTimeoutMs: options.connectTimeoutMs ?? 5000, queryTimeoutMs: Math.max(3 * hb, 3000) });
    const c = new PostgresCoordinator(pool, table, options);
    try {
      await createSchema(pool, [
        `CREATE TABLE IF NOT EXISTS ${c.nodes} (node_id TEXT PRIMARY KEY, api_addr TEXT NOT NULL, cluster_addr TEXT, version TEXT, heartbeat TIMESTAMPTZ NOT NULL, leader BOOLEAN NOT NULL DEFAULT false)`,
      ]);
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
    await c.serial(() => c.tick());
    c.schedule();
    return c;
  }

  /** This node's id in the registry. */
  get nodeId(): string {
    return this.opts.nodeId;
  }

  /** True while this node holds the leader lock. */
  isLeader(): boolean {
    return this.leading;
  }

  /** Call `cb` whenever this node gains (true) or loses (false) leadership. */
  onLeadershipChange(cb: (leader: boolean) => void): void {
    this.listeners.push(cb);
  }

  /** The current leader according to the registry (a fresh heartbeat and the leader flag). */
  async leader(): Promise<ClusterMember | undefined> {
    const res = await this.pool.query<NodeRow>(
      `SELECT node_id, api_addr, cluster_addr, version, heartbeat, leader FROM ${this.nodes}
        WHERE leader AND heartbeat > now() - make_interval(secs => $1) ORDER BY heartbeat DESC LIMIT 1`,
      [this.opts.staleAfterMs / 1000],
    );
    return res.rows[0] ? toMember(res.rows[0]) : undefined;
  }

  /** The nodes heard from within the stale window, by node id. */
  async members(): Promise<ClusterMember[]> {
    const res = await this.pool.query<NodeRow>(
      `SELECT node_id, api_addr, cluster_addr, version, heartbeat, leader FROM ${this.nodes}
        WHERE heartbeat > now() - make_interval(secs => $1) ORDER BY node_id`,
      [this.opts.staleAfterMs / 1000],
    );
    return res.rows.map(toMember);
  }

  /**
   * Give up leadership: listeners hear `false` first, then the lock is released (by ending its
   * session, which frees every lock it holds) so another node takes it; this node does not try
   * again for stepDownHoldMs.
   */
  async stepDown(): Promise<void> {
    this.holdUntil = Date.now() + this.opts.stepDownHoldMs;
    await this.serial(async () => {
      if (!this.leading) return;
      this.setLeader(false);
      this.dropSession();
      await this.writeHeartbeat(this.pool).catch(() => {});
    });
  }

  /** Stop heartbeating, release leadership (listeners hear `false`) and close the connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.serial(async () => {
      const wasLeader = this.leading;
      this.setLeader(false);
      this.dropSession();
      if (wasLeader) await this.writeHeartbeat(this.pool).catch(() => {});
    });
    await this.pool.end().catch(() => {});
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.serial(() => this.tick()).finally(() => this.schedule());
    }, this.opts.heartbeatMs);
    // Heartbeats alone must not keep a process alive.
    this.timer.unref();
  }

  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => {});
    return next;
  }

  /** One heartbeat: (re)connect, try for the lock when not leading, record this node. */
  private async tick(): Promise<void> {
    if (this.closed) return;
    try {
      const session = (this.session ??= await this.openSession());
      if (!this.leading && Date.now() >= this.holdUntil) {
        const res = await session.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS locked', [this.lockKey]);
        if (res.rows[0]?.locked && session === this.session && !this.closed) this.setLeader(true);
      }
      await this.writeHeartbeat(session);
      if (this.leading) {
        // A leader that died keeps its flag until the new one clears it; old rows go after a day.
        await session.query(`UPDATE ${this.nodes} SET leader = false WHERE leader AND node_id <> $1`, [this.opts.nodeId]);
        await session.query(`DELETE FROM ${this.nodes} WHERE heartbeat < now() - interval '${PRUNE_AFTER}'`);
      }
    } catch (err) {
      // The session is gone or points at a standby now: step down; the next tick reconnects.
      if (isConnectionLoss(err)) this.dropSession();
    }
  }

  private async openSession(): Promise<pg.Client> {
    const session = await this.pool.connectClient();
    const lost = () => {
      if (this.session !== session) return;
      // Step down first: the server may hand the lock to another node as soon as it sees this.
      this.session = undefined;
      this.setLeader(false);
      void session.end().catch(() => {});
    };
    session.on('error', lost);
    session.on('end', lost);
    return session;
  }

  /** Ends the session (the server frees its locks); not leading afterwards. */
  private dropSession(): void {
    const session = this.session;
    this.session = undefined;
    this.setLeader(false);
    void session?.end().catch(() => {});
  }

  /** Upsert this node's row (on the lock session during ticks, through the pool otherwise). */
  private async writeHeartbeat(db: { query(text: string, values: unknown[]): Promise<unknown> }): Promise<void> {
    const { nodeId, apiAddr, clusterAddr, version } = this.opts;
    await db.query(
      `INSERT INTO ${this.nodes} (node_id, api_addr, cluster_addr, version, heartbeat, leader) VALUES ($1, $2, $3, $4, now(), $5)
        ON CONFLICT (node_id) DO UPDATE SET api_addr = EXCLUDED.api_addr, cluster_addr = EXCLUDED.cluster_addr,
          version = EXCLUDED.version, heartbeat = EXCLUDED.heartbeat, leader = EXCLUDED.leader`,
      [nodeId, apiAddr, clusterAddr ?? null, version ?? null, this.leading],
    );
  }

  private setLeader(leader: boolean): void {
    if (this.leading === leader) return;
    this.leading = leader;
    for (const cb of this.listeners) {
      try {
        cb(leader);
      } catch {
        // A listener's failure must not stop the others or the heartbeat.
      }
    }
  }
}
