/**
 * An AppRole role: its secret-id constraints and the token settings of its logins, how a
 * request's fields change it, and how it is shown on read (spec §2.7, TTLs in integer seconds).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { badRequest } from '../../core/errors.js';
import { optBool, optDuration, optInt } from '../../core/fields.js';
import {
  applyTokenFields,
  defaultTokenFields,
  parseCidrField,
  tokenFieldsView,
  validateTokenFields,
  type LegacyAliases,
  type TokenFields,
} from '../auth-common/token-fields.js';

/** Legacy role fields that feed token fields (`bound_cidr_list` is handled separately). */
export const ROLE_ALIASES: LegacyAliases = { policies: 'token_policies', period: 'token_period' };

/** A stored role. */
export interface RoleEntry extends TokenFields {
  name: string;
  /** Random id naming this role's secret-id storage, so a re-created role starts empty. */
  uid: string;
  role_id: string;
  /** Hex key for HMAC-SHA256 of this role's secret-ids and accessors. */
  hmac_key: string;
  bind_secret_id: boolean;
  secret_id_bound_cidrs: string[];
  secret_id_num_uses: number;
  /** Seconds; 0 = secret-ids never expire. */
  secret_id_ttl: number;
  local_secret_ids: boolean;
  /** Legacy field names the role was last written with (`policies`, `period`, `bound_cidr_list`). */
  legacy: string[];
}

/** A new role with Vault's defaults and fresh random ids. */
export function newRole(name: string): RoleEntry {
  return {
    name,
    uid: randomUUID(),
    role_id: randomUUID(),
    hmac_key: randomBytes(32).toString('hex'),
    bind_secret_id: true,
    secret_id_bound_cidrs: [],
    secret_id_num_uses: 0,
    secret_id_ttl: 0,
    local_secret_ids: false,
    legacy: [],
    ...defaultTokenFields(),
  };
}

/**
 * Applies the fields present in `data` to `role` in place (absent fields keep their value) and
 * validates the result. `creating` allows `local_secret_ids`, which Vault fixes at creation.
 */
export function applyRoleFields(role: RoleEntry, data: Record<string, unknown>, creating: boolean): void {
  const legacy = new Set(role.legacy);
  const bind = optBool(data, 'bind_secret_id');
  if (bind !== undefined) role.bind_secret_id = bind;

  const cidrs = parseCidrField(data, 'secret_id_bound_cidrs');
  const oldCidrs = parseCidrField(data, 'bound_cidr_list');
  if (cidrs !== undefined) {
    role.secret_id_bound_cidrs = cidrs;
    legacy.delete('bound_cidr_list');
  } else if (oldCidrs !== undefined) {
    // node-vault's addApproleRole still sends the deprecated name.
    role.secret_id_bound_cidrs = oldCidrs;
    legacy.add('bound_cidr_list');
  }

  const uses = optInt(data, 'secret_id_num_uses', { min: 0 });
  if (uses !== undefined) role.secret_id_num_uses = uses;
  const ttl = optDuration(data, 'secret_id_ttl');
  if (ttl !== undefined) role.secret_id_ttl = ttl;

  const local = optBool(data, 'local_secret_ids');
  if (local !== undefined && local !== role.local_secret_ids) {
    if (!creating) throw badRequest('local_secret_ids can only be set when the role is created (delete and re-create the role to change it)');
    role.local_secret_ids = local;
  }

  applyTokenFields(role, data, ROLE_ALIASES, legacy);
  role.legacy = [...legacy].sort();
  validateRole(role);
}

/** Checks that hold for every stored role. */
export function validateRole(role: RoleEntry): void {
  if (!role.bind_secret_id && role.secret_id_bound_cidrs.length === 0 && role.token_bound_cidrs.length === 0) {
    throw badRequest('at least one constraint should be enabled on the role: set bind_secret_id=true, secret_id_bound_cidrs or token_bound_cidrs');
  }
  validateTokenFields(role);
}

/** The `data` of a role read (never the HMAC key or internal ids). */
export function roleView(role: RoleEntry): Record<string, unknown> {
  const legacy = role.legacy.filter((n) => n !== 'bound_cidr_list');
  const out: Record<string, unknown> = {
    bind_secret_id: role.bind_secret_id,
    local_secret_ids: role.local_secret_ids,
    secret_id_bound_cidrs: [...role.secret_id_bound_cidrs],
    secret_id_num_uses: role.secret_id_num_uses,
    secret_id_ttl: role.secret_id_ttl,
    ...tokenFieldsView(role, ROLE_ALIASES, legacy),
  };
  if (role.legacy.includes('bound_cidr_list')) out.bound_cidr_list = [...role.secret_id_bound_cidrs];
  return out;
}
