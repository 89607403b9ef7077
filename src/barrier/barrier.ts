/**
 * The security barrier: a Storage whose values are encrypted with AES-256-GCM before
 * they reach the untrusted physical storage. While sealed the keyring is not in memory
 * and every operation throws SealedError.
 *
 * Physical layout: `seal/config` (plaintext seal parameters), `seal/root-key` (root key
 * encrypted under the key-encryption key that the unseal shares or the static key
 * reconstruct), `seal/keyring` (keyring encrypted under the root key). Every other key
 * is a barrier key, encrypted under the active keyring term with its path as AAD.
 */
import type { BatchOp, ListOptions, Storage } from '../storage/types.js';
import type { Decoder } from '../storage/decoded.js';
import { promiseOf } from '../storage/promise-step.js';
import { DecryptError, open, seal, termOf } from './aead.js';
import { DEFAULT_MAX_OPERATIONS, Keyring, type KeyTerm } from './keyring.js';
import { PlainMemo } from './plain-memo.js';

/** Physical keys the barrier reserves for itself. */
export const SEAL_PREFIX = 'seal/';
const ROOT_KEY_PATH = 'seal/root-key';
const KEYRING_PATH = 'seal/keyring';

/** Thrown by every data operation while the barrier is sealed. */
export class SealedError extends Error {
  constructor() {
    super('Vault is sealed');
    this.name = 'SealedError';
  }
}

/** Key status as reported by `sys/key-status`. */
export interface KeyStatus {
  term: number;
  installTime: number;
  encryptions: number;
}

/** The encrypting view over physical storage. */
export class Barrier implements Storage {
  private keyring: Keyring | undefined;
  /** Recently opened values (see plain-memo.ts); emptied on seal and whenever the keyring changes. */
  private readonly memo = new PlainMemo();

  /**
   * @param atomically runs `fn` as a transaction of its own, committed when it resolves (even inside a
   *   request's transaction). Keyring changes go through it so a new term is only used for
   *   encryption once it is durably stored: data written under a term that never committed would be
   *   unreadable. The default (no transactions) runs `fn` as it is.
   */
  constructor(
    private readonly physical: Storage,
    private readonly now: () => number = Date.now,
    private readonly maxOperations = DEFAULT_MAX_OPERATIONS,
    private readonly atomically: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
  ) {}

  /** True while no keyring is loaded. */
  get sealed(): boolean {
    return this.keyring === undefined;
  }

  /** Whether a root key has been written (the server was initialized). */
  async initialized(): Promise<boolean> {
    return (await this.physical.get(ROOT_KEY_PATH)) !== undefined;
  }

  /**
   * Creates the root key and the first keyring term, encrypted under `kek`, and leaves the
   * barrier unsealed so the caller can write initial state.
   */
  async initialize(kek: Buffer): Promise<void> {
    if (await this.initialized()) throw new Error('barrier is already initialized');
    const ring = Keyring.create(this.now());
    await this.physical.batch([
      { type: 'put', key: ROOT_KEY_PATH, value: seal(kek, 0, ROOT_KEY_PATH, ring.rootKey) },
      { type: 'put', key: KEYRING_PATH, value: seal(ring.rootKey, 0, KEYRING_PATH, Buffer.from(ring.toJSON())) },
    ]);
    this.keyring = ring;
  }

  /** Loads the keyring with `kek`; throws DecryptError when the key is wrong. */
  async unseal(kek: Buffer): Promise<void> {
    const sealedRoot = await this.physical.get(ROOT_KEY_PATH);
    const sealedRing = await this.physical.get(KEYRING_PATH);
    if (!sealedRoot || !sealedRing) throw new Error('barrier is not initialized');
    const rootKey = open(kek, ROOT_KEY_PATH, sealedRoot);
    this.keyring = Keyring.fromJSON(rootKey, open(rootKey, KEYRING_PATH, sealedRing).toString('utf8'));
  }

