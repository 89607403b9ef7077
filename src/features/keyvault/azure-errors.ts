/**
 * Key Vault's error vocabulary as CofferErrors: the HTTP status and message for the Vault front,
 * plus `detail` (`code`, `inner`) that the Azure front renders as `{"error":{"code","innererror"}}`.
 * Messages follow Key Vault's wording where clients or people may recognise it; they never contain
 * a secret value.
 */
import { CofferError } from '../../core/errors.js';

const NOT_FOUND_HELP = 'If you recently deleted this secret you may be able to recover it using the correct recovery command. '
  + 'For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182';

/** 404 `SecretNotFound` for a name (`x`) or a name and version (`x/ver`). */
export function secretNotFound(nameOrId: string): CofferError {
  return new CofferError('not_found', `A secret with (name/id) ${nameOrId} was not found in this key vault. ${NOT_FOUND_HELP}`, {
    detail: { code: 'SecretNotFound' },
  });
}

/** 404 `KeyNotFound` for a key name (`x`) or name and version (`x/ver`). */
export function keyNotFound(nameOrId: string): CofferError {
  return new CofferError('not_found', `A key with (name/id) ${nameOrId} was not found in this key vault. ${NOT_FOUND_HELP.replace('secret', 'key')}`, {
    detail: { code: 'KeyNotFound' },
  });
}

/** 404 `KeyNotFound` for a name that has no soft-deleted key. */
export function deletedKeyNotFound(name: string): CofferError {
  return new CofferError('not_found', `Deleted Key not found: no deleted key with (name/id) ${name} is in this key vault.`, {
    detail: { code: 'KeyNotFound' },
  });
}

/** 404 `SecretNotFound` for a name that has no soft-deleted secret. */
export function deletedSecretNotFound(name: string): CofferError {
  return new CofferError('not_found', `Deleted Secret not found: no deleted secret with (name/id) ${name} is in this key vault.`, {
    detail: { code: 'SecretNotFound' },
  });
}

/** 400 `BadParameter` with a message that says how to fix the request. */
export function badParameter(message: string): CofferError {
  return new CofferError('invalid_request', message, { detail: { code: 'BadParameter' } });
}

/** 403 `Forbidden` (not an ACL denial: the vault's own rules refuse the operation). */
export function forbidden(message: string, inner?: string): CofferError {
  return new CofferError('permission_denied', message, { detail: inner ? { code: 'Forbidden', inner } : { code: 'Forbidden' } });
}

/** 409 `Conflict`. */
export function conflict(message: string, inner?: string): CofferError {
  return new CofferError('conflict', message, { detail: inner ? { code: 'Conflict', inner } : { code: 'Conflict' } });
}

/** 409 for a name that is soft-deleted: Key Vault's wording and inner code. */
export function deletedButRecoverable(name: string, kind: 'Secret' | 'Key' = 'Secret'): CofferError {
  return conflict(
    `${kind} ${name} is currently in a deleted but recoverable state, and its name cannot be reused; `
      + 'in this state, the secret can only be recovered or purged.',
    'ObjectIsDeletedButRecoverable',
  );
}
