/**
 * The unversioned KV engine (mount option version "1", also `generic`): each path holds one
 * JSON map, replaced on write. Keys live at their own path in the mount's storage view, so a
 * LIST of a folder is one `storage.list`.
 */
import type { Backend, BackendRequest, Route } from '../../core/backend.js';
import { badRequest, notFound } from '../../core/errors.js';
import { parseDuration } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { decodeJson, encodeSecret } from './codec.js';
import { listKeys } from './list.js';
import { scanKeys } from './scan.js';
import { isValidSecretPath, listPrefix, secretPath } from './paths.js';
import { route } from './routes.js';

/** Vault's system default lease TTL (32 days), used when the mount sets none. */
export const SYSTEM_DEFAULT_LEASE_TTL = 2764800;

/** `lease_duration` of a read: the secret's own `ttl` (or legacy `lease`) key, else the mount default. */
export function leaseSeconds(data: Record<string, unknown>, mountDefault: number): number {
  const fallback = mountDefault > 0 ? mountDefault : SYSTEM_DEFAULT_LEASE_TTL;
  // Vault looks at `lease` only when there is no `ttl` key at all, and ignores a value it cannot parse.
  const raw = Object.hasOwn(data, 'ttl') ? data.ttl : Object.hasOwn(data, 'lease') ? data.lease : undefined;
  if (raw === undefined) return fallback;
  try {
    return parseDuration(raw);
  } catch {
    return fallback;
  }
}

async function read(req: BackendRequest): Promise<LogicalResponse> {
  const path = secretPath(req.params.path, { emptyIsNotFound: true });
  const raw = await req.storage.get(path);
  if (!raw) throw notFound();
  const data = decodeJson<Record<string, unknown>>(raw);
  return { data, leaseDuration: leaseSeconds(data, req.mount.config.defaultLeaseTTL), renewable: false };
}

async function write(req: BackendRequest): Promise<null> {
  const path = secretPath(req.params.path);
  // Vault's passthrough backend refuses an empty write rather than storing `{}`.
  if (Object.keys(req.data).length === 0) throw badRequest('missing data fields');
  await req.storage.put(path, encodeSecret(req.data));
  return null;
}

async function remove(req: BackendRequest): Promise<null> {
  await req.storage.delete(secretPath(req.params.path));
  return null;
}

async function list(req: BackendRequest): Promise<LogicalResponse> {
  return listKeys(req.storage, listPrefix(req.params.path), req.data);
}

/** SCAN: every secret below the folder, recursively (KV v1 has no metadata to filter on). */
async function scan(req: BackendRequest): Promise<LogicalResponse> {
  if (req.data.filter !== undefined) throw badRequest('"filter" needs custom metadata, which only KV version 2 mounts have');
  return scanKeys(req, '');
}

/** Builds the v1 backend: one route for every path under the mount. PATCH answers 405. */
export function createKvV1(): Backend {
  const routes: Route[] = [
    route(/^(?<path>.*)$/s, { read, create: write, update: write, delete: remove, list, scan }, {
      existenceCheck: async (req) => isValidSecretPath(req.params.path) && (await req.storage.get(req.params.path!)) !== undefined,
      // Reads and lists only read: no transaction (Route.readOnly).
      readOnly: ['read', 'list'],
      // The body is the secret itself: any key is data.
      fields: '*',
      help: 'Pass-through secret storage: read, write (replace), delete and list arbitrary JSON maps.',
    }),
  ];
  return { routes };
}
