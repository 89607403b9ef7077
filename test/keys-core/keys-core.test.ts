// Unit tests of the shared key core: life cycle rules, AEAD with derivation and convergence,
// RSA encryption, signatures checked by node:crypto itself (interop, not round trips only),
// JWK import/export, and the store.
import assert from 'node:assert/strict';
import { constants, createHash, createPublicKey, generateKeyPairSync, publicEncrypt, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { isCofferError } from '../../src/core/errors.js';
import {
  KeyStore, TOO_OLD_MESSAGE, aeadDecrypt, aeadEncrypt, createKey, ed25519PublicRaw, hmacData, hmacVerify, materialFromJwk,
  privateKeyExport, privateKeyOf, publicJwk, publicKeyPem, randomData, rotateKey, rotationDue, rsaDecrypt, rsaEncrypt, signData, trimKey,
  updateKeyConfig, verifyData, versionByExternalId, versionForDecryption, versionForEncryption, type HashName, type NamedKey,
} from '../../src/features/keys-core/index.js';
import { MemoryStorage } from '../../src/storage/memory.js';

const NOW = Date.UTC(2026, 0, 1);

function rejects400(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => isCofferError(err) && err.status === 400 && pattern.test(err.message));
}

function latest(key: NamedKey) {
  return key.versions[String(key.latestVersion)]!;
}

// RSA key generation is slow-ish: one per size used, shared by the tests.
const rsa2048 = createKey('r', 'rsa-2048', NOW);

describe('life cycle', () => {
  it('rotate adds versions; config and trim follow Vault’s rules', () => {
    const key = createKey('k', 'aes256-gcm96', NOW);
    assert.equal(key.latestVersion, 1);
    rotateKey(key, NOW + 1);
    rotateKey(key, NOW + 2, { externalId: 'abc', attributes: { enabled: true } });
    assert.equal(key.latestVersion, 3);
    assert.equal(versionByExternalId(key, 'abc')?.version, 3);
    assert.notEqual(key.versions['1']!.material, key.versions['2']!.material);
    rejects400(() => updateKeyConfig(key, { minDecryptionVersion: 4 }), /cannot set min decryption version of 4, latest key version is 3/);
    updateKeyConfig(key, { minDecryptionVersion: 2 });
    rejects400(() => versionForDecryption(key, 1), new RegExp(TOO_OLD_MESSAGE.replace(/[()]/g, '\\$&')));
    rejects400(() => versionForDecryption(key, 4), /version is too new/);
    rejects400(() => updateKeyConfig(key, { minEncryptionVersion: 1 }), /min encryption version should not be less than min decryption version/);
    updateKeyConfig(key, { minEncryptionVersion: 3 });
    rejects400(() => versionForEncryption(key, 2), /less than the minimum encryption key version/);
    rejects400(() => trimKey(key, 3), /greater than minimum decryption version/);
    trimKey(key, 2);
    assert.deepEqual(Object.keys(key.versions), ['2', '3']);
    rejects400(() => trimKey(key, 1), /less than the current minimum available version/);
    updateKeyConfig(key, { exportable: true, allowPlaintextBackup: true });
    rejects400(() => updateKeyConfig(key, { exportable: false }), /cannot be made non-exportable/);
    rejects400(() => updateKeyConfig(key, { allowPlaintextBackup: false }), /cannot be disabled/);
    rejects400(() => updateKeyConfig(key, { autoRotatePeriod: 60 }), /at least an hour/);
    updateKeyConfig(key, { autoRotatePeriod: 3600 });
    assert.equal(rotationDue(key, NOW + 2 + 3599_000), false);
    assert.equal(rotationDue(key, NOW + 2 + 3600_000), true);
  });

  it('refuses option combinations Vault refuses', () => {
    rejects400(() => createKey('k', 'aes256-gcm96', NOW, { convergentEncryption: true }), /requires derivation/);
    rejects400(() => createKey('k', 'rsa-2048', NOW, { derived: true }), /key derivation not supported/);
    rejects400(() => createKey('k', 'hmac', NOW, { keySize: 16 }), /between 32 and 512/);
    assert.equal(Buffer.from(createKey('k', 'hmac', NOW, { keySize: 64 }).versions['1']!.material, 'base64').length, 64);
  });
});

