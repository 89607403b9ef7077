/**
 * Key rules and the one-level listing algorithm shared by every storage backend.
 *
 * Ordering: keys sort by their UTF-8 bytes, which is the same as Unicode code point
 * order. SQLite (BINARY collation on TEXT) and PostgreSQL (BYTEA) sort that way
 * natively; JavaScript's `<` compares UTF-16 code units, which disagrees for characters
 * above U+FFFF, so the memory backend uses {@link compareKeys}.
 *
 * Messages never echo a key or a value: keys can embed salted token hashes.
 */

import { timingSafeEqual } from 'node:crypto';
import { ConflictError } from './errors.js';
import type { BatchCondition, BatchOp, ListOptions } from './types.js';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The character right after `/` (0x2F): `x/` + anything sorts before `x0`. */
const AFTER_SLASH = '0';

/**
 * Check a storage key: a non-empty, well-formed Unicode string without NUL bytes and
 * without a leading `/`. Throws an Error naming the problem.
 */
export function validateKey(key: unknown, what = 'storage key'): asserts key is string {
  if (typeof key !== 'string') throw new Error(`${what} must be a string`);
  if (key === '') throw new Error(`${what} must not be empty`);
  checkText(key, what);
}

/** Check a list prefix: like a key, but may be empty (the root). */
export function validatePrefix(prefix: unknown, what = 'list prefix'): asserts prefix is string {
  if (typeof prefix !== 'string') throw new Error(`${what} must be a string`);
  if (prefix !== '') checkText(prefix, what);
}

function checkText(s: string, what: string): void {
  if (s.includes('\0')) throw new Error(`${what} must not contain a NUL byte`);
  if (s.startsWith('/')) throw new Error(`${what} must not start with "/"`);
  // A lone surrogate has no UTF-8 form: two different keys would collapse into one.
  if (LONE_SURROGATE.test(s)) throw new Error(`${what} must be well-formed Unicode (it contains a lone surrogate)`);
}

/** Check a value: bytes as a Uint8Array (a Buffer is one). */
export function validateValue(value: unknown, what = 'storage value'): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new Error(`${what} must be a Uint8Array`);
}

/**
 * Check every operation of a batch before any of them runs, so a bad operation in the
 * middle leaves the store untouched.
 */
export function validateBatch(ops: unknown): asserts ops is BatchOp[] {
  if (!Array.isArray(ops)) throw new Error('batch operations must be an array');
  ops.forEach((op: unknown, i) => {
    const o = op as Partial<BatchOp> | null;
    if (o === null || typeof o !== 'object') throw new Error(`batch operation ${i} must be an object`);
    validateKey(o.key, `batch operation ${i}: storage key`);
    if (o.type === 'put') validateValue((o as { value?: unknown }).value, `batch operation ${i}: storage value`);
    else if (o.type !== 'delete') throw new Error(`batch operation ${i}: type must be "put" or "delete"`);
  });
}

/** Check the conditions of a conditional batch (`undefined` = none) before anything runs. */
export function validateConditions(conditions: unknown): asserts conditions is BatchCondition[] | undefined {
  if (conditions === undefined) return;
  if (!Array.isArray(conditions)) throw new Error('batch conditions must be an array');
  conditions.forEach((c: unknown, i) => {
    const o = c as Partial<BatchCondition> | null;
    if (o === null || typeof o !== 'object') throw new Error(`batch condition ${i} must be an object`);
    validateKey(o.key, `batch condition ${i}: storage key`);
    if (o.value !== undefined) validateValue(o.value, `batch condition ${i}: expected value (or undefined for absent)`);
  });
}

/**
 * Byte equality of two stored values (`undefined` = absent). Constant time for equal
 * lengths: values can be secrets when a backend is used without the barrier.
 */
