/**
 * The transit engine over real HTTP with the node-vault client (generic read/write): keys and
 * their life cycle, encrypt/decrypt/rewrap (single and batch_input), data keys, signatures that
 * node:crypto verifies on the public key read from the API, HMACs, random, hash, export,
 * backup/restore, a policy token, auto-rotation, and no key material or plaintext in the audit
 * log or in storage outside the barrier.
 */
import assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodeVault from 'node-vault';
import { runCoffer } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let vault: nodeVault.client;
const auditDir = mkdtempSync(join(tmpdir(), 'coffer-transit-audit-'));
const auditFile = join(auditDir, 'audit.log');

const b64 = (text: string) => Buffer.from(text).toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64').toString('utf8');

/** node-vault's rejection: status and Vault's error list. */
async function fails(p: Promise<unknown>, status: number, pattern?: RegExp): Promise<any> {
  try {
    await p;
  } catch (err: any) {
    assert.equal(err.response?.statusCode, status, JSON.stringify(err.response?.body));
    if (pattern) assert.match(JSON.stringify(err.response.body.errors), pattern);
    return err.response.body;
  }
  assert.fail('the request succeeded');
}

before(async () => {
  s = await createTestServer({ storage: 'sqlite', rootTokenId: 'root' });
  vault = nodeVault({ apiVersion: 'v1', endpoint: s.url, token: 'root' });
  assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: auditFile } } })).status, 204);
  await vault.mount({ mount_point: 'transit', type: 'transit' });
});

after(async () => {
  await s.close();
  rmSync(auditDir, { recursive: true, force: true });
});

