#!/usr/bin/env node
// Scale: does Coffer's cost stay flat as the data grows? Run by `npm run bench` (10,000 KV v2
// secrets and 10,000 Key Vault secrets in one vault: the same code paths, quickly) and by
// `npm run bench -- --full` (also 1,000,000 KV v2 secrets and 100,000 Key Vault secrets), or alone:
// `node bench/scale.mjs [--full]`.
//
// Per data set, on a real `coffer server` (SQLite, Shamir seal, file audit device on while measuring):
//   startup + unseal  process start until it listens, then the 2 of 3 unseal keys from `sys/init`
//                     until it reports unsealed; server RSS after unseal and after the read load
//   kv read           GET scale/data/f<i>/k<j> of random keys with a policy token (autocannon)
//   kv write          a new version of a random existing secret per request (policy token)
//   kv list           the first folder (up to 100,000 keys) page by page, `limit=1000` + `after`
//   key vault list    the vault's secrets page by page (`maxresults=25` + skiptoken), Vault API
//   capabilities-self 1,000 paths with a token that has 1,000 policies: first call after start
//                     (policies read and compiled) and warm (median of 5)
//   metrics scrape    GET sys/metrics?format=prometheus with 10,000 (quick) / 100,000 (--full)
//                     stored tokens: the first scrape counts them (coffer_tokens), later ones
//                     reuse that count (src/core/metrics/bounded-count.ts)
//
// Data sets are loaded through the API (PUTs from 64 concurrent connections; the audit device is
// off while loading so the data dir stays small) and kept, resumable, in
// $BENCH_DATA_DIR (default ~/.cache/coffer-bench)/scale-<kv>-<akv>/: the SQLite file, the unseal
// keys and root token (init.json, mode 0600: a benchmark's throwaway server) and state.json with
// how many entries are loaded. Rerunning skips what is there; delete the directory to start over.
import autocannon from 'autocannon';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { api, cannon, fmtInt, median, mib, percentile, request, root, rssBytes, startCoffer, stop, waitFor } from './lib.mjs';

const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const baseDir = process.env.BENCH_DATA_DIR || join(homedir(), '.cache', 'coffer-bench');
/** Keys per KV folder: the listed folder holds 100,000 keys in the full set. */
const FOLDER = 100_000;
const POLICIES = 1000;
const LOAD_CHUNK = 20_000;

const { startProgress } = await import(join(root, 'dist/cli/progress.js'));

