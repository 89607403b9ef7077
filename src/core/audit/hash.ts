/**
 * Audit hashing: every string value in an audit entry's data becomes
 * `hmac-sha256:<hex HMAC-SHA256(salt, value)>`, the way Vault's audit devices do, so a log
 * proves *that* a value was used (compare with `sys/audit-hash`) without revealing it.
 */
import { createHmac, type KeyObject } from 'node:crypto';
import { createHmacHex } from '../hmac-sha256.js';
import { deepFreeze, isDeepFrozen } from '../deep-freeze.js';

/** An HMAC key: the salt's bytes, or (faster, ~17% here) a KeyObject made from them once. */
export type HmacKey = Buffer | KeyObject;

/** Maps a string to its `hmac-sha256:<hex>` under one salt (see createStringHasher). */
export type StringHasher = (value: string) => string;

/** The prefix of every hashed value (Vault's format, so log tooling keeps working). */
export const HMAC_PREFIX = 'hmac-sha256:';

/**
 * `hmac-sha256:<hex>` of `value` under `salt`: the reference form (`sys/audit-hash` answers
 * with it, so a log line written by createStringHasher is checked against it end to end).
 */
export function hmacString(salt: HmacKey, value: string): string {
  return HMAC_PREFIX + createHmac('sha256', salt).update(value, 'utf8').digest('hex');
}

/**
 * A hasher for one salt, giving exactly hmacString's output at a lower cost per string (see
 * createHmacHex): audit hashes ~7-10 strings per request, and an Hmac object per string was the
 * largest single item of a KV read's profile. Invariant: for every salt and string the output
 * equals hmacString's (test/audit/hash.test.ts compares them, and test/api/audit-http.test.ts
 * compares log lines with `sys/audit-hash`, which answers with hmacString).
 */
export function createStringHasher(salt: Buffer): StringHasher {
  const hex = createHmacHex(salt);
  return (value) => HMAC_PREFIX + hex(value);
}

/**
 * How deep hashStructure copies. The fronts refuse request bodies nested more than 64 levels,
 * so real entries stay far below this; the bound keeps the recursion (and the JSON.stringify
 * that writes the entry) clear of the stack limit whatever a backend hands back.
 */
export const MAX_HASH_DEPTH = 256;

/** What stands in for a subtree nested deeper than MAX_HASH_DEPTH (it holds no data, so it is not hashed). */
export const TOO_DEEP_MARKER = `[nested more than ${MAX_HASH_DEPTH} levels deep: not logged]`;

/** Options of hashStructure. */
export interface HashStructureOptions {
  /** Top-level keys whose values are copied raw (a mount's `audit_non_hmac_*_keys`). */
  nonHmacKeys?: readonly string[];
  /**
   * Hashed copies of deeply frozen subtrees (see core/deep-freeze.ts), by the subtree's
   * identity. Only for one hasher: the caller keeps one memo per salt (a device formatter).
   */
  memo?: HashMemo;
}

/**
 * hashStructure's results for deeply frozen subtrees, by identity, for one hasher. A frozen
 * subtree (a KV version shared by every read of it) then costs its HMACs once per device, not
 * once per request. Invariant: only subtrees registered by deepFreeze are remembered (they can
 * never change), and the nesting depth they were copied at is part of the key (the depth cap
 * may cut a subtree differently elsewhere). Weakly keyed: nothing outlives the subtree.
 */
export type HashMemo = WeakMap<object, { depth: number; copy: unknown; json?: string }>;

/**
 * Returns a deep copy of `value` in which every string (in objects and arrays, at any
 * depth) is replaced by its HMAC. Subtrees below MAX_HASH_DEPTH become TOO_DEEP_MARKER
 * instead of overflowing the stack. Numbers, booleans and null stay in the clear (as in
 * Vault); keys are never hashed; top-level keys listed in `nonHmacKeys` are copied raw.
 *
 * Non-JSON values are mapped the way JSON.stringify would see them, except that binary
 * data (Buffer, typed arrays) is hashed as its base64 text rather than leaked as a list of
 * byte numbers, and a Date stays a raw ISO string (Vault leaves times unhashed).
 */
