// Issue 11 gap 1: a snapshot restore streams. A store larger than the 32 MiB body limit saves
// and restores through the CLI and HTTP; the upload may take longer than http_read_timeout (2 s
// here) as long as bytes keep coming, a stalled or truncated upload is refused, and a refused
// upload changes nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runServer, type RunningServer } from '../../src/server/run.js';
import { runCoffer } from '../helpers/cli.js';
import { httpRequest } from '../helpers/server.js';

const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'coffer-snap-big-'));
let server: RunningServer;
let token: string;

before(async () => {
  const config = join(dir, 'coffer.hcl');
  writeFileSync(
    config,
    `storage "sqlite" {\n  path = "${join(dir, 'coffer.db')}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n  http_read_header_timeout = "1s"\n  http_read_timeout = "2s"\n}\n`,
  );
  server = await runServer({ config, quiet: true, logLevel: 'silent' });
  const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys[0] } });
  token = init.body.root_token;
  assert.equal((await httpRequest(server.url, 'POST', '/v1/sys/mounts/secret', { token, body: { type: 'kv-v2' } })).status, 204);
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const put = (path: string, data: Record<string, unknown>) => httpRequest(server.url, 'POST', `/v1/secret/data/${path}`, { token, body: { data } });
const get = (path: string) => httpRequest(server.url, 'GET', `/v1/secret/data/${path}`, { token });

/**
 * POSTs `parts` to sys/storage/snapshot, waiting `gapMs` between two parts; `end: false` never
 * ends the body (a stalled client). Resolves with the answer, or `closed` if the server hung up.
 */
function upload(parts: Buffer[], gapMs: number, end = true): Promise<{ status: number; text: string } | 'closed'> {
  const length = parts.reduce((n, p) => n + p.length, 0);
  return new Promise((resolve) => {
    const req = http.request(
      `${server.url}/v1/sys/storage/snapshot`,
      { method: 'POST', headers: { 'X-Vault-Token': token, 'Content-Type': 'application/octet-stream', ...(end ? { 'Content-Length': length } : {}) } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', () => resolve('closed'));
      },
    );
    req.on('error', () => resolve('closed'));
    let i = 0;
    const next = () => {
      if (i < parts.length) {
        req.write(parts[i++]);
        setTimeout(next, gapMs);
      } else if (end) req.end();
    };
    next();
  });
}

function split(bytes: Buffer, n: number): Buffer[] {
  const size = Math.ceil(bytes.length / n);
  return Array.from({ length: n }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
}

describe('streamed snapshot restore (store > 32 MiB)', { timeout: 180_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'coffer-snap-big-cli-'));
  after(() => rmSync(home, { recursive: true, force: true }));
  const env = () => ({ HOME: home, COFFER_ADDR: server.url, COFFER_TOKEN: token });
  const file = join(home, 'big.snap');

  it('saves a store larger than the body limit with the CLI (no progress noise when stderr is not a terminal)', async () => {
    // 56 incompressible values of ~800 KB each (KV caps one value at 1 MiB).
    for (let i = 0; i < 56; i++) assert.equal((await put(`big/${i}`, { v: randomBytes(600 * 1024).toString('base64') })).status, 200);
    assert.equal((await put('marker', { v: 'in-snapshot' })).status, 200);
    const saved = await runCoffer(['operator', 'snapshot', 'save', file], { env: env() });
    assert.equal(saved.code, 0, saved.err);
    assert.match(saved.out, /Saved a snapshot of \d+ entries/);
    assert.ok(!saved.err.includes('\r') && !saved.err.includes('ETA'), `no progress bar off a terminal: ${JSON.stringify(saved.err)}`);
    assert.ok(statSync(file).size > 32 * MiB, `the snapshot is ${statSync(file).size} bytes`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it('refuses a truncated or stalled upload and changes nothing', async () => {
    const bytes = readFileSync(file);
    assert.equal((await put('marker', { v: 'after-snapshot' })).status, 200);
    const truncated = await upload(split(bytes.subarray(0, bytes.length - 4096), 8), 0);
    assert.notEqual(truncated, 'closed');
    if (truncated !== 'closed') {
      assert.equal(truncated.status, 400, truncated.text);
      assert.match(truncated.text, /nothing was changed: the snapshot is truncated/);
    }
    // Half the file, then silence: cut off after the idle timeout (the read timeout, 2 s).
    const started = Date.now();
    const stalled = await upload([bytes.subarray(0, bytes.length / 2)], 0, false);
    assert.ok(Date.now() - started < 15_000, 'a stalled upload is cut off, not held');
    if (stalled !== 'closed') assert.equal(stalled.status, 400, stalled.text);
    assert.equal((await get('marker')).body.data.data.v, 'after-snapshot');
    assert.equal((await get('big/0')).status, 200);
  });

  it('restores over HTTP an upload that takes longer than http_read_timeout while bytes keep coming', async () => {
    const bytes = readFileSync(file);
    assert.equal((await put('marker', { v: 'after-snapshot' })).status, 200);
    assert.equal((await put('only-after', { v: 'x' })).status, 200);
    const started = Date.now();
    const res = await upload(split(bytes, 16), 250); // ~4 s in all, < 2 s between two chunks
    assert.notEqual(res, 'closed');
    if (res !== 'closed') assert.equal(res.status, 204, res.text);
    assert.ok(Date.now() - started > 2_000, 'the upload outlasted http_read_timeout');
    assert.equal((await get('marker')).body.data.data.v, 'in-snapshot');
    assert.equal((await get('only-after')).status, 404);
    assert.equal((await get('big/39')).status, 200);
    // Ordinary requests still get the 32 MiB limit.
    const tooBig = await httpRequest(server.url, 'POST', '/v1/secret/data/huge', { token, body: { data: { v: 'x'.repeat(33 * MiB) } } });
    assert.equal(tooBig.status, 413);
  });

  it('restores the same file with the CLI', async () => {
    assert.equal((await put('marker', { v: 'changed-again' })).status, 200);
    const restored = await runCoffer(['operator', 'snapshot', 'restore', file], { env: env() });
    assert.equal(restored.code, 0, restored.err);
    assert.match(restored.out, /Restored \d+ entries/);
    assert.ok(!restored.err.includes('\r'), 'no progress bar off a terminal');
    assert.equal((await get('marker')).body.data.data.v, 'in-snapshot');
  });
});
