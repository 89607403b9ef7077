/**
 * Login lockout (Vault ≥1.13 semantics): after `threshold` failed logins for the same alias
 * (user name or role id) on one auth mount within `counterReset`, further logins are refused
 * for `duration` without checking the credential. A success resets the counter. Defaults:
 * 5 failures, 15 minutes, 15 minutes; tunable per mount via `user_lockout_config`.
 */
import { createHash } from 'node:crypto';
import type { Storage } from '../storage/types.js';
import type { MountEntry } from './backend.js';
import { parseDuration } from './fields.js';

/** Lockout settings of one mount. */
export interface LockoutConfig {
  threshold: number;
  durationMs: number;
  counterResetMs: number;
  disabled: boolean;
}

/** Vault's defaults. */
export const DEFAULT_LOCKOUT: LockoutConfig = { threshold: 5, durationMs: 15 * 60_000, counterResetMs: 15 * 60_000, disabled: false };

interface Counter {
  /** The user name or role id (kept inside the encrypted entry, hashed in its key). */
  alias: string;
  failures: number;
  firstFailure: number;
  lockedUntil: number;
}

/** Reads `user_lockout_config` from a mount's tunables. */
export function lockoutConfigFor(mount: MountEntry): LockoutConfig {
  const raw = (mount.config.extra?.user_lockout_config ?? {}) as Record<string, unknown>;
  const cfg = { ...DEFAULT_LOCKOUT };
  if (process.env.COFFER_DISABLE_USER_LOCKOUT === 'true' || process.env.VAULT_DISABLE_USER_LOCKOUT === 'true') cfg.disabled = true;
  if (raw.lockout_threshold !== undefined) cfg.threshold = Number(raw.lockout_threshold) || DEFAULT_LOCKOUT.threshold;
  if (raw.lockout_duration !== undefined) cfg.durationMs = parseDuration(raw.lockout_duration, 'lockout_duration') * 1000;
  // Vault's docs say lockout_counter_reset; some clients send lockout_counter_reset_duration.
  const reset = raw.lockout_counter_reset ?? raw.lockout_counter_reset_duration;
  if (reset !== undefined) cfg.counterResetMs = parseDuration(reset, 'lockout_counter_reset') * 1000;
  if (raw.lockout_disable === true || raw.lockout_disable === 'true') cfg.disabled = true;
  return cfg;
}

/** Aliases whose storage key is remembered (see LoginLockout.key). */
const KEY_MEMO = 1024;

/** A listing of every counter is not worth doing every tick. */
const TIDY_EVERY_MS = 60_000;

/** Runs `fn` in its own storage transaction, committed even when the surrounding request fails. */
export type DetachedRunner = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * Lockout accounting for all auth mounts, kept in storage (a barrier view, e.g. `sys/lockout/`) so
 * that failures on any node count toward one limit and survive restarts. Layout:
 *
 *   <mount accessor>/<sha256(alias) hex>   { alias, failures, firstFailure, lockedUntil }
 *
 * The alias is hashed in the key because storage keys are not encrypted (a role-id is half a
 * credential); the entry itself, with the alias, is barrier-encrypted.
 *
 * A failure is recorded in a transaction of its own (`detached`): the login that failed is refused,
 * and its own transaction is discarded, but the failure must still count. Reads made by `isLocked`
 * inside the request's transaction make a concurrent failure on another node a conflict, so a
 * login that raced a lockout is retried and refused.
 */
export class LoginLockout {
  /** Failed logins and lockouts seen by this node since it started (for sys/metrics). */
  readonly stats = { failures: 0, lockouts: 0 };

  constructor(
    private readonly storage: Storage,
    private readonly now: () => number,
    private readonly detached: DetachedRunner = (fn) => fn(),
  ) {}

  /**
   * Keys of recently seen aliases: a login computes its key twice (isLocked, then succeeded or
   * failed), and a busy client logs in with the same alias again and again. Bounded (cleared when
   * full); a key is a pure function of its inputs, so an entry can never be stale.
   */
  private readonly keys = new Map<string, string>();

  private key(mountAccessor: string, alias: string): string {
    const memo = `${mountAccessor}\0${alias}`;
    let key = this.keys.get(memo);
    if (key === undefined) {
      if (this.keys.size >= KEY_MEMO) this.keys.clear();
      key = `${mountAccessor}/${createHash('sha256').update(alias, 'utf8').digest('hex')}`;
      this.keys.set(memo, key);
    }
    return key;
  }

  private async read(key: string): Promise<Counter | undefined> {
    const raw = await this.storage.get(key);
    return raw ? (JSON.parse(Buffer.from(raw).toString('utf8')) as Counter) : undefined;
  }

  /** True while `alias` is locked out on `mount`. */
  async isLocked(mount: MountEntry, alias: string): Promise<boolean> {
    const cfg = lockoutConfigFor(mount);
    if (cfg.disabled) return false;
    const c = await this.read(this.key(mount.accessor, alias));
    return !!c && c.lockedUntil > this.now();
  }

  /** Records a failed login (committed on its own); returns true when this failure locked the alias. */
  async failed(mount: MountEntry, alias: string): Promise<boolean> {
    this.stats.failures++;
    const cfg = lockoutConfigFor(mount);
    if (cfg.disabled) return false;
    const key = this.key(mount.accessor, alias);
    const locked = await this.detached(async () => {
      const now = this.now();
      let c = await this.read(key);
      if (!c || now - c.firstFailure > cfg.counterResetMs || (c.lockedUntil && c.lockedUntil <= now)) {
        c = { alias, failures: 0, firstFailure: now, lockedUntil: 0 };
      }
      c.failures++;
      const locked = c.failures >= cfg.threshold;
      if (locked) c.lockedUntil = now + cfg.durationMs;
      await this.storage.put(key, Buffer.from(JSON.stringify(c)));
      return locked;
    });
    if (locked) this.stats.lockouts++;
    return locked;
  }

  /** A successful login resets the counter. */
  async succeeded(mount: MountEntry, alias: string): Promise<void> {
    const key = this.key(mount.accessor, alias);
    // Most logins have no counter: a read first saves a write (and its fsync) per login.
    if (await this.storage.get(key)) await this.storage.delete(key);
  }

  /** Locked aliases of one mount (for `sys/locked-users`). */
  async locked(mount: MountEntry): Promise<string[]> {
    const now = this.now();
    const out: string[] = [];
    for (const name of await this.storage.list(`${mount.accessor}/`)) {
      const c = await this.read(`${mount.accessor}/${name}`);
      if (c && c.lockedUntil > now) out.push(c.alias);
    }
    return out.sort();
  }

  /** Unlocks one alias (`sys/locked-users/:accessor/unlock/:alias`). */
  async unlock(mountAccessor: string, alias: string): Promise<void> {
    await this.storage.delete(this.key(mountAccessor, alias));
  }

  private lastTidy = 0;

  /** Drops counters whose windows have passed (bounded storage under password spraying); at most once a minute. */
  async tidy(): Promise<void> {
    const now = this.now();
    if (now - this.lastTidy < TIDY_EVERY_MS) return;
    this.lastTidy = now;
    for (const accessor of await this.storage.list('')) {
      for (const name of await this.storage.list(accessor)) {
        const key = `${accessor}${name}`;
        const c = await this.read(key);
        if (c && c.lockedUntil <= now && now - c.firstFailure > DEFAULT_LOCKOUT.counterResetMs * 4) await this.storage.delete(key);
      }
    }
  }
}
