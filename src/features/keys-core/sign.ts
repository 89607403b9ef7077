/**
 * Signatures: RSA (PKCS#1 v1.5 and PSS), ECDSA (DER or IEEE-P1363 `r||s`, the JWS form) and
 * Ed25519, over a message or, with `prehashed`, over a digest the caller computed.
 *
 * node:crypto always hashes what it signs, so a digest is signed with the raw RSA operation
 * (OpenSSL's, blinded) over an encoding built here: DigestInfo for PKCS#1 v1.5 (RFC 8017
 * 9.2) and EMSA-PSS (RFC 8017 9.1); ECDSA over a digest is in ecdsa-digest.ts.
 */
import { constants, createHash, privateEncrypt, publicDecrypt, randomBytes, sign, timingSafeEqual, verify } from 'node:crypto';
import { badRequest } from '../../core/errors.js';
import { derToP1363, ecdsaScalarBytes, ecdsaSignDigest, ecdsaVerifyDigest, p1363ToDer } from './ecdsa-digest.js';
import { privateKeyOf, publicKeyOf } from './material.js';
import { KEY_TYPE_INFO, type KeyVersion, type NamedKey } from './types.js';

/** Hash algorithms, by node:crypto's names. */
export const HASHES = ['sha1', 'sha224', 'sha256', 'sha384', 'sha512', 'sha3-224', 'sha3-256', 'sha3-384', 'sha3-512'] as const;
/** A hash algorithm name. */
export type HashName = (typeof HASHES)[number];

/** Digest sizes in bytes. */
export const HASH_BYTES: Record<HashName, number> = {
  sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64, 'sha3-224': 28, 'sha3-256': 32, 'sha3-384': 48, 'sha3-512': 64,
};

// DER of DigestInfo's AlgorithmIdentifier + OCTET STRING header, per hash (RFC 8017 9.2 note 1, NIST OIDs).
const DIGEST_INFO: Record<HashName, string> = {
  sha1: '3021300906052b0e03021a05000414',
  sha224: '302d300d06096086480165030402040500041c',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
  'sha3-224': '302d300d06096086480165030402070500041c',
  'sha3-256': '3031300d060960864801650304020805000420',
  'sha3-384': '3041300d060960864801650304020905000430',
  'sha3-512': '3051300d060960864801650304020a05000440',
};

/** How to sign or verify. */
export interface SignOptions {
  /** Hash of the message (ignored for Ed25519). `none`: RSA PKCS#1 v1.5 over the raw prehashed input, without DigestInfo. */
  hash: HashName | 'none';
  /** `input` is already the digest. */
  prehashed?: boolean;
  /** RSA scheme; default `pss`. */
  rsaPadding?: 'pss' | 'pkcs1v15';
  /** PSS salt: `auto` (longest when signing, detected when verifying), `hash` (digest length) or bytes. Default `auto`. */
  saltLength?: 'auto' | 'hash' | number;
  /** ECDSA signature encoding; default `der`. */
  ecdsaFormat?: 'der' | 'ieee-p1363';
}

function family(key: NamedKey, verb: string): 'rsa' | 'ec' | 'ed25519' {
  const f = KEY_TYPE_INFO[key.type].family;
  if (f !== 'rsa' && f !== 'ec' && f !== 'ed25519') throw badRequest(`message ${verb} not supported for key type ${key.type}`);
  return f;
}

function checkDigest(input: Buffer, hash: HashName): void {
  if (input.length !== HASH_BYTES[hash]) throw badRequest(`prehashed input must be a ${hash} digest of ${HASH_BYTES[hash]} bytes (got ${input.length})`);
}

function modulusBytes(key: NamedKey): number {
  return KEY_TYPE_INFO[key.type].modulusBits! / 8;
}

function pssSaltBytes(key: NamedKey, hash: HashName, salt: SignOptions['saltLength'], signing: boolean): number | 'detect' {
  const max = modulusBytes(key) - 2 - HASH_BYTES[hash];
  if (salt === undefined || salt === 'auto') return signing ? max : 'detect';
  const n = salt === 'hash' ? HASH_BYTES[hash] : salt;
  if (!Number.isInteger(n) || n < 0 || n > max) throw badRequest(`requested salt length ${String(salt)} is invalid: use "auto", "hash" or 0 to ${max}`);
  return n;
}

function nodeSaltLength(n: number | 'detect'): number {
  return n === 'detect' ? constants.RSA_PSS_SALTLEN_AUTO : n;
}

