/**
 * Password hashing for userpass: scrypt from node:crypto (async, on libuv's thread pool, so a
 * login never blocks the event loop). Each stored hash carries its own parameters and salt, so
 * the cost can be raised later without breaking existing users.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** A stored password hash (base64 fields). */
export interface PasswordHash {
  alg: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  hash: string;
}

/**
 * Current cost: N=2^13, r=8, p=1 (8 MiB per hash) measured at about 60 ms per hash on the
 * build machine; raise N when machines get faster (stored hashes keep their own parameters).
 */
export const SCRYPT_COST = { N: 2 ** 13, r: 8, p: 1 } as const;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/** NFC (RFC 8265's OpaqueString form), so the same password typed on two systems matches. */
function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }): Promise<Buffer> {
  // Node refuses parameters needing more than `maxmem` (32 MiB by default): allow 2x what they need.
  const options: ScryptOptions = { N: cost.N, r: cost.r, p: cost.p, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes a password with a fresh random salt at the current cost. */
export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(SALT_LENGTH);
  const key = await derive(password, salt, SCRYPT_COST);
  return { alg: 'scrypt', ...SCRYPT_COST, salt: salt.toString('base64'), hash: key.toString('base64') };
}

/** True when `password` matches `stored` (constant-time comparison of the derived keys). */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  if (stored.alg !== 'scrypt') return false;
  const expected = Buffer.from(stored.hash, 'base64');
  const key = await derive(password, Buffer.from(stored.salt, 'base64'), stored);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * Does the work of one verification and returns false: used for unknown users, so the response
 * time does not reveal which user names exist.
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  await derive(password, randomBytes(SALT_LENGTH), SCRYPT_COST);
  return false;
}
