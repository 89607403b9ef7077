/** The keys part of a vault's route table (docs/dev/AZURE.md, "Keys"). */
import type { BackendRequest, Route } from '../../core/backend.js';
import { CofferError } from '../../core/errors.js';
import type { LogicalResponse } from '../../core/logical.js';
import type { VaultDeps } from './deps.js';
import { backupKey, restoreKey } from './key-backup.js';
import { getDeletedKey, listDeletedKeys, purgeDeletedKey, recoverDeletedKey } from './key-deleted.js';
import { cryptoOperation, randomBytes } from './key-ops.js';
import {
  createKeyHandler, deleteKey, getKey, importKey, keyExists, listKeys, listKeyVersions, rotateKeyHandler, updateKeyProperties,
} from './keys.js';
import { getRotationPolicy, setRotationPolicy } from './rotation-policy.js';

/** `update keys/<name>/<x>`: x is create, backup or rotate. */
function keyAction(deps: VaultDeps) {
  return async (req: BackendRequest): Promise<LogicalResponse> => {
    switch (req.params.version) {
      case 'create':
        return createKeyHandler(deps, req);
      case 'backup':
        return backupKey(deps, req);
      case 'rotate':
        return rotateKeyHandler(deps, req);
      default:
        throw new CofferError('unsupported_operation', `unsupported operation: update is not supported on ${req.fullPath} (did you mean keys/<name>/create, backup or rotate?)`);
    }
  };
}

/** The key routes of one vault. */
export function keyRoutes(deps: VaultDeps): Route[] {
  const importOp = (req: BackendRequest) => importKey(deps, req);
  const patch = (req: BackendRequest) => updateKeyProperties(deps, req);
  return [
    { pattern: /^keys\/$/, operations: { list: listKeys }, help: 'List keys (maxresults, skiptoken).' },
    { pattern: /^keys\/(?<name>[^/]+)\/versions\/$/, operations: { list: listKeyVersions }, help: 'List the versions of a key (maxresults, skiptoken).' },
    {
      pattern: /^keys\/(?<name>[^/]+)$/,
      operations: { read: getKey, create: importOp, update: importOp, patch, delete: (req) => deleteKey(deps, req) },
      existenceCheck: keyExists,
      fields: ['key', 'Hsm', 'attributes', 'tags', 'key_ops', 'release_policy'],
      help: 'Import a key (a JWK; a new version if it exists), get its latest version, update its properties, or soft-delete it.',
    },
    {
      pattern: /^keys\/(?<name>[^/]+)\/(?<version>[^/]*)$/,
      operations: { read: getKey, patch, update: keyAction(deps) },
      help: 'Get a version (empty = latest) or update its properties; update keys/<name>/create|backup|rotate.',
    },
    {
      pattern: /^keys\/(?<name>[^/]+)\/(?<version>[^/]+)\/(?<op>encrypt|decrypt|wrapkey|unwrapkey|sign|verify)$/,
      operations: { update: (req) => cryptoOperation(deps, req) },
      fields: ['alg', 'value', 'digest', 'iv', 'aad', 'tag'],
      help: 'Encrypt, decrypt, wrapkey, unwrapkey, sign (a digest) or verify with a key version (or `latest`); values are base64url.',
    },
    { pattern: /^deletedkeys\/$/, operations: { list: listDeletedKeys }, help: 'List soft-deleted keys (maxresults, skiptoken).' },
    {
      pattern: /^deletedkeys\/(?<name>[^/]+)$/,
      operations: { read: getDeletedKey, delete: purgeDeletedKey },
      help: 'Get a soft-deleted key, or purge it (refused under purge protection).',
    },
    { pattern: /^deletedkeys\/(?<name>[^/]+)\/recover$/, operations: { update: recoverDeletedKey }, help: 'Recover a soft-deleted key with all its versions.' },
    { pattern: /^restorekey$/, operations: { update: (req) => restoreKey(deps, req) }, fields: ['value'], help: 'Restore a key from a backup blob ({value}).' },
    {
      pattern: /^rotationpolicy\/(?<name>[^/]+)$/,
      operations: { read: getRotationPolicy, update: (req) => setRotationPolicy(deps, req) },
      fields: ['lifetimeActions', 'attributes', 'id'],
      help: 'Read or set the rotation policy of a key ({lifetimeActions, attributes:{expiryTime}}).',
    },
    { pattern: /^rng$/, operations: { update: randomBytes }, fields: ['count'], help: 'Random bytes: {count} (1-128) → {value} base64url.' },
  ];
}
