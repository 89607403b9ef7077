#!/usr/bin/env node
// Read-path profiling helper (issue 12): autocannon (64 connections) against a real
// `coffer server --dev --dev-persist` process (SQLite, file audit device, policy token), with
// the server's CPU per request read from /proc/<pid>/stat, each scenario beside its bare
// node:http / node:https baseline measured in the same run.
//
//   node bench/profile-read.mjs [kv|approle|keyvault|kvtls ...]     (default: kv, approle, keyvault)
//
// Environment: BENCH_SECONDS (default 5), BENCH_CONNECTIONS (default 64),
// BENCH_AB=<checkout> compares with another build (see abRun), BENCH_THREADS=1 splits the server's CPU by thread, BENCH_NO_BASELINE=1 skips the baseline, COFFER_ROOT=<checkout> measures another build,
// PROFILE_DIR=<dir> starts Coffer with `node --cpu-prof --cpu-prof-dir <dir>` (the profile is
// written when the server exits; summarise it with `node bench/profile-read.mjs --top <file>`).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

// COFFER_ROOT: measure another checkout's build (e.g. the base commit) with this script.
const root = process.env.COFFER_ROOT ?? fileURLToPath(new URL('..', import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);

if (process.argv[2] === '--top') {
  topOfProfile(process.argv[3], Number(process.argv[4] ?? 30));
  process.exit(0);
}

/** Prints the top self-time functions of a .cpuprofile. */
function topOfProfile(file, n) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const dt = prof.timeDeltas;
  for (let i = 0; i < prof.samples.length; i++) {
    const node = byId.get(prof.samples[i]);
    const f = node.callFrame;
    const key = `${f.functionName || '(anon)'} ${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^node:/, '')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
  }
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  const total = [...self].reduce((a, [, v]) => a + v, 0) - idle;
  console.log(`busy ${(total / 1e6).toFixed(2)} s (idle ${(idle / 1e6).toFixed(2)} s)`);
  for (const [k, v] of [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  }
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const baselineSource = (tls) => `
const lib = await import(${JSON.stringify(tls ? 'node:https' : 'node:http')});
const fs = await import('node:fs');
const body = JSON.stringify({ hello: 'world' });
const handler = (req, res) => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); };
const server = ${tls ? `lib.createServer({ cert: fs.readFileSync(process.env.CERT), key: fs.readFileSync(process.env.KEY) }, handler)` : 'lib.createServer(handler)'};
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

function startBaseline(tls, dir) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', baselineSource(tls)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CERT: join(dir, 'tls/server.pem'), KEY: join(dir, 'tls/server-key.pem') },
  });
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve({ child, url: `${tls ? 'https' : 'http'}://127.0.0.1:${String(d).trim()}` })));
}

async function startCoffer(dir, tls, checkout = root) {
  const port = await freePort();
  const nodeArgs = process.env.PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.PROFILE_DIR] : [];
  const child = spawn(process.execPath, [...nodeArgs, join(checkout, 'dist/cli/main.js'), 'server', '--dev', '--dev-persist', dir,
    '--dev-listen-address', `127.0.0.1:${port}`, '--dev-root-token-id', 'bench-root', ...(tls ? ['--dev-tls'] : [])], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, COFFER_LOG_LEVEL: 'warn', NODE_TLS_REJECT_UNAUTHORIZED: '0' },
  });
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`${url}/v1/sys/health`);
      if (res.status === 200) return { child, url, port };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('Coffer did not start');
}

