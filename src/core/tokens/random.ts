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

/** The length of every service token newServiceToken makes (a generated root token's OTP has this length). */
export const SERVICE_TOKEN_LENGTH = 'hvs.'.length + 32;

/** Base62 characters at the front of an accessor that carry its creation second (62^6 s: ~1,800 years). */
const ACCESSOR_TIME_CHARS = 6;

/**
 * A new accessor: 24 base62 characters, like Vault's: the creation time in whole seconds
 * (6 characters, most significant first), then 18 random characters (~107 bits).
 *
 * Why the time: the accessor index is keyed by it (see `accessorSeconds` and the token store),
 * so the index entries of tokens issued together sit side by side in storage instead of at
 * random places (with SQLite, one page written per burst of logins instead of one per login).
 * What it reveals (the second a token was issued) is already in the token's own lookup and in the
 * audit log's timestamps; the random part alone is what makes an accessor unguessable.
 */
export function newAccessor(nowMs: number = Date.now()): string {
  let seconds = Math.floor(nowMs / 1000);
  let time = '';
  for (let i = 0; i < ACCESSOR_TIME_CHARS; i++) {
    time = ALPHABET[seconds % 62] + time;
    seconds = Math.floor(seconds / 62);
  }
  return time + randomBase62(24 - ACCESSOR_TIME_CHARS);
}

/**
 * The creation second an accessor made by `newAccessor` carries, or undefined for a string that
 * cannot be one (too short, or not base62). Accessors from before the time was added decode to an
 * arbitrary number: callers look them up under their old key when the new one is absent.
 */
export function accessorSeconds(accessor: string): number | undefined {
  if (accessor.length < ACCESSOR_TIME_CHARS) return undefined;
  let seconds = 0;
  for (let i = 0; i < ACCESSOR_TIME_CHARS; i++) {
    const digit = ALPHABET.indexOf(accessor[i]!);
    if (digit < 0) return undefined;
    seconds = seconds * 62 + digit;
  }
  return seconds;
}
