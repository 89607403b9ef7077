/**
 * The Key Vault KEYS API with the real `@azure/keyvault-keys` 4.10 (KeyClient, CryptographyClient)
 * and `@azure/identity` (DefaultAzureCredential for a service principal), over TLS, each run in a
 * child process (fixtures/keys-sdk-client.ts). Covers every key-management operation, remote
 * cryptography (a principal without `get`, so the SDK cannot fall back to local crypto), Key
 * Vault's answers for a disabled or expired key and for an operation outside key_ops, refusals
 * naming the missing key permission, interop with node:crypto, and key material staying out of
 * the audit log.
 */
import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, publicEncrypt, constants, randomBytes, verify, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runSdk, spEnv, startTlsServer, type SdkResult, type TlsServer } from './fixtures/harness.js';

describe('Key Vault keys with the real @azure/keyvault-keys (TLS, DefaultAzureCredential)', () => {
  let s: TlsServer;
  const dir = mkdtempSync(join(tmpdir(), 'coffer-keys-sdk-'));
  const auditFile = join(dir, 'audit.log');
  const sdk = (env: Record<string, string>, ops: Array<Record<string, unknown>>) =>
    runSdk({ credential: 'dac', vault: s.vaultUrl('keys1'), ops }, env, { caFile: s.caFile, client: 'keys-sdk-client.ts' });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const results = (r: SdkResult): any[] => {
    assert.ok(r.ok, `SDK run failed: ${JSON.stringify(r.error)}\n${r.stderr.slice(0, 2000)}`);
    return r.result;
  };
  /** A Key Vault call with the root token (test setup). */
  const kv = async (method: string, path: string, body?: unknown) => {
    const res = await s.raw(method, `${path}?api-version=7.6`, {
      host: `keys1.vault.localhost:${s.port}`,
      headers: { authorization: `Bearer ${s.rootToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    assert.ok(res.status < 300, `${method} ${path}: ${res.text}`);
    return res.body;
  };
  const principal = async (name: string, query: string) => {
    const tpl = await s.api('GET', `keyvault/keys1/access-policy-template?${query}`);
    assert.equal(tpl.status, 200, tpl.text);
    assert.equal((await s.api('PUT', `sys/policy/${name}`, { policy: tpl.body.data.policy })).status, 204);
    const sp = await s.api('POST', 'auth/azure/sp/create', { display_name: name, policies: [name] });
    assert.equal(sp.status, 200, sp.text);
    const d = sp.body.data as { appId: string; objectId: string; password: string };
    return { ...d, env: spEnv(s, d.appId, d.password) };
  };
  let officer: Awaited<ReturnType<typeof principal>>;
  let cryptoOnly: Awaited<ReturnType<typeof principal>>;

  before(async () => {
    s = await startTlsServer();
    assert.equal((await s.api('POST', 'sys/mounts/keyvault/keys1', { type: 'keyvault' })).status, 204);
    assert.equal((await s.api('PUT', 'sys/audit/file', { type: 'file', options: { file_path: auditFile } })).status, 204);
    officer = await principal('keys-officer', 'role=Key%20Vault%20Crypto%20Officer');
    // No `get`: the SDK cannot download the key and must use the server for every operation.
    cryptoOnly = await principal('keys-crypto', 'key_permissions=encrypt,decrypt,wrapKey,unwrapKey,sign,verify');
  });
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('KeyClient: create, import, get, list with paging, versions, rotate, rotation policy, random, backup, delete/recover/purge, restore', async () => {
    const local = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = local.privateKey.export({ format: 'jwk' }) as Record<string, string>;
    const r = results(await sdk(officer.env, [
      { op: 'createRsa', name: 'k-rsa', size: 3072, tags: { env: 'dev' } }, // 0
      { op: 'rotate', name: 'k-rsa' },
      { op: 'createEc', name: 'k-ec', curve: 'P-384' },
      { op: 'createRsa', name: 'k-hsm', hsm: true },
      { op: 'import', name: 'k-imp', jwk },
      { op: 'get', name: 'k-rsa' }, // 5
      { op: 'list', pageSize: 2 },
      { op: 'versions', name: 'k-rsa' },
      { op: 'setPolicy', name: 'k-rsa', policy: { lifetimeActions: [{ action: 'Rotate', timeAfterCreate: 'P90D' }], expiresIn: 'P1Y' } },
      { op: 'getPolicy', name: 'k-rsa' },
      { op: 'random', count: 32 }, // 10
      { op: 'backup', name: 'k-rsa' },
      { op: 'delete', name: 'k-rsa' },
      { op: 'getDeleted', name: 'k-rsa' },
      { op: 'listDeleted' },
      { op: 'get', name: 'k-rsa' }, // 15
      { op: 'recover', name: 'k-rsa' },
      { op: 'get', name: 'k-rsa' },
      { op: 'delete', name: 'k-rsa' },
      { op: 'purge', name: 'k-rsa' },
      { op: 'getDeleted', name: 'k-rsa' }, // 20
      { op: 'restore', backupFrom: 11 },
      { op: 'versions', name: 'k-rsa' },
      { op: 'createEc', name: 'k-bad', curve: 'P-256K' },
      { op: 'update', name: 'k-ec', enabled: false, tags: { t: '1' }, keyOps: ['verify'] },
      { op: 'get', name: 'k-rsa', version: 'ffffffffffffffffffffffffffffffff' }, // 25
    ]));
    const vaultUrl = s.vaultUrl('keys1');
    const created = r[0].ok;
    assert.match(created.version, /^[0-9a-f]{32}$/);
    assert.equal(created.id, `${vaultUrl}/keys/k-rsa/${created.version}`);
    assert.equal(created.kty, 'RSA');
    assert.deepEqual(created.keyOps, ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey']);
    assert.equal(Buffer.from(created.n, 'base64url').length, 384, 'a 3072-bit modulus');
    assert.equal(created.e, 'AQAB');
    assert.equal(created.d, undefined, 'never the private key');
    assert.deepEqual(created.tags, { env: 'dev' });
    assert.ok(Math.abs(Date.parse(created.createdOn) - Date.now()) < 120_000, 'dates are unix seconds');
    const rotated = r[1].ok;
    assert.notEqual(rotated.version, created.version);
    assert.deepEqual(rotated.tags, { env: 'dev' }, 'a rotated version keeps the tags and key_ops');
    assert.deepEqual({ kty: r[2].ok.kty, crv: r[2].ok.crv, keyOps: r[2].ok.keyOps }, { kty: 'EC', crv: 'P-384', keyOps: ['sign', 'verify'] });
    assert.equal(Buffer.from(r[2].ok.x, 'base64url').length, 48);
    assert.equal(r[3].ok.kty, 'RSA', 'RSA-HSM is served as a software RSA key (documented)');
    assert.equal(r[4].ok.n, jwk.n, 'the imported public key is the one sent');
    assert.equal(r[4].ok.d, undefined);
    assert.equal(r[5].ok.version, rotated.version, 'get answers the latest version');
    assert.deepEqual(r[6].ok, { names: ['k-ec', 'k-hsm', 'k-imp', 'k-rsa'], pages: 2 });
    assert.deepEqual(r[7].ok.map((v: { version: string }) => v.version).sort(), [created.version, rotated.version].sort());
    assert.deepEqual(r[8].ok.lifetimeActions, [{ action: 'Rotate', timeAfterCreate: 'P90D' }]);
    assert.equal(r[8].ok.expiresIn, 'P1Y');
    assert.equal(r[9].ok.id, `${vaultUrl}/keys/k-rsa/rotationpolicy`);
    assert.deepEqual(r[9].ok.lifetimeActions, [{ action: 'Rotate', timeAfterCreate: 'P90D' }]);
    assert.equal(Buffer.from(r[10].ok, 'base64url').length, 32);
    assert.ok(r[11].ok.length > 100, 'a backup blob');
    assert.equal(r[12].ok.recoveryId, `${vaultUrl}/deletedkeys/k-rsa`);
    assert.ok(r[12].ok.scheduledPurgeDate && r[12].ok.deletedOn);
    assert.equal(r[13].ok.name, 'k-rsa');
    assert.deepEqual(r[14].ok, ['k-rsa']);
    assert.equal(r[15].error.statusCode, 404);
    assert.equal(r[15].error.code, 'KeyNotFound');
    assert.equal(r[16].ok.name, 'k-rsa');
    assert.equal(r[17].ok.version, rotated.version);
    assert.equal(r[19].ok, 'purged');
    assert.equal(r[20].error.statusCode, 404);
    assert.equal(r[21].ok.version, rotated.version, 'restore brings back the latest version');
    assert.equal(r[21].ok.n, rotated.n, 'and the same key material');
    assert.equal(r[22].ok.length, 2, 'with all its versions');
    assert.equal(r[23].error.statusCode, 400);
    assert.equal(r[23].error.code, 'BadParameter');
    assert.match(r[23].error.message, /P-256K is not supported/);
    assert.deepEqual({ enabled: r[24].ok.enabled, tags: r[24].ok.tags, keyOps: r[24].ok.keyOps }, { enabled: false, tags: { t: '1' }, keyOps: ['verify'] });
    assert.equal(r[25].error.code, 'KeyNotFound');
  });

  it('CryptographyClient, remote: encrypt/decrypt, wrap/unwrap, sign/verify; interop with node:crypto both ways', async () => {
    const created = await kv('POST', '/keys/c-rsa/create', { kty: 'RSA', key_size: 2048 });
    const pub = createPublicKey({ key: { kty: 'RSA', n: created.key.n, e: created.key.e } as JsonWebKey, format: 'jwk' });
    const id = `${s.vaultUrl('keys1')}/keys/c-rsa`;
    const secret = Buffer.from('interop plaintext 7f3a');
    const oaep1 = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, secret).toString('base64url');
    const oaep256 = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret).toString('base64url');
    const dataKey = randomBytes(32).toString('base64url');
    const message = Buffer.from('message to sign');
    const digest256 = createHash('sha256').update(message).digest().toString('base64url');
    const digest384 = createHash('sha384').update(message).digest().toString('base64url');
    const r = results(await sdk(cryptoOnly.env, [
      { op: 'decrypt', id, alg: 'RSA-OAEP', ciphertext: oaep1 }, // 0
      { op: 'decrypt', id, alg: 'RSA-OAEP-256', ciphertext: oaep256 },
      { op: 'encrypt', id, alg: 'RSA-OAEP-256', plaintext: secret.toString('base64url') },
      { op: 'wrap', id, alg: 'RSA-OAEP-256', key: dataKey },
      { op: 'sign', id, alg: 'PS256', digest: digest256 },
      { op: 'sign', id, alg: 'RS384', digest: digest384 }, // 5
      { op: 'signData', id, alg: 'RS256', data: message.toString('base64url') },
      { op: 'verify', id, alg: 'PS256', digest: digest256, signature: Buffer.alloc(256, 1).toString('base64url') },
      { op: 'encrypt', id, alg: 'RSA1_5', plaintext: secret.toString('base64url') },
      { op: 'get', name: 'c-rsa' },
    ]));
    assert.equal(Buffer.from(r[0].ok.result, 'base64url').toString(), secret.toString(), 'RSA-OAEP made locally decrypts on the server');
    assert.equal(Buffer.from(r[1].ok.result, 'base64url').toString(), secret.toString(), 'RSA-OAEP-256 made locally decrypts on the server');
    // On the wire the result names the version used (the SDK reports the id it was given).
    const wire = await kv('POST', '/keys/c-rsa//decrypt', { alg: 'RSA-OAEP', value: oaep1 });
    assert.deepEqual(wire, { kid: created.key.kid, value: secret.toString('base64url') });
    const pss = Buffer.from(r[4].ok.result, 'base64url');
    assert.ok(verify('sha256', message, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, pss), 'PS256 verifies locally');
    assert.ok(verify('sha384', message, { key: pub, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(r[5].ok.result, 'base64url')), 'RS384 verifies locally');
    assert.ok(verify('sha256', message, { key: pub, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(r[6].ok.result, 'base64url')), 'RS256 signData verifies locally');
    assert.deepEqual(r[7], { ok: false }, 'a wrong signature does not verify');
    assert.equal(r[9].error.statusCode, 403, 'this principal has no get');
    assert.match(r[9].error.message, new RegExp(`'appid=${cryptoOnly.appId};oid=${cryptoOnly.objectId};iss=[^']+' does not have keys get permission on key vault 'keys1;location=coffer'`));

    // Second run: the server's own ciphertexts and signatures round-trip.
    const r2 = results(await sdk(cryptoOnly.env, [
      { op: 'decrypt', id, alg: 'RSA-OAEP-256', ciphertext: r[2].ok.result },
      { op: 'unwrap', id, alg: 'RSA-OAEP-256', wrapped: r[3].ok.result },
      { op: 'verify', id, alg: 'PS256', digest: digest256, signature: r[4].ok.result },
      { op: 'verifyData', id, alg: 'RS256', data: message.toString('base64url'), signature: r[6].ok.result },
      { op: 'decrypt', id, alg: 'RSA1_5', ciphertext: r[8].ok.result },
    ]));
    assert.equal(Buffer.from(r2[0].ok.result, 'base64url').toString(), secret.toString());
    assert.equal(r2[1].ok.result, dataKey, 'the wrapped key unwraps to the same bytes');
    assert.deepEqual([r2[2].ok, r2[3].ok], [true, true]);
    // keys-core refuses PKCS#1 v1.5 decryption (a padding oracle; Node 20 disables it): a clear 400, not a 500.
    assert.equal(r2[4].error.statusCode, 400, JSON.stringify(r2[4]));
    assert.equal(r2[4].error.code, 'BadParameter');
  });

  it('CryptographyClient, remote: ES256/ES384/ES512 signatures of a digest verify with node:crypto, and on the server', async () => {
    const message = Buffer.from('ecdsa interop');
    const curves = [['P-256', 'ES256', 'sha256'], ['P-384', 'ES384', 'sha384'], ['P-521', 'ES512', 'sha512']] as const;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const keys: any[] = [];
    for (const [crv] of curves) keys.push(await kv('POST', `/keys/ec-${crv.slice(2)}/create`, { kty: 'EC', crv }));
    const id = (crv: string) => `${s.vaultUrl('keys1')}/keys/ec-${crv.slice(2)}`;
    const ops = curves.flatMap(([crv, alg, hash]) => [
      { op: 'sign', id: id(crv), alg, digest: createHash(hash).update(message).digest().toString('base64url') },
      { op: 'signData', id: id(crv), alg, data: message.toString('base64url') },
    ]);
    const r = results(await sdk(cryptoOnly.env, [...ops, { op: 'sign', id: id('P-256'), alg: 'ES384', digest: createHash('sha384').update(message).digest().toString('base64url') }]));
    const verifyOps: Array<Record<string, unknown>> = [];
    for (const [i, [crv, alg, hash]] of curves.entries()) {
      const pub = createPublicKey({ key: { kty: 'EC', crv, x: keys[i].key.x, y: keys[i].key.y } as JsonWebKey, format: 'jwk' });
      for (const res of [r[2 * i], r[2 * i + 1]]) {
        assert.ok(res.ok, JSON.stringify(res));
        assert.ok(verify(hash, message, { key: pub, dsaEncoding: 'ieee-p1363' }, Buffer.from(res.ok.result, 'base64url')), `${alg} verifies locally`);
      }
      verifyOps.push({ op: 'verify', id: id(crv), alg, digest: createHash(hash).update(message).digest().toString('base64url'), signature: r[2 * i].ok.result });
    }
    assert.equal(r[6].error.statusCode, 400, 'ES384 needs a P-384 key');
    assert.equal(r[6].error.code, 'BadParameter');
    const v = results(await sdk(cryptoOnly.env, verifyOps));
    assert.deepEqual(v, [{ ok: true }, { ok: true }, { ok: true }]);
  });

  it('a disabled key still encrypts, wraps and verifies but refuses decrypt, unwrap and sign (403 KeyDisabled); expired and key_ops refusals', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    const off = await kv('POST', '/keys/c-off/create', { kty: 'RSA' });
    const exp = await kv('POST', '/keys/c-exp/create', { kty: 'RSA', attributes: { exp: nowS - 60 } });
    await kv('POST', '/keys/c-ops/create', { kty: 'RSA', key_ops: ['encrypt', 'verify'] });
    const offPub = createPublicKey({ key: { kty: 'RSA', n: off.key.n, e: off.key.e } as JsonWebKey, format: 'jwk' });
    const expPub = createPublicKey({ key: { kty: 'RSA', n: exp.key.n, e: exp.key.e } as JsonWebKey, format: 'jwk' });
    const offCt = publicEncrypt({ key: offPub, oaepHash: 'sha256' }, Buffer.from('x')).toString('base64url');
    const expCt = publicEncrypt({ key: expPub, oaepHash: 'sha256' }, Buffer.from('still readable')).toString('base64url');
    // Sign before disabling, to verify afterwards.
    const digest = createHash('sha256').update('m').digest().toString('base64url');
    const before = results(await sdk(cryptoOnly.env, [{ op: 'sign', id: `${s.vaultUrl('keys1')}/keys/c-off`, alg: 'RS256', digest }]));
    await kv('PATCH', '/keys/c-off/', { attributes: { enabled: false } });
    const k = (n: string) => `${s.vaultUrl('keys1')}/keys/${n}`;
    const r = results(await sdk(cryptoOnly.env, [
      { op: 'encrypt', id: k('c-off'), alg: 'RSA-OAEP-256', plaintext: 'eA' }, // 0
      { op: 'wrap', id: k('c-off'), alg: 'RSA-OAEP', key: 'eA' },
      { op: 'verify', id: k('c-off'), alg: 'RS256', digest, signature: before[0].ok.result },
      { op: 'decrypt', id: k('c-off'), alg: 'RSA-OAEP-256', ciphertext: offCt },
      { op: 'unwrap', id: k('c-off'), alg: 'RSA-OAEP-256', wrapped: offCt },
      { op: 'sign', id: k('c-off'), alg: 'RS256', digest }, // 5
      { op: 'encrypt', id: k('c-exp'), alg: 'RSA-OAEP-256', plaintext: 'eA' },
      { op: 'sign', id: k('c-exp'), alg: 'RS256', digest },
      { op: 'decrypt', id: k('c-exp'), alg: 'RSA-OAEP-256', ciphertext: expCt },
      { op: 'decrypt', id: k('c-ops'), alg: 'RSA-OAEP-256', ciphertext: offCt },
      { op: 'encrypt', id: k('c-ops'), alg: 'RSA-OAEP-256', plaintext: 'eA' }, // 10
    ]));
    assert.ok(r[0].ok && r[1].ok, 'encrypt and wrap work on a disabled key');
    assert.equal(r[2].ok, true, 'verify works on a disabled key');
    for (const [i, op] of [[3, 'decrypt'], [4, 'unwrapKey'], [5, 'sign']] as const) {
      assert.equal(r[i].error.statusCode, 403, `${op}: ${JSON.stringify(r[i])}`);
      assert.equal(r[i].error.code, 'Forbidden');
      assert.equal(r[i].error.message, `Operation ${op} is not allowed on a disabled key.`);
    }
    assert.equal(r[6].error.statusCode, 403);
    assert.equal(r[6].error.message, 'Operation encrypt is not allowed on an expired key.');
    assert.equal(r[7].error.statusCode, 403);
    assert.equal(Buffer.from(r[8].ok.result, 'base64url').toString(), 'still readable', 'an expired key still decrypts');
    assert.equal(r[9].error.statusCode, 403);
    assert.equal(r[9].error.code, 'Forbidden');
    assert.match(r[9].error.message, /^Operation decrypt is not permitted on this key\./);
    assert.ok(r[10].ok, 'an operation in key_ops works');
  });

  it('a principal without the permission is refused with 403 naming the key permission; secrets roles grant no key access', async () => {
    const reader = await principal('keys-reader', 'key_permissions=get,list');
    const secretsOfficer = await principal('secrets-officer', 'role=Key%20Vault%20Secrets%20Officer');
    await kv('POST', '/keys/r-rsa/create', { kty: 'RSA' });
    const digest = createHash('sha256').update('m').digest().toString('base64url');
    const id = `${s.vaultUrl('keys1')}/keys/r-rsa`;
    const r = results(await sdk(reader.env, [
      { op: 'get', name: 'r-rsa' },
      { op: 'createRsa', name: 'r-new' },
      { op: 'delete', name: 'r-rsa' },
      { op: 'sign', id, alg: 'RS256', digest },
    ]));
    assert.equal(r[0].ok.name, 'r-rsa');
    const who = `'appid=${reader.appId};oid=${reader.objectId};iss=${s.authority}/adfs'`;
    assert.equal(r[1].error.statusCode, 403);
    assert.equal(r[1].error.message, `The user, group or application ${who} does not have keys create permission on key vault 'keys1;location=coffer'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`);
    assert.match(r[2].error.message, /does not have keys delete permission/);
    assert.equal(r[3].error.statusCode, 403);
    assert.match(r[3].error.message, /does not have keys sign permission/);
    const r2 = results(await sdk(secretsOfficer.env, [{ op: 'get', name: 'r-rsa' }]));
    assert.equal(r2[0].error.statusCode, 403);
    assert.match(r2[0].error.message, /does not have keys get permission/);
  });

  it('key material, plaintexts and wrapped keys never appear in the audit log', async () => {
    const local = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = local.privateKey.export({ format: 'jwk' }) as Record<string, string>;
    const plain = Buffer.from('audit-canary-plaintext-91c2').toString('base64url');
    const r = results(await sdk(officer.env, [
      { op: 'import', name: 'a-imp', jwk },
      { op: 'encrypt', id: `${s.vaultUrl('keys1')}/keys/a-imp`, alg: 'RSA-OAEP', plaintext: plain },
    ]));
    assert.ok(r[0].ok && r[1].ok, JSON.stringify(r));
    const ct = publicEncrypt({ key: local.publicKey, oaepHash: 'sha1' }, Buffer.from('audit-canary-plaintext-91c2')).toString('base64url');
    const r2 = results(await sdk(cryptoOnly.env, [{ op: 'decrypt', id: `${s.vaultUrl('keys1')}/keys/a-imp`, alg: 'RSA-OAEP', ciphertext: ct }]));
    assert.equal(r2[0].ok.result, plain);
    const text = readFileSync(auditFile, 'utf8');
    assert.ok(text.includes('keyvault/keys1/keys/a-imp'), 'the calls are audited');
    for (const [what, value] of Object.entries({ d: jwk.d!, p: jwk.p!, q: jwk.q!, plaintext: plain, plaintextRaw: 'audit-canary-plaintext-91c2' })) {
      assert.equal(text.includes(value), false, `${what} is not in the audit log`);
    }
  });
});
