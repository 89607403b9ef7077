// Helpers shared by the benchmark scripts: ports, /proc readings, a real `coffer server` process
// started from a config file, the Vault API, and the load generator (autocannon in a child
// process, so its CPU is measured apart from the server's).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import https from 'node:https';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const root = fileURLToPath(new URL('..', import.meta.url));

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux we run on). */
const HZ = 100;

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system, all threads) a process has used so far, from /proc; NaN elsewhere. */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / HZ;
  } catch {
    return NaN;
  }
}

/** Resident set size of a process in bytes, from /proc; NaN elsewhere. */
export function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(fn, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await fn().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A request to the Vault API; `ca`: trust this PEM (HTTPS). Throws on >= 400 unless `allow` lists the status. */
export async function api(base, token, method, path, body, { allow = [] } = {}) {
  const url = new URL(`/v1/${path}`, base.url);
  const headers = { ...(token ? { 'x-vault-token': token } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const { status, text } = await request(base, url, method, headers, payload);
  if (status >= 400 && !allow.includes(status)) throw new Error(`${method} ${path}: ${status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : { status };
}

/** A raw request (HTTP or HTTPS with `base.ca`), returning status and text. */
export function request(base, url, method, headers, payload) {
  if (url.protocol === 'http:') {
    return fetch(url, { method, headers, body: payload }).then(async (res) => ({ status: res.status, text: await res.text() }));
  }
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers: { ...headers, ...(payload ? { 'content-length': Buffer.byteLength(payload) } : {}) }, ca: base.ca, checkServerIdentity: () => undefined, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Writes a config file and starts `coffer server --config` (SQLite by default, or `storage` =
 * `{ postgresql: url }`), then waits until it listens. `seal: 'static'` unseals itself after
 * `sys/init`; otherwise Shamir. `tls`: `{ certFile, keyFile }` for an HTTPS listener with the Key
 * Vault front on `vault.localhost`. Returns `{ child, url, cfg, dir }`.
 */
export async function startCoffer({ dir, dataDir = dir, seal = 'static', tls, storage, port }) {
  port ??= await freePort();
  const scheme = tls ? 'https' : 'http';
  const lines = [];
  if (storage?.postgresql) lines.push(`storage "postgresql" {\n  connection_url = "${storage.postgresql}"\n  table = "${storage.table}"\n}`);
  else lines.push(`storage "sqlite" {\n  path = "${join(dataDir, 'coffer.db')}"\n}`);
  lines.push(`listener "tcp" {\n  address = "127.0.0.1:${port}"\n${tls ? `  tls_cert_file = "${tls.certFile}"\n  tls_key_file = "${tls.keyFile}"` : '  tls_disable = true'}\n  max_connections_per_client = 0\n}`);
  if (tls) lines.push(`api_addr = "https://vault.localhost:${port}"`, 'azure {\n  base_domain = "vault.localhost"\n}');
  if (seal === 'static') {
    const keyFile = join(dataDir, 'unseal.key');
    try {
      readFileSync(keyFile);
    } catch {
      writeFileSync(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    }
    lines.push(`seal "static" {\n  key_file = "${keyFile}"\n}`);
  }
  const cfg = join(dir, `coffer-${port}.hcl`);
  writeFileSync(cfg, lines.join('\n') + '\n');
  const started = performance.now();
  const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'server', `--config=${cfg}`, '--log-level=warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const target = { child, url: `${scheme}://127.0.0.1:${port}`, port, cfg, dir, ca: tls?.ca };
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`coffer server exited with ${child.exitCode}`);
    const r = await request(target, new URL('/v1/sys/seal-status', target.url), 'GET', {});
    return r.status === 200;
  }, 60_000, 'coffer to listen').catch((err) => {
    child.kill('SIGKILL');
    throw err;
  });
  target.listeningMs = performance.now() - started;
  return target;
}

/** Stops a child process and waits for it to exit. */
export async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}

/** `sys/init` on a static-seal server: returns the root token once the server reports unsealed. */
export async function initStatic(target) {
  const init = await api(target, undefined, 'PUT', 'sys/init', {});
  await waitFor(async () => (await api(target, undefined, 'GET', 'sys/seal-status')).sealed === false, 15_000, 'unseal');
  return init.root_token;
}

