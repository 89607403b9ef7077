/**
 * Token roles (`auth/token/roles/:name`): stored in the token mount's own storage view under
 * `roles/<name>`, parsed leniently like Vault's `tokenStoreRoleCreateUpdate`.
 */
import type { Storage } from '../../storage/types.js';
import { parseCidrs } from '../cidr.js';
import { badRequest } from '../errors.js';
import { optBool, optDuration, optInt, optString, optStringList } from '../fields.js';
import { sanitizePolicies } from './policies.js';

/** A token role. Durations are seconds. */
export interface TokenRole {
  name: string;
  allowedPolicies: string[];
  disallowedPolicies: string[];
  allowedPoliciesGlob: string[];
  disallowedPoliciesGlob: string[];
  orphan: boolean;
  renewable: boolean;
  pathSuffix: string;
  allowedEntityAliases: string[];
  tokenPeriod: number;
  tokenExplicitMaxTTL: number;
  /** Set only when the deprecated `period` / `explicit_max_ttl` names were used (echoed on read). */
  period: number;
  explicitMaxTTL: number;
  tokenType: 'default-service' | 'service' | 'batch' | 'default-batch';
  tokenBoundCidrs: string[];
  tokenNoDefaultPolicy: boolean;
  tokenNumUses: number;
}

/**
 * The fields a token-role write understands (Vault's token-role schema: no token_ttl,
 * token_max_ttl or token_policies, which token roles do not have).
 */
export const TOKEN_ROLE_FIELDS = [
  'allowed_entity_aliases', 'allowed_policies', 'allowed_policies_glob', 'bound_cidrs', 'disallowed_policies',
  'disallowed_policies_glob', 'explicit_max_ttl', 'orphan', 'path_suffix', 'period', 'renewable',
  'token_bound_cidrs', 'token_explicit_max_ttl', 'token_no_default_policy', 'token_num_uses', 'token_period', 'token_type',
] as const;

/** Vault's GenericNameRegex, as a pattern source with the group `role_name`. */
export const ROLE_NAME_PATTERN = String.raw`(?<role_name>\w(?:[\w.-]*\w)?)`;
const PATH_SUFFIX = /^\w[\w.-]+\w$/;
const PREFIX = 'roles/';
const enc = new TextEncoder();
const dec = new TextDecoder();

/** Reads a role, or undefined. */
export async function readRole(storage: Storage, name: string): Promise<TokenRole | undefined> {
  const raw = await storage.get(PREFIX + name);
  return raw ? (JSON.parse(dec.decode(raw)) as TokenRole) : undefined;
}

/** Stores a role. */
export async function writeRole(storage: Storage, role: TokenRole): Promise<void> {
  await storage.put(PREFIX + role.name, enc.encode(JSON.stringify(role)));
}

/** Deletes a role (no error when absent). */
export async function deleteRole(storage: Storage, name: string): Promise<void> {
  await storage.delete(PREFIX + name);
}

/** Role names, sorted. */
export async function listRoles(storage: Storage): Promise<string[]> {
  return (await storage.list(PREFIX)).filter((k) => !k.endsWith('/'));
}

function dedupeLower(list: string[]): string[] {
  return [...new Set(list.map((s) => s.trim().toLowerCase()).filter((s) => s !== ''))].sort();
}

/**
 * Applies a create/update request to a role. Fields absent from `data` keep their old value on
 * update and take their default on create (renewable true, everything else off).
 */
