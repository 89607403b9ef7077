/**
 * The Key Vault keys engine over the Azure front (raw HTTPS, root token), on a controllable clock:
 * what the SDK tests do not reach — retention purge and automatic rotation driven by core's tick,
 * purge protection, the validity window with nbf, and hostile or malformed input getting a clear
 * 4xx in Key Vault's error shape (never a 500, never echoing a value).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { startTlsServer, type Answer, type TlsServer } from './fixtures/harness.js';

const DAY_MS = 86_400_000;

describe('Key Vault keys engine', () => {
  let s: TlsServer;
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  const call = (vault: string, method: string, path: string, body?: unknown): Promise<Answer> =>
    s.raw(method, `${path}${path.includes('?') ? '&' : '?'}api-version=7.6`, {
      host: `${vault}.vault.localhost:${s.port}`,
      headers: { authorization: `Bearer ${s.rootToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  const expectError = (res: Answer, status: number, code: string, message?: RegExp) => {
    assert.equal(res.status, status, res.text);
    assert.equal(res.body.error.code, code, res.text);
    if (message) assert.match(res.body.error.message, message);
  };

  before(async () => {
    s = await startTlsServer({ clock });
    assert.equal((await s.api('POST', 'sys/mounts/keyvault/kv-a', { type: 'keyvault', options: { soft_delete_retention_days: '7' } })).status, 204);
    assert.equal((await s.api('POST', 'sys/mounts/keyvault/kv-p', { type: 'keyvault', options: { purge_protection: 'true' } })).status, 204);
  });
  after(async () => {
    await s?.close();
  });

  it('a deleted key is purged by tidy when its retention ends, not before; a secret of the same name is untouched', async () => {
    assert.equal((await call('kv-a', 'POST', '/keys/same/create', { kty: 'EC' })).status, 200);
    assert.equal((await call('kv-a', 'PUT', '/secrets/same', { value: 'v' })).status, 200);
    const del = await call('kv-a', 'DELETE', '/keys/same');
    assert.equal(del.body.scheduledPurgeDate - del.body.deletedDate, 7 * 86400);
    expectError(await call('kv-a', 'POST', '/keys/same/create', { kty: 'EC' }), 409, 'Conflict', /Key same is currently in a deleted but recoverable state/);
    clock.advance(6 * DAY_MS);
    await s.core.tick();
    assert.equal((await call('kv-a', 'GET', '/deletedkeys/same')).status, 200, 'still recoverable on day 6');
    clock.advance(DAY_MS + 1000);
    await s.core.tick();
    expectError(await call('kv-a', 'GET', '/deletedkeys/same'), 404, 'KeyNotFound');
    assert.equal((await call('kv-a', 'GET', '/secrets/same')).body.value, 'v');
    assert.equal((await call('kv-a', 'POST', '/keys/same/create', { kty: 'EC' })).status, 200, 'the name is free again');
  });

  it('purge protection refuses purging a key; the rotation policy rotates a key in tidy with the policy expiry', async () => {
    assert.equal((await call('kv-p', 'POST', '/keys/pp/create', { kty: 'RSA' })).status, 200);
    assert.equal((await call('kv-p', 'DELETE', '/keys/pp')).status, 200);
    expectError(await call('kv-p', 'DELETE', '/deletedkeys/pp'), 403, 'Forbidden', /purge protection is enabled/);

    const first = await call('kv-a', 'POST', '/keys/auto/create', { kty: 'RSA', key_ops: ['sign', 'verify'], tags: { app: 'x' } });
    const policy = { lifetimeActions: [{ trigger: { timeAfterCreate: 'P10D' }, action: { type: 'Rotate' } }], attributes: { expiryTime: 'P30D' } };
    assert.equal((await call('kv-a', 'PUT', '/keys/auto/rotationpolicy', policy)).status, 200);
    clock.advance(9 * DAY_MS);
    await s.core.tick();
    assert.equal((await call('kv-a', 'GET', '/keys/auto')).body.key.kid, first.body.key.kid, 'not due yet');
    clock.advance(DAY_MS + 1000);
    await s.core.tick();
    const latest = await call('kv-a', 'GET', '/keys/auto');
    assert.notEqual(latest.body.key.kid, first.body.key.kid, 'rotated by tidy');
    assert.deepEqual(latest.body.key.key_ops, ['sign', 'verify']);
    assert.deepEqual(latest.body.tags, { app: 'x' });
    assert.equal(latest.body.attributes.exp - latest.body.attributes.created, 30 * 86400, 'the new version expires after expiryTime');
    const versions = await call('kv-a', 'GET', '/keys/auto/versions');
    assert.equal(versions.body.value.length, 2);
    // The next rotation is scheduled from the new version; a policy without Rotate stops them.
    clock.advance(10 * DAY_MS + 1000);
    await s.core.tick();
    assert.equal((await call('kv-a', 'GET', '/keys/auto/versions')).body.value.length, 3);
    const notifyOnly = { lifetimeActions: [{ trigger: { timeBeforeExpiry: 'P5D' }, action: { type: 'Notify' } }], attributes: { expiryTime: 'P30D' } };
    assert.equal((await call('kv-a', 'PUT', '/keys/auto/rotationpolicy', notifyOnly)).status, 200);
    clock.advance(40 * DAY_MS);
    await s.core.tick();
    assert.equal((await call('kv-a', 'GET', '/keys/auto/versions')).body.value.length, 3);
  });

  it('nbf in the future: sign refused (KeyNotYetValid), verify allowed; a listing pages with nextLink', async () => {
    const now = Math.floor(clock.now() / 1000);
    const k = await call('kv-a', 'POST', '/keys/later/create', { kty: 'EC', crv: 'P-256', attributes: { nbf: now + 3600 } });
    assert.equal(k.status, 200, k.text);
    const digest = Buffer.alloc(32, 7).toString('base64url');
    expectError(await call('kv-a', 'POST', '/keys/later//sign', { alg: 'ES256', value: digest }), 403, 'Forbidden', /not yet valid/);
    const verify = await call('kv-a', 'POST', '/keys/later//verify', { alg: 'ES256', digest, value: Buffer.alloc(64, 1).toString('base64url') });
    assert.deepEqual(verify.body, { value: false });
    for (let i = 0; i < 3; i++) assert.equal((await call('kv-a', 'POST', `/keys/page-${i}/create`, { kty: 'EC' })).status, 200);
    const page = await call('kv-a', 'GET', '/keys?maxresults=2');
    assert.equal(page.body.value.length, 2);
    assert.match(page.body.nextLink, /^https:\/\/kv-a\.vault\.localhost:\d+\/keys\?api-version=7\.6&\$skiptoken=[\w-]+&maxresults=2$/);
    const next = await s.raw('GET', new URL(page.body.nextLink).pathname + new URL(page.body.nextLink).search, {
      host: `kv-a.vault.localhost:${s.port}`, headers: { authorization: `Bearer ${s.rootToken}` },
    });
    assert.equal(next.status, 200, next.text);
    assert.ok(next.body.value.length >= 1);
  });

  it('bad input gets a 400 BadParameter that says how to fix it, never a 500', async () => {
    await call('kv-a', 'POST', '/keys/rsa/create', { kty: 'RSA' });
    await call('kv-a', 'POST', '/keys/ec/create', { kty: 'EC' });
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/keys/x/create', {}, /kty is required/],
      ['POST', '/keys/x/create', { kty: 'oct' }, /Managed HSM/],
      ['POST', '/keys/x/create', { kty: 'RSA', key_size: 1024 }, /2048, 3072 or 4096/],
      ['POST', '/keys/x/create', { kty: 'RSA', public_exponent: 3 }, /65537/],
      ['POST', '/keys/x/create', { kty: 'EC', crv: 'P-256K' }, /P-256K is not supported/],
      ['POST', '/keys/x/create', { kty: 'EC', key_ops: ['encrypt'] }, /not possible with a EC key/],
      ['POST', '/keys/x/create', { kty: 'RSA', key_ops: ['fly'] }, /Invalid key operation/],
      ['POST', '/keys/x/create', { kty: 'RSA', attributes: { exp: 'soon' } }, /unix seconds/],
      ['PUT', '/keys/x', { key: { kty: 'RSA', n: 'AQAB', e: 'AQAB' } }, /private/],
      ['PUT', '/keys/x', {}, /Property key is required/],
      ['POST', '/keys/rsa//encrypt', { alg: 'RSA-OAEP' }, /value is required/],
      ['POST', '/keys/rsa//encrypt', { alg: 'A256GCM', value: 'AA' }, /RSA-OAEP, RSA-OAEP-256 or RSA1_5/],
      ['POST', '/keys/rsa//encrypt', { alg: 'RSA-OAEP', value: 'not base64!' }, /base64url/],
      ['POST', '/keys/rsa//encrypt', { alg: 'RSA-OAEP', value: Buffer.alloc(4096).toString('base64url') }, /./],
      ['POST', '/keys/rsa//decrypt', { alg: 'RSA-OAEP', value: Buffer.alloc(256, 9).toString('base64url') }, /./],
      ['POST', '/keys/ec//encrypt', { alg: 'RSA-OAEP', value: 'AA' }, /needs an RSA key/],
      ['POST', '/keys/rsa//sign', { alg: 'ES256', value: Buffer.alloc(32).toString('base64url') }, /needs an EC key/],
      ['POST', '/keys/rsa//sign', { alg: 'RS256', value: Buffer.alloc(20).toString('base64url') }, /32 bytes/],
      ['POST', '/keys/rsa//sign', { alg: 'HS256', value: 'AA' }, /RS256/],
      ['POST', '/keys/rsa//verify', { alg: 'RS256', value: 'AA' }, /digest is required/],
      ['POST', '/rng', { count: 129 }, /1 to 128/],
      ['POST', '/rng', { count: 'many' }, /1 to 128/],
      ['POST', '/keys/restore', { value: 'AAAA' }, /Backup blob is invalid/],
      ['PUT', '/keys/rsa/rotationpolicy', { lifetimeActions: [{ trigger: { timeAfterCreate: 'P1D' }, action: { type: 'Rotate' } }] }, /at least 7 day/],
      ['PUT', '/keys/rsa/rotationpolicy', { lifetimeActions: [{ trigger: { timeBeforeExpiry: 'P1D' }, action: { type: 'Rotate' } }] }, /expiryTime/],
      ['PUT', '/keys/rsa/rotationpolicy', { lifetimeActions: [{ trigger: {}, action: { type: 'Explode' } }] }, /Rotate or Notify/],
      ['PATCH', '/keys/rsa/', { key_ops: 'sign' }, /array/],
      ['GET', '/keys/rsa/versions?maxresults=0', undefined, /maxresults/],
    ];
    for (const [method, path, body, message] of cases) {
      const res = await call('kv-a', method, path, body);
      expectError(res, 400, 'BadParameter', message);
      assert.equal(res.text.includes('not base64!') && !/base64url/.test(res.text), false);
    }
    expectError(await call('kv-a', 'GET', '/keys/nokey'), 404, 'KeyNotFound', /A key with \(name\/id\) nokey was not found/);
    expectError(await call('kv-a', 'GET', '/keys/rsa/0123456789abcdef0123456789abcdef'), 404, 'KeyNotFound');
    expectError(await call('kv-a', 'POST', '/keys/nokey//sign', { alg: 'RS256', value: 'AA' }), 404, 'KeyNotFound');
    expectError(await call('kv-a', 'POST', '/keys/bad_name/create', { kty: 'RSA' }), 400, 'BadParameter');
    expectError(await call('kv-a', 'DELETE', '/keys'), 405, 'MethodNotAllowed');
    // A secret backup is not a key backup, nor the reverse.
    await call('kv-a', 'PUT', '/secrets/sb', { value: 'x' });
    const secretBackup = await call('kv-a', 'POST', '/secrets/sb/backup');
    expectError(await call('kv-a', 'POST', '/keys/restore', { value: secretBackup.body.value }), 400, 'BadParameter', /Backup blob is invalid/);
    const keyBackup = await call('kv-a', 'POST', '/keys/rsa/backup');
    expectError(await call('kv-a', 'POST', '/secrets/restore', { value: keyBackup.body.value }), 400, 'BadParameter');
    expectError(await call('kv-a', 'POST', '/keys/restore', { value: keyBackup.body.value }), 409, 'Conflict', /already exists/);
  });
});