/** Starts a hello-world server (`tls`: `{ certFile, keyFile }` for node:https) in a child process. */
export function startHello(tls) {
  const args = [join(root, 'bench/hello-server.mjs'), ...(tls ? [tls.certFile, tls.keyFile] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve({ child, url: `${tls ? 'https' : 'http'}://127.0.0.1:${String(d).trim()}` })));
}

/** Starts bench/floor-server.mjs (`mode` read or write, its files in `dir`) in a child process. */
export function startFloor(mode, dir) {
  const args = [join(root, 'bench/floor-server.mjs'), mode, join(dir, `floor-${mode}-audit.log`), join(dir, `floor-${mode}.db`)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve({ child, url: `http://127.0.0.1:${String(d).trim()}` })));
}

/**
 * Runs autocannon in a child process (bench/cannon.mjs) against `url` with `req` (path, method,
 * headers, body; `{n}` in path/body becomes the request number modulo `connections` and `{v}`
 * a per-request counter: see bench/cannon.mjs). Measures the server's CPU (`serverPid`) and the generator's own CPU over the run.
 * Returns { rps, p50, p99, requests, errors, serverCpuUs, genCpu (cores busy) }.
 */
export async function cannon({ url, req, connections, seconds, workers = 0, serverPids = [] }) {
  // The spec goes through a file: a batch body is too large for an argument.
  const specFile = join(tmpdir(), `coffer-cannon-${process.pid}-${randomBytes(4).toString('hex')}.json`);
  writeFileSync(specFile, JSON.stringify({ url, req, connections, seconds, workers }), { mode: 0o600 });
  const child = spawn(process.execPath, [join(root, 'bench/cannon.mjs'), specFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  child.once('exit', () => rmSync(specFile, { force: true }));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const pids = Array.isArray(serverPids) ? serverPids : [serverPids];
  // The child prints "go" right before autocannon starts, so its start-up is not counted.
  await new Promise((resolve) => {
    const check = () => (out.includes('go\n') ? resolve() : child.stdout.once('data', check));
    check();
  });
  const cpu0 = pids.map(cpuSeconds);
  const gen0 = cpuSeconds(child.pid);
  const t0 = performance.now();
  let gen1 = gen0;
  // Sample the generator's CPU just before it exits (its /proc entry disappears afterwards).
  const sampler = setInterval(() => {
    const c = cpuSeconds(child.pid);
    if (Number.isFinite(c)) gen1 = c;
  }, 100);
  const code = await new Promise((r) => child.once('exit', r));
  clearInterval(sampler);
  const wall = (performance.now() - t0) / 1000;
  const cpu = pids.map(cpuSeconds).reduce((a, c, i) => a + (c - cpu0[i]), 0);
  const line = out.trim().split('\n').pop();
  if (code !== 0) throw new Error(`load generator failed (${code}): ${out.slice(-500)}`);
  const r = JSON.parse(line);
  return { ...r, serverCpuUs: (cpu / Math.max(1, r.requests)) * 1e6, serverCores: cpu / wall, genCpu: (gen1 - gen0) / wall };
}

/** The median (by req/s) of `rounds` runs of `fn`. */
export async function median(rounds, fn) {
  const runs = [];
  for (let i = 0; i < rounds; i++) runs.push(await fn());
  runs.sort((a, b) => a.rps - b.rps);
  return runs[Math.floor(runs.length / 2)];
}

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const fmtInt = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
export const mib = (b) => `${(b / 1048576).toFixed(0)} MiB`;

/**
 * Runs a raw-engine child (bench/raw-*.mjs) that prints "go" then one JSON line { inserts, rps };
 * adds its own CPU per insert (µs).
 */
export async function rawEngine(script, args) {
  const child = spawn(process.execPath, [join(root, 'bench', script), ...args.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((resolve) => {
    const check = () => (out.includes('go\n') ? resolve() : child.stdout.once('data', check));
    check();
  });
  const cpu0 = cpuSeconds(child.pid);
  let cpu1 = cpu0;
  const sampler = setInterval(() => {
    const c = cpuSeconds(child.pid);
    if (Number.isFinite(c)) cpu1 = c;
  }, 50);
  const code = await new Promise((r) => child.once('exit', r));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`${script} failed (${code}): ${out.slice(-500)}`);
  const r = JSON.parse(out.trim().split('\n').pop());
  return { ...r, cpuUs: ((cpu1 - cpu0) / Math.max(1, r.inserts)) * 1e6 };
}

/** Whether PostgreSQL answers at `url` (the PostgreSQL parts are skipped with the reason when not). */
export async function pgReachable(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
