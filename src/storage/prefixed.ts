/**
 * A view of a storage below a fixed prefix: the per-mount storage view
 * (`logical/<mount-uuid>/`). Keys given to the view are relative; the view prepends
 * its prefix, and refuses keys that try to leave it (`..` segments, a leading `/`).
 * List names are relative to the listed prefix already, so they come back unchanged.
 */

import { validateBatch, validateConditions, validateKey, validatePrefix } from './keys.js';
import { getDecoded, type Decoder } from './decoded.js';
import { promiseOf } from './promise-step.js';
import type { BatchCondition, BatchOp, ListOptions, Storage } from './types.js';

/** Whether a `/`-separated path has a `..` segment (without splitting it: this runs for every key of every call). */
function hasDotDot(path: string): boolean {
  for (let i = path.indexOf('..'); i >= 0; i = path.indexOf('..', i + 1)) {
    if ((i === 0 || path.charCodeAt(i - 1) === 0x2f) && (i + 2 === path.length || path.charCodeAt(i + 2) === 0x2f)) return true;
  }
  return false;
}

/** Reject `..` segments: the inner store does not normalize paths, but nothing above may rely on that. */
function checkInside(path: string, what: string): void {
  if (hasDotDot(path)) throw new Error(`${what} must not contain ".." segments`);
}

/** A Storage confined to `prefix` of another Storage. */
export class PrefixedStorage implements Storage {
  /** The prefix prepended to every key (ends in `/`). */
  readonly prefix: string;
  private readonly inner: Storage;

  /**
   * @param inner  the underlying storage (not owned: `close()` leaves it open)
   * @param prefix non-empty, ends in `/`, no leading `/`, no `..` segments
   */
  constructor(inner: Storage, prefix: string) {
    validateKey(prefix, 'storage view prefix');
    if (!prefix.endsWith('/')) throw new Error('storage view prefix must end with "/"');
    checkInside(prefix, 'storage view prefix');
    this.inner = inner;
    this.prefix = prefix;
  }

  /** Read `prefix + key`. */
  get(key: string): Promise<Uint8Array | undefined> {
    // A view adds no promise of its own to every read (see promise-step.ts).
    return promiseOf(() => this.inner.get(this.full(key)));
  }

  /** Decoded read of `prefix + key`, shared when the inner storage shares them (see decoded.ts). */
  getDecoded<T>(key: string, decode: Decoder<T>): Promise<T | undefined> {
    return getDecoded(this.inner, this.full(key), decode);
  }

  /** Write `prefix + key`. */
  async put(key: string, value: Uint8Array): Promise<void> {
    return this.inner.put(this.full(key), value);
  }

  /** Delete `prefix + key`. */
  async delete(key: string): Promise<void> {
    return this.inner.delete(this.full(key));
  }

  /** List one level below `prefix + listPrefix`; names are relative to it. */
  async list(listPrefix: string, options?: ListOptions): Promise<string[]> {
    validatePrefix(listPrefix);
    checkInside(listPrefix, 'list prefix');
    return this.inner.list(this.prefix + listPrefix, options);
  }

  /** Every key below `prefix + scanPrefix`, recursively; keys are relative to it. */
  async scan(scanPrefix: string, options?: ListOptions): Promise<string[]> {
    validatePrefix(scanPrefix);
    checkInside(scanPrefix, 'scan prefix');
    return this.inner.scan(this.prefix + scanPrefix, options);
  }

  /** Apply the operations, each key (and each condition's key) moved under the prefix, atomically. */
  batch(ops: BatchOp[], conditions?: BatchCondition[]): Promise<void> {
    // No promise of its own, like get.
    return promiseOf(() => {
      validateBatch(ops);
      validateConditions(conditions);
      ops.forEach((op, i) => checkInside(op.key, `batch operation ${i}: storage key`));
      conditions?.forEach((c, i) => checkInside(c.key, `batch condition ${i}: storage key`));
      const moved = ops.map((op): BatchOp => ({ ...op, key: this.prefix + op.key }));
      if (conditions === undefined) return this.inner.batch(moved);
      return this.inner.batch(moved, conditions.map((c) => ({ key: this.prefix + c.key, value: c.value })));
    });
  }

  /** A view owns nothing: closing it leaves the inner storage open. */
  async close(): Promise<void> {}

  private full(key: string): string {
    validateKey(key);
    checkInside(key, 'storage key');
    return this.prefix + key;
  }
}
