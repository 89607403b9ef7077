#!/usr/bin/env node
// Durable-write profile (issue 12): Coffer's KV v2 write rate against the raw engine's durable
// insert rate, on the same machine, plus the server's CPU time per write.
//
//   node bench/profile-write.mjs sqlite|postgresql [--seconds 5] [--connections 64] [--keys 0]
//        [--cpu-prof DIR] [--ha] [--skip-raw] [--own]
//
// Coffer: a real `node dist/cli/main.js server -config …` process (static seal, file audit on),
// a policy token, autocannon with C connections POSTing `secret/data/w/<n>` with a counter-based
// path: every request writes a new secret (or, with --keys K, a new version of one of K secrets,
// round robin: two connections may write the same secret at once; with --own, each connection
// writes new versions of its own secret, the issue's scenario).
// Raw engine, in a child process:
//   sqlite      better-sqlite3 with Coffer's settings (WAL, synchronous=FULL, locking_mode=EXCLUSIVE),
//               one fsync'd transaction per INSERT, in a loop;
//   postgresql  plain INSERTs through `pg` on C connections (autocommit).
// Server CPU per write comes from /proc/<pid>/stat (utime + stime); PostgreSQL's CPU per write is
// the change in CPU of every local `postgres` process over the same window. COFFER_ROOT=<checkout>
// measures another build. Run `npm run build` first.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs, { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

// COFFER_ROOT: measure another checkout's build (e.g. the base commit) with this script.
const root = process.env.COFFER_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? dflt : args[i + 1];
};
const flag = (name) => args.includes(`--${name}`);
const backend = args[0] === 'pg' ? 'postgresql' : args[0];
if (backend !== 'sqlite' && backend !== 'postgresql') {
  console.error('usage: node bench/profile-write.mjs sqlite|postgresql [--seconds 5] [--connections 64] [--keys 0] [--cpu-prof DIR] [--ha] [--skip-raw] [--own]');
  process.exit(2);
}
const seconds = Number(opt('seconds', 5));
const connections = Number(opt('connections', 64));
const keys = Number(opt('keys', 0));
const cpuProf = opt('cpu-prof', undefined);
const own = flag('own');
const pgUrl = process.env.COFFER_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const secret = { username: 'app', password: 'correct horse battery staple', url: 'https://db.example.internal:5432/app' };

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * CPU seconds so far of every process named `postgres` on this machine (the local server's
 * backends, WAL writer, ...; backends that exit in between are missed, and so is anyone
 * else's load on the same server counted). Used as a rough PostgreSQL CPU per write.
 */
function pgCpuSeconds(fs) {
  let t = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const f = stat.split(') ')[1].split(' ');
      t += (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      // exited meanwhile
    }
  }
  return t;
}
const pgCpu = () => pgCpuSeconds(fs);

/** [user, system] CPU seconds of a process so far (/proc/<pid>/stat, clock ticks of 1/100 s). */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return [Number(fields[11]) / 100, Number(fields[12]) / 100];
}

