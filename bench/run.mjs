#!/usr/bin/env node
// `npm run bench`: Coffer's figures as ratios against a baseline measured in the same run
// (absolute numbers drift between runs on shared machines; ratios do not).
//
//   baseline   bare node:http hello-world server
//   kv-read    GET /v1/secret/data/bench with a non-root token whose policy allows the read,
//              embedded SQLite storage, file audit device on
//   approle    POST /v1/auth/approle/login (each login creates and stores a token), audit on
//   transit    encrypt 1 KiB (policy token, audit on); batch encrypt of 1,000 x 1 KiB per request
//              against Node's own AES-256-GCM over the same items
//   ha         one node against three active nodes on one PostgreSQL table (bench/ha.mjs)
//
// Environment: BENCH_SECONDS per round (default 3), BENCH_ROUNDS (default 3; the median is kept),
// BENCH_CONNECTIONS (default 16).
import { spawn } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from './load.mjs';
import { scenarios } from './scenarios.mjs';
import { runHaBench } from './ha.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 16);

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function startBaseline() {
  const child = spawn(process.execPath, [join(root, 'bench/hello-server.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => child.stdout.once('data', (d) => resolve({ child, url: `http://127.0.0.1:${String(d).trim()}` })));
}

async function startCoffer(dir) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(root, 'dist/cli/main.js'), 'server', '--dev', '--dev-persist', dir,
    '--dev-listen-address', `127.0.0.1:${port}`, '--dev-root-token-id', 'bench-root'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, COFFER_LOG_LEVEL: 'warn' },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${url}/v1/sys/health`);
      if (res.status === 200) return { child, url };
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('Coffer did not start within 10 s');
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
  } catch {
    return NaN;
  }
}

/** Runs `rounds` measurements of one target and keeps the median by req/s, with server CPU per request. */
async function measure(target, spec) {
  const runs = [];
  for (let i = 0; i < rounds; i++) {
    const cpu0 = cpuSeconds(target.child.pid);
    const r = await load({ url: target.url, ...spec, seconds, connections: spec.connections ?? connections });
    r.cpuPerRequestUs = ((cpuSeconds(target.child.pid) - cpu0) / r.requests) * 1e6;
    runs.push(r);
  }
  runs.sort((a, b) => a.rps - b.rps);
  return runs[Math.floor(runs.length / 2)];
}

function row(name, r, base) {
  const ratio = base ? (r.rps / base.rps).toFixed(2) : '1.00';
  const cpu = Number.isFinite(r.cpuPerRequestUs) ? `${r.cpuPerRequestUs.toFixed(0).padStart(5)} µs CPU/req` : '';
  return `${name.padEnd(38)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(2).padStart(6)} ms  p99 ${r.p99.toFixed(2).padStart(6)} ms  ${cpu}  errors ${String(r.errors).padStart(3)}  ratio ${ratio}`;
}

/** Node's own AES-256-GCM (random 96-bit nonce per item) over `items` 1 KiB items, in this process: items/s. */
function nodeAesGcmItemsPerSecond(items) {
  const key = randomBytes(32);
  const plaintext = Buffer.alloc(1024, 'x');
  let done = 0;
  const start = process.hrtime.bigint();
  while (Number(process.hrtime.bigint() - start) < 1e9) {
    for (let i = 0; i < items; i++) {
      const cipher = createCipheriv('aes-256-gcm', key, randomBytes(12));
      cipher.update(plaintext);
      cipher.final();
      cipher.getAuthTag();
    }
    done += items;
  }
  return done / (Number(process.hrtime.bigint() - start) / 1e9);
}

function itemsRow(cofferItems, nodeItems) {
  return `${'  = items encrypted'.padEnd(38)} ${cofferItems.toFixed(0).padStart(7)} items/s against Node's own AES-256-GCM ${nodeItems.toFixed(0)} items/s (one core, same data): ratio ${(cofferItems / nodeItems).toFixed(2)}`;
}

const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
const baseline = await startBaseline();
const coffer = await startCoffer(dir);
try {
  console.log(`Coffer benchmark: ${connections} connections, median of ${rounds} rounds of ${seconds} s per scenario, node ${process.version}`);
  console.log('(the load generator runs on the same machine; "CPU/req" is the server process\'s own CPU time per request)\n');
  await load({ url: baseline.url, path: '/', seconds: 1, connections });
  const base = await measure(baseline, { path: '/' });
  console.log(row('baseline: node:http hello world', base));
  for (const scenario of scenarios) {
    const spec = await scenario.setup({ url: coffer.url, rootToken: 'bench-root', dir });
    await load({ url: coffer.url, ...spec, seconds: 1, connections: spec.connections ?? connections });
    const r = await measure(coffer, spec);
    console.log(row(scenario.name, r, base));
    if (scenario.itemsPerRequest) console.log(itemsRow(r.rps * scenario.itemsPerRequest, nodeAesGcmItemsPerSecond(scenario.itemsPerRequest)));
    if (r.errors > 0) process.exitCode = 1;
  }
} finally {
  baseline.child.kill();
  coffer.child.kill();
  await new Promise((r) => setTimeout(r, 200));
  rmSync(dir, { recursive: true, force: true });
}
// Several active nodes on PostgreSQL (skipped with a reason when PostgreSQL does not answer).
await runHaBench();
