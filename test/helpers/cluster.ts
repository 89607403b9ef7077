/**
 * A Coffer cluster for tests: N real `coffer server` processes (src/cli/main.ts through tsx) with
 * `ha_enabled` on one fresh table of the PostgreSQL at 127.0.0.1:5432, each on its own loopback
 * port. Nodes can be killed (SIGKILL), restarted and unsealed; everything is removed after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { pgAdmin, pgUrlNamed } from './postgres.js';
import { httpRequest, type RequestOptions, type TestResponse } from './server.js';

const MAIN = join(ROOT, 'src/cli/main.ts');
/** One keep-alive agent for every node: tests measure the server, not TCP handshakes. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One node of a test cluster. */
export interface ClusterNode {
  index: number;
  url: string;
  port: number;
  process: ChildProcess | undefined;
  /** Everything the node printed (stdout and stderr), for failure messages. */
  output: string;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  nodes?: number;
  /** `static` writes a key file and auto-unseals; `shamir` leaves unsealing to the test. */
  seal?: 'static' | 'shamir';
  /** Extra lines for every node's config. */
  extraConfig?: string;
  /** Extra lines inside every node's listener block. */
  listenerConfig?: string;
}

/** A running test cluster. */
export interface TestCluster {
  nodes: ClusterNode[];
  table: string;
  dir: string;
  rootToken: string;
  /** Shamir shares (hex), when initialized with the shamir seal. */
  keys: string[];
  request(node: number, method: string, path: string, opts?: RequestOptions): Promise<TestResponse>;
  /** `operator init` on node `node` (static seal: every node auto-unseals after restart; shamir: unseal each). */
  init(node?: number, params?: { secret_shares?: number; secret_threshold?: number }): Promise<TestResponse>;
  unseal(node: number): Promise<void>;
  kill(node: number): void;
  start(node: number): Promise<void>;
  /** Waits until `fn` returns true (polling), or throws after `ms`. */
  waitFor(fn: () => Promise<boolean>, ms: number, what: string): Promise<void>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Sends one request over the shared keep-alive agent, failing after 15 s without an answer. */
export function nodeRequest(url: string, method: string, path: string, opts: RequestOptions & { defaultToken?: string } = {}): Promise<TestResponse> {
  return httpRequest(url, method, path, { agent, timeoutMs: 15_000, ...opts });
}

/** Starts `nodes` server processes on one fresh table. */
export async function startCluster(opts: ClusterOptions = {}): Promise<TestCluster> {
  const count = opts.nodes ?? 3;
  const table = `coffer_ha_${process.pid}_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'coffer-cluster-'));
  const seal = opts.seal ?? 'static';
  if (seal === 'static') writeFileSync(join(dir, 'unseal.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
  const nodes: ClusterNode[] = [];
  // The nodes' sessions carry the table's name: pgCutSessions(table) cuts exactly this cluster's.
  const connectionUrl = pgUrlNamed(table);
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, `node${i}.hcl`),
      [
        `storage "postgresql" {\n  connection_url = "${connectionUrl}"\n  table = "${table}"\n  ha_enabled = true\n}`,
        `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n${opts.listenerConfig ?? ''}\n}`,
        `api_addr = "${url}"`,
        seal === 'static' ? `seal "static" {\n  key_file = "${join(dir, 'unseal.key')}"\n}` : '',
        opts.extraConfig ?? '',
      ].join('\n'),
    );
    nodes.push({ index: i, url, port, process: undefined, output: '' });
  }

  const cluster: TestCluster = {
    nodes,
    table,
    dir,
    rootToken: '',
    keys: [],
    request: (node, method, path, ropts) => nodeRequest(nodes[node]!.url, method, path, { ...ropts, defaultToken: cluster.rootToken }),
    async init(node = 0, params = { secret_shares: 3, secret_threshold: 2 }) {
      const res = await cluster.request(node, 'PUT', '/v1/sys/init', { token: null, body: seal === 'static' ? {} : params });
      if (res.status === 200) {
        cluster.rootToken = res.body.root_token;
        cluster.keys = res.body.keys ?? [];
      }
      return res;
    },
    async unseal(node) {
      for (const key of cluster.keys) {
        const res = await cluster.request(node, 'PUT', '/v1/sys/unseal', { token: null, body: { key } });
        if (res.body?.sealed === false) return;
      }
      throw new Error(`node ${node} is still sealed after every share`);
    },
    kill(node) {
      nodes[node]!.process?.kill('SIGKILL');
      nodes[node]!.process = undefined;
    },
    async start(node) {
      const n = nodes[node]!;
      const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'server', `-config=${join(dir, `node${node}.hcl`)}`, '-log-level=warn'], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, TMPDIR: process.env.TMPDIR, HOME: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      n.process = child;
      child.stdout!.on('data', (c: Buffer) => (n.output += c.toString('utf8')));
      child.stderr!.on('data', (c: Buffer) => (n.output += c.toString('utf8')));
      await cluster.waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`node ${node} exited with ${child.exitCode}:\n${n.output}`);
          return (await nodeRequest(n.url, 'GET', '/v1/sys/health').catch(() => undefined)) !== undefined;
        },
        30_000,
        `node ${node} to listen`,
      );
    },
    async waitFor(fn, ms, what) {
      const deadline = Date.now() + ms;
      for (;;) {
        if (await fn()) return;
        if (Date.now() > deadline) {
          const logs = nodes.map((n) => `--- node ${n.index} (${n.url})\n${n.output.slice(-1500)}`).join('\n');
          throw new Error(`timed out after ${ms} ms waiting for ${what}\n${logs}`);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      for (const n of nodes) {
        if (n.process && n.process.exitCode === null) {
          const exited = new Promise((r) => n.process!.once('exit', r));
          n.process.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
          n.process?.kill('SIGKILL');
        }
      }
      rmSync(dir, { recursive: true, force: true });
      for (const suffix of ['', '_changes', '_nodes']) await pgAdmin(`DROP TABLE IF EXISTS "${table}${suffix}"`).catch(() => {});
    },
  };
  await Promise.all(nodes.map((_, i) => cluster.start(i)));
  return cluster;
}

/** The p-th percentile (0-100) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}