describe('transit keys', () => {
  it('creates keys of every type and reads them in Vault’s forms', async () => {
    const aes = await vault.write('transit/keys/aes', { type: 'aes256-gcm96' });
    assert.equal(aes.data.type, 'aes256-gcm96');
    assert.equal(typeof aes.data.keys['1'], 'number');
    assert.deepEqual(
      [aes.data.latest_version, aes.data.min_decryption_version, aes.data.min_encryption_version, aes.data.supports_encryption, aes.data.supports_signing, aes.data.deletion_allowed, aes.data.exportable],
      [1, 1, 0, true, false, false, false],
    );
    for (const type of ['aes128-gcm96', 'chacha20-poly1305', 'ecdsa-p384', 'ecdsa-p521', 'rsa-3072', 'hmac']) {
      const res = await vault.write(`transit/keys/k-${type}`, { type });
      assert.equal(res.data.type, type);
    }
    const ec = (await vault.write('transit/keys/ec', { type: 'ecdsa-p256' })).data;
    assert.equal(ec.keys['1'].name, 'P-256');
    assert.match(ec.keys['1'].public_key, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(ec.supports_signing, true);
    const ed = (await vault.write('transit/keys/ed', { type: 'ed25519' })).data;
    assert.equal(Buffer.from(ed.keys['1'].public_key, 'base64').length, 32);
    const rsa = (await vault.write('transit/keys/rsa', { type: 'rsa-2048' })).data;
    assert.match(rsa.keys['1'].public_key, /^-----BEGIN PUBLIC KEY-----/);
    assert.equal(createPublicKey(rsa.keys['1'].public_key).asymmetricKeyDetails?.modulusLength, 2048);

    const listed = await vault.list('transit/keys');
    assert.ok(['aes', 'ec', 'ed', 'rsa', 'k-hmac'].every((k) => listed.data.keys.includes(k)));
    await fails(vault.read('transit/keys/missing'), 404);
    await fails(vault.write('transit/keys/bad', { type: 'aes512' }), 400, /unknown key type aes512/);
    await fails(vault.write('transit/keys/bad', { type: 'aes256-gcm96', convergent_encryption: true }), 400, /convergent encryption requires derivation/);
    const typo = await vault.write('transit/keys/typo', { type: 'aes256-gcm96', exportabel: true });
    assert.deepEqual(typo.warnings, ['Endpoint ignored these unrecognized parameters: [exportabel]']);
    const again = await vault.write('transit/keys/aes', { type: 'rsa-2048' });
    assert.equal(again.data.type, 'aes256-gcm96', 'creating an existing key changes nothing');
    assert.deepEqual(again.warnings, ['key aes already existed']);
  });

  it('rotates, enforces min_decryption_version with Vault’s message, rewraps, trims and deletes only when allowed', async () => {
    await vault.write('transit/keys/life', {});
    const v1 = (await vault.write('transit/encrypt/life', { plaintext: b64('old data') })).data.ciphertext;
    assert.match(v1, /^vault:v1:/);
    const rotated = await vault.write('transit/keys/life/rotate', {});
    assert.equal(rotated.data.latest_version, 2);
    const v2 = (await vault.write('transit/encrypt/life', { plaintext: b64('new data') })).data;
    assert.match(v2.ciphertext, /^vault:v2:/);
    assert.equal(v2.key_version, 2);
    assert.equal(unb64((await vault.write('transit/decrypt/life', { ciphertext: v1 })).data.plaintext), 'old data');
    const rewrapped = (await vault.write('transit/rewrap/life', { ciphertext: v1 })).data;
    assert.match(rewrapped.ciphertext, /^vault:v2:/);
    assert.equal(unb64((await vault.write('transit/decrypt/life', { ciphertext: rewrapped.ciphertext })).data.plaintext), 'old data');

    await fails(vault.write('transit/keys/life/config', { min_decryption_version: 3 }), 400, /cannot set min decryption version of 3, latest key version is 2/);
    const cfg = await vault.write('transit/keys/life/config', { min_decryption_version: 2 });
    assert.equal(cfg.data.min_decryption_version, 2);
    await fails(vault.write('transit/decrypt/life', { ciphertext: v1 }), 400, /^\["ciphertext or signature version is disallowed by policy \(too old\)"\]$/);
    await fails(vault.write('transit/rewrap/life', { ciphertext: v1 }), 400, /disallowed by policy \(too old\)/);
    await fails(vault.write('transit/decrypt/life', { ciphertext: 'vault:v9:AAAA' }), 400, /invalid ciphertext: version is too new/);
    await fails(vault.write('transit/decrypt/life', { ciphertext: 'nope' }), 400, /invalid ciphertext: no prefix/);
    await fails(vault.write('transit/encrypt/life', { plaintext: 'not base64!' }), 400, /illegal base64 data at input byte/);

    await vault.write('transit/keys/life/trim', { min_available_version: 2 });
    const read = (await vault.read('transit/keys/life')).data;
    assert.deepEqual(Object.keys(read.keys), ['2']);
    assert.equal(read.min_available_version, 2);

    await fails(vault.delete('transit/keys/life'), 400, /deletion is not allowed for this policy/);
    await vault.write('transit/keys/life/config', { deletion_allowed: true });
    await vault.delete('transit/keys/life');
    await fails(vault.read('transit/keys/life'), 404);
  });

  it('rotates automatically once auto_rotate_period has passed', async () => {
    await fails(vault.write('transit/keys/auto', { auto_rotate_period: '10m' }), 400, /at least an hour/);
    await vault.write('transit/keys/auto', { auto_rotate_period: '1h' });
    s.clock.advance(59 * 60 * 1000);
    assert.equal((await vault.read('transit/keys/auto')).data.latest_version, 1);
    s.clock.advance(60 * 1000);
    const read = (await vault.read('transit/keys/auto')).data;
    assert.equal(read.latest_version, 2);
    assert.equal(read.auto_rotate_period, 3600);
    assert.match((await vault.write('transit/encrypt/auto', { plaintext: b64('x') })).data.ciphertext, /^vault:v2:/);
  });
});

describe('encryption', () => {
  it('creates an aes256-gcm96 key on first encrypt; batch_input with references and per-item errors', async () => {
    const first = (await vault.write('transit/encrypt/upsert', { plaintext: b64('hello') })).data;
    assert.match(first.ciphertext, /^vault:v1:/);
    assert.equal((await vault.read('transit/keys/upsert')).data.type, 'aes256-gcm96');

    const batch = await vault.write('transit/encrypt/upsert', { batch_input: [{ plaintext: b64('a'), reference: 'r1' }, { plaintext: b64('b'), reference: 'r2' }] });
    assert.equal(batch.data.batch_results.length, 2);
    assert.equal(batch.data.batch_results[0].reference, 'r1');
    const dec = await vault.write('transit/decrypt/upsert', { batch_input: batch.data.batch_results.map((r: any) => ({ ciphertext: r.ciphertext, reference: r.reference })) });
    assert.deepEqual(dec.data.batch_results.map((r: any) => [unb64(r.plaintext), r.reference]), [['a', 'r1'], ['b', 'r2']]);

    const mixed = [{ ciphertext: batch.data.batch_results[0].ciphertext, reference: 'good' }, { ciphertext: 'vault:v1:!!!', reference: 'bad' }];
    const body = await fails(vault.write('transit/decrypt/upsert', { batch_input: mixed }), 400);
    assert.equal(unb64(body.data.batch_results[0].plaintext), 'a');
    assert.deepEqual([body.data.batch_results[1].reference, body.data.batch_results[1].error], ['bad', 'invalid ciphertext: could not decode base64']);
    const partial = await s.request('POST', '/v1/transit/decrypt/upsert', { body: { batch_input: mixed, partial_failure_response_code: 200 } });
    assert.equal(partial.status, 200);
    assert.equal(partial.body.data.batch_results[1].error, 'invalid ciphertext: could not decode base64');
    await fails(vault.write('transit/decrypt/upsert', { batch_input: [] }), 400, /missing batch input to process/);
  });

  it('derived keys need their context; convergent ones give the same ciphertext; associated data is authenticated', async () => {
    await vault.write('transit/keys/derived', { derived: true, convergent_encryption: true });
    const ctx = b64('user-42');
    const a = (await vault.write('transit/encrypt/derived', { plaintext: b64('ssn'), context: ctx })).data.ciphertext;
    const b = (await vault.write('transit/encrypt/derived', { plaintext: b64('ssn'), context: ctx })).data.ciphertext;
    assert.equal(a, b);
    assert.notEqual((await vault.write('transit/encrypt/derived', { plaintext: b64('ssn'), context: b64('user-43') })).data.ciphertext, a);
    await fails(vault.write('transit/encrypt/derived', { plaintext: b64('ssn') }), 400, /missing 'context' for key derivation/);
    await fails(vault.write('transit/decrypt/derived', { ciphertext: a, context: b64('user-43') }), 400, /message authentication failed/);
    assert.equal(unb64((await vault.write('transit/decrypt/derived', { ciphertext: a, context: ctx })).data.plaintext), 'ssn');
    const read = (await vault.read('transit/keys/derived')).data;
    assert.deepEqual([read.derived, read.kdf, read.convergent_encryption], [true, 'hkdf_sha256', true]);

    await vault.write('transit/keys/chacha', { type: 'chacha20-poly1305' });
    const ct = (await vault.write('transit/encrypt/chacha', { plaintext: b64('x'), associated_data: b64('row-1') })).data.ciphertext;
    await fails(vault.write('transit/decrypt/chacha', { ciphertext: ct, associated_data: b64('row-2') }), 400, /message authentication failed/);
    assert.equal(unb64((await vault.write('transit/decrypt/chacha', { ciphertext: ct, associated_data: b64('row-1') })).data.plaintext), 'x');
  });

  it('data keys: the wrapped key decrypts to the plaintext key', async () => {
    await vault.write('transit/keys/dk', {});
    const plain = (await vault.write('transit/datakey/plaintext/dk', { bits: 512 })).data;
    assert.equal(Buffer.from(plain.plaintext, 'base64').length, 64);
    assert.equal((await vault.write('transit/decrypt/dk', { ciphertext: plain.ciphertext })).data.plaintext, plain.plaintext);
    const wrapped = (await vault.write('transit/datakey/wrapped/dk', {})).data;
    assert.equal(wrapped.plaintext, undefined);
    assert.equal(Buffer.from((await vault.write('transit/decrypt/dk', { ciphertext: wrapped.ciphertext })).data.plaintext, 'base64').length, 32);
    await fails(vault.write('transit/datakey/other/dk', {}), 400, /must be 'plaintext' or 'wrapped'/);
  });

  it('RSA keys encrypt with OAEP (SHA-256)', async () => {
    const ct = (await vault.write('transit/encrypt/rsa', { plaintext: b64('to rsa') })).data.ciphertext;
    assert.equal(unb64((await vault.write('transit/decrypt/rsa', { ciphertext: ct })).data.plaintext), 'to rsa');
    await fails(vault.write('transit/encrypt/ec', { plaintext: b64('x') }), 400, /message encryption not supported for key type ecdsa-p256/);
  });
});

describe('signatures and HMAC', () => {
  const input = Buffer.from('the document');

  it('ECDSA signatures (asn1 and jws) verify with node:crypto on the public key read from the API', async () => {
    const pub = createPublicKey((await vault.read('transit/keys/ec')).data.keys['1'].public_key);
    const der = (await vault.write('transit/sign/ec', { input: input.toString('base64') })).data.signature;
    assert.match(der, /^vault:v1:/);
    assert.ok(verify('sha256', input, pub, Buffer.from(der.split(':')[2], 'base64')));
    const jws = (await vault.write('transit/sign/ec/sha2-384', { input: input.toString('base64'), marshaling_algorithm: 'jws' })).data.signature;
    const raw = Buffer.from(jws.split(':')[2], 'base64url');
    assert.equal(raw.length, 64);
    assert.ok(verify('sha384', input, { key: pub, dsaEncoding: 'ieee-p1363' }, raw));
    assert.equal((await vault.write('transit/verify/ec', { input: input.toString('base64'), signature: der })).data.valid, true);
    assert.equal((await vault.write('transit/verify/ec', { input: b64('other'), signature: der })).data.valid, false);
    assert.equal((await vault.write('transit/verify/ec/sha2-384', { input: input.toString('base64'), signature: jws, marshaling_algorithm: 'jws' })).data.valid, true);
    const digest = createHash('sha256').update(input).digest().toString('base64');
    const pre = (await vault.write('transit/sign/ec', { input: digest, prehashed: true })).data.signature;
    assert.ok(verify('sha256', input, pub, Buffer.from(pre.split(':')[2], 'base64')), 'a prehashed ECDSA signature verifies on the message');
    assert.equal((await vault.write('transit/verify/ec', { input: digest, prehashed: true, signature: der })).data.valid, true);
  });

  it('RSA pss and pkcs1v15, prehashed; Ed25519 on its raw public key', async () => {
    const pub = createPublicKey((await vault.read('transit/keys/rsa')).data.keys['1'].public_key);
    const pss = (await vault.write('transit/sign/rsa/sha2-512', { input: input.toString('base64') })).data.signature;
    assert.ok(verify('sha512', input, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, Buffer.from(pss.split(':')[2], 'base64')));
    const digest = createHash('sha256').update(input).digest();
    const p1 = (await vault.write('transit/sign/rsa', { input: digest.toString('base64'), prehashed: true, signature_algorithm: 'pkcs1v15' })).data.signature;
    assert.ok(verify('sha256', input, { key: pub, padding: constants.RSA_PKCS1_PADDING }, Buffer.from(p1.split(':')[2], 'base64')));
    assert.equal((await vault.write('transit/verify/rsa', { input: digest.toString('base64'), prehashed: true, signature_algorithm: 'pkcs1v15', signature: p1 })).data.valid, true);

    const edRaw = Buffer.from((await vault.read('transit/keys/ed')).data.keys['1'].public_key, 'base64');
    const edPub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: edRaw.toString('base64url') }, format: 'jwk' });
    const edSig = (await vault.write('transit/sign/ed', { input: input.toString('base64') })).data.signature;
    assert.ok(verify(null, input, edPub, Buffer.from(edSig.split(':')[2], 'base64')));
    await fails(vault.write('transit/sign/aes', { input: input.toString('base64') }), 400, /key type aes256-gcm96 does not support signing/);
    await fails(vault.write('transit/sign/ec', { input: input.toString('base64'), hash_algorithm: 'md5' }), 400, /unsupported hash algorithm md5/);
  });

  it('a signature below min_decryption_version is refused; batch signing', async () => {
    await vault.write('transit/keys/signer', { type: 'ecdsa-p256' });
    const old = (await vault.write('transit/sign/signer', { input: input.toString('base64') })).data.signature;
    await vault.write('transit/keys/signer/rotate', {});
    await vault.write('transit/keys/signer/config', { min_decryption_version: 2 });
    await fails(vault.write('transit/verify/signer', { input: input.toString('base64'), signature: old }), 400, /disallowed by policy \(too old\)/);
    const batch = (await vault.write('transit/sign/signer', { batch_input: [{ input: b64('a'), reference: 'x' }, { input: b64('b') }] })).data.batch_results;
    assert.deepEqual(batch.map((r: any) => [r.key_version, r.reference]), [[2, 'x'], [2, '']]);
    const checked = (await vault.write('transit/verify/signer', { batch_input: batch.map((r: any, i: number) => ({ input: b64(['a', 'b'][i]!), signature: r.signature })) })).data.batch_results;
    assert.deepEqual(checked.map((r: any) => r.valid), [true, true]);
  });

  it('HMAC with any key and verification of it', async () => {
    const mac = (await vault.write('transit/hmac/k-hmac/sha2-512', { input: b64('data') })).data.hmac;
    assert.match(mac, /^vault:v1:/);
    assert.equal(Buffer.from(mac.split(':')[2], 'base64').length, 64);
    assert.equal((await vault.write('transit/verify/k-hmac/sha2-512', { input: b64('data'), hmac: mac })).data.valid, true);
    assert.equal((await vault.write('transit/verify/k-hmac/sha2-512', { input: b64('date'), hmac: mac })).data.valid, false);
    const aesMac = (await vault.write('transit/hmac/aes', { input: b64('data') })).data.hmac;
    assert.equal((await vault.write('transit/verify/aes', { input: b64('data'), hmac: aesMac })).data.valid, true);
  });
});

