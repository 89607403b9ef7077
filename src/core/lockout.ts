/**
 * Login lockout (Vault ≥1.13 semantics): after `threshold` failed logins for the same alias
 * (user name or role id) on one auth mount within `counterReset`, further logins are refused
 * for `duration` without checking the credential. A success resets the counter. Defaults:
 * 5 failures, 15 minutes, 15 minutes; tunable per mount via `user_lockout_config`.
 */
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

/** In-memory lockout accounting for all auth mounts of this node. */
export class LoginLockout {
  private readonly counters = new Map<string, Counter>();

  constructor(private readonly now: () => number) {}

  private key(mount: MountEntry, alias: string): string {
    return `${mount.accessor}\0${alias}`;
  }

  /** True while `alias` is locked out on `mount`. */
  isLocked(mount: MountEntry, alias: string): boolean {
    const cfg = lockoutConfigFor(mount);
    if (cfg.disabled) return false;
    const c = this.counters.get(this.key(mount, alias));
    return !!c && c.lockedUntil > this.now();
  }

  /** Records a failed login; returns true when this failure locked the alias. */
  failed(mount: MountEntry, alias: string): boolean {
    const cfg = lockoutConfigFor(mount);
    if (cfg.disabled) return false;
    const key = this.key(mount, alias);
    const now = this.now();
    let c = this.counters.get(key);
    if (!c || now - c.firstFailure > cfg.counterResetMs || (c.lockedUntil && c.lockedUntil <= now)) {
      c = { failures: 0, firstFailure: now, lockedUntil: 0 };
      this.counters.set(key, c);
    }
    c.failures++;
    if (c.failures >= cfg.threshold) {
      c.lockedUntil = now + cfg.durationMs;
      return true;
    }
    return false;
  }

  /** A successful login resets the counter. */
  succeeded(mount: MountEntry, alias: string): void {
    this.counters.delete(this.key(mount, alias));
  }

  /** Locked aliases of one mount (for `sys/locked-users`). */
  locked(mount: MountEntry): string[] {
    const prefix = `${mount.accessor}\0`;
    const now = this.now();
    return [...this.counters.entries()].filter(([k, c]) => k.startsWith(prefix) && c.lockedUntil > now).map(([k]) => k.slice(prefix.length));
  }

  /** Unlocks one alias (`sys/locked-users/:accessor/unlock/:alias`). */
  unlock(mountAccessor: string, alias: string): void {
    this.counters.delete(`${mountAccessor}\0${alias}`);
  }

  /** Drops counters whose windows have passed (bounded memory under password spraying). */
  tidy(): void {
    const now = this.now();
    for (const [k, c] of this.counters) {
      if (c.lockedUntil <= now && now - c.firstFailure > DEFAULT_LOCKOUT.counterResetMs * 4) this.counters.delete(k);
    }
  }
}
