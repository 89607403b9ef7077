#!/usr/bin/env node
// `npm run bench` (when PostgreSQL answers): one Coffer node against three active nodes on one
// PostgreSQL table, in the same run, next to the bare node:http baseline.
//
//   kv read    GET /v1/secret/data/bench (root token), spread over the nodes
//   kv write   POST /v1/secret/data/w<n>, a new secret per request (durable before the answer)
//   invalidation   a token revoked on node 0 until node 1 refuses it (p50 / p99)
//   takeover       leader SIGKILLed until another node reports itself leader
//
// The load generator is autocannon (one instance per node, in this process); server CPU per
// request is the nodes' CPU time (from /proc) over the requests served. On a 2-core machine three
// nodes plus PostgreSQL plus the load generator share two cores: the three-node figures measure
// the overhead of the cluster, not its scaling. The per-node CPU per request is what sets the
// scaling on a bigger machine.
//
// Environment: BENCH_SECONDS (default 3), BENCH_CONNECTIONS (default 64), COFFER_TEST_PG_URL.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { cpuSeconds, freePort, percentile, pgReachable, root, waitFor } from './lib.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const pgUrl = process.env.COFFER_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function api(url, token, method, path, body) {
  const res = await fetch(`${url}/v1/${path}`, {
    method,
    headers: { ...(token ? { 'x-vault-token': token } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Starts `count` nodes on a fresh table (ha_enabled when count > 1), initialized and unsealed (static seal). */
async function startNodes(count, dir) {
  const table = `coffer_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  writeFileSync(join(dir, 'unseal.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
  const nodes = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const cfg = join(dir, `node${i}.hcl`);
    writeFileSync(cfg, [
      `storage "postgresql" {\n  connection_url = "${pgUrl}"\n  table = "${table}"\n  ha_enabled = ${count > 1}\n}`,
      `listener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n  max_connections_per_client = 0\n}`,
      `api_addr = "${url}"`,
      `seal "static" {\n  key_file = "${join(dir, 'unseal.key')}"\n}`,
    ].join('\n'));
    const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'server', `--config=${cfg}`, '--log-level=warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
    nodes.push({ url, child, cfg });
  }
  for (const n of nodes) await waitFor(async () => (await fetch(`${n.url}/v1/sys/health`)).status !== 0, 30_000, 'a node to listen');
  const init = await api(nodes[0].url, undefined, 'PUT', 'sys/init', {});
  const token = init.body.root_token;
  for (const n of nodes) await waitFor(async () => (await fetch(`${n.url}/v1/sys/health`)).status === 200, 15_000, 'a node to unseal');
  await api(nodes[0].url, token, 'POST', 'sys/mounts/secret', { type: 'kv-v2' });
  await api(nodes[0].url, token, 'POST', 'secret/data/bench', { data: { username: 'app', password: 'correct horse battery staple' } });
  return {
    nodes, token, table,
    async close() {
      for (const n of nodes) n.child.kill('SIGKILL');
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      for (const suffix of ['', '_changes', '_nodes']) await admin.query(`DROP TABLE IF EXISTS "${table}${suffix}"`);
      await admin.end();
    },
  };
}

/** Drives `connections` spread over `targets` for `seconds`; returns req/s, p99 and CPU per request of `pids`. */
async function drive(targets, pids, request) {
  const per = Math.max(1, Math.floor(connections / targets.length));
  const cpu0 = pids.map(cpuSeconds);
  const results = await Promise.all(targets.map((url) => autocannon({ url, connections: per, duration: seconds, requests: [request] })));
  const cpu = pids.map(cpuSeconds).reduce((a, b, i) => a + (b - cpu0[i]), 0);
  const total = results.reduce((a, r) => a + r.requests.total, 0);
  const errors = results.reduce((a, r) => a + r.errors + r.non2xx, 0);
  return {
    rps: results.reduce((a, r) => a + r.requests.average, 0),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    cpuUs: (cpu / total) * 1e6,
    errors,
  };
}

function line(name, r, base) {
  const ratio = base ? `  ratio ${(r.rps / base.rps).toFixed(2)} req/s, ${(r.cpuUs / base.cpuUs).toFixed(1)}x CPU` : '';
  return `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99.toFixed(1).padStart(6)} ms  ${r.cpuUs.toFixed(0).padStart(5)} µs CPU/req  errors ${r.errors}${ratio}`;
}

export async function runHaBench() {
  if (!(await pgReachable(pgUrl))) {
    console.log(`\nHA benchmark skipped: PostgreSQL not reachable at ${pgUrl.replace(/:[^:@/]*@/, ':***@')} (set COFFER_TEST_PG_URL)`);
    return;
  }
  console.log(`\nHigh availability on PostgreSQL: ${connections} connections (autocannon), ${seconds} s per scenario, node ${process.version}`);
  console.log('(2 cores shared by the nodes, PostgreSQL and the load generator: three nodes measure overhead, not scaling)\n');
  const helloPort = await new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bench/hello-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', (d) => resolve({ child, port: String(d).trim() }));
  });
  const base = await drive([`http://127.0.0.1:${helloPort.port}`], [helloPort.child.pid], { path: '/' });
  helloPort.child.kill();
  console.log(line('baseline: node:http hello world', base));
  let counter = 0;
  const write = (token) => ({
    method: 'POST',
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    setupRequest: (req) => ({ ...req, path: `/v1/secret/data/w${counter++}`, body: JSON.stringify({ data: { v: String(counter) } }) }),
  });
  for (const count of [1, 3]) {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-ha-'));
    const c = await startNodes(count, dir);
    try {
      const urls = c.nodes.map((n) => n.url);
      const pids = c.nodes.map((n) => n.child.pid);
      const label = count === 1 ? '1 node (PostgreSQL)' : '3 nodes (ha_enabled)';
      const read = await drive(urls, pids, { path: '/v1/secret/data/bench', headers: { 'x-vault-token': c.token } });
      console.log(line(`${label}: kv read`, read, base));
      const wrote = await drive(urls, pids, write(c.token));
      console.log(line(`${label}: kv write`, wrote, base));
      if (count === 3) {
        const latencies = [];
        for (let i = 0; i < 50; i++) {
          const t = (await api(urls[0], c.token, 'POST', 'auth/token/create', { policies: ['default'] })).body.auth.client_token;
          await api(urls[1], t, 'GET', 'auth/token/lookup-self');
          const start = performance.now();
          await api(urls[0], c.token, 'POST', 'auth/token/revoke', { token: t });
          await waitFor(async () => (await api(urls[1], t, 'GET', 'auth/token/lookup-self')).status === 403, 2000, 'revocation seen');
          latencies.push(performance.now() - start);
        }
        console.log(`invalidation (revoke on node 0 until node 1 refuses): p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (includes the revoke request)`);
        const leaders = async () => (await Promise.all(urls.map((u, i) => (c.nodes[i].child.exitCode === null && !c.nodes[i].child.killed ? api(u, undefined, 'GET', 'sys/leader') : undefined)))).map((r) => r?.body?.is_self === true);
        await waitFor(async () => (await leaders()).filter(Boolean).length === 1, 5000, 'a leader');
        const leader = (await leaders()).indexOf(true);
        const killedAt = performance.now();
        c.nodes[leader].child.kill('SIGKILL');
        await waitFor(async () => (await leaders()).filter(Boolean).length === 1, 10_000, 'a new leader');
        console.log(`leader takeover after SIGKILL: ${(performance.now() - killedAt).toFixed(0)} ms`);
      }
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runHaBench();