export function hashStructure(value: unknown, salt: HmacKey | StringHasher, opts: HashStructureOptions = {}): unknown {
  const hash: StringHasher = typeof salt === 'function' ? salt : (s: string): string => hmacString(salt, s);
  const nonHmac = opts.nonHmacKeys;
  const memo = opts.memo;
  if (nonHmac && nonHmac.length > 0 && isPlainRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      const raw = nonHmac.includes(key);
      setOwn(out, key, copy(v, raw ? null : hash, 1, raw ? undefined : memo));
    }
    return out;
  }
  return copy(value, hash, 0, memo);
}

/**
 * `JSON.stringify(hashStructure(value, salt, opts))`, byte for byte, cheaper when `opts.memo`
 * holds deeply frozen subtrees of `value`: their JSON text is kept with their hashed copy, so a
 * response whose data is a shared KV version is written without hashing or serialising it again.
 * Undefined when JSON.stringify would give undefined (a top-level undefined or function).
 */
export function hashedJson(value: unknown, salt: StringHasher, opts: HashStructureOptions = {}): string | undefined {
  const memo = opts.memo;
  const nonHmac = opts.nonHmacKeys;
  if (memo === undefined || (nonHmac && nonHmac.length > 0 && isPlainRecord(value))) return JSON.stringify(hashStructure(value, salt, opts));
  if (isDeepFrozen(value)) return memoJson(value, salt, 0, memo);
  if (!isPlainRecord(value)) return JSON.stringify(copy(value, salt, 0, memo));
  // A plain top-level object (fresh per response, e.g. `{data, metadata}`): its members one by
  // one, in Object.keys order, the members JSON.stringify would drop (undefined) left out, exactly
  // as it writes the copy hashStructure builds.
  let out = '';
  for (const key of Object.keys(value)) {
    const v = value[key];
    const json = isDeepFrozen(v) ? memoJson(v, salt, 1, memo) : JSON.stringify(copy(v, salt, 1, memo));
    if (json === undefined) continue;
    out += (out === '' ? '{' : ',') + JSON.stringify(key) + ':' + json;
  }
  return out === '' ? '{}' : out + '}';
}

/** The JSON text of the hashed copy of a deeply frozen subtree at `depth`, kept in the memo. */
function memoJson(value: object, hash: StringHasher, depth: number, memo: HashMemo): string {
  copy(value, hash, depth, memo); // fills the memo for this depth
  const entry = memo.get(value)!;
  return (entry.json ??= JSON.stringify(entry.copy));
}

/** A string mapper: the HMAC, or null for "copy raw". */
type StringMapper = ((s: string) => string) | null;

/**
 * Deep copy, mapping strings through `hash` when given; `depth` is how many containers enclose
 * `value`. `memo` (only with a hash) serves and keeps the copies of deeply frozen subtrees.
 */
function copy(value: unknown, hash: StringMapper, depth: number, memo?: HashMemo): unknown {
  if (memo !== undefined && isDeepFrozen(value)) {
    const hit = memo.get(value);
    if (hit !== undefined && hit.depth === depth) return hit.copy;
    // Frozen: the copy is shared by every later line of this device.
    const fresh = deepFreeze(copyValue(value, hash, depth, undefined));
    memo.set(value, { depth, copy: fresh });
    return fresh;
  }
  return copyValue(value, hash, depth, memo);
}

function copyValue(value: unknown, hash: StringMapper, depth: number, memo: HashMemo | undefined): unknown {
  switch (typeof value) {
    case 'string':
      return hash ? hash(value) : value;
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'bigint':
      // A number: in the clear, as text since JSON has no bigint.
      return value.toString();
    case 'function':
    case 'symbol':
      return undefined; // JSON.stringify drops these too
    default:
      break;
  }
  if (value === null) return null;
  if (ArrayBuffer.isView(value)) {
    const text = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    return hash ? hash(text) : text;
  }
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth >= MAX_HASH_DEPTH) return TOO_DEEP_MARKER;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i], hash, depth + 1, memo);
    return out;
  }
  const obj = value as Record<string, unknown> & { toJSON?: () => unknown };
  if (typeof obj.toJSON === 'function') return copy(obj.toJSON(), hash, depth + 1, memo);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) setOwn(out, key, copy(obj[key], hash, depth + 1, memo));
  return out;
}

/** Sets an own property, also for the key `__proto__` (which plain assignment would treat as the prototype). */
function setOwn(target: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value: v, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = v;
  }
}

/** True for a plain object (not an array, not null). */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value) &&
    !(value instanceof Date) && typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}
