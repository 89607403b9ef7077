/**
 * Key material: generation with node:crypto, import from JWK, and the public (and, for
 * exportable keys, private) forms a view hands out. Material is kept as base64 of raw bytes
 * (AEAD, HMAC) or of PKCS#8 DER (RSA, EC, Ed25519) inside a KeyVersion.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type JsonWebKey, type KeyObject } from 'node:crypto';
import { badRequest } from '../../core/errors.js';
import { KEY_TYPE_INFO, type KeyType, type KeyVersion } from './types.js';

/** Smallest and largest `hmac` key, in bytes (Vault's bounds). */
export const HMAC_MIN_KEY_BYTES = 32;
export const HMAC_MAX_KEY_BYTES = 512;

/** Fresh material for a key of `type`, base64. `keySize` is the byte size of an `hmac` key (default 32). */
export function generateMaterial(type: KeyType, keySize?: number): string {
  const info = KEY_TYPE_INFO[type];
  switch (info.family) {
    case 'aead':
      return randomBytes(info.keyBytes!).toString('base64');
    case 'hmac':
      return randomBytes(checkHmacSize(keySize ?? HMAC_MIN_KEY_BYTES)).toString('base64');
    case 'rsa':
      return pkcs8(generateKeyPairSync('rsa', { modulusLength: info.modulusBits!, publicExponent: 0x10001 }).privateKey);
    case 'ec':
      return pkcs8(generateKeyPairSync('ec', { namedCurve: info.curve! }).privateKey);
    case 'ed25519':
      return pkcs8(generateKeyPairSync('ed25519').privateKey);
  }
}

/** Checks an `hmac` key size in bytes. */
export function checkHmacSize(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < HMAC_MIN_KEY_BYTES || bytes > HMAC_MAX_KEY_BYTES) {
    throw badRequest(`invalid key size for HMAC key, must be between ${HMAC_MIN_KEY_BYTES} and ${HMAC_MAX_KEY_BYTES} bytes`);
  }
  return bytes;
}

function pkcs8(key: KeyObject): string {
  return key.export({ format: 'der', type: 'pkcs8' }).toString('base64');
}

/** The raw bytes of an AEAD or HMAC version. */
export function rawKey(version: KeyVersion): Buffer {
  return Buffer.from(version.material, 'base64');
}

/** The private key of an RSA, EC or Ed25519 version. */
export function privateKeyOf(version: KeyVersion): KeyObject {
  return createPrivateKey({ key: Buffer.from(version.material, 'base64'), format: 'der', type: 'pkcs8' });
}

/** The public key of an RSA, EC or Ed25519 version. */
export function publicKeyOf(version: KeyVersion): KeyObject {
  return createPublicKey(privateKeyOf(version));
}

/** The public key as PEM (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo), Vault's form for RSA and ECDSA. */
export function publicKeyPem(version: KeyVersion): string {
  return publicKeyOf(version).export({ format: 'pem', type: 'spki' }).toString();
}

/** The raw 32-byte Ed25519 public key, base64 (Vault's form for ed25519). */
export function ed25519PublicRaw(version: KeyVersion): string {
  const jwk = publicKeyOf(version).export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url').toString('base64');
}

/** The public key as a JWK: RSA `{kty, n, e}`, EC `{kty, crv, x, y}`, Ed25519 `{kty: 'OKP', crv, x}` (base64url fields). */
export function publicJwk(version: KeyVersion): JsonWebKey {
  return publicKeyOf(version).export({ format: 'jwk' });
}

/**
 * The private key in the form Vault's `export` endpoint gives: PEM PKCS#1 (`RSA PRIVATE KEY`)
 * for RSA, PEM SEC1 (`EC PRIVATE KEY`) for EC, base64 of seed||public (64 bytes) for Ed25519.
 * Callers check that the key is exportable first.
 */
export function privateKeyExport(version: KeyVersion): string {
  const key = privateKeyOf(version);
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return key.export({ format: 'pem', type: 'pkcs1' }).toString();
    case 'ec':
      return key.export({ format: 'pem', type: 'sec1' }).toString();
    default: {
      const jwk = key.export({ format: 'jwk' });
      return Buffer.concat([Buffer.from(jwk.d!, 'base64url'), Buffer.from(jwk.x!, 'base64url')]).toString('base64');
    }
  }
}

const JWK_CURVES: Record<string, KeyType> = { 'P-256': 'ecdsa-p256', 'P-384': 'ecdsa-p384', 'P-521': 'ecdsa-p521' };

/**
 * Reads a private JWK (RSA, EC P-256/384/521, OKP Ed25519, or `oct` for AEAD/HMAC keys; `-HSM` kty accepted) and
 * returns its material and key type. `expected`, when given, must match. The JWK's public
 * fields must belong to its private part (node:crypto checks the key's consistency).
 */
export function materialFromJwk(input: JsonWebKey, expected?: KeyType): { type: KeyType; material: string } {
  if (typeof input !== 'object' || input === null) throw badRequest('invalid key: expected a JSON Web Key object');
  // Key Vault's HSM key types carry the same fields as the software ones (`RSA-HSM`, `EC-HSM`, `oct-HSM`).
  const jwk: JsonWebKey = typeof input.kty === 'string' ? { ...input, kty: input.kty.replace(/-HSM$/, '') } : input;
  let type: KeyType;
  let material: string;
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string') throw badRequest('invalid key: an "oct" JSON Web Key needs "k"');
    const raw = Buffer.from(jwk.k, 'base64url');
    type = expected ?? (raw.length === 16 ? 'aes128-gcm96' : 'aes256-gcm96');
    const info = KEY_TYPE_INFO[type];
    if (info.family === 'hmac') checkHmacSize(raw.length);
    else if (info.family !== 'aead' || raw.length !== info.keyBytes) throw badRequest(`invalid key size ${raw.length} bytes for key type ${type}`);
    material = raw.toString('base64');
  } else {
    if (typeof jwk.d !== 'string') throw badRequest('invalid key: the JSON Web Key has no private part ("d"); import needs the private key');
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: jwk, format: 'jwk' });
    } catch {
      // node's message may quote parts of the key: give a fixed one.
      throw badRequest(`invalid key: the ${String(jwk.kty).slice(0, 10)} JSON Web Key could not be read (check its fields and their base64url encoding)`);
    }
    if (key.asymmetricKeyType === 'rsa') {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (bits !== 2048 && bits !== 3072 && bits !== 4096) throw badRequest(`invalid key: RSA keys must be 2048, 3072 or 4096 bits (got ${bits})`);
      type = `rsa-${bits}` as KeyType;
    } else if (key.asymmetricKeyType === 'ec') {
      const found = JWK_CURVES[String(jwk.crv)];
      if (!found) throw badRequest('invalid key: EC keys must use the P-256, P-384 or P-521 curve');
      type = found;
    } else if (key.asymmetricKeyType === 'ed25519') {
      type = 'ed25519';
    } else {
      throw badRequest(`invalid key: unsupported key type ${String(jwk.kty).slice(0, 10)}`);
    }
    material = pkcs8(key);
  }
  if (expected && expected !== type) throw badRequest(`invalid key: the JSON Web Key is a ${type} key, not ${expected}`);
  return { type, material };
}
