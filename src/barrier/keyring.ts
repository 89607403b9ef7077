/**
 * The keyring: data-encryption keys by term. Rotation adds a term used for new writes;
 * older terms stay so existing values still decrypt. The keyring itself is stored
 * encrypted under the root key.
 */
import { randomBytes } from 'node:crypto';

/** One data-encryption key. */
export interface KeyTerm {
  term: number;
  key: Buffer;
  /** Unix ms. */
  installTime: number;
  /** Values encrypted under this term (approximate across restarts: persisted on rotation and seal). */
  encryptions: number;
}

/** NIST SP 800-38D bound on random-nonce GCM encryptions per key, as Vault uses (≈0.9·2^32). */
export const DEFAULT_MAX_OPERATIONS = 3_865_470_566;

/** An in-memory keyring. */
export class Keyring {
  private readonly terms = new Map<number, KeyTerm>();
  private active!: KeyTerm;

  private constructor(readonly rootKey: Buffer) {}

  /** A new keyring with a fresh root key and term 1. */
  static create(now: number): Keyring {
    const ring = new Keyring(randomBytes(32));
    ring.addTerm({ term: 1, key: randomBytes(32), installTime: now, encryptions: 0 });
    return ring;
  }

  /** Rebuilds a keyring from its serialized form. */
  static fromJSON(rootKey: Buffer, json: string): Keyring {
    const parsed = JSON.parse(json) as { terms: { term: number; key: string; installTime: number; encryptions: number }[] };
    const ring = new Keyring(rootKey);
    for (const t of parsed.terms) ring.addTerm({ term: t.term, key: Buffer.from(t.key, 'base64'), installTime: t.installTime, encryptions: t.encryptions });
    return ring;
  }

  private addTerm(t: KeyTerm): void {
    this.terms.set(t.term, t);
    if (!this.active || t.term > this.active.term) this.active = t;
  }

  /** The term used for new writes. */
  get activeTerm(): KeyTerm {
    return this.active;
  }

  /** The key for `term`, if this keyring has it. */
  keyFor(term: number): Buffer | undefined {
    return this.terms.get(term)?.key;
  }

  /** Adds term+1 and makes it active. */
  rotate(now: number): KeyTerm {
    const t: KeyTerm = { term: this.active.term + 1, key: randomBytes(32), installTime: now, encryptions: 0 };
    this.addTerm(t);
    return t;
  }

  /**
   * A new keyring with this one's terms plus those only `other` has (same root key); each term's
   * encryption count is the larger of the two (counts are per node; the larger is the safer bound).
   */
  mergedWith(other: Keyring): Keyring {
    const ring = Keyring.fromJSON(this.rootKey, this.toJSON());
    for (const t of other.terms.values()) {
      const mine = ring.terms.get(t.term);
      if (!mine) ring.addTerm({ ...t, key: Buffer.from(t.key) });
      else mine.encryptions = Math.max(mine.encryptions, t.encryptions);
    }
    return ring;
  }

  /** Serialized form (to be encrypted under the root key before it is stored). */
  toJSON(): string {
    return JSON.stringify({
      terms: [...this.terms.values()].map((t) => ({ term: t.term, key: t.key.toString('base64'), installTime: t.installTime, encryptions: t.encryptions })),
    });
  }

  /** Overwrites key material in memory (on seal). */
  wipe(): void {
    this.rootKey.fill(0);
    for (const t of this.terms.values()) t.key.fill(0);
    this.terms.clear();
  }
}