describe('random, hash, export, backup', () => {
  it('random bytes and hashes', async () => {
    assert.equal(Buffer.from((await vault.write('transit/random/48', {})).data.random_bytes, 'base64').length, 48);
    assert.match((await vault.write('transit/random', { bytes: 16, format: 'hex' })).data.random_bytes, /^[0-9a-f]{32}$/);
    await fails(vault.write('transit/random', { bytes: 0 }), 400, /between 1 and/);
    const sum = (await vault.write('transit/hash/sha2-256', { input: b64('hello') })).data.sum;
    assert.equal(sum, createHash('sha256').update('hello').digest('hex'));
    assert.equal((await vault.write('transit/hash', { input: b64('hello'), algorithm: 'sha3-256', format: 'base64' })).data.sum, createHash('sha3-256').update('hello').digest('base64'));
  });

  it('export only when exportable; backup/restore only with allow_plaintext_backup', async () => {
    await fails(vault.read('transit/export/encryption-key/aes'), 400, /not exportable/);
    const pubOnly = (await vault.read('transit/export/public-key/ec')).data.keys['1'];
    assert.match(pubOnly, /BEGIN PUBLIC KEY/);
    await vault.write('transit/keys/exp', { exportable: true });
    const ct = (await vault.write('transit/encrypt/exp', { plaintext: b64('portable') })).data.ciphertext;
    const exported = (await vault.read('transit/export/encryption-key/exp/latest')).data;
    assert.equal(Buffer.from(exported.keys['1'], 'base64').length, 32);
    await fails(vault.read('transit/backup/exp'), 400, /plaintext backup is disallowed on the policy/);
    await vault.write('transit/keys/exp/config', { allow_plaintext_backup: true });
    await fails(vault.write('transit/keys/exp/config', { exportable: false }), 400, /cannot be made non-exportable/);
    const backup = (await vault.read('transit/backup/exp')).data.backup;
    await vault.write('transit/restore/exp-copy', { backup });
    assert.equal(unb64((await vault.write('transit/decrypt/exp-copy', { ciphertext: ct })).data.plaintext), 'portable');
    await fails(vault.write('transit/restore/exp-copy', { backup }), 400, /already exists/);
    await fails(vault.write('transit/restore/junk', { backup: b64('{"format":"x"}') }), 400, /invalid backup/);
  });
});

