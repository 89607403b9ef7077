/**
 * KV v2 `delete/:path`, `undelete/:path` and `destroy/:path`: soft-delete, restore and
 * permanently remove chosen versions. Versions that do not exist are skipped, as in Vault.
 */
import type { BackendRequest, Route } from '../../core/backend.js';
import type { BatchOp } from '../../storage/types.js';
import { syncKvExpiryWithCurrent } from './expiry.js';
import { secretPath } from './paths.js';
import { route, type KvDeps } from './routes.js';
import { readVersions } from './v2-fields.js';
import { autoDeletionTime, isDeleted, putMetaOp, readConfig, readMeta, versionKey, type KeyMeta, type KvConfig } from './v2-store.js';

type Change = (meta: KeyMeta, versions: number[], ctx: { now: number; config: KvConfig; path: string }) => BatchOp[];

/** Marks live versions deleted now. */
const softDelete: Change = (meta, versions, { now }) => {
  for (const n of versions) {
    const vm = meta.versions[String(n)];
    if (!vm || vm.destroyed || isDeleted(vm, now)) continue;
    vm.deletion = now;
  }
  return [];
};

/** Clears the deletion time of non-destroyed versions (re-arming delete_version_after from now). */
const undelete: Change = (meta, versions, { now, config }) => {
  for (const n of versions) {
    const vm = meta.versions[String(n)];
    if (!vm || vm.destroyed) continue;
    vm.deletion = autoDeletionTime(now, config, meta);
  }
  return [];
};

/** Flags versions destroyed and deletes their data in the same batch as the metadata. */
const destroy: Change = (meta, versions, { path }) => {
  const ops: BatchOp[] = [];
  for (const n of versions) {
    const vm = meta.versions[String(n)];
    if (!vm || vm.destroyed) continue;
    vm.destroyed = true;
    ops.push({ type: 'delete', key: versionKey(path, n) });
  }
  return ops;
};

function versionsRoute(deps: KvDeps, prefix: string, change: Change, missingMessage: string, help: string): Route {
  const handler = async (req: BackendRequest): Promise<null> => {
    const path = secretPath(req.params.path);
    const versions = readVersions(req.data, missingMessage);
    await deps.locks.run(path, async () => {
      const meta = await readMeta(req.storage, path);
      if (!meta) return;
      const config = await readConfig(req.storage);
      const ops = change(meta, versions, { now: deps.now(), config, path });
      await req.storage.batch([putMetaOp(path, meta), ...ops]);
      // Deleting or destroying the current version ends its expiry events; undeleting it restores them.
      await syncKvExpiryWithCurrent(deps, req, path, meta);
    });
    return null;
  };
  return route(new RegExp(`^${prefix}/(?<path>.*)$`, 's'), { create: handler, update: handler }, { fields: ['versions'], help });
}

/** The three version-management routes. */
export function versionRoutes(deps: KvDeps): Route[] {
  return [
    versionsRoute(deps, 'delete', softDelete, 'No version number provided', 'Soft-delete versions of a secret (reversible).'),
    versionsRoute(deps, 'undelete', undelete, 'No version number provided', 'Restore soft-deleted versions of a secret.'),
    versionsRoute(deps, 'destroy', destroy, 'no version number provided', 'Permanently remove the data of versions of a secret.'),
  ];
}
