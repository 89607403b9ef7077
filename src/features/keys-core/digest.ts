/**
 * Keyed and unkeyed digests and random bytes: HMAC with a version's HMAC key, plain hashes,
 * and a bounded random source.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { badRequest } from '../../core/errors.js';
import type { HashName } from './sign.js';
import type { KeyVersion } from './types.js';

/** HMAC of `input` under the HMAC key of `version` (for an `hmac` key, the key itself). */
export function hmacData(version: KeyVersion, hash: HashName, input: Buffer): Buffer {
  return createHmac(hash, Buffer.from(version.hmacKey, 'base64')).update(input).digest();
}

/** Checks an HMAC in constant time. */
export function hmacVerify(version: KeyVersion, hash: HashName, input: Buffer, mac: Buffer): boolean {
  const expected = hmacData(version, hash, input);
  return mac.length === expected.length && timingSafeEqual(mac, expected);
}

/** A plain digest. */
export function hashData(hash: HashName, input: Buffer): Buffer {
  return createHash(hash).update(input).digest();
}

/** Most random bytes one request may ask for (Vault's limit is 128 KiB). */
export const MAX_RANDOM_BYTES = 128 * 1024;

/** `count` random bytes from the system CSPRNG; 1..MAX_RANDOM_BYTES. */
export function randomData(count: number): Buffer {
  if (!Number.isInteger(count) || count < 1 || count > MAX_RANDOM_BYTES) {
    throw badRequest(`number of bytes must be between 1 and ${MAX_RANDOM_BYTES} (inclusive)`);
  }
  return randomBytes(count);
}
