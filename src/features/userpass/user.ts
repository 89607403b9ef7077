/**
 * A userpass user: a password hash and the token settings of its logins (spec §2.8). The hash
 * never leaves this module's storage: reads show only the token fields.
 */
import { badRequest } from '../../core/errors.js';
import { optString } from '../../core/fields.js';
import {
  applyTokenFields,
  defaultTokenFields,
  tokenFieldsView,
  validateTokenFields,
  type LegacyAliases,
  type TokenFields,
} from '../auth-common/token-fields.js';
import type { PasswordHash } from './password.js';

/** Legacy user fields and the token fields they feed. */
export const USER_ALIASES: LegacyAliases = {
  policies: 'token_policies',
  ttl: 'token_ttl',
  max_ttl: 'token_max_ttl',
  bound_cidrs: 'token_bound_cidrs',
};

const MAX_PASSWORD = 1024;

/** A stored user. */
export interface UserEntry extends TokenFields {
  name: string;
  password: PasswordHash;
  /** Legacy field names the user was last written with. */
  legacy: string[];
}

/** A new user (the password is set by the caller). */
export function newUser(name: string, password: PasswordHash): UserEntry {
  return { name, password, legacy: [], ...defaultTokenFields() };
}

/**
 * Reads the `password` field: undefined when absent. Refuses `password_hash` (bcrypt), which
 * Coffer does not verify, with a message that says what to send instead.
 */
export function passwordField(data: Record<string, unknown>): string | undefined {
  if (data.password_hash !== undefined && data.password_hash !== null && data.password_hash !== '') {
    throw badRequest('password_hash is not supported: Coffer stores scrypt hashes it computes itself; send "password" instead');
  }
  const password = optString(data, 'password');
  if (password === undefined) return undefined;
  if (password === '') throw badRequest('password must not be empty');
  if (password.length > MAX_PASSWORD) throw badRequest(`password is too long (at most ${MAX_PASSWORD} characters)`);
  return password;
}

/** Applies the token fields present in `data` (absent ones keep their value) and validates. */
export function applyUserFields(user: UserEntry, data: Record<string, unknown>): void {
  const legacy = new Set(user.legacy);
  applyTokenFields(user, data, USER_ALIASES, legacy);
  user.legacy = [...legacy].sort();
  validateTokenFields(user);
}

/** The `data` of a user read: token fields only, never the password or its hash. */
export function userView(user: UserEntry): Record<string, unknown> {
  return tokenFieldsView(user, USER_ALIASES, user.legacy);
}
