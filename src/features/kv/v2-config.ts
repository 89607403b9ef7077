/**
 * KV v2 `config`: mount-wide max_versions, cas_required and delete_version_after.
 */
import type { BackendRequest, Route } from '../../core/backend.js';
import { formatDuration, optBool, optInt } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { route, type KvDeps } from './routes.js';
import { readSignedDuration } from './v2-fields.js';
import { readConfig, writeConfig } from './v2-store.js';

/** Go's Duration.String for whole seconds, including the "disabled" marker -1s. */
export function durationString(seconds: number): string {
  return seconds < 0 ? `-${formatDuration(-seconds)}` : formatDuration(seconds);
}

async function readConfigHandler(req: BackendRequest): Promise<LogicalResponse> {
  const config = await readConfig(req.storage);
  return {
    data: {
      cas_required: config.casRequired,
      delete_version_after: durationString(config.deleteVersionAfter),
      max_versions: config.maxVersions,
    },
  };
}

/** Lock key for the config; NUL cannot occur in a secret path, so it never collides with one. */
const CONFIG_LOCK = '\0config';

async function writeConfigHandler(deps: KvDeps, req: BackendRequest): Promise<null> {
  const maxVersions = optInt(req.data, 'max_versions', { min: 0, max: 0xffffffff });
  const casRequired = optBool(req.data, 'cas_required');
  const deleteVersionAfter = readSignedDuration(req.data, 'delete_version_after');
  if (maxVersions === undefined && casRequired === undefined && deleteVersionAfter === undefined) return null;
  await deps.locks.run(CONFIG_LOCK, async () => {
    const config = await readConfig(req.storage);
    if (maxVersions !== undefined) config.maxVersions = maxVersions;
    if (casRequired !== undefined) config.casRequired = casRequired;
    if (deleteVersionAfter !== undefined) config.deleteVersionAfter = deleteVersionAfter;
    await writeConfig(req.storage, config);
  });
  return null;
}

/**
 * The `config` route. It has no existence check on purpose: like Vault, writing it always needs
 * `update` (the spec's capability table lists read/update for `secret/config`).
 */
export function configRoute(deps: KvDeps): Route {
  const write = (req: BackendRequest) => writeConfigHandler(deps, req);
  return route(/^config$/, { read: readConfigHandler, create: write, update: write }, {
    fields: ['max_versions', 'cas_required', 'delete_version_after'],
    help: 'Configure max_versions, cas_required and delete_version_after for every key of this mount.',
  });
}
