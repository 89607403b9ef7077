/**
 * JSON <-> bytes for values kept in the mount's storage view, and the per-secret size limit.
 */
import { CofferError } from '../../core/errors.js';
import { encodeJson } from '../../core/codec.js';

export { decodeJson, encodeJson } from '../../core/codec.js';

/** Largest JSON-encoded secret a single write may store. */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** Encodes a secret's data map, refusing anything over MAX_SECRET_BYTES with a 413. */
export function encodeSecret(data: Record<string, unknown>): Uint8Array {
  const bytes = encodeJson(data);
  if (bytes.byteLength > MAX_SECRET_BYTES) {
    throw new CofferError('payload_too_large', `secret value too large: ${bytes.byteLength} bytes after JSON encoding (max 1 MiB)`);
  }
  return bytes;
}

/** A plain JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets an own property even for keys such as `__proto__` (plain assignment would change the prototype). */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
