/**
 * The `keyvault` secrets engine: one mount per Azure-style vault (`keyvault/<v>/`), serving the
 * Key Vault secrets and keys data planes as Vault-style routes (docs/dev/AZURE.md has the table). The Azure
 * wire front turns Key Vault HTTP calls into requests on these routes, so core's ACL, audit and
 * tokens cover both fronts.
 */
import type { Backend, BackendFactory, BackendRequest, Route } from '../../core/backend.js';
import { CofferError } from '../../core/errors.js';
import type { LogicalResponse } from '../../core/logical.js';
import { KeyedMutex } from '../../core/keyed-mutex.js';
import { accessPolicyTemplate } from './access-policy.js';
import { backupSecret, restoreSecret } from './backup.js';
import { getDeleted, listDeleted, purgeDeleted, purgeExpired, recoverDeleted } from './deleted.js';
import type { VaultDeps } from './deps.js';
import { keyRoutes } from './key-routes.js';
import { rotateDueKeys } from './rotation-policy.js';
import {
  deleteSecret, getSecret, listSecrets, listSecretVersions, secretExists, setSecret, updateSecretProperties,
} from './secrets.js';
import { latchPurgeProtection, readConfigHandler, validateKeyVaultOptions, writeConfigHandler } from './settings.js';

export { requiredAccess, requiredPermission, type SecretPermission } from './access-policy.js';
export { requiredKeyPermission, type KeyPermission } from './key-permissions.js';
export { validateKeyVaultOptions } from './settings.js';

/** `update secrets/<name>/<x>` is only meaningful as `secrets/<name>/backup`. */
function backupOrUnsupported(deps: VaultDeps) {
  return async (req: BackendRequest): Promise<LogicalResponse> => {
    if (req.params.version === 'backup') return backupSecret(deps, req);
    throw new CofferError('unsupported_operation', `unsupported operation: update is not supported on ${req.fullPath} (did you mean secrets/<name>/backup?)`);
  };
}

/** The body of Key Vault's SecretUpdateParameters (update properties). */
const PROPERTY_FIELDS = ['contentType', 'attributes', 'tags'] as const;
/** Paging parameters of the list routes (they arrive as data, from the query). */
const PAGE_FIELDS = ['maxresults', 'skiptoken'] as const;

/** The route table of one vault. */
export function vaultRoutes(deps: VaultDeps): Route[] {
  const set = (req: BackendRequest) => setSecret(deps, req);
  return [
    // Gets and lists only read: no transaction (Route.readOnly).
    { pattern: /^secrets\/$/, fields: [...PAGE_FIELDS, 'expiring_within'], operations: { list: (req) => listSecrets(deps, req) }, readOnly: ['list'], help: 'List secrets (maxresults, skiptoken, expiring_within).' },
    {
      pattern: /^secrets\/(?<name>[^/]+)\/versions\/$/,
      fields: PAGE_FIELDS,
      operations: { list: listSecretVersions },
      readOnly: ['list'],
      help: 'List the versions of a secret (maxresults, skiptoken).',
    },
    {
      pattern: /^secrets\/(?<name>[^/]+)$/,
      operations: {
        read: (req) => getSecret(deps, req),
        create: set,
        update: set,
        patch: (req) => updateSecretProperties(deps, req),
        delete: (req) => deleteSecret(deps, req),
      },
      // A write to a new name is checked as `create`, to an existing one as `update`.
      existenceCheck: secretExists,
      readOnly: ['read'],
      // SecretSetParameters; a patch (update properties) takes the same minus `value`, which it refuses with its own error.
      fields: ['value', ...PROPERTY_FIELDS],
      help: 'Set (a new version), get the latest version, update its properties, or soft-delete a secret.',
    },
    {
      pattern: /^secrets\/(?<name>[^/]+)\/(?<version>[^/]*)$/,
      operations: {
        read: (req) => getSecret(deps, req),
        patch: (req) => updateSecretProperties(deps, req),
        update: backupOrUnsupported(deps),
      },
      readOnly: ['read'],
      // Update properties; the backup takes no body.
      fields: PROPERTY_FIELDS,
      help: 'Get a version (empty = latest) or update its properties; update secrets/<name>/backup makes a backup.',
    },
    { pattern: /^deletedsecrets\/$/, fields: PAGE_FIELDS, operations: { list: listDeleted }, help: 'List soft-deleted secrets (maxresults, skiptoken).' },
    {
      pattern: /^deletedsecrets\/(?<name>[^/]+)$/,
      fields: [],
      operations: { read: getDeleted, delete: (req) => purgeDeleted(deps, req) },
      help: 'Get a soft-deleted secret, or purge it (refused under purge protection).',
    },
    {
      pattern: /^deletedsecrets\/(?<name>[^/]+)\/recover$/,
      fields: [],
      operations: { update: (req) => recoverDeleted(deps, req) },
      help: 'Recover a soft-deleted secret with all its versions.',
    },
    { pattern: /^restore$/, fields: ['value'], operations: { update: (req) => restoreSecret(deps, req) }, help: 'Restore a secret from a backup blob ({value}).' },
    {
      pattern: /^config$/,
      fields: ['soft_delete_retention_days', 'purge_protection', 'enforce_validity_window'],
      operations: { read: readConfigHandler, update: writeConfigHandler },
      help: 'Vault settings: soft_delete_retention_days, purge_protection (one-way), enforce_validity_window.',
    },
    {
      pattern: /^access-policy-template$/,
      fields: ['permissions', 'role'],
      operations: { read: accessPolicyTemplate },
      help: 'Render an ACL policy granting Key Vault permissions (permissions=get,list, key_permissions=get,sign or role=...) on this vault.',
    },
    ...keyRoutes(deps),
  ];
}

/** The Key Vault engine factory registered with core. */
export const keyvaultFactory: BackendFactory = {
  type: 'keyvault',
  kind: 'secret',
  validateOptions: validateKeyVaultOptions,
  create(ctx): Backend {
    const deps: VaultDeps = { services: ctx.services, locks: new KeyedMutex() };
    return {
      routes: vaultRoutes(deps),
      initialize: () => latchPurgeProtection(ctx.storage, ctx.mount),
      tidy: async () => {
        await purgeExpired(deps, ctx.storage);
        await rotateDueKeys(deps, ctx.storage);
      },
    };
  },
};
