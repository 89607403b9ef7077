/**
 * keys-core: ONE implementation of keys that never leave the server, shared by the Vault
 * transit engine (`features/transit`) and the Azure Key Vault keys view (`features/keyvault`).
 * It is a library, not a mountable engine: each view keeps its own routes and wire formats and
 * calls into this. Every error is a 4xx CofferError whose message never carries key material.
 *
 * API
 * ---
 * Model (types.ts)
 *   KeyType: 'aes128-gcm96' | 'aes256-gcm96' | 'chacha20-poly1305' | 'ed25519' | 'ecdsa-p256'
 *     | 'ecdsa-p384' | 'ecdsa-p521' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'hmac'
 *   KEY_TYPE_INFO[type] -> { family: 'aead'|'rsa'|'ec'|'ed25519'|'hmac', keyBytes?, modulusBits?, curve? }
 *   NamedKey { name, type, createdAt, derived, convergentEncryption, imported, keySize?,
 *     latestVersion, minAvailableVersion, config: KeyConfig, versions: {'1': KeyVersion, ...},
 *     attributes? (a view's key-level bag) }
 *   KeyConfig { minDecryptionVersion, minEncryptionVersion, deletionAllowed, exportable,
 *     allowPlaintextBackup, autoRotatePeriod (s) }
 *   KeyVersion { version, createdAt (ms), material (b64), hmacKey (b64), externalId?, attributes? }
 *
 * Storage (store.ts) — `new KeyStore(req.storage, prefix = 'policy/')`: get(name), put(key),
 *   delete(name), list({after, limit}); one JSON record per key under `<prefix><name>`, through
 *   the mount's barrier-encrypted view only. No caches or locks: core's per-request storage
 *   transaction makes read-modify-write exactly-once. checkKeyName(name) validates names.
 *
 * Life cycle (named-key.ts), pure functions that mutate the record you then `put`:
 *   createKey(name, type, now, {derived, convergentEncryption, exportable, allowPlaintextBackup,
 *     autoRotatePeriod, keySize, material?, externalId?, versionAttributes?, attributes?})
 *   rotateKey(key, now, {material?, externalId?, attributes?}) -> the new KeyVersion
 *   trimKey(key, minAvailable), updateKeyConfig(key, Partial<KeyConfig>) -> warnings
 *   versionForEncryption(key, requested?) / versionForDecryption(key, ver) (Vault's checks and
 *   messages, TOO_OLD_MESSAGE), versionOrThrow, versionByExternalId(key, id), sortedVersions,
 *   rotationDue(key, now)
 *
 * Material (material.ts): generateMaterial(type, keySize?), materialFromJwk(jwk, expected?)
 *   -> {type, material} (RSA 2048/3072/4096, EC P-256/384/521, OKP Ed25519, oct),
 *   publicJwk(version), publicKeyPem(version), ed25519PublicRaw(version),
 *   privateKeyExport(version) (PKCS#1 / SEC1 PEM, Ed25519 seed||pub b64), rawKey(version),
 *   publicKeyOf / privateKeyOf (KeyObject)
 *
 * Operations, pure over one version:
 *   aeadEncrypt / aeadDecrypt(key, version, data, {context?, associatedData?}) (aead.ts):
 *     nonce||ct||tag; HKDF-SHA256 derivation from context; convergent nonce
 *   rsaEncrypt / rsaDecrypt(key, version, data, 'oaep-sha1'|'oaep-sha256'|'pkcs1v15') (rsa-crypt.ts)
 *     — also wrap/unwrap; PKCS#1 v1.5 decryption is refused (padding oracle; Node 20 disables it)
 *   signData / verifyData(key, version, input, {hash, prehashed?, rsaPadding?: 'pss'|'pkcs1v15',
 *     saltLength?: 'auto'|'hash'|n, ecdsaFormat?: 'der'|'ieee-p1363'}) (sign.ts); hashes:
 *     sha1, sha224, sha256, sha384, sha512, sha3-224..512. Azure: RS* = pkcs1v15 + prehashed,
 *     PS* = pss + saltLength 'hash' + prehashed, ES* = ecdsaFormat 'ieee-p1363' + prehashed
 *     (ecdsa-digest.ts: OpenSSL does k·G, the scalar arithmetic is blinded)
 *   hmacData / hmacVerify(version, hash, input[, mac]), hashData(hash, input), randomData(n)
 */
export * from './types.js';
export * from './material.js';
export * from './named-key.js';
export * from './store.js';
export * from './aead.js';
export * from './rsa-crypt.js';
export * from './sign.js';
export * from './ecdsa-digest.js';
export * from './digest.js';