describe('hostile input', () => {
  it('malformed requests get a 400 that says what to fix, never a 500', async () => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/v1/transit/encrypt/aes', { batch_input: { plaintext: 'AA==' } }, /batch_input must be a list of objects/],
      ['POST', '/v1/transit/encrypt/aes', { batch_input: 'not json' }, /batch_input must be a JSON list/],
      ['POST', '/v1/transit/encrypt/aes', { plaintext: b64('x'), key_version: 99 }, /higher than the latest key version/],
      ['POST', '/v1/transit/encrypt/aes', { plaintext: b64('x'), key_version: 'x' }, /expected an integer/],
      ['POST', '/v1/transit/encrypt/aes', { plaintext: b64('x'), nonce: b64('123456789012') }, /nonce provided when not allowed/],
      ['POST', '/v1/transit/decrypt/aes', { ciphertext: 'vault:v1:AAAA' }, /invalid ciphertext length/],
      ['POST', '/v1/transit/decrypt/aes', { ciphertext: 'vault:vX:AAAA' }, /version number could not be decoded/],
      ['POST', '/v1/transit/decrypt/nokey', { ciphertext: 'vault:v1:AAAA' }, /encryption key not found/],
      ['POST', '/v1/transit/verify/ec', { input: 'AA==', signature: 'vault:v1:%%%' }, /invalid base64 signature value/],
      ['POST', '/v1/transit/sign/rsa', { input: 'AA==', salt_length: 'lots' }, /invalid salt_length/],
      ['POST', '/v1/transit/sign/rsa', { input: 'AA==', prehashed: true }, /must be a sha256 digest of 32 bytes/],
      ['POST', '/v1/transit/keys/x', { type: 'hmac', key_size: 8 }, /between 32 and 512 bytes/],
      ['POST', '/v1/transit/restore', { backup: 'AAAA' }, /invalid backup/],
      ['GET', '/v1/transit/export/private-key/aes', undefined, /invalid export type/],
      ['POST', '/v1/transit/random/abc', {}, /is not a number/],
      ['POST', '/v1/transit/hash/md5', { input: 'AA==' }, /unsupported hash algorithm md5/],
    ];
    for (const [method, path, body, pattern] of cases) {
      const res = await s.request(method, path, { body });
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}: ${res.text}`);
      assert.match(res.body.errors.join(' '), pattern, path);
    }
  });
});

describe('policy, CLI, and secrecy', () => {
  it('a policy token may encrypt and decrypt but not read the key nor create one', async () => {
    await vault.write('transit/keys/app', {});
    await vault.addPolicy({ name: 'app-crypto', rules: 'path "transit/encrypt/app" { capabilities = ["update"] }\npath "transit/decrypt/app" { capabilities = ["update"] }\npath "transit/encrypt/new" { capabilities = ["update"] }' });
    // Not vault.tokenCreate: node-vault would switch its own token to the new one.
    const token = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['app-crypto'] } })).body.auth.client_token;
    const app = nodeVault({ apiVersion: 'v1', endpoint: s.url, token });
    const ct = (await app.write('transit/encrypt/app', { plaintext: b64('p') })).data.ciphertext;
    assert.equal(unb64((await app.write('transit/decrypt/app', { ciphertext: ct })).data.plaintext), 'p');
    await fails(app.read('transit/keys/app'), 403);
    await fails(app.write('transit/encrypt/new', { plaintext: b64('p') }), 403);
  });

  it('the CLI encrypts and decrypts through the generic write command', async () => {
    const env = { COFFER_ADDR: s.url, COFFER_TOKEN: 'root', HOME: auditDir };
    const enc = await runCoffer(['write', '-field=ciphertext', 'transit/encrypt/cli-key', `plaintext=${b64('from the cli')}`], { env });
    assert.equal(enc.code, 0, enc.err);
    assert.match(enc.out.trim(), /^vault:v1:/);
    const dec = await runCoffer(['write', '-format=json', 'transit/decrypt/cli-key', `ciphertext=${enc.out.trim()}`], { env });
    assert.equal(dec.code, 0, dec.err);
    assert.equal(unb64(JSON.parse(dec.out).data.plaintext), 'from the cli');
  });

  it('no key material or plaintext reaches the audit log or storage outside the barrier', async () => {
    const PLAINTEXT = 'plaintext-that-must-not-leak-0123456789';
    await vault.write('transit/keys/secrecy', { exportable: true });
    await vault.write('transit/encrypt/secrecy', { plaintext: b64(PLAINTEXT) });
    await vault.write('transit/encrypt/secrecy', { batch_input: [{ plaintext: b64(`${PLAINTEXT}-batch`) }] });
    const dk = (await vault.write('transit/datakey/plaintext/secrecy', {})).data.plaintext;
    const keyB64 = (await vault.read('transit/export/encryption-key/secrecy')).data.keys['1'];
    const hmacB64 = (await vault.read('transit/export/hmac-key/secrecy')).data.keys['1'];
    const needles = [keyB64, hmacB64, dk, b64(PLAINTEXT), PLAINTEXT, b64(`${PLAINTEXT}-batch`)];
    const raw = [Buffer.from(keyB64, 'base64'), Buffer.from(hmacB64, 'base64'), Buffer.from(dk, 'base64')];
    const audit = readFileSync(auditFile, 'utf8');
    assert.ok(audit.includes('transit/export/encryption-key/secrecy'), 'the audit log was written');
    for (const n of needles) assert.equal(audit.includes(n), false, `audit log contains ${n.slice(0, 6)}…`);
    const files: string[] = [];
    const walk = (d: string) => readdirSync(d).forEach((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : files.push(join(d, f))));
    walk(s.dir!);
    assert.ok(files.length > 0);
    for (const f of files) {
      const bytes = readFileSync(f);
      for (const n of needles) assert.equal(bytes.includes(n), false, `${f} holds ${n.slice(0, 6)}…`);
      for (const r of raw) assert.equal(bytes.includes(r), false, `${f} holds raw key bytes`);
    }
  });
});