describe('AEAD', () => {
  for (const type of ['aes128-gcm96', 'aes256-gcm96', 'chacha20-poly1305'] as const) {
    it(`${type}: round trip with associated data; tampering and a wrong AD fail`, () => {
      const key = createKey('k', type, NOW);
      const v = latest(key);
      const ad = Buffer.from('ad');
      const ct = aeadEncrypt(key, v, Buffer.from('hello'), { associatedData: ad });
      assert.equal(ct.length, 12 + 5 + 16);
      assert.equal(aeadDecrypt(key, v, ct, { associatedData: ad }).toString(), 'hello');
      rejects400(() => aeadDecrypt(key, v, ct), /message authentication failed/);
      const bad = Buffer.from(ct);
      bad[14]! ^= 1;
      rejects400(() => aeadDecrypt(key, v, bad, { associatedData: ad }), /message authentication failed/);
    });
  }

  it('derived keys need the same context; convergent ones repeat for the same plaintext and context only', () => {
    const key = createKey('k', 'aes256-gcm96', NOW, { derived: true });
    const v = latest(key);
    rejects400(() => aeadEncrypt(key, v, Buffer.from('x')), /missing 'context' for key derivation/);
    const ct = aeadEncrypt(key, v, Buffer.from('x'), { context: Buffer.from('a') });
    rejects400(() => aeadDecrypt(key, v, ct, { context: Buffer.from('b') }), /authentication failed/);
    assert.equal(aeadDecrypt(key, v, ct, { context: Buffer.from('a') }).toString(), 'x');

    const conv = createKey('c', 'aes256-gcm96', NOW, { derived: true, convergentEncryption: true });
    const cv = latest(conv);
    const c1 = aeadEncrypt(conv, cv, Buffer.from('same'), { context: Buffer.from('ctx') });
    const c2 = aeadEncrypt(conv, cv, Buffer.from('same'), { context: Buffer.from('ctx') });
    const c3 = aeadEncrypt(conv, cv, Buffer.from('same'), { context: Buffer.from('other') });
    const c4 = aeadEncrypt(conv, cv, Buffer.from('diff'), { context: Buffer.from('ctx') });
    assert.deepEqual(c1, c2);
    assert.notDeepEqual(c1, c3);
    assert.notDeepEqual(c1.subarray(0, 12), c4.subarray(0, 12));
    assert.equal(aeadDecrypt(conv, cv, c1, { context: Buffer.from('ctx') }).toString(), 'same');
    rejects400(() => aeadEncrypt(createKey('p', 'aes256-gcm96', NOW), latest(createKey('p', 'aes256-gcm96', NOW)), Buffer.from('x'), { context: Buffer.from('a') }), /does not use key derivation/);
  });
});

describe('RSA encryption', () => {
  const v = latest(rsa2048);
  it('OAEP SHA-1 and SHA-256 made by node:crypto with the public JWK decrypt here', () => {
    const pub = createPublicKey({ key: publicJwk(v), format: 'jwk' });
    for (const [padding, oaepHash] of [['oaep-sha1', 'sha1'], ['oaep-sha256', 'sha256']] as const) {
      const ct = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, Buffer.from('wrap me'));
      assert.equal(rsaDecrypt(rsa2048, v, ct, padding).toString(), 'wrap me');
      assert.equal(rsaDecrypt(rsa2048, v, rsaEncrypt(rsa2048, v, Buffer.from('again'), padding), padding).toString(), 'again');
    }
    rejects400(() => rsaDecrypt(rsa2048, v, Buffer.alloc(256, 1), 'oaep-sha256'), /failed to RSA decrypt/);
    rejects400(() => rsaDecrypt(rsa2048, v, rsaEncrypt(rsa2048, v, Buffer.from('x'), 'pkcs1v15'), 'pkcs1v15'), /not supported/);
    rejects400(() => rsaEncrypt(rsa2048, v, Buffer.alloc(300), 'oaep-sha256'), /plaintext too long/);
  });
});

