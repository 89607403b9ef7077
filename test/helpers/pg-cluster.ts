/**
 * A private PostgreSQL 15 cluster for failover tests: a primary and a synchronous streaming
 * standby built with Debian's binaries (initdb, pg_basebackup -R, pg_ctl) in a temp dir, on
 * free ports of 127.0.0.1, with their Unix sockets in the temp dir (so they never meet the
 * system's server). PostgreSQL refuses to run as root, so as root every binary runs as the
 * `postgres` OS user. When the binaries are absent the tests that need them are skipped with
 * the reason, unless CI is set (`.ci/run` installs postgresql-15), in which case they fail.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** Where the PostgreSQL 15 server binaries are (COFFER_TEST_PG_BIN overrides). */
export const pgBin = process.env.COFFER_TEST_PG_BIN || '/usr/lib/postgresql/15/bin';
const isRoot = process.getuid?.() === 0;

/** Undefined when a cluster can be built here, else why not. */
export function pgClusterMissing(): string | undefined {
  for (const bin of ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres']) {
    if (!existsSync(join(pgBin, bin))) return `${join(pgBin, bin)} not found (apt-get install postgresql-15)`;
  }
  if (isRoot) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
    } catch {
      return 'running as root but there is no "postgres" OS user to run the server as';
    }
  }
  return undefined;
}

/**
 * True when a private cluster can be built. Otherwise registers one test named `name` that is
 * skipped with the reason (or fails under CI) and returns false.
 */
export function requirePgCluster(name: string): boolean {
  const missing = pgClusterMissing();
  if (missing === undefined) return true;
  const reason = `cannot build a private PostgreSQL cluster: ${missing}`;
  console.log(reason);
  if (process.env.CI) test(name, () => assert.fail(`${reason}; CI is set, so this is a failure`));
  else test(name, (t) => t.skip(reason));
  return false;
}

/** One server of the cluster. */
export interface PgNode {
  name: string;
  port: number;
  dataDir: string;
  /** Superuser URL of this server alone (database `postgres`). */
  url: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A primary + synchronous standby; roles swap on promotion. Call remove() when done. */
export class PgCluster {
  /** The two servers, in the order the multi-host URL lists them. */
  readonly nodes: [PgNode, PgNode];
  /** The server taking writes. */
  primary: PgNode;
  /** The streaming standby, when one runs. */
  standby: PgNode | undefined;
  private readonly dir: string;
  /** The WAL receiver stopped by pauseStandby(). */
  private paused: number | undefined;

  private constructor(dir: string, nodes: [PgNode, PgNode]) {
    this.dir = dir;
    this.nodes = nodes;
    this.primary = nodes[0];
  }

  /** Builds and starts the primary (nodes[0]) and a synchronous standby (nodes[1]). */
  static async start(): Promise<PgCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-pgc-'));
    if (isRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      chownSync(dir, uid, gid);
    }
    const node = async (name: string): Promise<PgNode> => {
      const port = await freePort();
      return { name, port, dataDir: join(dir, name), url: `postgres://postgres@127.0.0.1:${port}/postgres` };
    };
    const cluster = new PgCluster(dir, [await node('a'), await node('b')]);
    try {
      await cluster.initPrimary(cluster.nodes[0]);
      await cluster.startStandby(cluster.nodes[1]);
    } catch (err) {
      await cluster.remove();
      throw err;
    }
    return cluster;
  }

  /**
   * The multi-host URL naming both servers (nodes[0] first), database `postgres`.
   * `swap` lists nodes[1] first.
   */
  url(options: { params?: string; swap?: boolean } = {}): string {
    const [x, y] = options.swap ? [this.nodes[1], this.nodes[0]] : this.nodes;
    const params = options.params ?? 'target_session_attrs=read-write';
    return `postgres://postgres@127.0.0.1:${x.port},127.0.0.1:${y.port}/postgres${params ? `?${params}` : ''}`;
  }

  /**
   * Stops the primary: by default the hard way (`pg_ctl stop -m immediate`: like a crash, no
   * shutdown checkpoint); `fast` ends its sessions with 57P01 (admin shutdown) first.
   */
  async killPrimary(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    await this.pgCtl(['stop', '-D', this.primary.dataDir, '-m', mode, '-w', '-t', '30']);
  }

  /**
   * Freezes the standby's WAL receiver (SIGSTOP), as a standby that lags behind would be: from
   * now on only synchronous replication keeps a commit from being acknowledged before the
   * standby has it. {@link resumeStandby} lets it go on.
   */
  async pauseStandby(): Promise<void> {
    assert.ok(this.standby, 'no standby to pause');
    const rows = await this.sql<{ pid: number }>(this.standby, 'SELECT pid FROM pg_stat_wal_receiver');
    assert.ok(rows[0], 'the standby has no WAL receiver');
    this.paused = rows[0].pid;
    process.kill(this.paused, 'SIGSTOP');
  }

