/**
 * Azure Key Vault name rules. Secret names are `^[0-9a-zA-Z-]{1,127}$` and match
 * case-insensitively: storage uses the lower-cased name (always one safe path segment), the
 * record keeps the casing it was first created with for display.
 */
import { randomBytes } from 'node:crypto';
import { badParameter } from './azure-errors.js';

const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const VERSION_ID = /^[0-9a-fA-F]{32}$/;

/** A validated secret name: as the caller wrote it, and the storage key form. */
export interface SecretName {
  /** The name as given (display form for a new secret). */
  display: string;
  /** Lower-cased: the storage key and the identity of the secret. */
  key: string;
}

/** True when `raw` is a valid secret name. */
export function isValidSecretName(raw: string | undefined): raw is string {
  return typeof raw === 'string' && SECRET_NAME.test(raw);
}

/** Validates a secret name; 400 `BadParameter` saying what is allowed. */
export function parseSecretName(raw: string | undefined): SecretName {
  if (!isValidSecretName(raw)) {
    const text: unknown = raw;
    const shown = typeof text === 'string' ? JSON.stringify(text.slice(0, 130)) : 'missing';
    throw badParameter(`Invalid secret name ${shown}: a secret name is 1-127 characters of letters, digits and "-" (^[0-9a-zA-Z-]{1,127}$).`);
  }
  return { display: raw, key: raw.toLowerCase() };
}

/** Validates a key name (same rule as secret names); 400 `BadParameter` saying what is allowed. */
export function parseKeyName(raw: string | undefined): SecretName {
  if (!isValidSecretName(raw)) {
    const text: unknown = raw;
    const shown = typeof text === 'string' ? JSON.stringify(text.slice(0, 130)) : 'missing';
    throw badParameter(`Invalid key name ${shown}: a key name is 1-127 characters of letters, digits and "-" (^[0-9a-zA-Z-]{1,127}$).`);
  }
  return { display: raw, key: raw.toLowerCase() };
}

/** A version id in canonical (lower-case) form, or undefined when it cannot be one of ours. */
export function normalizeVersion(raw: string): string | undefined {
  return VERSION_ID.test(raw) ? raw.toLowerCase() : undefined;
}

/** A fresh version id: 32 lowercase hex characters (Key Vault's format). */
export function newVersionId(): string {
  return randomBytes(16).toString('hex');
}

/** True when `key` can be a stored (lower-cased) secret name. */
export function isStoredName(key: string): boolean {
  return isValidSecretName(key) && key === key.toLowerCase();
}

/** True when `key` can be a stored version id (lower-case hex). */
export function isStoredVersion(key: string): boolean {
  return normalizeVersion(key) === key;
}
