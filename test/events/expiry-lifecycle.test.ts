/**
 * Issue 11 gaps 7-9: a subscription's own near-expiry window (`near_expiry`), expiry events
 * ending with a deleted secret (every Key Vault version; KV v2 delete, destroy, undelete), and a
 * Key Vault secret restored from a backup getting its expiry events back. Driven by the test
 * clock and the leader's tick.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from './receiver.js';

const SECRET = 'lifecycle-hook-secret-0123456789';
const DAY = 86_400_000;

describe('events: expiry over a secret\'s life', () => {
  let s: TestServer;
  let rx: Receiver;
  let week: Receiver;
  const got = (r: Receiver) => r.received.map((x) => `${x.events[0].eventType.replace(/^.*\./, '')} ${x.events[0].subject}@${x.events[0].data.Version.slice(0, 6)}`);
  const tick = async (days: number) => {
    s.clock.advance(days * DAY);
    await s.core.tick();
  };

  before(async () => {
    s = await createTestServer({ storage: 'sqlite' });
    rx = await startReceiver();
    week = await startReceiver();
    assert.equal((await s.request('POST', '/v1/sys/mounts/keyvault/main', { body: { type: 'keyvault' } })).status, 204);
    const types = ['SecretNearExpiry', 'SecretExpired'];
    assert.equal((await s.request('PUT', '/v1/sys/events/subscriptions/month', { body: { url: rx.url, secret: SECRET, event_types: types } })).status, 204);
    const w = await s.request('PUT', '/v1/sys/events/subscriptions/week', { body: { url: week.url, secret: SECRET, event_types: types, near_expiry: '7d' } });
    assert.equal(w.status, 204, w.text);
  });
  after(async () => {
    await rx?.close();
    await week?.close();
    await s?.close();
  });
  beforeEach(async () => {
    await s.core.tick();
    rx.received.length = 0;
    week.received.length = 0;
  });

  it('near_expiry: validated, shown, and a 7-day window delivers SecretNearExpiry 7 days before (the default 30)', async () => {
    for (const bad of ['31d', '10s', 'soon']) {
      const res = await s.request('PUT', '/v1/sys/events/subscriptions/bad', { body: { url: rx.url, secret: SECRET, near_expiry: bad } });
      assert.equal(res.status, 400, `${bad}: ${res.text}`);
      assert.match(res.text, /near_expiry/);
    }
    assert.equal((await s.request('GET', '/v1/sys/events/subscriptions/week')).body.data.near_expiry, 7 * 86400);
    assert.equal((await s.request('GET', '/v1/sys/events/subscriptions/month')).body.data.near_expiry, 30 * 86400);

    const expiresAt = new Date(s.clock.now() + 40 * DAY).toISOString();
    await s.request('POST', '/v1/secret/data/win/cert', { body: { data: { a: '1' } } });
    assert.equal((await s.request('POST', '/v1/secret/metadata/win/cert', { body: { custom_metadata: { expires_at: expiresAt } } })).status, 204);
    await tick(11); // 29 days left
    assert.deepEqual(got(rx), ['SecretNearExpiry win/cert@1']);
    assert.deepEqual(got(week), [], 'the 7-day subscription waits');
    await tick(21); // 8 days left
    assert.deepEqual(got(week), []);
    await tick(1.5); // 6.5 days left
    assert.deepEqual(got(week), ['SecretNearExpiry win/cert@1']);
    await tick(7);
    assert.deepEqual(got(week), ['SecretNearExpiry win/cert@1', 'SecretExpired win/cert@1']);
    assert.equal(rx.received.length, 2);
  });

  it('near_expiry: a delayed SecretNearExpiry is dropped when the expiry moved or the secret was deleted meanwhile', async () => {
    const in40 = new Date(s.clock.now() + 40 * DAY).toISOString();
    for (const name of ['moves', 'goes']) {
      await s.request('POST', `/v1/secret/data/${name}`, { body: { data: { a: '1' } } });
      await s.request('POST', `/v1/secret/metadata/${name}`, { body: { custom_metadata: { expires_at: in40 } } });
    }
    await tick(11); // raised for the 30-day subscription; queued for the 7-day one
    assert.deepEqual(got(rx).sort(), ['SecretNearExpiry goes@1', 'SecretNearExpiry moves@1']);
    await s.request('POST', '/v1/secret/metadata/moves', { body: { custom_metadata: { expires_at: new Date(s.clock.now() + 100 * DAY).toISOString() } } });
    assert.equal((await s.request('DELETE', '/v1/secret/metadata/goes')).status, 204);
    await tick(25);
    assert.deepEqual(got(week), [], 'nothing stale is delivered');
  });

  it('KV v2: deleting or destroying the current version ends the expiry events; undelete brings them back', async () => {
    const in40 = new Date(s.clock.now() + 40 * DAY).toISOString();
    for (const name of ['soft', 'destroyed', 'versions', 'later']) {
      await s.request('POST', `/v1/secret/data/${name}`, { body: { data: { a: '1' } } });
      await s.request('POST', `/v1/secret/data/${name}`, { body: { data: { a: '2' } } });
      if (name !== 'later') await s.request('POST', `/v1/secret/metadata/${name}`, { body: { custom_metadata: { expires_at: in40 } } });
    }
    assert.equal((await s.request('DELETE', '/v1/secret/data/soft')).status, 204);
    assert.equal((await s.request('POST', '/v1/secret/destroy/destroyed', { body: { versions: [2] } })).status, 204);
    // Deleting an older version leaves the secret (and its events) alone.
    assert.equal((await s.request('POST', '/v1/secret/delete/versions', { body: { versions: [1] } })).status, 204);
    // An expiry set on a secret whose current version is deleted raises nothing either.
    assert.equal((await s.request('DELETE', '/v1/secret/data/later')).status, 204);
    assert.equal((await s.request('POST', '/v1/secret/metadata/later', { body: { custom_metadata: { expires_at: in40 } } })).status, 204);
    const mine = () => got(rx).filter((x) => /^\S+ (soft|destroyed|versions|later)@/.test(x));
    await tick(11);
    assert.deepEqual(mine(), ['SecretNearExpiry versions@2']);
    assert.equal((await s.request('POST', '/v1/secret/undelete/soft', { body: { versions: [2] } })).status, 204);
    await s.core.tick();
    assert.deepEqual(mine(), ['SecretNearExpiry versions@2', 'SecretNearExpiry soft@2']);
    await tick(30);
    assert.deepEqual(mine().slice(2).sort(), ['SecretExpired soft@2', 'SecretExpired versions@2']);
  });

  it('Key Vault: deleting a secret ends the expiry events of every version; recover brings them all back', async () => {
    const now = Math.floor(s.clock.now() / 1000);
    const v1 = await s.request('PUT', '/v1/keyvault/main/secrets/multi', { body: { value: 'one', attributes: { exp: now + 50 * 86400 } } });
    const v2 = await s.request('PUT', '/v1/keyvault/main/secrets/multi', { body: { value: 'two', attributes: { exp: now + 60 * 86400 } } });
    assert.equal(v2.status, 200, v2.text);
    assert.equal((await s.request('DELETE', '/v1/keyvault/main/secrets/multi')).status, 200);
    const multi = () => got(rx).filter((x) => x.includes(' multi@'));
    await tick(61);
    assert.deepEqual(multi(), [], 'neither the old nor the latest version fires while deleted');
    assert.equal((await s.request('POST', '/v1/keyvault/main/deletedsecrets/multi/recover')).status, 200);
    await s.core.tick();
    const expect = (kind: string) => [`${kind} multi@${String(v1.body.data.version).slice(0, 6)}`, `${kind} multi@${String(v2.body.data.version).slice(0, 6)}`].sort();
    // Both versions are past their exp: near expiry and expired are both due at once, per version.
    assert.deepEqual(multi().filter((x) => x.startsWith('SecretNearExpiry')).sort(), expect('SecretNearExpiry'));
    await s.core.tick();
    assert.deepEqual(multi().filter((x) => x.startsWith('SecretExpired')).sort(), expect('SecretExpired'));
  });

  it('Key Vault: a secret restored from a backup raises SecretNearExpiry and SecretExpired for its versions', async () => {
    const now = Math.floor(s.clock.now() / 1000);
    const set = await s.request('PUT', '/v1/keyvault/main/secrets/kept', { body: { value: 'v', attributes: { exp: now + 45 * 86400 } } });
    assert.equal(set.status, 200, set.text);
    const backup = await s.request('POST', '/v1/keyvault/main/secrets/kept/backup');
    assert.equal(backup.status, 200, backup.text);
    assert.equal((await s.request('DELETE', '/v1/keyvault/main/secrets/kept')).status, 200);
    assert.equal((await s.request('DELETE', '/v1/keyvault/main/deletedsecrets/kept')).status, 204);
    const restored = await s.request('POST', '/v1/keyvault/main/restore', { body: { value: backup.body.data.value } });
    assert.equal(restored.status, 200, restored.text);
    await tick(16);
    const version = String(set.body.data.version).slice(0, 6);
    const kept = () => got(rx).filter((x) => x.includes(' kept@'));
    assert.deepEqual(kept(), [`SecretNearExpiry kept@${version}`]);
    await tick(30);
    assert.deepEqual(kept(), [`SecretNearExpiry kept@${version}`, `SecretExpired kept@${version}`]);
  });
});
