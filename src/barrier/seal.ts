/**
 * Seals: how the key-encryption key (KEK) that protects the root key is obtained.
 * - `shamir`: the KEK is split into shares at init; a threshold of them reconstructs it.
 *   The library cannot tell a wrong share, so a bad combination shows up as a GCM failure
 *   when the root key is decrypted, and the progress is reset.
 * - `static`: the KEK is read from a key file (mode 0600), for auto-unseal.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { combine, split } from 'shamir-secret-sharing';
import type { Storage } from '../storage/types.js';
import { DecryptError } from './aead.js';
import type { Barrier } from './barrier.js';

const CONFIG_PATH = 'seal/config';

/** Seal parameters, stored in plaintext (they are not secret). */
export interface SealConfig {
  type: 'shamir' | 'static';
  secretShares: number;
  secretThreshold: number;
}

/** Thrown for invalid init parameters or unseal keys; the message is safe to show. */
export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

/** Unseal progress as `sys/seal-status` reports it. */
export interface UnsealProgress {
  sealed: boolean;
  progress: number;
  threshold: number;
  shares: number;
  nonce: string;
}

/** Drives initialization and unsealing of a Barrier. */
export class SealManager {
  private pending: Buffer[] = [];
  private nonce = '';
  private cached: SealConfig | undefined;

  /**
   * @param staticKey when set, the seal is `static`: this 32-byte key is the KEK.
   */
  constructor(
    private readonly physical: Storage,
    private readonly barrier: Barrier,
    private readonly staticKey?: Buffer,
  ) {}

  /** The stored seal configuration, or undefined before init. */
  async config(): Promise<SealConfig | undefined> {
    if (this.cached) return this.cached;
    const raw = await this.physical.get(CONFIG_PATH);
    if (!raw) return undefined;
    this.cached = JSON.parse(Buffer.from(raw).toString('utf8')) as SealConfig;
    return this.cached;
  }

  /** The seal type this server runs with. */
  get type(): SealConfig['type'] {
    return this.staticKey ? 'static' : 'shamir';
  }

  /**
   * Initializes the barrier. Returns the unseal key shares (none for a static seal).
   * Leaves the barrier **unsealed** so core can write its initial state; core seals it
   * again afterwards when the seal is Shamir.
   */
  async initialize(shares: number, threshold: number): Promise<Buffer[]> {
    if (await this.config()) throw new SealError('Vault is already initialized');
    if (this.staticKey) {
      await this.barrier.initialize(this.staticKey);
      await this.writeConfig({ type: 'static', secretShares: 0, secretThreshold: 0 });
      return [];
    }
    validateShares(shares, threshold);
    const kek = randomBytes(32);
    const keys = shares === 1 ? [Buffer.from(kek)] : (await split(new Uint8Array(kek), shares, threshold)).map((s) => Buffer.from(s));
    await this.barrier.initialize(kek);
    await this.writeConfig({ type: 'shamir', secretShares: shares, secretThreshold: threshold });
    kek.fill(0);
    return keys;
  }

  /** Unseals with the static key (auto-unseal). */
  async unsealWithStaticKey(): Promise<void> {
    if (!this.staticKey) throw new SealError('no static seal key configured');
    try {
      await this.barrier.unseal(this.staticKey);
    } catch (err) {
      if (err instanceof DecryptError) throw new SealError('the static seal key does not match this storage');
      throw err;
    }
  }

  /**
   * Adds one unseal key share. When the threshold is reached the shares are combined and
   * tried; a wrong combination resets the progress and throws a SealError.
   */
  async submitShare(share: Buffer): Promise<UnsealProgress> {
    const cfg = await this.config();
    if (!cfg) throw new SealError('Vault is not initialized');
    if (!this.barrier.sealed) return this.progress();
    if (cfg.type !== 'shamir') throw new SealError('this server uses a static seal key; unseal shares are not used');
    // A share submitted twice does not count twice (Vault ignores duplicates).
    if (this.pending.some((p) => p.length === share.length && timingSafeEqual(p, share))) return this.progress();
    if (this.pending.length === 0) this.nonce = randomBytes(16).toString('hex');
    this.pending.push(Buffer.from(share));
    if (this.pending.length < cfg.secretThreshold) return this.progress();

    // Take the shares out of the progress first (they are wiped below, after use).
    const shares = this.pending;
    this.pending = [];
    this.nonce = '';
    const kek = await combineShares(cfg, shares, 'unseal failed');
    try {
      await this.barrier.unseal(kek);
    } catch (err) {
      if (err instanceof DecryptError) throw new SealError('cipher: message authentication failed (wrong unseal keys; progress was reset)');
      throw err;
    } finally {
      kek.fill(0);
      for (const s of shares) s.fill(0);
    }
    return this.progress();
  }