async function api(url, token, method, path, body) {
  const res = await fetch(`${url}/v1/${path}`, {
    method,
    headers: { ...(token ? { 'x-vault-token': token } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function startCoffer(dir, table) {
  const port = await freePort();
  writeFileSync(join(dir, 'unseal.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
  const storage = backend === 'sqlite'
    ? `storage "sqlite" {\n  path = "${join(dir, 'coffer.db')}"\n}`
    : `storage "postgresql" {\n  connection_url = "${pgUrl}"\n  table = "${table}"\n${flag('ha') ? '  ha_enabled = true\n' : ''}}`;
  writeFileSync(join(dir, 'coffer.hcl'), `${storage}\nlistener "tcp" {\n  address = "127.0.0.1:${port}"\n  tls_disable = true\n}\nseal "static" {\n  key_file = "${join(dir, 'unseal.key')}"\n}\nlog_level = "warn"\n`);
  const nodeArgs = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : [];
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'dist/cli/main.js'), 'server', '-config', join(dir, 'coffer.hcl')], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(`${url}/v1/sys/health`);
      return { child, url };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill();
  throw new Error('Coffer did not start within 10 s');
}

/** Runs autocannon for `secs`; every request writes a new secret (or a new version of one of `keys`). */
async function writeLoad(url, token, secs, prefix) {
  if (own) return ownLoad(url, token, secs, prefix);
  let n = 0;
  const result = await autocannon({
    url,
    connections,
    duration: secs,
    requests: [{
      method: 'POST',
      headers: { 'x-vault-token': token, 'content-type': 'application/json' },
      body: JSON.stringify({ data: secret }),
      setupRequest: (req) => ({ ...req, path: `/v1/secret/data/w/${prefix}${keys > 0 ? n++ % keys : n++}` }),
    }],
  });
  const ok = result['2xx'];
  return { ok, errors: result.non2xx + result.errors + result.timeouts, rps: ok / (result.duration ?? secs), p50: result.latency.p50, p99: result.latency.p99 };
}

/**
 * --own: each of `connections` keep-alive connections writes new versions of its own secret,
 * one request at a time. (Not autocannon: with one request in its list, autocannon resets a
 * connection's setupRequest context before every request, so it cannot tell connections apart.)
 */
async function ownLoad(url, token, secs, prefix) {
  const body = JSON.stringify({ data: secret });
  const latencies = [];
  let ok = 0;
  let errors = 0;
  const start = performance.now();
  const end = start + secs * 1000;
  await Promise.all(Array.from({ length: connections }, async (_, c) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (performance.now() < end) {
        const t0 = performance.now();
        const status = await new Promise((resolve) => {
          const req = http.request(`${url}/v1/secret/data/w/${prefix}c${c}`, {
            method: 'POST', agent, headers: { 'x-vault-token': token, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode));
          });
          req.on('error', () => resolve(0));
          req.end(body);
        });
        latencies.push(performance.now() - t0);
        if (status >= 200 && status < 300) ok++;
        else errors++;
      }
    } finally {
      agent.destroy();
    }
  }));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0);
  return { ok, errors, rps: ok / elapsed, p50: pct(0.5), p99: pct(0.99) };
}

/** The raw engine's durable insert rate, in a child process. */
function rawRate(dir, table) {
  const code = backend === 'sqlite'
    ? `
      const Database = require('better-sqlite3');
      const db = new Database(${JSON.stringify(join(dir, 'raw.db'))});
      db.pragma('locking_mode = EXCLUSIVE'); db.pragma('journal_mode = WAL'); db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE t (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
      const ins = db.prepare('INSERT INTO t (key, value) VALUES (?, ?)');
      const one = db.transaction((k, v) => ins.run(k, v));
      const value = require('crypto').randomBytes(200);
      let n = 0; const t0 = Date.now(); const end = t0 + ${seconds * 1000};
      while (Date.now() < end) one.immediate('k/' + n++, value);
      console.log(JSON.stringify({ rate: n / ((Date.now() - t0) / 1000) }));`
    : `
      const pg = require('pg');
      (async () => {
        const url = ${JSON.stringify(pgUrl)}; const table = ${JSON.stringify(table + '_raw')};
        const admin = new pg.Client(url); await admin.connect();
        await admin.query('CREATE TABLE ' + table + ' (key BYTEA PRIMARY KEY, value BYTEA NOT NULL)');
        const clients = await Promise.all(Array.from({ length: ${connections} }, async () => { const c = new pg.Client(url); await c.connect(); return c; }));
        const value = require('crypto').randomBytes(200);
        const pgCpu = () => (${pgCpuSeconds.toString()})(require('fs'));
        let n = 0; const t0 = Date.now(); const end = t0 + ${seconds * 1000};
        const pg0 = pgCpu(); const cpu0 = process.cpuUsage();
        await Promise.all(clients.map(async (c) => {
          while (Date.now() < end) await c.query('INSERT INTO ' + table + ' (key, value) VALUES ($1, $2)', [Buffer.from('k/' + n++), value]);
        }));
        const cpu = process.cpuUsage(cpu0); const pgUs = ((pgCpu() - pg0) / n) * 1e6;
        const rate = n / ((Date.now() - t0) / 1000);
        await Promise.all(clients.map((c) => c.end()));
        await admin.query('DROP TABLE ' + table); await admin.end();
        console.log(JSON.stringify({ rate, clientUs: (cpu.user + cpu.system) / n, pgUs }));
      })().catch((e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (c) => (c === 0 ? resolve(JSON.parse(out)) : reject(new Error(`raw loop exited with ${c}`))));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'coffer-wprof-'));
const table = `coffer_wprof_${process.pid}`;
const coffer = await startCoffer(dir, table);
try {
  const init = await api(coffer.url, null, 'PUT', 'sys/init', {});
  const rootToken = init.root_token;
  for (let i = 0; i < 100 && (await api(coffer.url, null, 'GET', 'sys/seal-status')).sealed; i++) await new Promise((r) => setTimeout(r, 100));
  await api(coffer.url, rootToken, 'POST', 'sys/mounts/secret', { type: 'kv-v2' });
  await api(coffer.url, rootToken, 'PUT', 'sys/audit/file', { type: 'file', options: { file_path: join(dir, 'audit.log') } });
  await api(coffer.url, rootToken, 'PUT', 'sys/policies/acl/bench-write', { policy: 'path "secret/data/w/*" { capabilities = ["create", "update"] }' });
  const token = (await api(coffer.url, rootToken, 'POST', 'auth/token/create', { policies: ['bench-write'], ttl: '1h' })).auth.client_token;
  await writeLoad(coffer.url, token, 1, 'warm-');
  const pg0 = backend === 'postgresql' ? pgCpu() : 0;
  const cpu0 = cpuSeconds(coffer.child.pid);
  const r = await writeLoad(coffer.url, token, seconds, 'run-');
  const cpu1 = cpuSeconds(coffer.child.pid);
  const pgUs = backend === 'postgresql' ? ((pgCpu() - pg0) / (r.ok + r.errors)) * 1e6 : NaN;
  const perWrite = (i) => ((cpu1[i] - cpu0[i]) / (r.ok + r.errors)) * 1e6;
  const cpuUs = perWrite(0) + perWrite(1);
  const rawResult = flag('skip-raw') ? { rate: NaN } : await rawRate(dir, table);
  const raw = rawResult.rate;
  console.log(`${backend}${flag('ha') ? ' (ha)' : ''}: ${connections} connections, ${seconds} s, node ${process.version}, ${(await import('node:os')).cpus().length} cores (shared)`);
  console.log(`  coffer  ${r.rps.toFixed(0).padStart(6)} writes/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors}  server CPU ${cpuUs.toFixed(0)} µs/write (user ${perWrite(0).toFixed(0)}, system ${perWrite(1).toFixed(0)})${backend === 'postgresql' ? `  postgres CPU ${pgUs.toFixed(0)} µs/write` : ''}`);
  console.log(`  raw     ${raw.toFixed(0).padStart(6)} inserts/s${rawResult.clientUs !== undefined ? `  client CPU ${rawResult.clientUs.toFixed(0)} µs/insert  postgres CPU ${rawResult.pgUs.toFixed(0)} µs/insert` : ''}`);
  console.log(`  ratio   ${(r.rps / raw).toFixed(2)}`);
} finally {
  coffer.child.kill('SIGINT');
  await new Promise((r) => coffer.child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
  if (backend === 'postgresql') {
    const pg = (await import('pg')).default;
    const c = new pg.Client(pgUrl);
    await c.connect();
    await c.query(`DROP TABLE IF EXISTS "${table}"`);
    await c.query(`DROP TABLE IF EXISTS "${table}_changes"`);
    await c.end();
  }
}
