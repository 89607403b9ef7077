/**
 * A read-only view of a storage: reads pass through (shared decoded reads included), every write
 * throws. Core hands it to handlers of operations a route declares read-only (Route.readOnly),
 * which it runs outside a storage transaction: a write there would escape the request's
 * atomicity, so it fails loudly instead of landing half-done.
 */
import { getDecoded, type Decoder } from './decoded.js';
import type { BatchOp, ListOptions, Storage } from './types.js';

/** Thrown by a write through a {@link ReadOnlyStorage}: a programming error in a route declared read-only. */
export class ReadOnlyViolationError extends Error {
  constructor(what: string) {
    super(`internal error: ${what} through the storage of an operation declared read-only (Route.readOnly); the route must not declare it`);
    this.name = 'ReadOnlyViolationError';
  }
}

/** Reads of `inner`; writes throw {@link ReadOnlyViolationError}. */
export class ReadOnlyStorage implements Storage {
  constructor(private readonly inner: Storage) {}

  get(key: string): Promise<Uint8Array | undefined> {
    return this.inner.get(key);
  }

  /** Shared decoded reads of the inner storage (see decoded.ts). */
  getDecoded<T>(key: string, decode: Decoder<T>): Promise<T | undefined> {
    return getDecoded(this.inner, key, decode);
  }

  list(prefix: string, options?: ListOptions): Promise<string[]> {
    return this.inner.list(prefix, options);
  }

  scan(prefix: string, options?: ListOptions): Promise<string[]> {
    return this.inner.scan(prefix, options);
  }

  async put(key: string): Promise<void> {
    throw new ReadOnlyViolationError(`a put of "${key}"`);
  }

  async delete(key: string): Promise<void> {
    throw new ReadOnlyViolationError(`a delete of "${key}"`);
  }

  async batch(ops: BatchOp[]): Promise<void> {
    throw new ReadOnlyViolationError(`a batch of ${ops.length} operation(s)`);
  }

  /** A view owns nothing. */
  async close(): Promise<void> {}
}