function mgf1(hash: HashName, seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0, len = 0; len < length; i++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(i);
    const block = createHash(hash).update(seed).update(c).digest();
    out.push(block);
    len += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** EMSA-PSS-ENCODE for a modulus of a whole number of bytes (2048/3072/4096 bits): emLen = k, one top bit cleared. */
function pssEncode(digest: Buffer, hash: HashName, saltBytes: number, k: number): Buffer {
  const hLen = HASH_BYTES[hash];
  const salt = randomBytes(saltBytes);
  const h = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  const db = Buffer.alloc(k - hLen - 1);
  db[k - hLen - saltBytes - 2] = 0x01;
  salt.copy(db, k - hLen - saltBytes - 1);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0x7f;
  return Buffer.concat([db, h, Buffer.from([0xbc])]);
}

/** EMSA-PSS-VERIFY (same modulus assumption); `saltBytes: 'detect'` accepts any salt length. */
function pssVerify(digest: Buffer, em: Buffer, hash: HashName, saltBytes: number | 'detect'): boolean {
  const hLen = HASH_BYTES[hash];
  const k = em.length;
  if (em[k - 1] !== 0xbc || (em[0]! & 0x80) !== 0) return false;
  const db = Buffer.from(em.subarray(0, k - hLen - 1));
  const h = em.subarray(k - hLen - 1, k - 1);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0x7f;
  let one = 0;
  while (one < db.length && db[one] === 0) one++;
  if (one >= db.length || db[one] !== 0x01) return false;
  const salt = db.subarray(one + 1);
  if (saltBytes !== 'detect' && salt.length !== saltBytes) return false;
  const expected = createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
  return timingSafeEqual(expected, h);
}

function pkcs1Encoded(digest: Buffer, hash: HashName | 'none'): Buffer {
  return hash === 'none' ? digest : Buffer.concat([Buffer.from(DIGEST_INFO[hash], 'hex'), digest]);
}


/** Signs `input` (a message, or a digest when `prehashed`) with the private key of `version`. */
export function signData(key: NamedKey, version: KeyVersion, input: Buffer, opts: SignOptions): Buffer {
  const f = family(key, 'signing');
  const priv = privateKeyOf(version);
  if (f === 'ed25519') {
    if (opts.prehashed) throw badRequest('prehashed input is not supported for ed25519 keys: send the message itself');
    return sign(null, input, priv);
  }
  if (opts.hash === 'none' && !(f === 'rsa' && opts.rsaPadding === 'pkcs1v15' && opts.prehashed)) {
    throw badRequest('hash_algorithm "none" is only supported for prehashed input with the pkcs1v15 signature algorithm');
  }
  if (f === 'ec') {
    if (opts.prehashed) {
      checkDigest(input, opts.hash as HashName);
      const raw = ecdsaSignDigest(priv, input);
      return opts.ecdsaFormat === 'ieee-p1363' ? raw : p1363ToDer(raw);
    }
    return sign(opts.hash, input, { key: priv, dsaEncoding: opts.ecdsaFormat ?? 'der' });
  }
  if (opts.rsaPadding === 'pkcs1v15') {
    if (!opts.prehashed) return sign(opts.hash, input, { key: priv, padding: constants.RSA_PKCS1_PADDING });
    if (opts.hash !== 'none') checkDigest(input, opts.hash);
    if (input.length > modulusBytes(key) - 11) throw badRequest('prehashed input is too long for this RSA key');
    return privateEncrypt({ key: priv, padding: constants.RSA_PKCS1_PADDING }, pkcs1Encoded(input, opts.hash));
  }
  const hash = opts.hash as HashName;
  const salt = pssSaltBytes(key, hash, opts.saltLength, true) as number;
  if (!opts.prehashed) return sign(hash, input, { key: priv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: salt });
  checkDigest(input, hash);
  return privateEncrypt({ key: priv, padding: constants.RSA_NO_PADDING }, pssEncode(input, hash, salt, modulusBytes(key)));
}

/** Checks `signature` over `input` (message, or digest when `prehashed`) with the public key of `version`. */
export function verifyData(key: NamedKey, version: KeyVersion, input: Buffer, signature: Buffer, opts: SignOptions): boolean {
  const f = family(key, 'verification');
  const pub = publicKeyOf(version);
  if (f === 'ed25519') {
    if (opts.prehashed) throw badRequest('prehashed input is not supported for ed25519 keys: send the message itself');
    return verify(null, input, pub, signature);
  }
  if (opts.hash === 'none' && !(f === 'rsa' && opts.rsaPadding === 'pkcs1v15' && opts.prehashed)) {
    throw badRequest('hash_algorithm "none" is only supported for prehashed input with the pkcs1v15 signature algorithm');
  }
  if (f === 'ec') {
    if (opts.prehashed) {
      checkDigest(input, opts.hash as HashName);
      const raw = opts.ecdsaFormat === 'ieee-p1363' ? signature : derToP1363(signature, ecdsaScalarBytes(KEY_TYPE_INFO[key.type].curve!));
      return raw !== undefined && ecdsaVerifyDigest(pub, input, raw);
    }
    try {
      return verify(opts.hash, input, { key: pub, dsaEncoding: opts.ecdsaFormat ?? 'der' }, signature);
    } catch {
      return false; // a malformed signature is a failed verification
    }
  }
  if (signature.length !== modulusBytes(key)) return false;
  if (opts.rsaPadding === 'pkcs1v15') {
    if (!opts.prehashed) return verify(opts.hash, input, { key: pub, padding: constants.RSA_PKCS1_PADDING }, signature);
    if (opts.hash !== 'none') checkDigest(input, opts.hash);
    let recovered: Buffer;
    try {
      recovered = publicDecrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, signature);
    } catch {
      return false;
    }
    const expected = pkcs1Encoded(input, opts.hash);
    return recovered.length === expected.length && timingSafeEqual(recovered, expected);
  }
  const hash = opts.hash as HashName;
  const salt = pssSaltBytes(key, hash, opts.saltLength, false);
  if (!opts.prehashed) {
    try {
      return verify(hash, input, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: nodeSaltLength(salt) }, signature);
    } catch {
      return false;
    }
  }
  checkDigest(input, hash);
  let em: Buffer;
  try {
    em = publicDecrypt({ key: pub, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return false;
  }
  return pssVerify(input, em, hash, salt);
}