describe('signatures verify with node:crypto on the exported public key', () => {
  const msg = Buffer.from('message to sign');
  const hashes: HashName[] = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha3-256', 'sha3-512'];
  const v = latest(rsa2048);
  const pub = createPublicKey(publicKeyPem(v));

  it('RSA PKCS#1 v1.5 and PSS, message and prehashed digest', () => {
    for (const hash of hashes) {
      const digest = createHash(hash).update(msg).digest();
      for (const prehashed of [false, true]) {
        const input = prehashed ? digest : msg;
        const p1 = signData(rsa2048, v, input, { hash, prehashed, rsaPadding: 'pkcs1v15' });
        assert.ok(verify(hash, msg, { key: pub, padding: constants.RSA_PKCS1_PADDING }, p1), `pkcs1v15 ${hash} prehashed=${prehashed}`);
        assert.ok(verifyData(rsa2048, v, input, p1, { hash, prehashed, rsaPadding: 'pkcs1v15' }));
        for (const saltLength of ['auto', 'hash'] as const) {
          const ps = signData(rsa2048, v, input, { hash, prehashed, rsaPadding: 'pss', saltLength });
          const nodeSalt = saltLength === 'hash' ? constants.RSA_PSS_SALTLEN_DIGEST : constants.RSA_PSS_SALTLEN_AUTO;
          assert.ok(verify(hash, msg, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: nodeSalt }, ps), `pss ${hash} ${saltLength} prehashed=${prehashed}`);
          assert.ok(verifyData(rsa2048, v, input, ps, { hash, prehashed, rsaPadding: 'pss', saltLength }));
          assert.equal(verifyData(rsa2048, v, Buffer.from(prehashed ? createHash(hash).update('other').digest() : 'other'), ps, { hash, prehashed, rsaPadding: 'pss' }), false);
        }
      }
    }
    rejects400(() => signData(rsa2048, v, Buffer.alloc(5), { hash: 'sha256', prehashed: true }), /must be a sha256 digest of 32 bytes/);
  });

  it('ECDSA in DER and IEEE-P1363 (JWS) forms, all three curves; Ed25519 with the raw public key', () => {
    for (const [type, hash, size] of [['ecdsa-p256', 'sha256', 64], ['ecdsa-p384', 'sha384', 96], ['ecdsa-p521', 'sha512', 132]] as const) {
      const key = createKey('e', type, NOW);
      const ev = latest(key);
      const epub = createPublicKey({ key: publicJwk(ev), format: 'jwk' });
      const der = signData(key, ev, msg, { hash });
      assert.ok(verify(hash, msg, epub, der));
      const jws = signData(key, ev, msg, { hash, ecdsaFormat: 'ieee-p1363' });
      assert.equal(jws.length, size);
      assert.ok(verify(hash, msg, { key: epub, dsaEncoding: 'ieee-p1363' }, jws));
      assert.ok(verifyData(key, ev, msg, jws, { hash, ecdsaFormat: 'ieee-p1363' }));
      assert.equal(verifyData(key, ev, msg, Buffer.from('junk'), { hash }), false);
      // Over a digest (Key Vault's ES256/384/512): node:crypto verifies it as a signature of the message.
      const digest = createHash(hash).update(msg).digest();
      for (const ecdsaFormat of ['der', 'ieee-p1363'] as const) {
        const pre = signData(key, ev, digest, { hash, prehashed: true, ecdsaFormat });
        assert.ok(verify(hash, msg, { key: epub, dsaEncoding: ecdsaFormat }, pre), `${type} prehashed ${ecdsaFormat}`);
        assert.ok(verifyData(key, ev, digest, pre, { hash, prehashed: true, ecdsaFormat }));
        const nodeSig = sign(hash, msg, { key: privateKeyOf(ev), dsaEncoding: ecdsaFormat });
        assert.ok(verifyData(key, ev, digest, nodeSig, { hash, prehashed: true, ecdsaFormat }), `${type} verifies node's ${ecdsaFormat} signature`);
        assert.equal(verifyData(key, ev, createHash(hash).update('other').digest(), pre, { hash, prehashed: true, ecdsaFormat }), false);
      }
      rejects400(() => signData(key, ev, digest.subarray(1), { hash, prehashed: true }), /digest of/);
    }
    const ed = createKey('d', 'ed25519', NOW);
    const dv = latest(ed);
    const sig = signData(ed, dv, msg, { hash: 'sha256' });
    const raw = Buffer.from(ed25519PublicRaw(dv), 'base64');
    assert.equal(raw.length, 32);
    const edPub = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    assert.ok(verify(null, msg, edPub, sig));
    assert.equal(Buffer.from(privateKeyExport(dv), 'base64').length, 64);
  });

  it('refuses signing with AEAD and HMAC keys', () => {
    const key = createKey('a', 'aes256-gcm96', NOW);
    rejects400(() => signData(key, latest(key), msg, { hash: 'sha256' }), /message signing not supported for key type aes256-gcm96/);
  });
});

