/**
 * `coffer run --watch` reacts to secret events (the `sys/events/wait` long poll), not to a timer:
 * with `--interval 1h` a new version still restarts the command within seconds. A token that may
 * not wait for events falls back to comparing every interval. The wait itself only names secrets
 * the token may read.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCoffer } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** Appends the hash of TOKEN to LOG at each start; exits 7 when it is TARGET, else waits to be stopped. */
const CHILD = `
  const fs = require('fs');
  const h = require('crypto').createHash('sha256').update(process.env.TOKEN || '').digest('hex');
  fs.appendFileSync(process.env.LOG, h + '\\n');
  if (h === process.env.TARGET) process.exit(7);
  setInterval(() => {}, 1000);
`;

describe('events: coffer run --watch', () => {
  let s: TestServer;
  let dir: string;
  before(async () => {
    s = await createTestServer();
    dir = mkdtempSync(join(tmpdir(), 'coffer-watch-'));
    assert.equal((await s.request('POST', '/v1/sys/mounts/keyvault/watchvault', { body: { type: 'keyvault' } })).status, 204);
  });
  after(async () => {
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function watchUntilRestart(source: string, token: string, write: () => Promise<unknown>, first: string, second: string, interval: string) {
    const log = join(dir, `${source.replace(/\W/g, '_')}.log`);
    const running = runCoffer(['run', '--env-from', source, '--watch', '--interval', interval, '--', process.execPath, '-e', CHILD], {
      env: { COFFER_ADDR: s.url, COFFER_TOKEN: token, LOG: log, TARGET: sha(second) },
    });
    for (let i = 0; i < 400 && !(existsSync(log) && readFileSync(log, 'utf8').length > 0); i++) await new Promise((r) => setTimeout(r, 25));
    // Let the CLI take its first cursor before the write.
    await new Promise((r) => setTimeout(r, 500));
    const started = Date.now();
    await write();
    const res = await running;
    assert.equal(res.code, 7, res.err);
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [sha(first), sha(second)]);
    assert.ok(!res.err.includes(first) && !res.err.includes(second), 'no value printed');
    return { res, ms: Date.now() - started };
  }

  it('KV v2: a new version restarts the command at once, although --interval is an hour', { timeout: 30_000 }, async () => {
    await s.request('PUT', '/v1/secret/data/watched', { body: { data: { TOKEN: 'kv-first-value' } } });
    const { res, ms } = await watchUntilRestart('secret/watched', s.rootToken,
      () => s.request('PUT', '/v1/secret/data/watched', { body: { data: { TOKEN: 'kv-second-value' } } }), 'kv-first-value', 'kv-second-value', '1h');
    assert.match(res.err, /secrets changed; restarting/);
    assert.ok(ms < 10_000, `restarted after ${ms} ms`);
  });

  it('Key Vault: a new version restarts the command', { timeout: 30_000 }, async () => {
    await s.request('PUT', '/v1/keyvault/watchvault/secrets/token', { body: { value: 'vault-first-value' } });
    const { ms } = await watchUntilRestart('keyvault/watchvault', s.rootToken,
      () => s.request('PUT', '/v1/keyvault/watchvault/secrets/token', { body: { value: 'vault-second-value' } }), 'vault-first-value', 'vault-second-value', '1h');
    assert.ok(ms < 10_000, `restarted after ${ms} ms`);
  });

  it('a token without read on sys/events/wait falls back to comparing every --interval', { timeout: 30_000 }, async () => {
    assert.equal((await s.request('PUT', '/v1/sys/policies/acl/app', { body: { policy: 'path "secret/*" { capabilities = ["read"] }' } })).status, 204);
    const token = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['app'] } })).body.auth.client_token as string;
    await s.request('PUT', '/v1/secret/data/limited', { body: { data: { TOKEN: 'limited-first' } } });
    const { res } = await watchUntilRestart('secret/limited', token,
      () => s.request('PUT', '/v1/secret/data/limited', { body: { data: { TOKEN: 'limited-second' } } }), 'limited-first', 'limited-second', '200ms');
    assert.match(res.err, /cannot wait for secret events \(sys\/events\/wait answered 403\); checking every 200ms/);
  });

  it('sys/events/wait: long poll with a cursor, filtered by mount and by what the token may read', { timeout: 30_000 }, async () => {
    assert.equal((await s.request('PUT', '/v1/sys/policies/acl/waiter', { body: { policy: 'path "sys/events/wait" { capabilities = ["read"] }\npath "secret/data/mine/*" { capabilities = ["read"] }' } })).status, 204);
    const token = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['waiter'] } })).body.auth.client_token as string;
    const first = await s.request('GET', '/v1/sys/events/wait', { token });
    assert.equal(first.status, 200, first.text);
    const cursor = first.body.data.cursor as string;
    const t0 = Date.now();
    const idle = await s.request('GET', `/v1/sys/events/wait?after=${cursor}&timeout=1s`, { token });
    assert.deepEqual(idle.body.data.events, []);
    assert.ok(Date.now() - t0 >= 900, 'held until the timeout');
    const waiting = s.request('GET', `/v1/sys/events/wait?after=${cursor}&timeout=10s&mounts=secret/`, { token });
    await new Promise((r) => setTimeout(r, 300));
    await s.request('PUT', '/v1/secret/data/theirs/x', { body: { data: { a: '1' } } });
    await s.request('PUT', '/v1/keyvault/watchvault/secrets/other', { body: { value: 'v' } });
    await s.request('PUT', '/v1/secret/data/mine/y', { body: { data: { a: 'secret-value-zz' } } });
    const got = await waiting;
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.body.data.events.map((e: any) => `${e.eventType} ${e.subject}`), ['Coffer.KV.SecretNewVersionCreated mine/y']);
    assert.notEqual(got.body.data.cursor, cursor);
    assert.equal(got.text.includes('secret-value-zz'), false);
    for (const bad of ['after=bogus', `after=${cursor}&timeout=1h`]) {
      const res = await s.request('GET', `/v1/sys/events/wait?${bad}`, { token });
      assert.equal(res.status, 400, bad);
    }
    assert.equal((await s.request('GET', '/v1/sys/events/wait', { token: (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['app'] } })).body.auth.client_token })).status, 403);
  });

  it('coffer write/read/list/delete sys/events/subscriptions: the secret is never shown', { timeout: 30_000 }, async () => {
    const env = { COFFER_ADDR: s.url, COFFER_TOKEN: s.rootToken };
    const hookSecret = 'cli-hook-secret-4f9a2b7c1d';
    const w = await runCoffer(['write', 'sys/events/subscriptions/cli', 'url=http://127.0.0.1:9/hook', `secret=${hookSecret}`, 'event_types=SecretNearExpiry,SecretExpired', 'mounts=secret/'], { env });
    assert.equal(w.code, 0, w.err);
    const r = await runCoffer(['read', '-format=json', 'sys/events/subscriptions/cli'], { env });
    assert.equal(r.code, 0, r.err);
    const data = JSON.parse(r.out).data;
    assert.deepEqual([data.event_types, data.mounts, data.secret_set], [['SecretNearExpiry', 'SecretExpired'], ['secret/'], true]);
    assert.equal((r.out + r.err + w.out + w.err).includes(hookSecret), false);
    const bad = await runCoffer(['write', 'sys/events/subscriptions/cli2', 'url=ftp://x/', `secret=${hookSecret}`], { env });
    assert.notEqual(bad.code, 0, bad.err);
    assert.match(bad.err, /scheme must be http or https/);
    assert.equal(bad.err.includes(hookSecret), false);
    assert.equal((await runCoffer(['delete', 'sys/events/subscriptions/cli'], { env })).code, 0);
  });
});
