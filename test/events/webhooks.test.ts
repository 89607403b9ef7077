/**
 * Change events delivered to webhooks: a receiver on loopback records deliveries and checks
 * their signatures; deliveries happen on the leader's tick (`s.core.tick()`), retries follow the
 * test clock, and a receiver that never answers ends in the dead-letter list.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { signatureValid, startReceiver, type Receiver } from './receiver.js';

const SIGNING_SECRET = 'whsec-7f3a9c1e5b2d4f60a8';

describe('events: webhooks', () => {
  let s: TestServer;
  let rx: Receiver;
  const auditFile = join(mkdtempSync(join(tmpdir(), 'coffer-events-')), 'audit.log');

  before(async () => {
    s = await createTestServer({ storage: 'sqlite' });
    rx = await startReceiver();
    assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: auditFile } } })).status, 204);
    assert.equal((await s.request('POST', '/v1/sys/mounts/keyvault/main', { body: { type: 'keyvault' } })).status, 204);
  });
  after(async () => {
    await rx?.close();
    await s?.close();
  });

  it('creates, reads (without the secret), lists and deletes a subscription', async () => {
    const put = await s.request('PUT', '/v1/sys/events/subscriptions/all', { body: { url: rx.url, secret: SIGNING_SECRET } });
    assert.equal(put.status, 204, put.text);
    const read = await s.request('GET', '/v1/sys/events/subscriptions/all');
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.data.url, rx.url);
    assert.equal(read.body.data.secret_set, true);
    assert.equal(read.text.includes(SIGNING_SECRET), false, 'the secret is never returned');
    const list = await s.request('LIST', '/v1/sys/events/subscriptions');
    assert.deepEqual(list.body.data.keys, ['all']);
    assert.equal((await s.request('DELETE', '/v1/sys/events/subscriptions/all')).status, 204);
    assert.equal((await s.request('GET', '/v1/sys/events/subscriptions/all')).status, 404);
  });

  it('refuses hostile subscription input with a clear 400', async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['ok', { secret: SIGNING_SECRET }, /missing url/],
      ['ok', { url: 'file:///etc/passwd', secret: SIGNING_SECRET }, /scheme must be http or https/],
      ['ok', { url: 'not a url', secret: SIGNING_SECRET }, /absolute http/],
      ['ok', { url: 'http://user:pw@127.0.0.1/', secret: SIGNING_SECRET }, /credentials/],
      ['ok', { url: `http://x/${'a'.repeat(3000)}`, secret: SIGNING_SECRET }, /longer than/],
      ['ok', { url: rx.url }, /missing secret/],
      ['ok', { url: rx.url, secret: 'short' }, /at least|16 to/],
      ['ok', { url: rx.url, secret: SIGNING_SECRET, event_types: ['SecretStolen'] }, /not an event type/],
      ['ok', { url: rx.url, secret: SIGNING_SECRET, max_attempts: 1000 }, /at most/],
      ['ok', { url: rx.url, secret: SIGNING_SECRET, timeout: 0 }, /at least/],
      ['ok', { url: rx.url, secret: SIGNING_SECRET, mounts: ['../sys/'] }, /not a mount path/],
      ['bad%20name', { url: rx.url, secret: SIGNING_SECRET }, /invalid subscription name/],
    ];
    for (const [name, body, message] of cases) {
      const res = await s.request('PUT', `/v1/sys/events/subscriptions/${name}`, { body });
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${res.text}`);
      assert.match(res.body.errors.join(' '), message);
      assert.equal(res.text.includes(SIGNING_SECRET), false);
    }
    assert.equal((await s.request('LIST', '/v1/sys/events/subscriptions')).status, 404, 'nothing was stored');
  });

  it('delivers signed SecretNewVersionCreated events for KV v2 and Key Vault, filtered by mount', async () => {
    rx.received.length = 0;
    rx.mode = 'ok';
    assert.equal((await s.request('PUT', '/v1/sys/events/subscriptions/kv', { body: { url: rx.url, secret: SIGNING_SECRET, mounts: ['secret/'], event_types: 'SecretNewVersionCreated' } })).status, 204);
    assert.equal((await s.request('PUT', '/v1/sys/events/subscriptions/vault', { body: { url: rx.url, secret: SIGNING_SECRET, mounts: ['keyvault/main/'] } })).status, 204);
    assert.equal((await s.request('POST', '/v1/secret/data/app/db', { body: { data: { password: 'kv-value-never-sent' } } })).status, 200);
    const kvSet = await s.request('PUT', '/v1/keyvault/main/secrets/api-key', { body: { value: 'kv-azure-never-sent', attributes: { exp: 1900000000 } } });
    assert.equal(kvSet.status, 200, kvSet.text);
    assert.equal(rx.received.length, 0, 'nothing is sent from the request itself');
    await s.core.tick();
    assert.equal(rx.received.length, 2, JSON.stringify(rx.received.map((r) => r.events)));
    for (const r of rx.received) {
      assert.ok(signatureValid(SIGNING_SECRET, r.body, r.signature), 'signature checks out');
      assert.equal(r.body.includes('never-sent'), false, 'no secret value in an event');
    }
    const events = rx.received.map((r) => r.events[0]).sort((a, b) => a.eventType.localeCompare(b.eventType));
    assert.equal(events[0].eventType, 'Coffer.KV.SecretNewVersionCreated');
    assert.deepEqual(events[0].data, { Id: 'secret/data/app/db?version=1', VaultName: 'secret/', ObjectType: 'Secret', ObjectName: 'app/db', Version: '1', NBF: null, EXP: null });
    assert.equal(events[1].eventType, 'Microsoft.KeyVault.SecretNewVersionCreated');
    assert.equal(events[1].subject, 'api-key');
    assert.equal(events[1].data.VaultName, 'main');
    assert.equal(events[1].data.ObjectName, 'api-key');
    assert.equal(events[1].data.Version, kvSet.body.data.version);
    assert.equal(events[1].data.EXP, 1900000000);
    assert.equal(events[1].dataVersion, '1');
    // A forged signature (wrong secret) would not verify.
    assert.equal(signatureValid('another-secret-of-16+', rx.received[0]!.body, rx.received[0]!.signature), false);
    await s.core.tick();
    assert.equal(rx.received.length, 2, 'each delivery is made once');
    await s.request('DELETE', '/v1/sys/events/subscriptions/kv');
    await s.request('DELETE', '/v1/sys/events/subscriptions/vault');
  });

  it('retries a failing receiver with backoff until it recovers', async () => {
    rx.received.length = 0;
    rx.mode = 'fail';
    await s.request('PUT', '/v1/sys/events/subscriptions/flaky', { body: { url: rx.url, secret: SIGNING_SECRET, max_attempts: 5 } });
    await s.request('POST', '/v1/secret/data/flaky', { body: { data: { a: '1' } } });
    await s.core.tick();
    assert.equal(rx.received.length, 1, 'first attempt');
    await s.core.tick();
    assert.equal(rx.received.length, 1, 'no retry before the backoff');
    s.clock.advance(10_000);
    await s.core.tick();
    assert.equal(rx.received.length, 2, 'second attempt after 10 s');
    rx.mode = 'ok';
    s.clock.advance(10_000);
    await s.core.tick();
    assert.equal(rx.received.length, 2, 'third attempt waits 20 s');
    s.clock.advance(10_000);
    await s.core.tick();
    assert.equal(rx.received.length, 3, 'third attempt');
    s.clock.advance(3_600_000);
    await s.core.tick();
    assert.equal(rx.received.length, 3, 'delivered: no more attempts');
    assert.equal(new Set(rx.received.map((r) => r.events[0].id)).size, 1, 'the same event each time');
    const dead = await s.request('GET', '/v1/sys/events/dead-letters');
    assert.deepEqual(dead.body.data.dead_letters, []);
    await s.request('DELETE', '/v1/sys/events/subscriptions/flaky');
  });

  it('a receiver that never answers: bounded attempts, dead letter, requests unaffected', async () => {
    rx.received.length = 0;
    rx.mode = 'hang';
    await s.request('PUT', '/v1/sys/events/subscriptions/dead', { body: { url: rx.url, secret: SIGNING_SECRET, max_attempts: 2, timeout: 1 } });
    await s.request('POST', '/v1/secret/data/hang', { body: { data: { a: '1' } } });
    const started = Date.now();
    const write = await s.request('POST', '/v1/secret/data/hang', { body: { data: { a: '2' } } });
    assert.equal(write.status, 200);
    assert.ok(Date.now() - started < 1000, 'a write does not wait for receivers');
    let t = Date.now();
    await s.core.tick();
    assert.ok(Date.now() - t < 3000, `one tick is bounded by the timeout (took ${Date.now() - t} ms)`);
    s.clock.advance(10_000);
    t = Date.now();
    await s.core.tick();
    assert.ok(Date.now() - t < 3000);
    const dead = await s.request('GET', '/v1/sys/events/dead-letters');
    assert.equal(dead.status, 200);
    const letters = dead.body.data.dead_letters.filter((d: any) => d.subscription === 'dead');
    assert.equal(letters.length, 2, dead.text);
    for (const d of letters) {
      assert.equal(d.attempts, 2);
      assert.match(d.last_error, /no answer within 1 s/);
      assert.equal(d.event_type, 'Coffer.KV.SecretNewVersionCreated');
    }
    assert.equal(dead.text.includes(SIGNING_SECRET), false);
    s.clock.advance(8 * 86_400_000);
    await s.core.tick();
    const later = await s.request('GET', '/v1/sys/events/dead-letters');
    assert.deepEqual(later.body.data.dead_letters, [], 'dead letters are dropped after a week');
    await s.request('DELETE', '/v1/sys/events/subscriptions/dead');
  });

  it('never writes the subscription secret to the audit log', async () => {
    const text = readFileSync(auditFile, 'utf8');
    assert.ok(text.includes('sys/events/subscriptions'), 'the subscription requests were audited');
    assert.equal(text.includes(SIGNING_SECRET), false);
  });
});
