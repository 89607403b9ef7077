/**
 * Soft-deleted secrets: list, get, recover, purge, and the automatic purge once the retention
 * has passed (driven by core's ticker through `tidy`).
 */
import type { BackendRequest } from '../../core/backend.js';
import type { LogicalResponse } from '../../core/logical.js';
import type { Storage } from '../../storage/types.js';
import { conflict, deletedSecretNotFound, forbidden } from './azure-errors.js';
import { deletedBundle, pageView, secretBundle } from './bundle.js';
import { nowSeconds, type VaultDeps } from './deps.js';
import { isStoredName, parseSecretName } from './names.js';
import { purgeDueKey } from './key-deleted.js';
import { listPage, parsePageRequest } from './paging.js';
import { readSettings } from './settings.js';
import { watchAllVersions } from './secrets.js';
import {
  DELETED_PREFIX, PURGE_INDEX, deletedKey, deleteOp, purgeIndexKey, purgeOps, putOp, readDeleted, readSecret, readVersion, secretKey,
} from './store.js';

/** `list deletedsecrets/`: one page of deleted secrets. */
export async function listDeleted(req: BackendRequest): Promise<LogicalResponse> {
  const page = await listPage(req.storage, DELETED_PREFIX, parsePageRequest(req.data, isStoredName));
  const settings = await readSettings(req.storage, req.mount);
  const items: Record<string, unknown>[] = [];
  for (const key of page.keys) {
    const record = await readDeleted(req.storage, key);
    const v = record && (await readVersion(req.storage, key, record.current));
    if (record && v) items.push(deletedBundle(record, v, settings));
  }
  return { data: pageView(items, page.nextSkipToken) };
}

/** `read deletedsecrets/<name>`. */
export async function getDeleted(req: BackendRequest): Promise<LogicalResponse> {
  const name = parseSecretName(req.params.name);
  const record = await readDeleted(req.storage, name.key);
  const v = record && (await readVersion(req.storage, name.key, record.current));
  if (!record || !v) throw deletedSecretNotFound(name.display);
  return { data: deletedBundle(record, v, await readSettings(req.storage, req.mount)) };
}

/** `update deletedsecrets/<name>/recover`: makes the secret live again with all its versions. */
export async function recoverDeleted(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const name = parseSecretName(req.params.name);
  const settings = await readSettings(req.storage, req.mount);
  return deps.locks.run(name.key, async () => {
    const record = await readDeleted(req.storage, name.key);
    const v = record && (await readVersion(req.storage, name.key, record.current));
    if (!record || !v) throw deletedSecretNotFound(name.display);
    // Cannot happen through this engine (set refuses deleted names); guard the invariant anyway.
    if (await readSecret(req.storage, name.key)) throw conflict(`Secret ${record.name} already exists in this key vault.`);
    await req.storage.batch([
      putOp(secretKey(name.key), { name: record.name, current: record.current }),
      deleteOp(deletedKey(name.key)),
      deleteOp(purgeIndexKey(record.scheduledPurgeDate, name.key)),
    ]);
    // The delete ended every version's expiry watch; the recovered secret gets them back.
    await watchAllVersions(deps, req, record, name.key, true);
    return { data: secretBundle(record, record.current, v, settings) };
  });
}

/** `delete deletedsecrets/<name>`: permanent removal (204); refused while purge protection is on. */
export async function purgeDeleted(deps: VaultDeps, req: BackendRequest): Promise<null> {
  const name = parseSecretName(req.params.name);
  const settings = await readSettings(req.storage, req.mount);
  await deps.locks.run(name.key, async () => {
    const record = await readDeleted(req.storage, name.key);
    if (!record) throw deletedSecretNotFound(name.display);
    if (settings.purgeProtection) {
      throw forbidden(`Operation "purge" is not allowed because purge protection is enabled for this vault; secret ${record.name} `
        + `will be purged automatically when its retention ends (scheduledPurgeDate ${record.scheduledPurgeDate}).`, 'PurgeProtectionEnabled');
    }
    await req.storage.batch(await purgeOps(req.storage, name.key, record));
  });
  return null;
}

/** How many purge-index folders tidy reads per storage call. */
const TIDY_BATCH = 64;

/**
 * Purges every deleted secret and key whose scheduledPurgeDate has come. Reads only the due part of the
 * purge-date index; an index entry that no longer matches its record (left by an interrupted
 * change) is dropped. Returns how many secrets were purged.
 */
export async function purgeExpired(deps: VaultDeps, storage: Storage): Promise<number> {
  const now = nowSeconds(deps);
  let purged = 0;
  let after: string | undefined;
  for (;;) {
    const folders = await storage.list(PURGE_INDEX, { after, limit: TIDY_BATCH });
    for (const folder of folders) {
      const date = Number(folder.slice(0, -1));
      if (!folder.endsWith('/') || !Number.isFinite(date)) continue;
      if (date > now) return purged;
      for (const key of await storage.list(PURGE_INDEX + folder)) {
        const done = await deps.locks.run(key, async () => {
          // Keys share the index as `key.<name>` (a secret name cannot contain a dot).
          if (key.startsWith('key.')) {
            const purgedKey = await purgeDueKey(storage, key, date);
            await storage.delete(PURGE_INDEX + folder + key);
            return purgedKey;
          }
          const record = isStoredName(key) ? await readDeleted(storage, key) : undefined;
          if (record && record.scheduledPurgeDate === date) {
            await storage.batch(await purgeOps(storage, key, record));
            return true;
          }
          await storage.delete(PURGE_INDEX + folder + key);
          return false;
        });
        if (done) purged++;
      }
    }
    if (folders.length < TIDY_BATCH) return purged;
    after = folders[folders.length - 1];
  }
}