export function applyRoleUpdate(name: string, existing: TokenRole | undefined, data: Record<string, unknown>): { role: TokenRole; warnings: string[] } {
  const warnings: string[] = [];
  const role: TokenRole = existing ? { ...existing } : {
    name, allowedPolicies: [], disallowedPolicies: [], allowedPoliciesGlob: [], disallowedPoliciesGlob: [],
    orphan: false, renewable: true, pathSuffix: '', allowedEntityAliases: [], tokenPeriod: 0, tokenExplicitMaxTTL: 0,
    period: 0, explicitMaxTTL: 0, tokenType: 'default-service', tokenBoundCidrs: [], tokenNoDefaultPolicy: false, tokenNumUses: 0,
  };

  const orphan = optBool(data, 'orphan');
  if (orphan !== undefined) role.orphan = orphan;
  const renewable = optBool(data, 'renewable');
  if (renewable !== undefined) role.renewable = renewable;

  const suffix = optString(data, 'path_suffix');
  if (suffix !== undefined) {
    if (suffix !== '' && !PATH_SUFFIX.test(suffix)) {
      throw badRequest(`given role path suffix contains invalid characters; must match ${PATH_SUFFIX.source}`);
    }
    if (suffix.includes('..')) throw badRequest('error registering path suffix: path cannot contain parent references');
    role.pathSuffix = suffix;
  }

  const allowed = optStringList(data, 'allowed_policies');
  if (allowed !== undefined) role.allowedPolicies = sanitizePolicies(allowed, false);
  const disallowed = optStringList(data, 'disallowed_policies');
  if (disallowed !== undefined) role.disallowedPolicies = dedupeLower(disallowed);
  const allowedGlob = optStringList(data, 'allowed_policies_glob');
  if (allowedGlob !== undefined) role.allowedPoliciesGlob = sanitizePolicies(allowedGlob, false);
  const disallowedGlob = optStringList(data, 'disallowed_policies_glob');
  if (disallowedGlob !== undefined) role.disallowedPoliciesGlob = dedupeLower(disallowedGlob);
  const aliases = optStringList(data, 'allowed_entity_aliases');
  if (aliases !== undefined) role.allowedEntityAliases = dedupeLower(aliases);

  // token_* names win over their deprecated spellings, as in Vault.
  const tokenPeriod = optDuration(data, 'token_period');
  const period = optDuration(data, 'period');
  if (tokenPeriod !== undefined) {
    if (period !== undefined) warnings.push("Both 'token_period' and deprecated 'period' value supplied, ignoring the deprecated value");
    role.tokenPeriod = tokenPeriod;
    role.period = 0;
  } else if (period !== undefined) {
    role.tokenPeriod = period;
    role.period = period;
  }
  const tokenExplicit = optDuration(data, 'token_explicit_max_ttl');
  const explicit = optDuration(data, 'explicit_max_ttl');
  if (tokenExplicit !== undefined) {
    if (explicit !== undefined) warnings.push("Both 'token_explicit_max_ttl' and deprecated 'explicit_max_ttl' value supplied, ignoring the deprecated value");
    role.tokenExplicitMaxTTL = tokenExplicit;
    role.explicitMaxTTL = 0;
  } else if (explicit !== undefined) {
    role.tokenExplicitMaxTTL = explicit;
    role.explicitMaxTTL = explicit;
  }
  const cidrs = optStringList(data, 'token_bound_cidrs') ?? optStringList(data, 'bound_cidrs');
  if (cidrs !== undefined) role.tokenBoundCidrs = parseCidrs(cidrs, 'token_bound_cidrs');

  const noDefault = optBool(data, 'token_no_default_policy');
  if (noDefault !== undefined) role.tokenNoDefaultPolicy = noDefault;
  const numUses = optInt(data, 'token_num_uses');
  if (numUses !== undefined) {
    if (numUses < 0) throw badRequest('token_num_uses cannot be negative');
    role.tokenNumUses = numUses;
  }

  const type = optString(data, 'token_type');
  if (type !== undefined) {
    if (type === '' || type === 'default' || type === 'default-service') role.tokenType = 'default-service';
    else if (type === 'service' || type === 'batch' || type === 'default-batch') role.tokenType = type;
    else throw badRequest(`invalid 'token_type' value "${type.slice(0, 40)}": use "service", "batch", "default-service" or "default-batch"`);
  }
  if (role.tokenType === 'batch' || role.tokenType === 'default-batch') {
    // Batch tokens are never periodic, use-limited or bound by an explicit max (Vault's role checks).
    if (role.tokenPeriod > 0) throw badRequest("'token_type' cannot be 'batch' or 'default-batch' when set to generate periodic tokens");
    if (role.tokenNumUses > 0) throw badRequest("'token_type' cannot be 'batch' or 'default-batch' when set to generate tokens with limited use count");
    if (role.tokenExplicitMaxTTL > 0) throw badRequest("'token_type' cannot be 'batch' or 'default-batch' when set to generate tokens with an explicit max TTL");
  }
  return { role, warnings };
}

/** The `data` of a role read, with Vault's field names. */
export function roleData(role: TokenRole): Record<string, unknown> {
  const data: Record<string, unknown> = {
    allowed_entity_aliases: role.allowedEntityAliases,
    allowed_policies: role.allowedPolicies,
    allowed_policies_glob: role.allowedPoliciesGlob,
    disallowed_policies: role.disallowedPolicies,
    disallowed_policies_glob: role.disallowedPoliciesGlob,
    explicit_max_ttl: role.explicitMaxTTL,
    name: role.name,
    orphan: role.orphan,
    path_suffix: role.pathSuffix,
    period: role.period,
    renewable: role.renewable,
    token_explicit_max_ttl: role.tokenExplicitMaxTTL,
    token_no_default_policy: role.tokenNoDefaultPolicy,
    token_period: role.tokenPeriod,
    token_type: role.tokenType,
  };
  if (role.tokenBoundCidrs.length > 0) data.token_bound_cidrs = role.tokenBoundCidrs;
  if (role.tokenNumUses > 0) data.token_num_uses = role.tokenNumUses;
  return data;
}