  /**
   * Whether `kek` opens this barrier's root key, without touching the loaded keyring (root token
   * generation proves a quorum of shares this way on an unsealed server). AES-GCM authenticates:
   * a wrong key fails to open, it cannot yield a different key.
   */
  async verifyKek(kek: Buffer): Promise<boolean> {
    const sealedRoot = await this.physical.get(ROOT_KEY_PATH);
    if (!sealedRoot) return false;
    try {
      open(kek, ROOT_KEY_PATH, sealedRoot).fill(0);
      return true;
    } catch (err) {
      if (err instanceof DecryptError) return false;
      throw err;
    }
  }

  /**
   * The root key re-encrypted under `newKek` (after `oldKek` opened it), as the batch op that
   * stores it: the caller commits it together with the new seal configuration (rekey). The root
   * key itself, and so every stored value, stays as it is. Undefined when `oldKek` does not open it.
   */
  async rekeyRootOp(oldKek: Buffer, newKek: Buffer): Promise<BatchOp | undefined> {
    const sealedRoot = await this.physical.get(ROOT_KEY_PATH);
    if (!sealedRoot) throw new Error('barrier is not initialized');
    let rootKey: Buffer;
    try {
      rootKey = open(oldKek, ROOT_KEY_PATH, sealedRoot);
    } catch (err) {
      if (err instanceof DecryptError) return undefined;
      throw err;
    }
    try {
      return { type: 'put', key: ROOT_KEY_PATH, value: seal(newKek, 0, ROOT_KEY_PATH, rootKey) };
    } finally {
      rootKey.fill(0);
    }
  }

  /** Drops the keyring without storing it (an initialization whose transaction did not commit). */
  forget(): void {
    this.keyring?.wipe();
    this.keyring = undefined;
    this.memo.clear();
  }

  /** Persists counters, then drops every key from memory. */
  async seal(): Promise<void> {
    if (!this.keyring) return;
    try {
      await this.persistKeyring();
    } finally {
      this.keyring.wipe();
      this.keyring = undefined;
      this.memo.clear();
    }
  }

  /**
   * Adds a keyring term for new writes (`sys/rotate`). The new term is computed from the keyring
   * as stored (another node may have rotated since this one loaded it), stored, and only then
   * used here. Other nodes pick it up through {@link reloadKeyring}.
   */
  async rotate(): Promise<KeyTerm> {
    const rootKey = this.requireKeyring().rootKey;
    const next = await this.atomically(async () => {
      const ring = this.merged(await this.readStoredKeyring(rootKey));
      ring.rotate(this.now());
      await this.physical.put(KEYRING_PATH, seal(rootKey, 0, KEYRING_PATH, Buffer.from(ring.toJSON())));
      return ring;
    });
    this.keyring = next;
    return next.activeTerm;
  }

  /**
   * Reloads the keyring from storage, keeping the root key: another node rotated it, or a
   * value names a term this node has not seen yet. Terms only ever get added, so the result is
   * the union of what is stored and what is in memory.
   */
  async reloadKeyring(): Promise<void> {
    const rootKey = this.keyring?.rootKey;
    if (!rootKey) return;
    const stored = await this.readStoredKeyring(rootKey);
    if (this.keyring?.rootKey === rootKey) this.keyring = this.merged(stored);
  }

  /**
   * Whether `sealedRing` (a physical `seal/keyring` value, e.g. from a snapshot) opens with this
   * barrier's root key: only then can this server read data encrypted under it.
   */
  opensKeyring(sealedRing: Uint8Array): boolean {
    try {
      open(this.requireKeyring().rootKey, KEYRING_PATH, sealedRing);
      return true;
    } catch (err) {
      if (err instanceof DecryptError) return false;
      throw err;
    }
  }

