/**
 * RSA encryption and decryption (also key wrapping: wrapping a key is encrypting its bytes).
 * Paddings: OAEP with SHA-1 (Key Vault's `RSA-OAEP`), OAEP with SHA-256 (`RSA-OAEP-256`,
 * Vault transit's default) and PKCS#1 v1.5 (`RSA1_5`, encryption only; see rsaDecrypt).
 */
import { constants, privateDecrypt, publicEncrypt } from 'node:crypto';
import { badRequest } from '../../core/errors.js';
import { privateKeyOf, publicKeyOf } from './material.js';
import { KEY_TYPE_INFO, type KeyVersion, type NamedKey } from './types.js';

/** An RSA encryption padding. */
export type RsaPadding = 'oaep-sha1' | 'oaep-sha256' | 'pkcs1v15';

function checkRsa(key: NamedKey, verb: string): void {
  if (KEY_TYPE_INFO[key.type].family !== 'rsa') throw badRequest(`message ${verb} not supported for key type ${key.type}`);
}

/** Encrypts `plaintext` with the public key of `version`. */
export function rsaEncrypt(key: NamedKey, version: KeyVersion, plaintext: Buffer, padding: RsaPadding): Buffer {
  checkRsa(key, 'encryption');
  const pub = publicKeyOf(version);
  try {
    if (padding === 'pkcs1v15') return publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, plaintext);
    return publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: padding === 'oaep-sha1' ? 'sha1' : 'sha256' }, plaintext);
  } catch {
    const bytes = (KEY_TYPE_INFO[key.type].modulusBits ?? 0) / 8;
    const max = padding === 'pkcs1v15' ? bytes - 11 : bytes - 2 - 2 * (padding === 'oaep-sha1' ? 20 : 32);
    throw badRequest(`plaintext too long for ${key.type} with ${padding} padding: at most ${max} bytes`);
  }
}

/**
 * Decrypts with the private key of `version`. PKCS#1 v1.5 decryption is refused: its padding
 * check is a classic oracle (Bleichenbacher), and Node 20 disables it (CVE-2023-46809).
 */
export function rsaDecrypt(key: NamedKey, version: KeyVersion, ciphertext: Buffer, padding: RsaPadding): Buffer {
  checkRsa(key, 'decryption');
  if (padding === 'pkcs1v15') {
    throw badRequest('RSA PKCS#1 v1.5 decryption is not supported (it is open to padding-oracle attacks); encrypt with OAEP instead');
  }
  try {
    return privateDecrypt({ key: privateKeyOf(version), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: padding === 'oaep-sha1' ? 'sha1' : 'sha256' }, ciphertext);
  } catch {
    // One fixed message whatever went wrong, so the answer is no padding oracle.
    throw badRequest('failed to RSA decrypt the ciphertext: it was not made with this key version and padding');
  }
}
