/**
 * SecretNearExpiry (30 days before) and SecretExpired, for Key Vault versions with `exp` and KV v2
 * secrets with custom metadata `expires_at`, raised by the leader's tick on the test clock.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { signatureValid, startReceiver, type Receiver } from './receiver.js';

const SECRET = 'expiry-hook-secret-0123456789';
const DAY = 86_400_000;

describe('events: expiry', () => {
  let s: TestServer;
  let rx: Receiver;
  const types = () => rx.received.map((r) => `${r.events[0].eventType} ${r.events[0].subject}`);

  before(async () => {
    s = await createTestServer({ storage: 'sqlite' });
    rx = await startReceiver();
    assert.equal((await s.request('POST', '/v1/sys/mounts/keyvault/main', { body: { type: 'keyvault' } })).status, 204);
    const sub = await s.request('PUT', '/v1/sys/events/subscriptions/expiry', { body: { url: rx.url, secret: SECRET, event_types: ['SecretNearExpiry', 'Microsoft.KeyVault.SecretExpired'] } });
    assert.equal(sub.status, 204, sub.text);
  });
  after(async () => {
    await rx?.close();
    await s?.close();
  });
  beforeEach(async () => {
    await s.core.tick();
    rx.received.length = 0;
  });

  it('KV v2: expires_at in custom metadata raises NearExpiry 30 days before and Expired at the time', async () => {
    const expiresAt = new Date(s.clock.now() + 40 * DAY).toISOString();
    await s.request('POST', '/v1/secret/data/tls/cert', { body: { data: { pem: 'x' } } });
    const meta = await s.request('POST', '/v1/secret/metadata/tls/cert', { body: { custom_metadata: { expires_at: expiresAt, owner: 'ops' } } });
    assert.equal(meta.status, 204, meta.text);
    await s.core.tick();
    assert.deepEqual(types(), [], 'nothing 40 days ahead');
    s.clock.advance(10 * DAY - 1000);
    await s.core.tick();
    assert.deepEqual(types(), [], 'not yet 30 days before');
    s.clock.advance(2000);
    await s.core.tick();
    assert.deepEqual(types(), ['Coffer.KV.SecretNearExpiry tls/cert']);
    const near = rx.received[0]!;
    assert.ok(signatureValid(SECRET, near.body, near.signature));
    assert.equal(near.events[0].data.EXP, Math.floor(Date.parse(expiresAt) / 1000));
    assert.equal(near.events[0].data.VaultName, 'secret/');
    await s.core.tick();
    assert.equal(rx.received.length, 1, 'raised once');
    s.clock.advance(30 * DAY);
    await s.core.tick();
    assert.deepEqual(types(), ['Coffer.KV.SecretNearExpiry tls/cert', 'Coffer.KV.SecretExpired tls/cert']);
    s.clock.advance(60 * DAY);
    await s.core.tick();
    assert.equal(rx.received.length, 2, 'nothing after Expired');
  });

  it('KV v2: moving or removing expires_at moves or cancels the events; a bad date gets a warning', async () => {
    await s.request('POST', '/v1/secret/data/moved', { body: { data: { a: '1' } } });
    await s.request('POST', '/v1/secret/metadata/moved', { body: { custom_metadata: { expires_at: new Date(s.clock.now() + 31 * DAY).toISOString() } } });
    await s.request('PATCH', '/v1/secret/metadata/moved', { body: { custom_metadata: { expires_at: new Date(s.clock.now() + 90 * DAY).toISOString() } }, headers: { 'content-type': 'application/merge-patch+json' } });
    await s.request('POST', '/v1/secret/data/cleared', { body: { data: { a: '1' } } });
    await s.request('POST', '/v1/secret/metadata/cleared', { body: { custom_metadata: { expires_at: new Date(s.clock.now() + 31 * DAY).toISOString() } } });
    await s.request('POST', '/v1/secret/metadata/cleared', { body: { custom_metadata: { owner: 'nobody' } } });
    await s.request('POST', '/v1/secret/data/gone', { body: { data: { a: '1' } } });
    await s.request('POST', '/v1/secret/metadata/gone', { body: { custom_metadata: { expires_at: new Date(s.clock.now() + 31 * DAY).toISOString() } } });
    assert.equal((await s.request('DELETE', '/v1/secret/metadata/gone')).status, 204);
    s.clock.advance(2 * DAY);
    await s.core.tick();
    assert.deepEqual(types(), [], 'old dates do not fire');
    s.clock.advance(59 * DAY);
    await s.core.tick();
    assert.deepEqual(types(), ['Coffer.KV.SecretNearExpiry moved']);
    const bad = await s.request('POST', '/v1/secret/metadata/badtime', { body: { custom_metadata: { expires_at: 'next tuesday' } } });
    assert.equal(bad.status, 200, bad.text);
    assert.match(bad.body.warnings.join(' '), /expires_at is not an RFC 3339 time/);
    s.clock.advance(40 * DAY);
    await s.core.tick();
  });

  it('Key Vault: a version with exp within 30 days is near expiry at once; Expired at exp; per version', async () => {
    const exp = Math.floor(s.clock.now() / 1000) + 5 * 86400;
    const set = await s.request('PUT', '/v1/keyvault/main/secrets/db-password', { body: { value: 'never-in-events', attributes: { exp } } });
    assert.equal(set.status, 200, set.text);
    await s.core.tick();
    assert.deepEqual(types(), ['Microsoft.KeyVault.SecretNearExpiry db-password']);
    assert.equal(rx.received[0]!.events[0].data.Version, set.body.data.version);
    assert.equal(rx.received[0]!.events[0].data.EXP, exp);
    // Extending exp by PATCH moves the Expired event.
    const later = exp + 10 * 86400;
    const patched = await s.request('PATCH', `/v1/keyvault/main/secrets/db-password/${set.body.data.version}`, { body: { attributes: { exp: later } }, headers: { 'content-type': 'application/merge-patch+json' } });
    assert.equal(patched.status, 200, patched.text);
    s.clock.advance(6 * DAY);
    await s.core.tick();
    assert.deepEqual(types(), ['Microsoft.KeyVault.SecretNearExpiry db-password', 'Microsoft.KeyVault.SecretNearExpiry db-password'], 'near again for the new date, not expired at the old one');
    s.clock.advance(10 * DAY);
    await s.core.tick();
    assert.equal(types().at(-1), 'Microsoft.KeyVault.SecretExpired db-password');
    assert.equal(rx.received.some((r) => r.body.includes('never-in-events')), false);
  });

  it('Key Vault: a deleted secret raises no expiry events; a recovered one does again', async () => {
    const exp = Math.floor(s.clock.now() / 1000) + 60 * 86400;
    await s.request('PUT', '/v1/keyvault/main/secrets/short-lived', { body: { value: 'v', attributes: { exp } } });
    assert.equal((await s.request('DELETE', '/v1/keyvault/main/secrets/short-lived')).status, 200);
    s.clock.advance(31 * DAY);
    await s.core.tick();
    assert.deepEqual(types(), []);
    // Recovered: its watch is back (near expiry is already due).
    assert.equal((await s.request('POST', '/v1/keyvault/main/deletedsecrets/short-lived/recover')).status, 200);
    await s.core.tick();
    assert.deepEqual(types(), ['Microsoft.KeyVault.SecretNearExpiry short-lived']);
    s.clock.advance(30 * DAY);
    await s.core.tick();
    assert.deepEqual(types(), ['Microsoft.KeyVault.SecretNearExpiry short-lived', 'Microsoft.KeyVault.SecretExpired short-lived']);
  });

  it('?expiring_within on KV metadata and Key Vault listings', async () => {
    const now = s.clock.now();
    await s.request('POST', '/v1/secret/data/soon/a', { body: { data: { a: '1' } } });
    await s.request('POST', '/v1/secret/metadata/soon/a', { body: { custom_metadata: { expires_at: new Date(now + 3 * DAY).toISOString() } } });
    await s.request('POST', '/v1/secret/data/soon/b', { body: { data: { a: '1' } } });
    await s.request('POST', '/v1/secret/metadata/soon/b', { body: { custom_metadata: { expires_at: new Date(now + 20 * DAY).toISOString() } } });
    await s.request('POST', '/v1/secret/data/soon/c', { body: { data: { a: '1' } } });
    await s.request('POST', '/v1/secret/data/soon/d/e', { body: { data: { a: '1' } } });
    const all = await s.request('LIST', '/v1/secret/metadata/soon/');
    assert.deepEqual(all.body.data.keys, ['a', 'b', 'c', 'd/']);
    const week = await s.request('LIST', '/v1/secret/metadata/soon/?expiring_within=7d');
    assert.equal(week.status, 200, week.text);
    assert.deepEqual(week.body.data.keys, ['a']);
    assert.deepEqual((await s.request('LIST', '/v1/secret/metadata/soon/?expiring_within=30d')).body.data.keys, ['a', 'b']);
    assert.equal((await s.request('LIST', '/v1/secret/metadata/soon/?expiring_within=1h')).status, 404);
    const bad = await s.request('LIST', '/v1/secret/metadata/soon/?expiring_within=soon');
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors.join(' '), /expiring_within/);

    const secs = Math.floor(now / 1000);
    await s.request('PUT', '/v1/keyvault/main/secrets/kv-soon', { body: { value: 'v', attributes: { exp: secs + 2 * 86400 } } });
    await s.request('PUT', '/v1/keyvault/main/secrets/kv-later', { body: { value: 'v', attributes: { exp: secs + 60 * 86400 } } });
    await s.request('PUT', '/v1/keyvault/main/secrets/kv-never', { body: { value: 'v' } });
    const names = (res: { body: any }) => res.body.data.items.map((i: any) => i.name).filter((n: string) => n.startsWith('kv-')).sort();
    assert.deepEqual(names(await s.request('LIST', '/v1/keyvault/main/secrets/')), ['kv-later', 'kv-never', 'kv-soon']);
    const soon = await s.request('LIST', '/v1/keyvault/main/secrets/?expiring_within=7d');
    assert.equal(soon.status, 200, soon.text);
    assert.deepEqual(names(soon), ['kv-soon']);
  });
});