  /** The stored keyring (a fresh object sharing nothing mutable with the one in memory). */
  private async readStoredKeyring(rootKey: Buffer): Promise<Keyring | undefined> {
    const raw = await this.physical.get(KEYRING_PATH);
    return raw ? Keyring.fromJSON(rootKey, open(rootKey, KEYRING_PATH, raw).toString('utf8')) : undefined;
  }

  /** `stored` plus any term only the in-memory keyring has, with the larger encryption counts. */
  private merged(stored: Keyring | undefined): Keyring {
    const mine = this.requireKeyring();
    return stored ? stored.mergedWith(mine) : Keyring.fromJSON(mine.rootKey, mine.toJSON());
  }

  /** The active term's status. */
  keyStatus(): KeyStatus {
    const t = this.requireKeyring().activeTerm;
    return { term: t.term, installTime: t.installTime, encryptions: t.encryptions };
  }

  /** Writes the keyring (with its counters) back to storage, merged with what is stored (never dropping a term). */
  async persistKeyring(): Promise<void> {
    const rootKey = this.requireKeyring().rootKey;
    await this.atomically(async () => {
      const ring = this.merged(await this.readStoredKeyring(rootKey));
      await this.physical.put(KEYRING_PATH, seal(rootKey, 0, KEYRING_PATH, Buffer.from(ring.toJSON())));
    });
  }

  get(key: string): Promise<Uint8Array | undefined> {
    // One promise step on the hot path, like getDecoded (see promise-step.ts).
    return promiseOf(() => this.readSealed(key)).then((raw) => {
      if (raw === undefined) return undefined;
      const k = this.requireKeyring().keyFor(termOf(raw));
      if (!k) return this.reloadedKeyFor(key, raw).then((reloaded) => this.openWith(reloaded, key, raw));
      return this.openWith(k, key, raw);
    });
  }

  /**
   * `decode(plaintext, shared)` of the value at `key`, shared from the value's second read on:
   * while the stored ciphertext stays the same, every later call with the same `decode` function
   * gets the very same object (one decode per stored value, see PlainMemo.getDecoded), made with
   * `shared` true, so `decode` must then return a value nobody can change (deepFreeze it). The
   * first read decodes with `shared` false for that reader alone: with reads spread over many
   * values most are read once, and freezing those was wasted work (measured: 7% of a random
   * KV read over 10,000 secrets). Reads through the transaction layer like get (the read is
   * recorded for the commit check). Values too large for the memo are decoded on each call.
   */
  getDecoded<T>(key: string, decode: Decoder<T>): Promise<T | undefined> {
    // One promise step on the hot path (a read of a memoized value), not an async function's two.
    return promiseOf(() => this.readSealed(key)).then((raw) => (raw === undefined ? undefined : this.decoded(key, raw, decode)));
  }

  /** getDecoded's value for `raw` read at `key`: the memo's, or decoded now (and remembered). */
  private decoded<T>(key: string, raw: Uint8Array, decode: Decoder<T>): T | Promise<T> {
    const hit = this.memo.getDecoded(this.requireKeyring(), key, raw, decode);
    if (hit !== undefined) return hit as T;
    const k = this.requireKeyring().keyFor(termOf(raw));
    if (!k) return this.reloadedKeyFor(key, raw).then((reloaded) => this.decodeWith(reloaded, key, raw, decode));
    return this.decodeWith(k, key, raw, decode);
  }

  private decodeWith<T>(k: Buffer, key: string, raw: Uint8Array, decode: Decoder<T>): T {
    const owner = this.requireKeyring();
    const memoized = this.memo.get(owner, key, raw);
    // First read of this stored value (its plaintext was not memoized): decoded for this reader only.
    if (memoized === undefined) return decode(this.openAndMemoize(k, key, raw), false);
    const value = decode(memoized, true);
    this.memo.setDecoded(owner, key, raw, decode, value);
    return value;
  }

