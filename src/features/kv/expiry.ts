/**
 * KV v2 secret expiry for change events: a secret expires at its custom metadata `expires_at`
 * (an RFC 3339 time). Coffer does not delete it then (Vault has no such notion); it raises
 * SecretNearExpiry 30 days before and SecretExpired at that time, and `?expiring_within=` on a
 * metadata LIST finds such secrets.
 */
import type { BackendRequest } from '../../core/backend.js';
import type { KvDeps } from './routes.js';
import { isLive, type KeyMeta } from './v2-store.js';

/** The custom-metadata key that gives a KV secret an expiry. */
export const KV_EXPIRES_AT = 'expires_at';

/** The expiry in unix seconds, or undefined when absent or not an RFC 3339 time. */
export function kvExpiry(custom: Record<string, string> | null | undefined): number | undefined {
  const raw = custom?.[KV_EXPIRES_AT];
  if (!raw || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(raw)) return undefined;
  const ms = Date.parse(raw);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** A warning when `expires_at` is set but is not a time events can use (Vault accepts any string, so this is not an error). */
export function expiryWarning(custom: Record<string, string> | null | undefined): string | undefined {
  if (custom?.[KV_EXPIRES_AT] === undefined || kvExpiry(custom) !== undefined) return undefined;
  return `custom_metadata.${KV_EXPIRES_AT} is not an RFC 3339 time such as "2027-01-31T00:00:00Z": no expiry events will be raised for this secret`;
}

/**
 * After versions were deleted, destroyed or undeleted: re-points the watch (see watchKvExpiry).
 * Secrets without an `expires_at` have no watch and cost nothing here.
 */
export async function syncKvExpiryWithCurrent(deps: KvDeps, req: BackendRequest, path: string, meta: KeyMeta): Promise<void> {
  if (kvExpiry(meta.customMetadata) !== undefined) await watchKvExpiry(deps, req, path, meta);
}

/**
 * Points the secret's expiry watch at its current `expires_at`. It is cleared when there is none,
 * when `meta` is gone, or when the current version cannot be read (deleted or destroyed): such a
 * secret raises no expiry events until a readable version is current again.
 */
export async function watchKvExpiry(deps: KvDeps, req: BackendRequest, path: string, meta: KeyMeta | undefined): Promise<void> {
  const mount = req.mount.path;
  const vm = meta?.versions[String(meta.current)];
  const live = vm !== undefined && isLive(vm, deps.now());
  await deps.events?.watchExpiry(path, {
    namespace: 'Coffer.KV', mount, vaultName: mount, objectName: path, version: String(meta?.current ?? 0),
    id: `${mount}data/${path}`, readPath: `${mount}data/${path}`, exp: meta && live ? kvExpiry(meta.customMetadata) : undefined,
  });
}