  /**
   * Whether `shares` (a threshold of them) reconstruct this server's key, proven by opening the
   * root key; nothing changes whatever the answer (root token generation on an unsealed server).
   * The shares are wiped. Throws a SealError when they cannot be combined at all.
   */
  async verifyShares(shares: Buffer[]): Promise<boolean> {
    const cfg = await this.config();
    try {
      if (!cfg || cfg.type !== 'shamir') throw new SealError('this server uses a static seal key; it has no key shares');
      const kek = await combineShares(cfg, shares, 'root token generation failed');
      try {
        return await this.barrier.verifyKek(kek);
      } finally {
        kek.fill(0);
      }
    } finally {
      for (const s of shares) s.fill(0);
    }
  }

  /**
   * Rekey: when `shares` (a threshold of the current ones) open the root key, makes a new key
   * split into `newShares` with `newThreshold`, and stores the root key under it together with
   * the new configuration in one batch (the request's transaction). Returns the new shares, or
   * undefined when the old shares do not open this server. The old shares stop working when
   * this commits; stored data is not re-encrypted (the root key is unchanged). Wipes `shares`.
   */
  async rekey(shares: Buffer[], newShares: number, newThreshold: number): Promise<Buffer[] | undefined> {
    const cfg = await this.config();
    try {
      if (!cfg || cfg.type !== 'shamir') throw new SealError('this server uses a static seal key; it has no key shares to rekey');
      validateShares(newShares, newThreshold);
      const oldKek = await combineShares(cfg, shares, 'rekey failed');
      const newKek = randomBytes(32);
      try {
        // Opening the root key with the old key is the proof that the shares are right.
        const rootOp = await this.barrier.rekeyRootOp(oldKek, newKek);
        if (!rootOp) return undefined;
        const keys = newShares === 1 ? [Buffer.from(newKek)] : (await split(new Uint8Array(newKek), newShares, newThreshold)).map((s) => Buffer.from(s));
        const next: SealConfig = { type: 'shamir', secretShares: newShares, secretThreshold: newThreshold };
        await this.physical.batch([rootOp, { type: 'put', key: CONFIG_PATH, value: Buffer.from(JSON.stringify(next)) }]);
        // Dropped, not set: read again after the commit (a discarded transaction must not leave it behind).
        this.cached = undefined;
        return keys;
      } finally {
        oldKek.fill(0);
        newKek.fill(0);
      }
    } finally {
      for (const s of shares) s.fill(0);
    }
  }

  /** The storage key of the seal configuration (another node's rekey changes it). */
  static readonly configKey = CONFIG_PATH;

  /** Forgets the cached seal configuration (an initialization that did not commit). */
  forgetConfig(): void {
    this.cached = undefined;
  }

  /** Forgets submitted shares. */
  resetProgress(): void {
    for (const s of this.pending) s.fill(0);
    this.pending = [];
    this.nonce = '';
  }

  /** Current progress. */
  progress(): UnsealProgress {
    const cfg = this.cached;
    return {
      sealed: this.barrier.sealed,
      progress: this.pending.length,
      threshold: cfg?.secretThreshold ?? 0,
      shares: cfg?.secretShares ?? 0,
      nonce: this.nonce,
    };
  }

  private async writeConfig(cfg: SealConfig): Promise<void> {
    await this.physical.put(CONFIG_PATH, Buffer.from(JSON.stringify(cfg)));
    this.cached = cfg;
  }
}

/** The key that a threshold of `shares` makes (a single share is the key itself). */
async function combineShares(cfg: SealConfig, shares: Buffer[], what: string): Promise<Buffer> {
  try {
    return cfg.secretThreshold === 1 ? Buffer.from(shares[0]!) : Buffer.from(await combine(shares.map((s) => new Uint8Array(s))));
  } catch {
    throw new SealError(`${what}: the key shares could not be combined (are they from this server?)`);
  }
}

/** Vault's init rules for share counts. */
export function validateShares(shares: number, threshold: number): void {
  if (!Number.isInteger(shares) || !Number.isInteger(threshold)) throw new SealError('secret_shares and secret_threshold must be integers');
  if (shares < 1) throw new SealError('secret shares must be at least one');
  if (threshold < 1) throw new SealError('secret threshold must be at least one');
  if (shares > 255) throw new SealError('secret shares must be at most 255');
  if (threshold > shares) throw new SealError('secret threshold cannot be larger than secret shares');
  if (shares > 1 && threshold < 2) throw new SealError('threshold must be greater than one for multiple shares');
}