async function stop(child) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function api(url, token, method, path, body) {
  const res = await fetch(`${url}/v1/${path}`, {
    method,
    headers: { 'x-vault-token': token, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

function cannon(target, spec, secs) {
  return new Promise((resolve, reject) => {
    autocannon({ url: target.url + spec.path, connections, duration: secs, method: spec.method ?? 'GET', headers: spec.headers, body: spec.body }, (err, r) => (err ? reject(err) : resolve(r)));
  });
}

/** CPU seconds per thread name (main, libuv pool, V8 GC helpers, ...) of a process. */
function threadSeconds(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const f = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      /* thread gone */
    }
  }
  return out;
}

async function measure(target, spec) {
  await cannon(target, spec, 1); // warm-up
  const cpu0 = cpuSeconds(target.child.pid);
  const threads0 = process.env.BENCH_THREADS ? threadSeconds(target.child.pid) : undefined;
  const r = await cannon(target, spec, seconds);
  const cpu = cpuSeconds(target.child.pid) - cpu0;
  if (threads0) {
    // BENCH_THREADS=1: where the server's CPU went, per thread name, in µs per request.
    const parts = [...threadSeconds(target.child.pid)].map(([n, v]) => [n, ((v - (threads0.get(n) ?? 0)) / r.requests.total) * 1e6]).filter(([, v]) => v >= 1);
    console.log('  threads (µs/req): ' + parts.map(([n, v]) => `${n} ${v.toFixed(0)}`).join(', '));
  }
  const ok = r['2xx'];
  return { rps: ok / seconds, p99: r.latency.p99, cpuUs: (cpu / Math.max(1, r.requests.total)) * 1e6, non2xx: r.non2xx, errors: r.errors, resets: r.resets };
}

function row(name, r, base) {
  const ratio = base ? `  ratio ${(r.rps / base.rps).toFixed(2)}  cpu ×${(r.cpuUs / base.cpuUs).toFixed(2)}` : '';
  return `${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${String(r.p99).padStart(4)} ms  ${r.cpuUs.toFixed(0).padStart(5)} µs CPU/req  non2xx ${r.non2xx} err ${r.errors} resets ${r.resets}${ratio}`;
}

const scenarios = {
  async kv(coffer, dir) {
    await api(coffer.url, 'bench-root', 'PUT', 'sys/audit/file', { type: 'file', options: { file_path: `${dir}/audit.log` } });
    await api(coffer.url, 'bench-root', 'PUT', 'sys/policies/acl/bench-read', { policy: 'path "secret/data/bench" { capabilities = ["read"] }' });
    await api(coffer.url, 'bench-root', 'POST', 'secret/data/bench', { data: { username: 'app', password: 'correct horse battery staple' } });
    const created = await api(coffer.url, 'bench-root', 'POST', 'auth/token/create', { policies: ['bench-read'], ttl: '1h' });
    return { path: '/v1/secret/data/bench', headers: { 'x-vault-token': created.auth.client_token } };
  },
  async approle(coffer, dir) {
    await api(coffer.url, 'bench-root', 'PUT', 'sys/audit/file', { type: 'file', options: { file_path: `${dir}/audit.log` } });
    await api(coffer.url, 'bench-root', 'PUT', 'sys/policies/acl/bench-read', { policy: 'path "secret/data/bench" { capabilities = ["read"] }' });
    await api(coffer.url, 'bench-root', 'POST', 'sys/auth/approle', { type: 'approle' });
    await api(coffer.url, 'bench-root', 'POST', 'auth/approle/role/bench', { token_policies: 'bench-read', token_ttl: '10m' });
    const roleId = (await api(coffer.url, 'bench-root', 'GET', 'auth/approle/role/bench/role-id')).data.role_id;
    const secretId = (await api(coffer.url, 'bench-root', 'POST', 'auth/approle/role/bench/secret-id')).data.secret_id;
    return { path: '/v1/auth/approle/login', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role_id: roleId, secret_id: secretId }) };
  },
  // The KV v2 read over the dev-tls listener: what TLS adds, beside the Key Vault read.
  kvtls(coffer, dir) {
    return scenarios.kv(coffer, dir);
  },
  async keyvault(coffer, dir) {
    await api(coffer.url, 'bench-root', 'PUT', 'sys/audit/file', { type: 'file', options: { file_path: `${dir}/audit.log` } });
    await api(coffer.url, 'bench-root', 'POST', 'sys/mounts/keyvault/benchvault', { type: 'keyvault' });
    const tpl = await api(coffer.url, 'bench-root', 'GET', 'keyvault/benchvault/access-policy-template?permissions=get');
    await api(coffer.url, 'bench-root', 'PUT', 'sys/policy/bench-kv-get', { policy: tpl.data.policy });
    const sp = (await api(coffer.url, 'bench-root', 'POST', 'auth/azure/sp/create', { display_name: 'bench', policies: ['bench-kv-get'] })).data;
    const host = `benchvault.vault.localhost:${coffer.port}`;
    const tokRes = await fetch(`${coffer.url}/adfs/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sp.appId, client_secret: sp.password, scope: `https://vault.localhost:${coffer.port}/.default` }).toString(),
    });
    const jwt = (await tokRes.json()).access_token;
    if (!jwt) throw new Error('no access token');
    // The secret is set with the root token through the Vault API of the keyvault mount? Use the Key Vault API with an all-permission SP instead.
    const tplAll = await api(coffer.url, 'bench-root', 'GET', 'keyvault/benchvault/access-policy-template?permissions=all');
    await api(coffer.url, 'bench-root', 'PUT', 'sys/policy/bench-kv-all', { policy: tplAll.data.policy });
    const admin = (await api(coffer.url, 'bench-root', 'POST', 'auth/azure/sp/create', { display_name: 'bench-admin', policies: ['bench-kv-all'] })).data;
    const adminTok = (await (await fetch(`${coffer.url}/adfs/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: admin.appId, client_secret: admin.password, scope: `https://vault.localhost:${coffer.port}/.default` }).toString(),
    })).json()).access_token;
    const { request } = await import('node:https');
    await new Promise((resolve, reject) => {
      const body = JSON.stringify({ value: 'correct horse battery staple' });
      const req = request({ host: '127.0.0.1', port: coffer.port, method: 'PUT', path: '/secrets/bench?api-version=7.4', servername: 'benchvault.vault.localhost', rejectUnauthorized: false,
        headers: { host, authorization: `Bearer ${adminTok}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`set secret: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
    return { path: '/secrets/bench?api-version=7.4', headers: { host, authorization: `Bearer ${jwt}` } };
  },
};

/**
 * BENCH_AB=<other checkout>: this build and the other one run side by side and are measured in
 * alternating 1 s bursts (BENCH_BURSTS pairs, default 8), so both see the same background load;
 * prints each one's total req/s and server CPU per request, and their ratio.
 */
async function abRun(name) {
  const tls = name === 'keyvault' || name === 'kvtls';
  const sides = [];
  for (const [label, dirRoot] of [['this', root], ['other', process.env.BENCH_AB]]) {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-ab-'));
    const coffer = await startCoffer(dir, tls, dirRoot);
    const spec = await scenarios[name](coffer, dir);
    await cannon(coffer, spec, 1);
    sides.push({ label, dir, coffer, spec, cpu: 0, ok: 0, total: 0, secs: 0 });
  }
  try {
    const bursts = Number(process.env.BENCH_BURSTS ?? 8);
    for (let i = 0; i < bursts; i++) {
      for (const side of i % 2 ? [...sides].reverse() : sides) {
        const cpu0 = cpuSeconds(side.coffer.child.pid);
        const r = await cannon(side.coffer, side.spec, 1);
        side.cpu += cpuSeconds(side.coffer.child.pid) - cpu0;
        side.ok += r['2xx'];
        side.total += r.requests.total;
        side.secs += 1;
      }
    }
    for (const s of sides) console.log(`${name} ${s.label.padEnd(5)} ${(s.ok / s.secs).toFixed(0).padStart(6)} req/s  ${((s.cpu / s.total) * 1e6).toFixed(0).padStart(5)} µs CPU/req`);
    const [a, b] = sides;
    console.log(`${name} this/other: req/s ×${(a.ok / b.ok).toFixed(2)}, CPU/req ×${((a.cpu / a.total) / (b.cpu / b.total)).toFixed(2)}`);
  } finally {
    for (const s of sides) {
      await stop(s.coffer.child);
      rmSync(s.dir, { recursive: true, force: true });
    }
  }
}

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ['kv', 'approle', 'keyvault'];
if (process.env.BENCH_AB) {
  for (const name of wanted) await abRun(name);
  process.exit(0);
}
console.log(`profile-read: autocannon ${connections} connections, ${seconds} s, node ${process.version}`);
for (const name of wanted) {
  const tls = name === 'keyvault' || name === 'kvtls';
  const dir = mkdtempSync(join(tmpdir(), 'coffer-prof-'));
  const coffer = await startCoffer(dir, tls);
  const baseline = await startBaseline(tls, dir);
  try {
    const spec = await scenarios[name](coffer, dir);
    // BENCH_NO_BASELINE=1: Coffer only (A/B runs of two builds).
    const base = process.env.BENCH_NO_BASELINE ? undefined : await measure(baseline, { path: '/' });
    if (base) console.log(row(tls ? 'baseline node:https' : 'baseline node:http', base));
    const r = await measure(coffer, spec);
    console.log(row(name, r, base));
  } finally {
    baseline.child.kill();
    await stop(coffer.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
