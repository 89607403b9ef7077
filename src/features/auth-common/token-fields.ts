/**
 * The `token_*` fields every auth method's roles/users carry (Vault's sdk/helper/tokenutil),
 * shared by approle and userpass: lenient parsing (the CLI sends `token_ttl="1h"`,
 * `token_policies="a,b"`), legacy aliases (`policies`, `period`, `ttl`, ...), the read view
 * in integer seconds, and the parameters for core's issueToken.
 */
import type { IssueTokenParams } from '../../core/backend.js';
import { parseCidrs } from '../../core/cidr.js';
import { badRequest } from '../../core/errors.js';
import { optBool, optDuration, optInt, optString, optStringList } from '../../core/fields.js';

/** Token settings as stored (Vault's field names; durations in seconds). */
export interface TokenFields {
  token_policies: string[];
  token_ttl: number;
  token_max_ttl: number;
  token_explicit_max_ttl: number;
  token_period: number;
  token_num_uses: number;
  token_bound_cidrs: string[];
  token_no_default_policy: boolean;
  /** `default`, `service`, `batch` or `default-batch` (the mount's token_type settles `default`). */
  token_type: string;
}

/** A legacy field name and the token field it feeds, e.g. `policies` → `token_policies`. */
export type LegacyAliases = Partial<Record<string, keyof TokenFields>>;

/** The token fields of a fresh role or user. */
export function defaultTokenFields(): TokenFields {
  return {
    token_policies: [],
    token_ttl: 0,
    token_max_ttl: 0,
    token_explicit_max_ttl: 0,
    token_period: 0,
    token_num_uses: 0,
    token_bound_cidrs: [],
    token_no_default_policy: false,
    token_type: 'default',
  };
}

/** Vault's ParsePolicies: lower-cased, trimmed, de-duplicated, sorted; accepts a list or a comma string. */
export function parsePolicies(data: Record<string, unknown>, field: string): string[] | undefined {
  const list = optStringList(data, field);
  if (list === undefined) return undefined;
  return [...new Set(list.map((p) => p.trim().toLowerCase()).filter((p) => p !== ''))].sort();
}

/** Reads a CIDR list field (list or comma string) and validates each block. */
export function parseCidrField(data: Record<string, unknown>, field: string): string[] | undefined {
  const list = optStringList(data, field);
  return list === undefined ? undefined : parseCidrs(list, field);
}

function parseTokenType(data: Record<string, unknown>, field: string): string | undefined {
  const raw = optString(data, field);
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  if (value === '' || value === 'default' || value === 'default-service') return 'default';
  if (value === 'service' || value === 'batch' || value === 'default-batch') return value;
  throw badRequest(`invalid value for "${field}": expected "default", "service", "batch" or "default-batch"`);
}

/** Parses one token field from `data[field]`; undefined when absent. */
function parseOne(data: Record<string, unknown>, field: string, target: keyof TokenFields): unknown {
  switch (target) {
    case 'token_policies':
      return parsePolicies(data, field);
    case 'token_ttl':
    case 'token_max_ttl':
    case 'token_explicit_max_ttl':
    case 'token_period':
      return optDuration(data, field);
    case 'token_num_uses':
      return optInt(data, field, { min: 0 });
    case 'token_bound_cidrs':
      return parseCidrField(data, field);
    case 'token_no_default_policy':
      return optBool(data, field);
    case 'token_type':
      return parseTokenType(data, field);
  }
}

const TOKEN_KEYS: (keyof TokenFields)[] = Object.keys(defaultTokenFields()) as (keyof TokenFields)[];

/** Every request field the token settings accept: the `token_*` names and the given legacy aliases (a route's `fields`). */
export function tokenFieldNames(aliases: LegacyAliases): string[] {
  return [...TOKEN_KEYS, ...Object.keys(aliases)];
}

/**
 * Applies the token fields present in `data` to `target` (absent fields keep their value).
 * A modern field wins over its legacy alias and clears it from `legacy`; a legacy alias alone
 * sets the modern field and is remembered in `legacy`, so reads show it again as Vault does.
 */
export function applyTokenFields(target: TokenFields, data: Record<string, unknown>, aliases: LegacyAliases, legacy: Set<string>): void {
  const record = target as unknown as Record<string, unknown>;
  for (const key of TOKEN_KEYS) {
    const oldNames = Object.entries(aliases).filter(([, to]) => to === key).map(([from]) => from);
    const modern = parseOne(data, key, key);
    if (modern !== undefined) {
      record[key] = modern;
      for (const name of oldNames) legacy.delete(name);
      continue;
    }
    for (const name of oldNames) {
      const old = parseOne(data, name, key);
      if (old !== undefined) {
        record[key] = old;
        legacy.add(name);
      }
    }
  }
}

/** Cross-field checks run after every change. */
export function validateTokenFields(t: TokenFields): void {
  if (t.token_max_ttl > 0 && t.token_ttl > t.token_max_ttl) {
    throw badRequest('"token_ttl" must not be greater than "token_max_ttl" (give a smaller token_ttl or a larger token_max_ttl)');
  }
  if (t.token_explicit_max_ttl > 0 && t.token_ttl > t.token_explicit_max_ttl) {
    throw badRequest('"token_ttl" must not be greater than "token_explicit_max_ttl"');
  }
  if (t.token_type === 'batch' || t.token_type === 'default-batch') {
    // Batch tokens are not stored, so they cannot count uses, be periodic or carry an explicit max.
    if (t.token_period > 0) throw badRequest("'token_type' cannot be 'batch' or 'default-batch' when set to generate periodic tokens");
    if (t.token_num_uses > 0) throw badRequest("'token_type' cannot be 'batch' or 'default-batch' when set to generate tokens with limited use count");
    if (t.token_explicit_max_ttl > 0) throw badRequest("'token_type' cannot be 'batch' or 'default-batch' when set to generate tokens with an explicit max TTL");
  }
}

/** The read view: every token field, durations in integer seconds, plus the legacy names in use. */
export function tokenFieldsView(t: TokenFields, aliases: LegacyAliases, legacy: Iterable<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    token_bound_cidrs: [...t.token_bound_cidrs],
    token_explicit_max_ttl: t.token_explicit_max_ttl,
    token_max_ttl: t.token_max_ttl,
    token_no_default_policy: t.token_no_default_policy,
    token_num_uses: t.token_num_uses,
    token_period: t.token_period,
    token_policies: [...t.token_policies],
    token_ttl: t.token_ttl,
    token_type: t.token_type,
  };
  for (const name of legacy) {
    const to = aliases[name];
    if (to) out[name] = Array.isArray(t[to]) ? [...(t[to] as string[])] : t[to];
  }
  return out;
}

/** The parameters core's issueToken takes for a login with these settings. */
export function issueParams(t: TokenFields): IssueTokenParams {
  return {
    policies: [...t.token_policies],
    ttl: t.token_ttl,
    maxTTL: t.token_max_ttl,
    explicitMaxTTL: t.token_explicit_max_ttl,
    period: t.token_period,
    numUses: t.token_num_uses,
    noDefaultPolicy: t.token_no_default_policy,
    boundCidrs: [...t.token_bound_cidrs],
    type: t.token_type as IssueTokenParams['type'],
    renewable: true,
  };
}
