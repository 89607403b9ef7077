/**
 * A small memo of recently opened values, so that reading the same stored value again (a KV
 * write's existence check and then its handler; the same secret read by many requests) costs a
 * byte comparison and a copy instead of another AES-GCM open.
 *
 * Invariant: a memo hit needs the exact ciphertext bytes that were authenticated and decrypted
 * for the same path under the same keyring — or that the barrier itself sealed from that
 * plaintext for that path under that keyring (`refresh`, on a write) — so it returns exactly
 * what `open` would. A write that never commits leaves an entry no stored value matches. The memo
 * keeps its own copy of those bytes (nobody else can change them), hands out copies of the
 * plaintext (callers may zero or change what they get), and is emptied whenever the keyring
 * object changes (seal, unseal, rotation, reload): no plaintext outlives an unsealed keyring.
 *
 * A memoized value may also carry one decoded form (Barrier.getDecoded): an immutable object
 * handed to every reader of that exact ciphertext, so hot reads skip the parse and later stages
 * can remember their work per object (the audit hashes of a KV version). It goes with its entry.
 */

import { AgingLru } from '../storage/aging-lru.js';
import { MAX_SHARED_DECODED_BYTES } from '../storage/decoded.js';

/**
 * Values larger than this are not memoized (memory bound; big values are rare on hot paths).
 * It is the shared-decode bound of storage/decoded.ts: a plaintext longer than that has a longer
 * ciphertext still, so it is never memoized and its decoded form never shared.
 */
const MAX_VALUE = MAX_SHARED_DECODED_BYTES;

/** One memoized value: the ciphertext, its plaintext and (once asked for) one decoded form of it. */
interface MemoEntry {
  cipher: Buffer;
  plain: Buffer;
  /** The value `decoder` made of `plain` (see getDecoded). */
  decoded?: { decoder: object; value: unknown };
}

/** Opened values by storage path, least recently used first (see AgingLru); bounded by entry count. */
export class PlainMemo {
  private readonly lru: AgingLru<MemoEntry>;
  private owner: object | undefined;

  constructor(maxEntries = 1024) {
    this.lru = new AgingLru<MemoEntry>(maxEntries);
  }

  /** A copy of the plaintext of `cipher` at `path` under `owner` (the keyring), if memoized. */
  get(owner: object, path: string, cipher: Uint8Array): Buffer | undefined {
    if (owner !== this.owner) return undefined;
    const hit = this.lru.get(path);
    if (!hit || !hit.cipher.equals(cipher)) return undefined;
    return Buffer.from(hit.plain);
  }

  /**
   * The value `decoder` made of the plaintext of `cipher` at `path` under `owner`, if it was
   * remembered with setDecoded: the very same object each time, so it must be immutable (the
   * barrier's callers deep-freeze it). Same invariant as get: exact ciphertext bytes, same keyring.
   */
  getDecoded(owner: object, path: string, cipher: Uint8Array, decoder: object): unknown {
    if (owner !== this.owner) return undefined;
    const hit = this.lru.get(path);
    if (!hit || hit.decoded?.decoder !== decoder || !hit.cipher.equals(cipher)) return undefined;
    return hit.decoded.value;
  }

  /** Remembers `value` as what `decoder` made of `cipher` at `path`, if that plaintext is memoized. */
  setDecoded(owner: object, path: string, cipher: Uint8Array, decoder: object, value: unknown): void {
    if (owner !== this.owner) return;
    const hit = this.lru.get(path);
    if (hit && hit.cipher.equals(cipher)) hit.decoded = { decoder, value };
  }

  /** Remembers that `cipher` at `path` opened to `plain` under `owner`. */
  set(owner: object, path: string, cipher: Uint8Array, plain: Buffer): void {
    if (cipher.length > MAX_VALUE) return;
    if (owner !== this.owner) this.clear(owner);
    this.lru.set(path, { cipher: Buffer.from(cipher), plain: Buffer.from(plain) });
  }

  /**
   * A write through the barrier sealed `plain` into `cipher` for `path` under `owner`: when the
   * path is memoized (it was read recently: a read-modify-write such as a KV secret's metadata),
   * the entry becomes the new pair, so reading the value back after its commit costs no
   * AES-GCM open. A path that is not memoized stays out (writes do not flush the memo).
   */
  refresh(owner: object, path: string, cipher: Uint8Array, plain: Uint8Array): void {
    if (owner !== this.owner) return;
    const old = this.lru.get(path);
    if (old === undefined) return;
    old.plain.fill(0);
    if (cipher.length > MAX_VALUE) {
      this.lru.delete(path);
      return;
    }
    this.lru.set(path, { cipher: Buffer.from(cipher), plain: Buffer.from(plain) });
  }

  /** Drops `path` (a write or delete through the barrier: the next read opens it again). */
  delete(path: string): void {
    this.lru.delete(path);
  }

  /**
   * Forgets everything (zeroing the plaintext copies, dropping the decoded values, which the
   * garbage collector then reclaims like any request's data) and binds the memo to `owner`.
   */
  clear(owner?: object): void {
    for (const { plain } of this.lru.values()) plain.fill(0);
    this.lru.clear();
    this.owner = owner;
  }
}
