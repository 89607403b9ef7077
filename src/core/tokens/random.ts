/**
 * Random identifiers for tokens and accessors: base62 strings drawn from the OS CSPRNG
 * without modulo bias.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 4 * 62: bytes at or above this are rejected so that `byte % 62` is uniform. */
const LIMIT = 248;

/** Returns `length` uniformly random base62 characters. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    // Draw a little more than needed: about 3% of bytes are rejected.
    const bytes = randomBytes(Math.ceil((length - out.length) * 1.1) + 4);
    for (const b of bytes) {
      if (b >= LIMIT) continue;
      out += ALPHABET[b % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new service token: `hvs.` + 32 base62 characters (about 190 bits). */
export function newServiceToken(): string {
  return `hvs.${randomBase62(32)}`;
}

/** A new accessor: 24 base62 characters, like Vault's. */
export function newAccessor(): string {
  return randomBase62(24);
}