  /** The stored (sealed) value at `key`, or undefined; refuses while sealed. */
  private readSealed(key: string): Promise<Uint8Array | undefined> {
    this.requireKeyring();
    checkKey(key);
    return this.physical.get(key);
  }

  /** The key of a term this node has not seen: written by a node that rotated the keyring after this one loaded it. */
  private async reloadedKeyFor(key: string, raw: Uint8Array): Promise<Buffer> {
    await this.reloadKeyring();
    const k = this.requireKeyring().keyFor(termOf(raw));
    if (!k) throw new DecryptError(`no key for term ${termOf(raw)} (value at ${key})`);
    return k;
  }

  /** Opens a sealed value read from `key` with its term's key `k` (through the memo). */
  private openWith(k: Buffer, key: string, raw: Uint8Array): Buffer {
    return this.memo.get(this.requireKeyring(), key, raw) ?? this.openAndMemoize(k, key, raw);
  }

  /** Opens a sealed value (authenticating it) and memoizes the pair. */
  private openAndMemoize(k: Buffer, key: string, raw: Uint8Array): Buffer {
    const plain = open(k, key, raw);
    this.memo.set(this.requireKeyring(), key, raw, plain);
    return plain;
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    checkKey(key);
    const sealed = this.encrypt(key, value);
    await this.physical.put(key, sealed);
    await this.maybeAutoRotate();
  }

  async delete(key: string): Promise<void> {
    this.requireKeyring();
    checkKey(key);
    this.memo.delete(key);
    await this.physical.delete(key);
  }

  async list(prefix: string, options?: ListOptions): Promise<string[]> {
    this.requireKeyring();
    const names = await this.physical.list(prefix, options);
    // The seal's own keys are not barrier data; hide them from a root listing.
    return prefix === '' ? names.filter((n) => n !== SEAL_PREFIX) : names;
  }

  /** Every key below `prefix`, recursively (names only: nothing to decrypt). */
  async scan(prefix: string, options?: ListOptions): Promise<string[]> {
    this.requireKeyring();
    const keys = await this.physical.scan(prefix, options);
    // The seal's own keys are not barrier data; hide them from a scan that reaches them.
    if (!SEAL_PREFIX.startsWith(prefix) && !prefix.startsWith(SEAL_PREFIX)) return keys;
    return keys.filter((k) => !(prefix + k).startsWith(SEAL_PREFIX));
  }

  batch(ops: BatchOp[]): Promise<void> {
    return promiseOf(() => {
      const physicalOps: BatchOp[] = ops.map((op) => {
        checkKey(op.key);
        if (op.type === 'delete') {
          this.memo.delete(op.key);
          return op;
        }
        return { type: 'put', key: op.key, value: this.encrypt(op.key, op.value) };
      });
      return this.physical.batch(physicalOps).then(() => this.maybeAutoRotate());
    });
  }

  async close(): Promise<void> {
    await this.physical.close();
  }

  /** Seals `value` for `key` under the active term; a memoized `key` is refreshed to the new pair (see PlainMemo.refresh). */
  private encrypt(key: string, value: Uint8Array): Buffer {
    const ring = this.requireKeyring();
    const term = ring.activeTerm;
    term.encryptions++;
    const sealed = seal(term.key, term.term, key, value);
    this.memo.refresh(ring, key, sealed, value);
    return sealed;
  }

  /** Rotates once the active term has sealed as many values as a term may; no promise at all otherwise (every write calls it). */
  private maybeAutoRotate(): Promise<void> | undefined {
    const ring = this.keyring;
    if (ring && ring.activeTerm.encryptions >= this.maxOperations) return this.rotate().then(() => undefined);
    return undefined;
  }

  private requireKeyring(): Keyring {
    if (!this.keyring) throw new SealedError();
    return this.keyring;
  }
}

function checkKey(key: string): void {
  if (key.startsWith(SEAL_PREFIX)) throw new Error(`barrier keys may not start with ${SEAL_PREFIX}`);
}
