#!/usr/bin/env node
// `npm run bench` (quick, a few minutes) or `npm run bench -- --full` (adds the 1,000,000-secret
// scale run): Coffer's figures as ratios against baselines measured in the same run (absolute
// numbers drift between runs on shared machines; ratios much less). See bench/README.md.
//
//   baseline      bare node:http hello world (and bare node:https for the Key Vault line)
//   floors        bench/floor-server.mjs: the required work alone (audit lines; a durable sealed row)
//   kv-read       GET /v1/secret/data/bench with a policy token
//   approle       POST /v1/auth/approle/login (each login stores a token durably)
//   transit       encrypt 1 KiB; batch encrypt 1,000 x 1 KiB against Node's own AES-256-GCM
//   keyvault      GET https://benchvault.vault.localhost/secrets/bench with a service principal's JWT
//   kv-write      a new KV v2 version per request, against the raw engine (SQLite; PostgreSQL when reachable)
//   scale         bench/scale.mjs: 10k (quick) or 1M (--full) secrets
//   ha            bench/ha.mjs: PostgreSQL, one node against three
//
// Every Coffer is a real `coffer server --config` process: SQLite storage, file audit device on.
// The load generator is autocannon in a child process (bench/cannon.mjs), so its CPU is measured
// apart from the server's.
//
// Environment: BENCH_SECONDS per round (3), BENCH_ROUNDS (3; the median by req/s is kept),
// BENCH_CONNECTIONS (64), COFFER_TEST_PG_URL, BENCH_DATA_DIR (scale data sets, see scale.mjs).
// Flags: --full, --skip-scale, --skip-ha, --only-scale.
import { createCipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { api, cannon, fmtInt, initStatic, median, pgReachable, rawEngine, root, startCoffer, startFloor, startHello, stop } from './lib.mjs';
import { kvWriteSetup, scenarios } from './scenarios.mjs';
import { runHaBench } from './ha.mjs';
import { runScale } from './scale.mjs';

const args = new Set(process.argv.slice(2));
const full = args.has('--full');
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 64);
const pgUrl = process.env.COFFER_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';

const header = `${'scenario'.padEnd(44)} ${'req/s'.padStart(7)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'CPU/req'.padStart(9)}   ${'vs baseline: req/s'.padStart(18)} ${'CPU/req'.padStart(7)}   gen CPU`;

function row(name, r, base) {
  const rps = base ? (r.rps / base.rps).toFixed(2) : '1.00';
  const cpu = base ? `${(r.serverCpuUs / base.serverCpuUs).toFixed(1)}x` : '1.0x';
  const err = r.errors > 0 ? `  ERRORS ${r.errors}` : '';
  return `${name.padEnd(44)} ${fmtInt(r.rps).padStart(7)} ${`${r.p50.toFixed(1)} ms`.padStart(8)} ${`${r.p99.toFixed(1)} ms`.padStart(8)} ${`${fmtInt(r.serverCpuUs)} µs`.padStart(9)}   ${rps.padStart(18)} ${cpu.padStart(7)}   ${(r.genCpu * 100).toFixed(0).padStart(3)}%${err}`;
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

/** Measures `req` against `target` (warm-up second, then the median of the rounds). */
async function measure(target, req, conns = connections) {
  await cannon({ url: target.url, req, connections: conns, seconds: 1 });
  return median(rounds, () => cannon({ url: target.url, req, connections: conns, seconds, serverPids: target.child.pid }));
}

/** A plain-HTTP Coffer on SQLite (or PostgreSQL), initialised, file audit device on, kv-v2 at secret/. */
async function cofferWithAudit(dir, extra = {}) {
  mkdirSync(dir, { recursive: true });
  const target = await startCoffer({ dir, ...extra });
  const token = await initStatic(target);
  await api(target, token, 'PUT', 'sys/audit/file', { type: 'file', options: { file_path: join(dir, 'audit.log') } });
  await api(target, token, 'POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  return { target, token };
}

/** The Key Vault server (HTTPS) and a service principal's access token, obtained as the SDK does. */
async function keyVaultSetup(dir, tls) {
  mkdirSync(dir, { recursive: true });
  const target = await startCoffer({ dir, tls });
  const token = await initStatic(target);
  await api(target, token, 'PUT', 'sys/audit/file', { type: 'file', options: { file_path: join(dir, 'audit.log') } });
  await api(target, token, 'POST', 'sys/auth/azure', { type: 'azure-ad' });
  await api(target, token, 'POST', 'sys/mounts/keyvault/benchvault', { type: 'keyvault' });
  const tpl = await api(target, token, 'GET', 'keyvault/benchvault/access-policy-template?role=Key%20Vault%20Secrets%20User');
  await api(target, token, 'PUT', 'sys/policies/acl/benchvault-user', { policy: tpl.data.policy });
  await api(target, token, 'PUT', 'keyvault/benchvault/secrets/bench', { value: 'correct horse battery staple' });
  const sp = (await api(target, token, 'POST', 'auth/azure/sp/create', { display_name: 'bench', policies: ['benchvault-user'] })).data;
  // Client credentials against Coffer's /adfs token endpoint, as @azure/identity does (tenant adfs).
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: sp.appId, client_secret: sp.password, scope: 'https://vault.localhost/.default' });
  const { request } = await import('./lib.mjs');
  const res = await request(target, new URL('/adfs/oauth2/token', target.url), 'POST', { 'content-type': 'application/x-www-form-urlencoded', host: `vault.localhost:${target.port}` }, form.toString());
  if (res.status !== 200) throw new Error(`token endpoint: ${res.status} ${res.text.slice(0, 300)}`);
  const jwt = JSON.parse(res.text).access_token;
  const req = {
    path: '/secrets/bench?api-version=7.4',
    headers: { host: `benchvault.vault.localhost:${target.port}`, authorization: `Bearer ${jwt}` },
  };
  // Check once that the request is answered as the SDK would see it.
  const check = await request(target, new URL(req.path, target.url), 'GET', req.headers);
  if (check.status !== 200 || JSON.parse(check.text).value !== 'correct horse battery staple') throw new Error(`getSecret check: ${check.status} ${check.text.slice(0, 300)}`);
  return { target, req };
}