describe('JWK import, HMAC, random, store', () => {
  it('imports RSA and EC private JWKs; refuses a public-only JWK and mismatched types', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const { type, material } = materialFromJwk(ec.privateKey.export({ format: 'jwk' }));
    assert.equal(type, 'ecdsa-p384');
    const key = createKey('i', type, NOW, { material });
    assert.equal(key.imported, true);
    assert.deepEqual(publicJwk(latest(key)), ec.publicKey.export({ format: 'jwk' }));
    rejects400(() => materialFromJwk(ec.publicKey.export({ format: 'jwk' })), /no private part/);
    const rsaJwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    assert.equal(materialFromJwk({ ...rsaJwk, kty: 'RSA-HSM', key_ops: ['sign'] } as never).type, 'rsa-2048', 'Key Vault’s RSA-HSM JWK with key_ops imports');
    rejects400(() => materialFromJwk(ec.privateKey.export({ format: 'jwk' }), 'rsa-2048'), /is a ecdsa-p384 key, not rsa-2048/);
    rejects400(() => materialFromJwk({ kty: 'RSA', n: 'AQAB', e: 'AQAB', d: '!!' }), /could not be read/);
    assert.match(privateKeyExport(latest(key)), /BEGIN EC PRIVATE KEY/);
    assert.match(privateKeyExport(latest(rsa2048)), /BEGIN RSA PRIVATE KEY/);
  });

  it('HMAC uses the version’s HMAC key (the key itself for hmac keys) and verifies in constant time', () => {
    const key = createKey('h', 'hmac', NOW);
    const v = latest(key);
    assert.equal(v.hmacKey, v.material);
    const mac = hmacData(v, 'sha256', Buffer.from('data'));
    assert.ok(hmacVerify(v, 'sha256', Buffer.from('data'), mac));
    assert.equal(hmacVerify(v, 'sha256', Buffer.from('data!'), mac), false);
    assert.equal(hmacVerify(v, 'sha256', Buffer.from('data'), mac.subarray(1)), false);
    const aes = createKey('a', 'aes256-gcm96', NOW);
    assert.notEqual(latest(aes).hmacKey, latest(aes).material);
    assert.equal(randomData(32).length, 32);
    rejects400(() => randomData(0), /between 1 and/);
  });

  it('KeyStore keeps one record per key under its prefix and checks names', async () => {
    const storage = new MemoryStorage();
    const store = new KeyStore(storage, 'policy/');
    const key = createKey('app-key.v1', 'aes256-gcm96', NOW);
    await store.put(key);
    assert.deepEqual(await storage.list('policy/'), ['app-key.v1']);
    assert.deepEqual(await store.get('app-key.v1'), key);
    assert.deepEqual(await store.list(), ['app-key.v1']);
    await assert.rejects(store.get('../x'), (err: unknown) => isCofferError(err) && err.status === 400);
    await store.delete('app-key.v1');
    assert.equal(await store.get('app-key.v1'), undefined);
  });
});
