/**
 * `coffer keyvault key ...` and `coffer keyvault set-policy --key-permissions` in-process against
 * a real dev server: the az-style commands over the keys routes, and the az rule for set-policy
 * (each permission type given replaces that type's list; the others are kept).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, verify, constants, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { inProcessCli } from '../helpers/cli-inprocess.js';

let server: TestServer;
let home: string;

before(async () => {
  server = await createTestServer();
  home = mkdtempSync(join(tmpdir(), 'coffer-keys-cli-'));
});
after(async () => {
  await server?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

const { coffer, ok } = inProcessCli(() => server, () => home);

test('key lifecycle: create, show, rotate, list, set-attributes, encrypt/decrypt, sign/verify, delete/recover, backup/purge/restore, random', async () => {
  await ok(['keyvault', 'create', '--name', 'clikeys']);
  const v = ['--vault-name', 'clikeys'];
  const created = await ok(['keyvault', 'key', 'create', ...v, '-n', 'app-key', '--size', '3072', '--tags', 'team=a']);
  assert.equal(created.key.kty, 'RSA');
  assert.match(created.key.kid, /^https:\/\/clikeys\.vault\.localhost:\d+\/keys\/app-key\/[0-9a-f]{32}$/);
  assert.deepEqual(created.tags, { team: 'a' });
  assert.equal(created.key.d, undefined);
  const rotated = await ok(['keyvault', 'key', 'rotate', ...v, '-n', 'app-key']);
  assert.notEqual(rotated.key.kid, created.key.kid);
  const shown = await ok(['keyvault', 'key', 'show', '--id', created.key.kid]);
  assert.equal(shown.key.n, created.key.n, 'show --id of a version');
  assert.deepEqual((await ok(['keyvault', 'key', 'list', ...v])).map((k: { name: string }) => k.name), ['app-key']);
  assert.equal((await ok(['keyvault', 'key', 'list-versions', ...v, '-n', 'app-key'])).length, 2);
  const ec = await ok(['keyvault', 'key', 'create', ...v, '-n', 'ec-key', '--kty', 'EC', '--curve', 'P-521', '--ops', 'sign', 'verify']);
  assert.deepEqual({ crv: ec.key.crv, keyOps: ec.key.keyOps }, { crv: 'P-521', keyOps: ['sign', 'verify'] });

  const enc = await ok(['keyvault', 'key', 'encrypt', ...v, '-n', 'app-key', '--algorithm', 'RSA-OAEP', '--value', 'hello keys', '--data-type', 'plaintext']);
  assert.equal(enc.kid, rotated.key.kid, 'the latest version encrypts');
  const dec = await ok(['keyvault', 'key', 'decrypt', ...v, '-n', 'app-key', '--algorithm', 'RSA-OAEP', '--value', enc.result, '--data-type', 'plaintext']);
  assert.equal(dec.result, 'hello keys');
  const message = Buffer.from('sign me');
  const digest = createHash('sha512').update(message).digest('base64');
  const sig = await ok(['keyvault', 'key', 'sign', ...v, '-n', 'app-key', '-a', 'PS512', '--digest', digest]);
  const pub = createPublicKey({ key: { kty: 'RSA', n: rotated.key.n, e: rotated.key.e } as JsonWebKey, format: 'jwk' });
  assert.ok(verify('sha512', message, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 }, Buffer.from(sig.signature, 'base64')));
  assert.equal((await ok(['keyvault', 'key', 'verify', ...v, '-n', 'app-key', '-a', 'PS512', '--digest', digest, '--signature', sig.signature])).isValid, true);
  const badDigest = createHash('sha512').update('other').digest('base64');
  assert.equal((await ok(['keyvault', 'key', 'verify', ...v, '-n', 'app-key', '-a', 'PS512', '--digest', badDigest, '--signature', sig.signature])).isValid, false);

  const off = await ok(['keyvault', 'key', 'set-attributes', ...v, '-n', 'app-key', '--enabled', 'false']);
  assert.equal(off.attributes.enabled, false);
  const refused = await coffer(['keyvault', 'key', 'decrypt', ...v, '-n', 'app-key', '--algorithm', 'RSA-OAEP', '--value', enc.result]);
  assert.equal(refused.code, 1);
  assert.match(refused.err, /Operation decrypt is not allowed on a disabled key/);
  assert.equal(refused.err.includes('hello keys'), false);
  await ok(['keyvault', 'key', 'set-attributes', ...v, '-n', 'app-key', '--enabled', 'true']);

  const deleted = await ok(['keyvault', 'key', 'delete', ...v, '-n', 'app-key']);
  assert.match(deleted.recoveryId, /\/deletedkeys\/app-key$/);
  assert.deepEqual((await ok(['keyvault', 'key', 'list-deleted', ...v])).map((k: { name: string }) => k.name), ['app-key']);
  assert.ok((await ok(['keyvault', 'key', 'show-deleted', ...v, '-n', 'app-key'])).scheduledPurgeDate);
  await ok(['keyvault', 'key', 'recover', ...v, '-n', 'app-key']);
  const file = join(home, 'app-key.bak');
  await ok(['keyvault', 'key', 'backup', ...v, '-n', 'app-key', '--file', file]);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  await ok(['keyvault', 'key', 'delete', ...v, '-n', 'app-key']);
  await ok(['keyvault', 'key', 'purge', ...v, '-n', 'app-key']);
  const restored = await ok(['keyvault', 'key', 'restore', ...v, '--file', file]);
  assert.equal(restored.key.kid, rotated.key.kid);
  const again = await ok(['keyvault', 'key', 'decrypt', ...v, '-n', 'app-key', '--algorithm', 'RSA-OAEP', '--value', enc.result, '--data-type', 'plaintext']);
  assert.equal(again.result, 'hello keys', 'the restored key decrypts what it encrypted before');

  const policyFile = join(home, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ lifetimeActions: [{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Rotate' } }], attributes: { expiryTime: 'P60D' } }));
  const policy = await ok(['keyvault', 'key', 'rotation-policy', 'update', ...v, '-n', 'app-key', '--value', policyFile]);
  assert.deepEqual(policy.lifetimeActions, [{ trigger: { timeAfterCreate: 'P30D' }, action: { type: 'Rotate' } }]);
  assert.equal((await ok(['keyvault', 'key', 'rotation-policy', 'show', ...v, '-n', 'app-key'])).attributes.expiryTime, 'P60D');
  const random = await ok(['keyvault', 'key', 'random', ...v, '--count', '24']);
  assert.equal(Buffer.from(random.value, 'base64').length, 24);

  const pemKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' });
  const pemFile = join(home, 'ec.pem');
  writeFileSync(pemFile, pemKey, { mode: 0o600 });
  const imported = await ok(['keyvault', 'key', 'import', ...v, '-n', 'imported', '--pem-file', pemFile]);
  assert.deepEqual({ kty: imported.key.kty, crv: imported.key.crv }, { kty: 'EC', crv: 'P-256' });
});

test('set-policy --key-permissions: keys alone are enough; each type given replaces its list, the other type is kept', async () => {
  await ok(['keyvault', 'create', '--name', 'polkeys']);
  await ok(['keyvault', 'key', 'create', '--vault-name', 'polkeys', '-n', 'k1']);
  await ok(['keyvault', 'secret', 'set', '--vault-name', 'polkeys', '-n', 's1', '--value', 'x', '-o', 'none']);
  const sp = await ok(['ad', 'sp', 'create-for-rbac', '-n', 'key-user']);
  const accessOf = async () => (await ok(['keyvault', 'show', '--name', 'polkeys'])).properties.accessPolicies[0].permissions;

  const first = await ok(['keyvault', 'set-policy', '--name', 'polkeys', '--spn', sp.appId, '--key-permissions', 'get', 'sign']);
  assert.deepEqual(first.properties.accessPolicies[0].permissions, { certificates: null, keys: ['get', 'sign'], secrets: null, storage: null });
  await ok(['keyvault', 'set-policy', '--name', 'polkeys', '--spn', sp.appId, '--secret-permissions', 'get']);
  assert.deepEqual(await accessOf(), { certificates: null, keys: ['get', 'sign'], secrets: ['get'], storage: null }, 'keys kept');
  await ok(['keyvault', 'set-policy', '--name', 'polkeys', '--spn', sp.appId, '--key-permissions', 'get,wrapKey']);
  assert.deepEqual(await accessOf(), { certificates: null, keys: ['get', 'wrapKey'], secrets: ['get'], storage: null }, 'secrets kept, keys replaced');

  // What the policy grants, checked through the API with a token holding just it.
  const policies = await server.request('GET', `/v1/auth/azure/principal/${sp.appId}/policies`);
  const name = policies.body.data.policies.find((p: string) => p.startsWith('keyvault-polkeys-'));
  const limited = await server.request('POST', '/v1/auth/token/create', { body: { policies: [name], no_default_policy: true } });
  const t = limited.body.auth.client_token;
  assert.equal((await coffer(['keyvault', 'key', 'show', '--vault-name', 'polkeys', '-n', 'k1'], t)).code, 0);
  assert.equal((await coffer(['keyvault', 'secret', 'show', '--vault-name', 'polkeys', '-n', 's1'], t)).code, 0);
  const signed = await coffer(['keyvault', 'key', 'sign', '--vault-name', 'polkeys', '-n', 'k1', '-a', 'RS256', '--digest', createHash('sha256').update('x').digest('base64')], t);
  assert.equal(signed.code, 1, 'sign was replaced away');
  assert.match(signed.err, /403/);

  const bad = await coffer(['keyvault', 'set-policy', '--name', 'polkeys', '--spn', sp.appId, '--key-permissions', 'explode']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /Unknown key permission "explode"/);
  const none = await coffer(['keyvault', 'set-policy', '--name', 'polkeys', '--spn', sp.appId]);
  assert.equal(none.code, 2);
});
