/**
 * Shared decoded reads: a storage that can hand every reader of one stored value the same
 * decoded, immutable object (the barrier does, see Barrier.getDecoded) implements `getDecoded`;
 * views over it (PrefixedStorage) pass it through, and for any other storage `getDecoded`
 * below decodes on each read.
 */
import type { Storage } from './types.js';

/**
 * Decoded values of plaintexts longer than this many bytes are never shared (the barrier does not
 * memoize them): a `decode` may leave those unfrozen, they go to one reader only.
 */
export const MAX_SHARED_DECODED_BYTES = 4096;

/**
 * Makes a value of a stored plaintext. `shared` says whether the result will be handed to other
 * readers too (the barrier shares from a value's second read on): then it must be something
 * nobody can change (deepFreeze it); otherwise it goes to this reader only, and freezing it would
 * be wasted work (a read spread over many values mostly reads each once).
 */
export type Decoder<T> = (plain: Uint8Array, shared: boolean) => T;

/** A storage with shared decoded reads (see the module comment). */
export interface DecodingStorage {
  /**
   * `decode(value, shared)` of the value at `key`, or undefined when there is none. Calls with the
   * same `decode` function may get the very same object (one made with `shared` true) for as long
   * as the stored value is unchanged.
   */
  getDecoded<T>(key: string, decode: Decoder<T>): Promise<T | undefined>;
}

/** `decode` of the value at `key` through the storage's shared decoded reads when it has them. */
export function getDecoded<T>(storage: Storage, key: string, decode: Decoder<T>): Promise<T | undefined> {
  const s = storage as Storage & Partial<DecodingStorage>;
  if (typeof s.getDecoded === 'function') return s.getDecoded(key, decode);
  return storage.get(key).then((raw) => (raw === undefined ? undefined : decode(raw, false)));
}