export function sameValue(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Check `conditions` against `current` (the committed value of a key) and throw a
 * ConflictError when one does not hold. Used by the backends that check in process.
 */
export function checkConditions(
  conditions: readonly BatchCondition[] | undefined,
  current: (key: string) => Uint8Array | undefined,
): void {
  for (const c of conditions ?? []) {
    if (!sameValue(current(c.key), c.value)) throw new ConflictError();
  }
}

/** Validated list options: `after` ('' = none) and `limit` (0 = no limit). */
export interface NormalizedListOptions {
  after: string;
  limit: number;
}

/** Validate `list` arguments and fill in defaults. */
export function normalizeListOptions(options: ListOptions | undefined): NormalizedListOptions {
  if (options === undefined || options === null) return { after: '', limit: 0 };
  if (typeof options !== 'object') throw new Error('list options must be an object');
  const { after, limit } = options;
  if (after !== undefined && after !== null) {
    if (typeof after !== 'string') throw new Error('list option "after" must be a string');
    if (after.includes('\0')) throw new Error('list option "after" must not contain a NUL byte');
    if (LONE_SURROGATE.test(after)) throw new Error('list option "after" must be well-formed Unicode');
  }
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
      throw new Error('list option "limit" must be a non-negative integer (0 means no limit)');
    }
  }
  return { after: after ?? '', limit: limit ?? 0 };
}

/**
 * Compare two keys by Unicode code point (= UTF-8 byte) order.
 * UTF-16 order only differs when a surrogate (U+D800..DFFF) meets U+E000..FFFF: shift
 * surrogates above that range and the code-unit comparison becomes code-point order.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

/**
 * The smallest key (inclusive) whose listed name can sort after `after`.
 * Names are monotone in key order, so paging is one seek:
 * - `after` names a folder (`x/`, or anything containing `/`): skip the whole `x/` subtree;
 * - otherwise: everything strictly after `prefix + after`. Keys never contain NUL, so
 *   `k + "\x01"` is the smallest key greater than `k`.
 */
export function listStart(prefix: string, after: string): string {
  if (after === '') return prefix;
  const slash = after.indexOf('/');
  if (slash >= 0) return prefix + after.slice(0, slash) + AFTER_SLASH;
  return prefix + after + '\x01';
}

/** The first key after every key inside `folder` (which ends in `/`). */
export function folderEnd(folder: string): string {
  return folder.slice(0, -1) + AFTER_SLASH;
}

/**
 * One-level listing over any ordered key source ("range scan with collapse").
 *
 * `seek(lower)` yields keys >= `lower` in byte order (it need not stop at the prefix).
 * Files are read in sequence; on reaching a sub-folder its name (`x/`) is emitted once
 * and the scan seeks past the whole subtree, so a folder with a million keys costs one
 * seek, not a million rows. Cost: O((names returned + 1) * seek), independent of how
 * much lies below the listed level. A key equal to the prefix itself (name '') is not
 * listed.
 */
export function listOneLevel(
  prefix: string,
  options: NormalizedListOptions,
  seek: (lower: string) => Iterable<string>,
): string[] {
  const names: string[] = [];
  let lower: string | undefined = listStart(prefix, options.after);
  while (lower !== undefined) {
    const from: string = lower;
    lower = undefined;
    for (const key of seek(from)) {
      if (!key.startsWith(prefix)) return names;
      const rest = key.slice(prefix.length);
      if (rest === '') continue;
      const slash = rest.indexOf('/');
      if (slash < 0) {
        names.push(rest);
      } else {
        const name = rest.slice(0, slash + 1);
        names.push(name);
        lower = folderEnd(prefix + name);
      }
      if (options.limit > 0 && names.length >= options.limit) return names;
      if (lower !== undefined) break; // leaves the iterator (for...of calls return())
    }
  }
  return names;
}

/** The smallest key (inclusive) a scan of `prefix` after the relative key `after` can return. */
export function scanStart(prefix: string, after: string): string {
  return after === '' ? prefix : prefix + after + '\x01';
}

/**
 * Recursive listing over any ordered key source: the keys below `prefix` from `seek(lower)`
 * (keys >= `lower` in byte order; it need not stop at the prefix), relative to it, until the
 * prefix ends or `limit` names were collected.
 */
export function scanRange(
  prefix: string,
  options: NormalizedListOptions,
  seek: (lower: string) => Iterable<string>,
): string[] {
  const names: string[] = [];
  for (const key of seek(scanStart(prefix, options.after))) {
    if (!key.startsWith(prefix)) break;
    if (key.length === prefix.length) continue;
    names.push(key.slice(prefix.length));
    if (options.limit > 0 && names.length >= options.limit) break;
  }
  return names;
}

/** Error thrown by every backend once `close()` was called. */
export function closedError(): Error {
  return new Error('storage is closed');
}
