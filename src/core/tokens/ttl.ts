/**
 * TTL arithmetic for tokens, following Vault's `framework.CalculateTTL`: one function for
 * both creation and renewal, so that the caps and their warnings are the same everywhere.
 */
import { badRequest } from '../errors.js';
import { formatDuration } from '../fields.js';

/** Vault's system default and maximum lease TTL: 768h (32 days), in seconds. */
export const SYSTEM_DEFAULT_TTL = 768 * 3600;
/** See SYSTEM_DEFAULT_TTL. */
export const SYSTEM_MAX_TTL = 768 * 3600;

/** Inputs of calculateTTL; every duration is whole seconds, every time is Unix ms. */
export interface TTLInput {
  /** The TTL the caller asked for now (`ttl` at creation, `increment` at renewal); 0 = none. */
  increment: number;
  /** The fallback TTL when no increment was asked for (e.g. a role's token_ttl); 0 = none. */
  backendTTL: number;
  /** Periodic tokens: every renewal sets the TTL to this; 0 = not periodic. */
  period: number;
  /** A backend's own cap (e.g. a role's token_max_ttl); 0 = none. */
  backendMaxTTL: number;
  /** A hard cap counted from the start time that renewals never pass; 0 = none. */
  explicitMaxTTL: number;
  /** Mount or system default TTL. */
  defaultTTL: number;
  /** Mount or system max TTL. */
  maxTTL: number;
  /** When the token was issued. */
  startTime: number;
  now: number;
}

/** The TTL to grant and any warnings about capping. */
export interface TTLResult {
  ttl: number;
  warnings: string[];
}

/**
 * Computes the TTL to grant. The effective max is the smallest of the mount/system max, the
 * backend max and the explicit max; the granted TTL never reaches past `startTime + max`
 * (periodic tokens are capped only by the explicit max). Throws 400 when that time has passed.
 */
export function calculateTTL(input: TTLInput): TTLResult {
  const warnings: string[] = [];
  let maxTTL = input.maxTTL;
  if (input.backendMaxTTL > 0 && input.backendMaxTTL < maxTTL) maxTTL = input.backendMaxTTL;
  if (input.explicitMaxTTL > 0 && input.explicitMaxTTL < maxTTL) maxTTL = input.explicitMaxTTL;
  if (maxTTL <= 0) throw badRequest('max TTL must be greater than zero');

  // Vault truncates both times to whole seconds; so do we, so the numbers match its output.
  const nowS = Math.floor(input.now / 1000);
  const startS = Math.floor(input.startTime / 1000);

  let ttl: number;
  let maxValidS: number | undefined;
  if (input.period > 0) {
    let period = input.period;
    if (period > maxTTL) {
      warnings.push(`period of "${formatDuration(period)}" exceeded the effective max_ttl of "${formatDuration(maxTTL)}"; period value is capped accordingly`);
      period = maxTTL;
    }
    ttl = period;
    if (input.explicitMaxTTL > 0) maxValidS = startS + input.explicitMaxTTL;
  } else {
    ttl = input.increment > 0 ? input.increment : input.backendTTL > 0 ? input.backendTTL : Math.min(input.defaultTTL, maxTTL);
    maxValidS = startS + maxTTL;
  }

  if (maxValidS !== undefined) {
    const maxValidTTL = maxValidS - nowS;
    if (maxValidTTL < 0) throw badRequest('past the max TTL, cannot renew');
    if (ttl > maxValidTTL) {
      warnings.push(`TTL of "${formatDuration(ttl)}" exceeded the effective max_ttl of "${formatDuration(maxValidTTL)}"; TTL value is capped accordingly`);
      ttl = maxValidTTL;
    }
  }
  return { ttl, warnings };
}
