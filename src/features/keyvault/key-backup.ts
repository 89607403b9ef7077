/**
 * Key backup and restore: every version of one key (material included) as JSON, sealed with
 * core's envelope under the purpose `keyvault-key-backup` (encrypted and integrity-protected under
 * a key only this Coffer holds; a secret backup does not open as a key backup, nor the reverse),
 * base64url-encoded. Restore accepts only such blobs, into a name that is neither live nor deleted.
 */
import type { BackendRequest } from '../../core/backend.js';
import type { LogicalResponse } from '../../core/logical.js';
import { isKeyType, type NamedKey } from '../keys-core/index.js';
import { badParameter, conflict, deletedButRecoverable } from './azure-errors.js';
import { openBackupBlob } from './backup.js';
import type { VaultDeps } from './deps.js';
import { deletedKeys, keyBundleData, keyProps, latestOf, liveKeys, type AzureKeyProps } from './key-model.js';
import { loadLiveKey } from './keys.js';
import { isStoredName, isStoredVersion } from './names.js';
import { reindexRotation } from './rotation-index.js';
import { readSettings } from './settings.js';

/** The envelope purpose of key backups. */
export const KEY_BACKUP_PURPOSE = 'keyvault-key-backup';
const FORMAT = 'coffer-keyvault-key-backup';

/** `update keys/<name>/backup`: `{value: <base64url blob>}`. */
export async function backupKey(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await loadLiveKey(req);
  const blob = await deps.services.envelope.seal(KEY_BACKUP_PURPOSE, Buffer.from(JSON.stringify({ format: FORMAT, v: 1, key }), 'utf8'));
  return { data: { value: blob.toString('base64url') } };
}

/** Re-checks the shape of a restored key (authenticated, but maybe from another Coffer version). */
function checkKey(raw: unknown): NamedKey {
  const bad = () => badParameter('Backup blob content is not a key backup this Coffer understands');
  const p = raw as { format?: unknown; v?: unknown; key?: Partial<NamedKey> } | null;
  const k = p?.key;
  if (!p || p.format !== FORMAT || p.v !== 1 || !k || typeof k !== 'object') throw bad();
  if (typeof k.name !== 'string' || !isStoredName(k.name) || !isKeyType(k.type) || typeof k.versions !== 'object' || k.versions === null) throw bad();
  const attrs = k.attributes as Partial<AzureKeyProps> | undefined;
  if (!attrs || typeof attrs.displayName !== 'string' || attrs.displayName.toLowerCase() !== k.name) throw bad();
  const versions = Object.values(k.versions);
  if (versions.length === 0 || !k.versions[String(k.latestVersion)]) throw bad();
  for (const v of versions) {
    if (typeof v.material !== 'string' || typeof v.externalId !== 'string' || !isStoredVersion(v.externalId) || typeof v.attributes !== 'object') throw bad();
  }
  return k as NamedKey;
}

/** `update restorekey` `{value}`: recreates the key with all its versions and dates. */
export async function restoreKey(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = checkKey(await openBackupBlob(deps, req.data, KEY_BACKUP_PURPOSE, 'key'));
  const kp = keyProps(key);
  const deleted = await deletedKeys(req.storage).get(key.name);
  if (deleted) throw deletedButRecoverable(keyProps(deleted).displayName, 'Key');
  const live = await liveKeys(req.storage).get(key.name);
  if (live) throw conflict(`Key ${keyProps(live).displayName} already exists in this key vault; delete and purge it before restoring a backup of it.`, 'ObjectAlreadyExists');
  delete kp.deletedDate;
  delete kp.scheduledPurgeDate;
  delete kp.rotationDue; // the entry it names belonged to the key as it was backed up
  await reindexRotation(req.storage, key);
  await liveKeys(req.storage).put(key);
  return { data: keyBundleData(key, latestOf(key), await readSettings(req.storage, req.mount)) };
}
