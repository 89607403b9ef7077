/**
 * The versioned KV engine (mount option version "2"): the route table. Order matters: the
 * catch-all invalid-path route comes last.
 */
import type { Backend, BackendRequest, Route } from '../../core/backend.js';
import type { LogicalResponse } from '../../core/logical.js';
import { route, type KvDeps } from './routes.js';
import { configRoute } from './v2-config.js';
import { dataRoute, subkeysRoute } from './v2-data.js';
import { metadataRoute } from './v2-metadata.js';
import { versionRoutes } from './v2-versions.js';

const SUBCOMMAND: Record<string, string> = { create: 'put', update: 'put', patch: 'patch', read: 'get', list: 'list', delete: 'delete' };

/** The warning Vault gives for a path outside the v2 layout (e.g. `secret/foo` instead of `secret/data/foo`). */
export function invalidPathWarning(operation: string): string {
  return 'Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. '
    + `If using the Vault CLI, use 'vault kv ${SUBCOMMAND[operation] ?? 'get'}' for this operation.`;
}

/** Answers 404 with the success envelope and a warning, as Vault does (not an `errors` body). */
async function invalidPath(req: BackendRequest): Promise<LogicalResponse> {
  const warning = ['metadata', 'data', 'delete', 'undelete', 'destroy'].includes(req.path)
    ? 'Non-listing operations on the root of a K/V v2 mount are not supported.'
    : invalidPathWarning(req.operation);
  return { status: 404, data: null, warnings: [warning] };
}

/** Builds the v2 backend for one mount. */
export function createKvV2(deps: KvDeps): Backend {
  const routes: Route[] = [
    configRoute(deps),
    dataRoute(deps),
    metadataRoute(deps),
    ...versionRoutes(deps),
    subkeysRoute(deps),
    // The path itself is the mistake and its warning says so; listing every key of the body as unknown too would only bury it.
    route(/^.*$/s, { read: invalidPath, create: invalidPath, update: invalidPath, patch: invalidPath, delete: invalidPath, list: invalidPath, scan: invalidPath }, { fields: '*' }),
  ];
  return { routes };
}
