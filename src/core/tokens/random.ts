/**
 * Random identifiers for tokens and accessors: base62 strings drawn from the OS CSPRNG
 * without modulo bias.
 */
import { randomFillSync } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** 4 * 62: bytes at or above this are rejected so that `byte % 62` is uniform. */
const LIMIT = 248;

/**
 * Random bytes are drawn from a pool filled 4 KiB at a time (as Node's own randomUUID does):
 * a `randomBytes` call per token cost more than the token's other work. Each byte is handed out
 * once and zeroed as it is taken, so the pool never holds a byte of an issued token.
 */
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** The next random byte from the pool (refilled from the OS CSPRNG when used up). */
function nextByte(): number {
  if (poolOffset === POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = pool[poolOffset]!;
  pool[poolOffset++] = 0;
  return b;
}

/** Returns `length` uniformly random base62 characters. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const b = nextByte();
    // About 3% of bytes are rejected so that `b % 62` is uniform.
    if (b >= LIMIT) continue;
    out += ALPHABET[b % 62];
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