  /** Lets a paused WAL receiver go on (promotion and shutdown need it to answer signals). */
  resumeStandby(): void {
    if (this.paused === undefined) return;
    try {
      process.kill(this.paused, 'SIGCONT');
    } catch {
      // Already gone.
    }
    this.paused = undefined;
  }

  /** Promotes the standby (`pg_ctl promote -w`); it becomes the primary, without a standby. */
  async promoteStandby(): Promise<void> {
    const standby = this.standby;
    assert.ok(standby, 'no standby to promote');
    this.resumeStandby();
    await this.pgCtl(['promote', '-D', standby.dataDir, '-w', '-t', '60']);
    this.primary = standby;
    this.standby = undefined;
  }

  /** Rebuilds the other server as a synchronous standby of the current primary (after a failover). */
  async rebuildStandby(): Promise<void> {
    const other = this.nodes[0] === this.primary ? this.nodes[1] : this.nodes[0];
    await this.pgCtl(['stop', '-D', other.dataDir, '-m', 'immediate', '-w', '-t', '30']).catch(() => {});
    rmSync(other.dataDir, { recursive: true, force: true });
    await this.startStandby(other);
  }

  /** Stops both servers and deletes the temp dir. */
  async remove(): Promise<void> {
    this.resumeStandby();
    for (const n of this.nodes) {
      if (existsSync(join(n.dataDir, 'postmaster.pid'))) {
        await this.pgCtl(['stop', '-D', n.dataDir, '-m', 'immediate', '-w', '-t', '30']).catch(() => {});
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs one statement on one server. */
  async sql<R extends pg.QueryResultRow = any>(node: PgNode, text: string, values?: unknown[]): Promise<R[]> {
    const client = new pg.Client({ connectionString: node.url, connectionTimeoutMillis: 5000 });
    client.on('error', () => {});
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end().catch(() => {});
    }
  }

  private async initPrimary(n: PgNode): Promise<void> {
    await this.asPostgres(join(pgBin, 'initdb'), ['-D', n.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    appendFileSync(
      join(n.dataDir, 'postgresql.conf'),
      [
        `port = ${n.port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${this.dir}'`,
        'wal_level = replica',
        'max_wal_senders = 4',
        'wal_keep_size = 64MB',
        'hot_standby = on',
        // Every commit waits until the standby has flushed it (set once the standby streams).
        'synchronous_commit = on',
        'shared_buffers = 16MB',
        'max_connections = 50',
        '',
      ].join('\n'),
    );
    await this.startServer(n);
    this.primary = n;
  }

  /** Base backup of the primary into `n`, started as its synchronous standby. */
  private async startStandby(n: PgNode): Promise<void> {
    const p = this.primary;
    await this.asPostgres(join(pgBin, 'pg_basebackup'), ['-h', this.dir, '-p', String(p.port), '-U', 'postgres', '-D', n.dataDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
    // Its own port; and no synchronous standby of its own: after a promotion it must take
    // writes alone until a new standby is built.
    appendFileSync(join(n.dataDir, 'postgresql.auto.conf'), `port = ${n.port}\nsynchronous_standby_names = ''\n`);
    await this.startServer(n);
    this.standby = n;
    await this.waitFor(async () => (await this.sql(p, "SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")).length > 0, 'standby streaming');
    await this.sql(p, "ALTER SYSTEM SET synchronous_standby_names = '*'");
    await this.sql(p, 'SELECT pg_reload_conf()');
    await this.waitFor(async () => (await this.sql(p, "SELECT 1 FROM pg_stat_replication WHERE sync_state = 'sync'")).length > 0, 'standby synchronous');
  }

  private async startServer(n: PgNode): Promise<void> {
    await this.pgCtl(['start', '-D', n.dataDir, '-l', join(this.dir, `${n.name}.log`), '-w', '-t', '60']);
  }

  private async waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (await check().catch(() => false)) return;
      if (Date.now() > end) throw new Error(`pg-cluster: timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  private pgCtl(args: string[]): Promise<unknown> {
    return this.asPostgres(join(pgBin, 'pg_ctl'), args);
  }

  private async asPostgres(bin: string, args: string[]): Promise<void> {
    const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
    try {
      await run(cmd, argv, { timeout: 120_000, cwd: this.dir });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`pg-cluster: ${bin.split('/').pop()} ${args[0]} failed: ${e.stderr || e.message}`);
    }
  }
}
