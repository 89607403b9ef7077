/**
 * KV v2 `metadata/:path`: read, write, patch and delete-all of one secret's metadata, and LIST
 * of a folder (one `storage.list` over the `meta/` family, paginated with `after` / `limit`).
 */
import type { BackendRequest, Route } from '../../core/backend.js';
import { notFound } from '../../core/errors.js';
import { optBool, optDuration, optInt } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { expiryWarning, kvExpiry, watchKvExpiry } from './expiry.js';
import { listKeys } from './list.js';
import { parseMetadataFilter, scanKeys } from './scan.js';
import { mergePatch } from './merge-patch.js';
import { isValidSecretPath, listPrefix, secretPath } from './paths.js';
import { route, type KvDeps } from './routes.js';
import { durationString } from './v2-config.js';
import { readCustomMetadata, validateCustomMetadata } from './v2-fields.js';
import { emptyMeta, metaKey, META_PREFIX, putMetaOp, readConfig, readMeta, timeString, versionKey, type KeyMeta } from './v2-store.js';

const CAS_WARNING = '"cas_required" set to false, but is mandated by backend config. This value will be ignored.';

/** The settings a metadata write or patch may carry. */
interface MetadataFields {
  maxVersions?: number;
  casRequired?: boolean;
  deleteVersionAfter?: number;
}

function readFields(data: Record<string, unknown>): MetadataFields {
  return {
    maxVersions: optInt(data, 'max_versions', { min: 0, max: 0xffffffff }),
    casRequired: optBool(data, 'cas_required'),
    deleteVersionAfter: optDuration(data, 'delete_version_after'),
  };
}

function applyFields(meta: KeyMeta, f: MetadataFields): void {
  if (f.maxVersions !== undefined) meta.maxVersions = f.maxVersions;
  if (f.casRequired !== undefined) meta.casRequired = f.casRequired;
  if (f.deleteVersionAfter !== undefined) meta.deleteVersionAfter = f.deleteVersionAfter;
}

/** Vault warns (but succeeds) when a key tries to switch off CAS that the mount requires. */
async function casWarning(req: BackendRequest, f: MetadataFields): Promise<string[] | undefined> {
  if (f.casRequired !== false) return undefined;
  return (await readConfig(req.storage)).casRequired ? [CAS_WARNING] : undefined;
}

/** The metadata read response; version keys are strings, as Vault renders a Go map. */
export function metadataView(meta: KeyMeta): Record<string, unknown> {
  const versions: Record<string, unknown> = {};
  for (const [n, vm] of Object.entries(meta.versions)) {
    versions[n] = { created_time: timeString(vm.created), deletion_time: timeString(vm.deletion), destroyed: vm.destroyed };
  }
  return {
    cas_required: meta.casRequired,
    created_time: timeString(meta.created),
    current_version: meta.current,
    custom_metadata: meta.customMetadata,
    delete_version_after: durationString(meta.deleteVersionAfter),
    max_versions: meta.maxVersions,
    oldest_version: meta.oldest,
    updated_time: timeString(meta.updated),
    versions,
  };
}

async function readMetadata(req: BackendRequest): Promise<LogicalResponse> {
  const path = secretPath(req.params.path, { emptyIsNotFound: true });
  const meta = await readMeta(req.storage, path);
  if (!meta) throw notFound();
  return { data: metadataView(meta) };
}

async function writeMetadata(deps: KvDeps, req: BackendRequest): Promise<LogicalResponse | null> {
  const path = secretPath(req.params.path);
  const fields = readFields(req.data);
  const custom = readCustomMetadata(req.data) as Record<string, string> | undefined;
  if (fields.maxVersions === undefined && fields.casRequired === undefined && fields.deleteVersionAfter === undefined && custom === undefined) {
    return null; // Vault's fast path: nothing to change, nothing created.
  }
  if (custom) validateCustomMetadata(custom);
  const warnings = await casWarning(req, fields);
  await deps.locks.run(path, async () => {
    const meta = (await readMeta(req.storage, path)) ?? emptyMeta(deps.now());
    applyFields(meta, fields);
    if (custom) meta.customMetadata = custom;
    await req.storage.batch([putMetaOp(path, meta)]);
    if (custom) await watchKvExpiry(deps, req, path, meta);
  });
  return withExpiryWarning(warnings, custom);
}