const dir = mkdtempSync(join(tmpdir(), 'coffer-bench-'));
const children = [];
const started = Date.now();
try {
  if (!args.has('--only-scale')) {
    console.log(`Coffer benchmark: autocannon, ${connections} connections, median of ${rounds} rounds of ${seconds} s, node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model?.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
    console.log('Every Coffer: `coffer server` process, SQLite, file audit device on. CPU/req = the server process\'s own CPU per request (/proc).');
    console.log('"gen CPU" = the load generator\'s CPU in % of one core: near 100% means it, not the server, set the pace.\n');

    const { ensureDevTls } = await import(join(root, 'dist/server/dev-tls.js'));
    const tls = await ensureDevTls({ dir: join(dir, 'tls'), baseDomain: 'vault.localhost' });
    tls.ca = readFileSync(tls.caFile); // for our own HTTPS set-up calls (autocannon does not verify)
    const hello = await startHello();
    children.push(hello.child);

    // Is the generator the bottleneck? One autocannon process against two (workers) on the baseline.
    const one = await cannon({ url: hello.url, req: { path: '/' }, connections, seconds, serverPids: hello.child.pid });
    const two = await cannon({ url: hello.url, req: { path: '/' }, connections, seconds, workers: 2, serverPids: hello.child.pid });
    console.log(`generator check (baseline): 1 autocannon process ${fmtInt(one.rps)} req/s (generator ${(one.genCpu * 100).toFixed(0)}% of a core, server ${(one.serverCores * 100).toFixed(0)}%); ` +
      `2 worker threads ${fmtInt(two.rps)} req/s (generator ${(two.genCpu * 100).toFixed(0)}%, server ${(two.serverCores * 100).toFixed(0)}%)`);
    const cores = cpus().length;
    let verdict;
    if (one.genCpu > 0.85) verdict = 'one generator thread is saturated: the baseline is generator-bound and its req/s ratios flatter Coffer; compare CPU/req';
    else if (one.genCpu + one.serverCores < 0.8 * Math.min(cores, 2)) verdict = `generator and server together used ${((one.genCpu + one.serverCores) * 100).toFixed(0)}% of ${Math.min(cores, 2)} cores: the machine is busy with other work, req/s figures are depressed and noisy; compare CPU/req`;
    else verdict = two.rps > one.rps * 1.15
      ? 'two generator threads raise the baseline: it is partly generator-bound; compare CPU/req'
      : 'the generator is not the limit: generator and server share the cores; CPU/req is the steady figure';
    console.log(`  -> ${verdict}.`);
    console.log();

    console.log(header);
    const base = await measure(hello, { path: '/' });
    console.log(row('baseline: node:http hello world', base));
    // What an audited read costs with nothing of Coffer's own work: the read target's floor.
    const readFloor = await startFloor('read', dir);
    children.push(readFloor.child);
    console.log(row('floor: hello world + 2 audit lines', await measure(readFloor, { path: '/v1/secret/data/bench' }), base));
    await stop(readFloor.child);

    const http = await cofferWithAudit(join(dir, 'http'));
    children.push(http.target.child);
    for (const scenario of scenarios) {
      const req = await scenario.setup({ target: http.target, token: http.token, dir });
      const r = await measure(http.target, req, req.connections);
      console.log(row(scenario.name, r, base));
      if (scenario.itemsPerRequest) {
        const node = nodeAesGcmItemsPerSecond(scenario.itemsPerRequest);
        const items = r.rps * scenario.itemsPerRequest;
        console.log(`${'  = items encrypted'.padEnd(44)} ${fmtInt(items)} items/s vs Node's own AES-256-GCM ${fmtInt(node)} items/s (one core): ratio ${(items / node).toFixed(2)}`);
      }
      if (r.errors > 0) process.exitCode = 1;
    }

    // Key Vault over HTTPS, against a bare node:https server in the same run.
    const helloTls = await startHello(tls);
    children.push(helloTls.child);
    const baseTls = await measure(helloTls, { path: '/' });
    console.log(row('baseline: node:https hello world', baseTls));
    await stop(helloTls.child);
    const kv = await keyVaultSetup(join(dir, 'https'), tls);
    children.push(kv.target.child);
    const kvr = await measure(kv.target, kv.req);
    console.log(row('key vault getSecret (HTTPS, SP token)', kvr, baseTls));
    if (kvr.errors > 0) process.exitCode = 1;
    await stop(kv.target.child);

    // Durable writes: Coffer against its storage engine doing one fsync'd transaction per insert.
    console.log(`\nDurable writes (${connections} connections, ${connections} KV v2 secrets written in turn, each write a new version; policy token, audit on)`);
    const writeReq = await kvWriteSetup({ target: http.target, token: http.token });
    const w = await measure(http.target, writeReq);
    console.log(row('coffer kv v2 write (SQLite)', w, base));
    await stop(http.target.child);
    const raws = [];
    for (let i = 0; i < rounds; i++) raws.push(await rawEngine('raw-sqlite.mjs', [join(dir, `raw-${i}.db`), seconds]));
    raws.sort((a, b) => a.rps - b.rps);
    const raw = raws[Math.floor(raws.length / 2)];
    console.log(`${'raw better-sqlite3 INSERT, 1 fsync\'d txn each'.padEnd(44)} ${fmtInt(raw.rps).padStart(7)} inserts/s, ${fmtInt(raw.cpuUs)} µs CPU/insert   Coffer ÷ raw: ${(w.rps / raw.rps).toFixed(2)} (Coffer group-commits concurrent writes into one fsync)`);
    // A durable audited write with nothing of Coffer's own work: how far group commit can take it.
    const writeFloor = await startFloor('write', dir);
    children.push(writeFloor.child);
    const fw = await measure(writeFloor, writeReq);
    console.log(`${row('floor: HTTP + sealed row + 2 audit lines', fw, base)}   floor ÷ raw: ${(fw.rps / raw.rps).toFixed(2)}`);
    await stop(writeFloor.child);

    if (await pgReachable(pgUrl)) {
      const pgRaw = await rawEngine('raw-pg.mjs', [pgUrl, seconds, connections]);
      const table = `coffer_bench_${process.pid}`;
      const p = await cofferWithAudit(join(dir, 'pg'), { storage: { postgresql: pgUrl, table } });
      children.push(p.target.child);
      const pgReq = await kvWriteSetup({ target: p.target, token: p.token });
      const pw = await measure(p.target, pgReq);
      console.log(row('coffer kv v2 write (PostgreSQL)', pw, base));
      console.log(`${'raw pg INSERT, 64 connections'.padEnd(44)} ${fmtInt(pgRaw.rps).padStart(7)} inserts/s, ${fmtInt(pgRaw.cpuUs)} µs client CPU/insert   Coffer ÷ raw: ${(pw.rps / pgRaw.rps).toFixed(2)}`);
      await stop(p.target.child);
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      for (const suffix of ['', '_changes', '_nodes']) await admin.query(`DROP TABLE IF EXISTS "${table}${suffix}"`);
      await admin.end();
    } else {
      console.log(`PostgreSQL write comparison skipped: not reachable at ${pgUrl.replace(/:[^:@/]*@/, ':***@')} (set COFFER_TEST_PG_URL)`);
    }
    await stop(hello.child);
  }

  if (!args.has('--skip-scale')) await runScale({ full });
  if (!args.has('--skip-ha') && !args.has('--only-scale')) await runHaBench();
  console.log(`\nbench finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