/** PUTs `total - done` requests through autocannon (64 connections), checkpointing every chunk. */
async function loadThrough(target, token, label, total, done, make, save) {
  if (done >= total) return;
  const progress = startProgress(label, 'entries');
  const started = Date.now();
  const from = done;
  while (done < total) {
    const n = Math.min(LOAD_CHUNK, total - done);
    let next = done;
    let answered = 0;
    const result = await new Promise((resolve, reject) => {
      const inst = autocannon({
        url: target.url,
        connections: 64,
        amount: n,
        timeout: 60,
        requests: [{
          method: 'POST',
          headers: { 'x-vault-token': token, 'content-type': 'application/json' },
          setupRequest: (req) => ({ ...req, ...make(next++) }),
        }],
      }, (err, r) => (err ? reject(err) : resolve(r)));
      inst.on('response', () => progress.update(done + ++answered, total));
    });
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${label}: ${result.non2xx} non-2xx answers and ${result.errors} errors while loading`);
    done += n;
    save(done);
  }
  progress.done();
  const s = (Date.now() - started) / 1000;
  console.log(`  loaded ${fmtInt(total - from)} ${label} in ${s.toFixed(0)} s (${fmtInt((total - from) / s)}/s)`);
}

/** Starts the server on `dataDir` and unseals it with the keys of `init` (2 of 3). */
async function startAndUnseal(runDir, dataDir, init) {
  const target = await startCoffer({ dir: runDir, dataDir, seal: 'shamir' });
  const t0 = performance.now();
  for (const key of init.keys.slice(0, init.threshold)) await api(target, undefined, 'PUT', 'sys/unseal', { key });
  await waitFor(async () => (await api(target, undefined, 'GET', 'sys/seal-status')).sealed === false, 600_000, 'unseal');
  target.unsealMs = performance.now() - t0;
  return target;
}

/** Times each page of a listing; `page(after)` returns `{ next }` (undefined at the end). */
async function pages(page) {
  const times = [];
  let cursor;
  let count = 0;
  for (;;) {
    const t0 = performance.now();
    const r = await page(cursor);
    // An empty page (the 404 after a last full page) is not a page of the listing.
    if (r.count > 0) times.push(performance.now() - t0);
    count += r.count;
    if (r.next === undefined) break;
    cursor = r.next;
  }
  const first = times.slice(0, 3);
  const last = times.slice(-3);
  return { pages: times.length, entries: count, first: percentile(first, 50), last: percentile(last, 50), p50: percentile(times, 50), total: times.reduce((a, b) => a + b, 0) };
}

async function pool(items, width, fn) {
  let i = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (i < items.length) await fn(items[i++]);
  }));
}

/** Loads (if needed) and measures one data set; returns its figures. */
async function scaleOne({ kv, akv, tokens }) {
  const folderSize = Math.min(kv, FOLDER);
  const dataDir = join(baseDir, `scale-${kv}-${akv}`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const runDir = mkdtempSync(join(tmpdir(), 'coffer-bench-scale-'));
  const stateFile = join(dataDir, 'state.json');
  const initFile = join(dataDir, 'init.json');
  const state = { kvLoaded: 0, akvLoaded: 0, tokensLoaded: 0, setup: false, ...(existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : {}) };
  const save = () => writeFileSync(stateFile, JSON.stringify(state));
  console.log(`\nScale: ${fmtInt(kv)} KV v2 secrets, ${fmtInt(akv)} Key Vault secrets in one vault, ${fmtInt(tokens)} tokens (data in ${dataDir})`);
  let target;
  try {
    if (!existsSync(initFile)) {
      rmSync(join(dataDir, 'coffer.db'), { force: true });
      target = await startCoffer({ dir: runDir, dataDir, seal: 'shamir' });
      const init = await api(target, undefined, 'PUT', 'sys/init', { secret_shares: 3, secret_threshold: 2 });
      writeFileSync(initFile, JSON.stringify({ keys: init.keys_base64, threshold: 2, rootToken: init.root_token }), { mode: 0o600 });
      await stop(target.child);
    }
    const init = JSON.parse(readFileSync(initFile, 'utf8'));
    const token = init.rootToken;
    if (!state.setup || state.kvLoaded < kv || state.akvLoaded < akv || state.tokensLoaded < tokens) {
      target = await startAndUnseal(runDir, dataDir, init);
      if (!state.setup) {
        await api(target, token, 'POST', 'sys/mounts/scale', { type: 'kv', options: { version: '2' } });
        await api(target, token, 'POST', 'sys/mounts/keyvault/bigvault', { type: 'keyvault' });
        await api(target, token, 'PUT', 'sys/policies/acl/scale-read', { policy: 'path "scale/data/*" { capabilities = ["read"] }\npath "scale/metadata/*" { capabilities = ["list"] }\npath "keyvault/bigvault/secrets/*" { capabilities = ["read", "list"] }' });
        const names = Array.from({ length: POLICIES }, (_, i) => i);
        await pool(names, 16, (i) => api(target, token, 'PUT', `sys/policies/acl/cap-${String(i).padStart(4, '0')}`, { policy: `path "scale/data/f0/k${i}" { capabilities = ["read"] }` }));
        state.setup = true;
        save();
      }
      // No audit device while loading (1M audited writes would fill the disk with log); on while measuring.
      // (A device left by an interrupted run points at a removed file: disabling it is what a root token may still do.)
      await api(target, token, 'DELETE', 'sys/audit/file', undefined, { allow: [400, 404] });
      await loadThrough(target, token, 'KV v2 secrets', kv, state.kvLoaded, (i) => ({
        path: `/v1/scale/data/f${Math.floor(i / folderSize)}/k${i}`,
        body: `{"data":{"username":"user-${i}","password":"pw-${i}-correct-horse-battery"}}`,
      }), (n) => { state.kvLoaded = n; save(); });
      await loadThrough(target, token, 'Key Vault secrets', akv, state.akvLoaded, (i) => ({
        path: `/v1/keyvault/bigvault/secrets/s${i}`,
        method: 'PUT',
        body: `{"value":"value-${i}-correct-horse-battery"}`,
      }), (n) => { state.akvLoaded = n; save(); });
      // Tokens live 30 days: a data dir older than that loses them to the expiry sweep (delete it and rerun).
      await loadThrough(target, token, 'tokens', tokens, state.tokensLoaded, () => ({
        path: '/v1/auth/token/create',
        body: '{"policies":["default"],"ttl":"720h","no_parent":true}',
      }), (n) => { state.tokensLoaded = n; save(); });
      await stop(target.child);
    }

    // Measured start: process start until listening, then unseal.
    target = await startAndUnseal(runDir, dataDir, init);
    const out = { kv, akv, listeningMs: target.listeningMs, unsealMs: target.unsealMs, rssUnsealed: rssBytes(target.child.pid) };
    await api(target, token, 'DELETE', 'sys/audit/file', undefined, { allow: [400, 404] });
    await api(target, token, 'PUT', 'sys/audit/file', { type: 'file', options: { file_path: join(runDir, 'audit.log') } });
    await api(target, token, 'PUT', 'sys/policies/acl/scale-write', { policy: 'path "scale/data/*" { capabilities = ["create", "update"] }' });
    const reader = (await api(target, token, 'POST', 'auth/token/create', { policies: ['scale-read'], ttl: '1h' })).auth.client_token;

    const req = { path: '/v1/scale/data/{r}', headers: { 'x-vault-token': reader }, random: { max: kv, folderSize } };
    await cannon({ url: target.url, req, connections: 64, seconds: 1 });
    out.read = await median(rounds, () => cannon({ url: target.url, req, connections: 64, seconds, serverPids: target.child.pid }));
    out.rssAfterReads = rssBytes(target.child.pid);
    // Durable writes at this size: a new version of a random existing secret per request.
    const writer = (await api(target, token, 'POST', 'auth/token/create', { policies: ['scale-write'], ttl: '1h' })).auth.client_token;
    const wreq = { path: '/v1/scale/data/{r}', method: 'POST', headers: { 'x-vault-token': writer, 'content-type': 'application/json' }, body: '{"data":{"username":"user","password":"rewritten-{v}"}}', random: { max: kv, folderSize } };
    out.write = await median(rounds, () => cannon({ url: target.url, req: wreq, connections: 64, seconds, serverPids: target.child.pid }));

    out.list = await pages(async (after) => {
      const q = new URLSearchParams({ list: 'true', limit: '1000', ...(after ? { after } : {}) });
      // An empty page is a 404 (Vault's listing convention): the previous page was the last.
      const r = await api(target, reader, 'GET', `scale/metadata/f0/?${q}`, undefined, { allow: [404] });
      const keys = r.data?.keys ?? [];
      return { count: keys.length, next: keys.length === 1000 ? keys[keys.length - 1] : undefined };
    });
    out.akvList = await pages(async (skiptoken) => {
      const q = new URLSearchParams({ list: 'true', maxresults: '25', ...(skiptoken ? { skiptoken } : {}) });
      const r = await api(target, reader, 'GET', `keyvault/bigvault/secrets/?${q}`);
      return { count: r.data.items.length, next: r.data.nextSkipToken };
    });

    const capToken = (await api(target, token, 'POST', 'auth/token/create', { policies: Array.from({ length: POLICIES }, (_, i) => `cap-${String(i).padStart(4, '0')}`), ttl: '1h' })).auth.client_token;
    const capBody = { paths: Array.from({ length: 1000 }, (_, i) => `scale/data/f0/k${i * 7}`) };
    const capTimes = [];
    for (let i = 0; i < 6; i++) {
      const t0 = performance.now();
      const r = await api(target, capToken, 'POST', 'sys/capabilities-self', capBody);
      capTimes.push(performance.now() - t0);
      if (!Array.isArray(r.data?.['scale/data/f0/k7'])) throw new Error('capabilities-self: unexpected answer');
    }
    out.capFirst = capTimes[0];
    out.capWarm = percentile(capTimes.slice(1), 50);
    const scrape = [];
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      const r = await request(target, new URL('/v1/sys/metrics?format=prometheus', target.url), 'GET', { 'x-vault-token': token });
      scrape.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`sys/metrics: ${r.status}`);
      out.tokenGauge = Number(/^coffer_tokens (\d+)/m.exec(r.text)?.[1]);
    }
    // The first scrape counts the tokens; later ones reuse that count on a store of 10,000 or more.
    out.metricsFirstMs = scrape[0];
    out.metricsMs = percentile(scrape.slice(1), 50);
    out.rssEnd = rssBytes(target.child.pid);
    await api(target, token, 'DELETE', 'sys/audit/file'); // its file goes with runDir
    return out;
  } finally {
    if (target) await stop(target.child);
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** Runs the scale part: the 10k set, and with `full` the 1M set too; prints one table. */
export async function runScale({ full = false } = {}) {
  const small = { kv: 10_000, akv: 10_000, tokens: 10_000 };
  const sets = full ? [small, { kv: 1_000_000, akv: 100_000, tokens: 100_000 }] : [small];
  const results = [];
  for (const set of sets) results.push(await scaleOne(set));
  const ms = (v) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
  const lines = [
    ['data set (KV v2 / Key Vault secrets)', (r) => `${fmtInt(r.kv)} / ${fmtInt(r.akv)}`],
    ['startup: process start to listening', (r) => ms(r.listeningMs)],
    ['unseal: 2 keys to unsealed', (r) => ms(r.unsealMs)],
    ['server RSS after unseal', (r) => mib(r.rssUnsealed)],
    ['kv read, random keys: req/s', (r) => fmtInt(r.read.rps)],
    ['kv read: p50 / p99', (r) => `${r.read.p50.toFixed(1)} / ${r.read.p99.toFixed(1)} ms`],
    ['kv read: server CPU/req', (r) => `${fmtInt(r.read.serverCpuUs)} µs`],
    ['server RSS after reads', (r) => mib(r.rssAfterReads)],
    ['kv write (new version, random keys): req/s', (r) => fmtInt(r.write.rps)],
    ['kv write: p50 / p99', (r) => `${r.write.p50.toFixed(1)} / ${r.write.p99.toFixed(1)} ms`],
    ['kv write: server CPU/req', (r) => `${fmtInt(r.write.serverCpuUs)} µs`],
    ['kv list folder f0: pages x 1000 keys', (r) => `${r.list.pages} pages, ${fmtInt(r.list.entries)} keys`],
    ['kv list: first / last / p50 page', (r) => `${ms(r.list.first)} / ${ms(r.list.last)} / ${ms(r.list.p50)}`],
    ['key vault list: pages x 25', (r) => `${r.akvList.pages} pages, ${fmtInt(r.akvList.entries)} secrets`],
    ['key vault list: first / last / p50 page', (r) => `${ms(r.akvList.first)} / ${ms(r.akvList.last)} / ${ms(r.akvList.p50)}`],
    ['capabilities-self 1,000 paths, 1,000 policies: first', (r) => ms(r.capFirst)],
    ['capabilities-self: warm (median of 5)', (r) => ms(r.capWarm)],
    ['sys/metrics scrape, tokens counted / count reused', (r) => `${ms(r.metricsFirstMs)} / ${ms(r.metricsMs)}`],
    ['  (coffer_tokens)', (r) => fmtInt(r.tokenGauge)],
    ['server RSS at the end', (r) => mib(r.rssEnd)],
  ];
  console.log();
  for (const [label, f] of lines) console.log(`${label.padEnd(54)} ${results.map((r) => f(r).padStart(26)).join(' ')}`);
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runScale({ full: process.argv.includes('--full') });
