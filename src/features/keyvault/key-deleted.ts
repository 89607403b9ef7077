/**
 * Soft-deleted keys: list, get, recover, purge, and the automatic purge of a key whose
 * retention has passed (called by deleted.ts's purgeExpired, which walks the purge-date index
 * shared with secrets). The vault's settings (retention, purge protection) and recovery level
 * are the same as for secrets.
 */
import type { BackendRequest } from '../../core/backend.js';
import type { LogicalResponse } from '../../core/logical.js';
import type { Storage } from '../../storage/types.js';
import { conflict, deletedKeyNotFound, forbidden } from './azure-errors.js';
import { pageView } from './bundle.js';
import { DELETED_KEYS_PREFIX, deletedKeys, keyBundleData, keyProps, latestOf, liveKeys } from './key-model.js';
import { keyIndexName } from './keys.js';
import { reindexRotation } from './rotation-index.js';
import { isStoredName, parseKeyName } from './names.js';
import { listPage, parsePageRequest } from './paging.js';
import { readSettings } from './settings.js';
import { purgeIndexKey } from './store.js';
import type { NamedKey } from '../keys-core/index.js';

async function loadDeleted(req: BackendRequest): Promise<NamedKey> {
  const name = parseKeyName(req.params.name);
  const key = await deletedKeys(req.storage).get(name.key);
  if (!key) throw deletedKeyNotFound(name.display);
  return key;
}

/** `list deletedkeys/`: one page of deleted keys. */
export async function listDeletedKeys(req: BackendRequest): Promise<LogicalResponse> {
  const page = await listPage(req.storage, DELETED_KEYS_PREFIX, parsePageRequest(req.data, isStoredName));
  const settings = await readSettings(req.storage, req.mount);
  const store = deletedKeys(req.storage);
  const items: Record<string, unknown>[] = [];
  for (const name of page.keys) {
    const key = await store.get(name);
    if (key) items.push(keyBundleData(key, latestOf(key), settings, { withKey: false }));
  }
  return { data: pageView(items, page.nextSkipToken) };
}

/** `read deletedkeys/<name>`: the DeletedKeyBundle (public JWK of the latest version). */
export async function getDeletedKey(req: BackendRequest): Promise<LogicalResponse> {
  const key = await loadDeleted(req);
  return { data: keyBundleData(key, latestOf(key), await readSettings(req.storage, req.mount)) };
}

/** `update deletedkeys/<name>/recover`: the key is live again with all its versions. */
export async function recoverDeletedKey(req: BackendRequest): Promise<LogicalResponse> {
  const key = await loadDeleted(req);
  const kp = keyProps(key);
  // Cannot happen through this engine (create and import refuse deleted names); guard the invariant anyway.
  if (await liveKeys(req.storage).get(key.name)) throw conflict(`Key ${kp.displayName} already exists in this key vault.`);
  const purgeDate = kp.scheduledPurgeDate ?? 0;
  delete kp.deletedDate;
  delete kp.scheduledPurgeDate;
  await deletedKeys(req.storage).delete(key.name);
  await req.storage.delete(purgeIndexKey(purgeDate, keyIndexName(key.name)));
  await reindexRotation(req.storage, key);
  await liveKeys(req.storage).put(key);
  return { data: keyBundleData(key, latestOf(key), await readSettings(req.storage, req.mount)) };
}

/** `delete deletedkeys/<name>`: permanent removal (204); refused while purge protection is on. */
export async function purgeDeletedKey(req: BackendRequest): Promise<null> {
  const key = await loadDeleted(req);
  const kp = keyProps(key);
  if ((await readSettings(req.storage, req.mount)).purgeProtection) {
    throw forbidden(`Operation "purge" is not allowed because purge protection is enabled for this vault; key ${kp.displayName} `
      + `will be purged automatically when its retention ends (scheduledPurgeDate ${kp.scheduledPurgeDate}).`, 'PurgeProtectionEnabled');
  }
  await deletedKeys(req.storage).delete(key.name);
  await req.storage.delete(purgeIndexKey(kp.scheduledPurgeDate ?? 0, keyIndexName(key.name)));
  return null;
}

/**
 * Purges the deleted key behind a purge-index entry `key.<name>` of date `date` when it is
 * still the one that entry was written for; returns false for a stale entry (the caller drops it).
 */
export async function purgeDueKey(storage: Storage, indexName: string, date: number): Promise<boolean> {
  const name = indexName.slice('key.'.length);
  if (!isStoredName(name)) return false;
  const store = deletedKeys(storage);
  const key = await store.get(name);
  if (!key || keyProps(key).scheduledPurgeDate !== date) return false;
  await store.delete(name);
  return true;
}
