/**
 * Name rules for roles and users: Vault's GenericNameRegex (`\w(([\w-.@]+)?\w)?`), lower-cased,
 * so a name is always one safe storage-path segment.
 */
import { badRequest } from '../../core/errors.js';

const NAME = /^\w(?:[\w.@-]*\w)?$/;
const MAX_NAME = 256;

/** Lower-cases and validates a role or user name; throws a 400 that says what is allowed. */
export function normalizeName(raw: string | undefined, what: string): string {
  const name = (raw ?? '').trim().toLowerCase();
  if (name === '') throw badRequest(`missing ${what}`);
  if (name.length > MAX_NAME || !NAME.test(name)) {
    throw badRequest(`invalid ${what}: use letters, digits, "_", "-", "." and "@", starting and ending with a letter or digit (at most ${MAX_NAME} characters)`);
  }
  return name;
}

export { decodeJson, encodeJson } from '../../core/codec.js';