async function patchMetadata(deps: KvDeps, req: BackendRequest): Promise<LogicalResponse | null> {
  const path = secretPath(req.params.path);
  const fields = readFields(req.data);
  const customPatch = readCustomMetadata(req.data, { dropNulls: true });
  if (customPatch) {
    // Check the values being set before touching storage (nulls only remove keys).
    validateCustomMetadata(Object.fromEntries(Object.entries(customPatch).filter(([, v]) => v !== null)) as Record<string, string>);
  }
  const warnings = await casWarning(req, fields);
  let expiry: Record<string, string> | null = null;
  await deps.locks.run(path, async () => {
    const meta = await readMeta(req.storage, path);
    if (!meta) throw notFound();
    applyFields(meta, fields);
    if (customPatch === null) {
      meta.customMetadata = null;
    } else if (customPatch !== undefined) {
      const merged = mergePatch(meta.customMetadata ?? {}, customPatch) as Record<string, string>;
      validateCustomMetadata(merged); // the merged map must still respect the limits (e.g. ≤ 64 keys)
      meta.customMetadata = merged;
    }
    await req.storage.batch([putMetaOp(path, meta)]);
    if (customPatch !== undefined) await watchKvExpiry(deps, req, path, meta);
    expiry = meta.customMetadata;
  });
  return withExpiryWarning(warnings, expiry);
}

async function deleteMetadata(deps: KvDeps, req: BackendRequest): Promise<null> {
  const path = secretPath(req.params.path);
  await deps.locks.run(path, async () => {
    const meta = await readMeta(req.storage, path);
    if (!meta) return;
    await req.storage.batch([
      ...Object.keys(meta.versions).map((n) => ({ type: 'delete' as const, key: versionKey(path, Number(n)) })),
      { type: 'delete', key: metaKey(path) },
    ]);
    if (kvExpiry(meta.customMetadata) !== undefined) await watchKvExpiry(deps, req, path, undefined);
  });
  return null;
}

/** The answer of a metadata write: null, or the CAS and `expires_at` warnings. */
function withExpiryWarning(warnings: string[] | undefined, custom: Record<string, string> | null | undefined): LogicalResponse | null {
  const all = [...(warnings ?? []), ...[expiryWarning(custom)].filter((w): w is string => w !== undefined)];
  return all.length ? { data: null, warnings: all } : null;
}

async function listMetadata(deps: KvDeps, req: BackendRequest): Promise<LogicalResponse> {
  const within = optDuration(req.data, 'expiring_within');
  const prefix = listPrefix(req.params.path);
  const listed = await listKeys(req.storage, META_PREFIX + prefix, req.data);
  if (within === undefined) return listed;
  // Only the secrets of this page whose expires_at falls within the window (or has passed); folders are left out.
  const until = Math.floor(deps.now() / 1000) + within;
  const keys: string[] = [];
  for (const key of listed.data!.keys as string[]) {
    if (key.endsWith('/')) continue;
    const exp = kvExpiry((await readMeta(req.storage, prefix + key))?.customMetadata);
    if (exp !== undefined && exp <= until) keys.push(key);
  }
  if (keys.length === 0) throw notFound();
  return { data: { keys } };
}

/** SCAN of the metadata family, optionally filtered by custom metadata (see scan.ts). */
async function scanMetadata(req: BackendRequest): Promise<LogicalResponse> {
  const filter = parseMetadataFilter(req.data);
  if (filter === undefined) return scanKeys(req, META_PREFIX);
  return scanKeys(req, META_PREFIX, async (path) => {
    const custom = (await readMeta(req.storage, path))?.customMetadata ?? {};
    if (!Object.hasOwn(custom, filter.key)) return false;
    return filter.value === undefined || custom[filter.key] === filter.value;
  });
}

/** The `metadata/:path` route (an empty path is the mount root, for LIST). */
export function metadataRoute(deps: KvDeps): Route {
  return route(/^metadata\/(?<path>.*)$/s, {
    read: readMetadata,
    create: (req) => writeMetadata(deps, req),
    update: (req) => writeMetadata(deps, req),
    patch: (req) => patchMetadata(deps, req),
    delete: (req) => deleteMetadata(deps, req),
    list: (req) => listMetadata(deps, req),
    scan: scanMetadata,
  }, {
    existenceCheck: async (req) => isValidSecretPath(req.params.path) && (await readMeta(req.storage, req.params.path!)) !== undefined,
    fields: ['max_versions', 'cas_required', 'delete_version_after', 'custom_metadata', 'after', 'limit', 'filter', 'expiring_within'],
    readOnly: ['read', 'list'],
    help: 'Read, write, patch or delete the metadata and all versions of a secret; LIST a folder (expiring_within=7d); SCAN it recursively (filter=custom_metadata.<key>=<value>).',
  });
}
