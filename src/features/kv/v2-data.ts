/**
 * KV v2 `data/:path` (read, write, patch, soft-delete latest) and `subkeys/:path`.
 */
import type { BackendRequest, Route } from '../../core/backend.js';
import { CofferError, notFound } from '../../core/errors.js';
import { optInt } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { encodeSecret, isPlainObject } from './codec.js';
import { mergePatch } from './merge-patch.js';
import { isValidSecretPath, secretPath } from './paths.js';
import { route, type KvDeps } from './routes.js';
import { subkeys } from './subkeys.js';
import { readMetaShared, readVersionDataShared, sharedVersionView } from './v2-read.js';
import { KV_EXPIRES_AT, kvExpiry, syncKvExpiryWithCurrent, watchKvExpiry } from './expiry.js';
import { checkCas, readCas, requireDataField } from './v2-fields.js';
import {
  addVersion, emptyMeta, isDeleted, isLive, metaKey, putMetaOp, readConfig, readMeta, readVersionData, versionKey, versionView,
  type KeyMeta, type KvConfig,
} from './v2-store.js';

/** The `data/:path` route: a path without a trailing slash (a LIST on `data/x/` falls through to the invalid-path route). */
export function dataRoute(deps: KvDeps): Route {
  return route(/^data\/(?<path>.*[^/])$/s, {
    read: (req) => readData(deps, req),
    create: (req) => writeData(deps, req),
    update: (req) => writeData(deps, req),
    patch: (req) => patchData(deps, req),
    delete: (req) => deleteLatest(deps, req),
  }, {
    // The ACL asks for `create` on a new secret and `update` on an existing one.
    // Whether metadata is stored, without decoding it (the write reads it again, from the transaction).
    existenceCheck: (req) => (isValidSecretPath(req.params.path) ? req.storage.get(metaKey(req.params.path!)).then((raw) => raw !== undefined) : Promise.resolve(false)),
    // The secret's keys live inside `data`; a key beside it (e.g. `cas` instead of `options.cas`) is a mistake worth a warning.
    fields: ['data', 'options', 'version'],
    // A read only reads (the shared decoded reads of v2-read.ts): no transaction (Route.readOnly).
    readOnly: ['read'],
    help: 'Write, patch, read and soft-delete versions of a secret.',
  });
}

/** The `subkeys/:path` route. */
export function subkeysRoute(deps: KvDeps): Route {
  return route(/^subkeys\/(?<path>.*)$/s, { read: (req) => readSubkeys(deps, req) }, {
    fields: ['version', 'depth'],
    readOnly: ['read'],
    help: 'Read the key structure of a secret version with every value replaced by null.',
  });
}

/**
 * Resolves `?version=` (0 or absent = latest) and loads the version's data. Returns a 404
 * carrying `notFoundData` (Vault's full envelope) for a deleted or destroyed version.
 */
async function loadVersion(
  deps: KvDeps, req: BackendRequest, view: (meta: KeyMeta, n: number) => Record<string, unknown>,
): Promise<{ data: Readonly<Record<string, unknown>>; meta: KeyMeta; version: number } | LogicalResponse> {
  const path = secretPath(req.params.path, { emptyIsNotFound: true });
  const requested = optInt(req.data, 'version', { min: 0 }) ?? 0;
  // Reads take no lock; if a destroy or prune lands between the two gets, the second pass sees it.
  // Both reads are the shared, frozen ones (v2-read.ts): nothing here or above changes them.
  for (let attempt = 0; attempt < 2; attempt++) {
    const meta = await readMetaShared(req.storage, path);
    if (!meta) throw notFound();
    const version = requested > 0 ? requested : meta.current;
    const vm = meta.versions[String(version)];
    if (!vm) throw notFound();
    if (!isLive(vm, deps.now())) return { status: 404, data: view(meta, version) };
    const data = await readVersionDataShared(req.storage, path, version);
    if (data !== undefined) return { data, meta, version };
  }
  throw notFound();
}

function readData(deps: KvDeps, req: BackendRequest): Promise<LogicalResponse> {
  // A then, not an async function around an await: one promise step less per read.
  return loadVersion(deps, req, (meta, n) => ({ data: null, metadata: versionView(meta, n) })).then((loaded) => {
    if (!('meta' in loaded)) return loaded;
    // The version's data and its view are the shared frozen objects, so the audit device hashes them once.
    return { data: { data: loaded.data, metadata: sharedVersionView(loaded.meta, loaded.version) } };
  });
}

async function readSubkeys(deps: KvDeps, req: BackendRequest): Promise<LogicalResponse> {
  const depth = optInt(req.data, 'depth', { min: 0 }) ?? 0;
  const loaded = await loadVersion(deps, req, (meta, n) => ({ subkeys: null, metadata: versionView(meta, n) }));
  if (!('meta' in loaded)) return loaded;
  return { data: { subkeys: subkeys(loaded.data, depth), metadata: versionView(loaded.meta, loaded.version) } };
}

/**
 * Stores `bytes` as the next version of `path`, together with the updated metadata and the
 * removal of pruned versions, in one atomic batch. Returns the write response.
 */
async function commitVersion(
  deps: KvDeps, req: BackendRequest, path: string, meta: KeyMeta, config: KvConfig, bytes: Uint8Array,
): Promise<LogicalResponse> {
  const { version, pruned } = addVersion(meta, deps.now(), config);
  await req.storage.batch([
    { type: 'put', key: versionKey(path, version), value: bytes },
    putMetaOp(path, meta),
    ...pruned.map((n) => ({ type: 'delete' as const, key: versionKey(path, n) })),
  ]);
  // Same transaction as the write: the event is queued exactly when the version commits.
  await deps.events?.emit({
    type: 'SecretNewVersionCreated', namespace: 'Coffer.KV', mount: req.mount.path, vaultName: req.mount.path,
    objectName: path, version: String(version), id: `${req.mount.path}data/${path}?version=${version}`, readPath: `${req.mount.path}data/${path}`, exp: kvExpiry(meta.customMetadata),
  });
  // Only a secret with an expiry has a watch to move to the new version (no extra read otherwise).
  if (meta.customMetadata?.[KV_EXPIRES_AT] !== undefined) await watchKvExpiry(deps, req, path, meta);
  return { data: versionView(meta, version) };
}


async function writeData(deps: KvDeps, req: BackendRequest): Promise<LogicalResponse> {
  const path = secretPath(req.params.path);
  const data = requireDataField(req.data);
  const cas = readCas(req.data);
  const bytes = encodeSecret(data);
  return deps.locks.run(path, async () => {
    const config = await readConfig(req.storage);
    const meta = (await readMeta(req.storage, path)) ?? emptyMeta();
    checkCas(cas, meta.current, config.casRequired || meta.casRequired);
    return commitVersion(deps, req, path, meta, config, bytes);
  });
}

async function patchData(deps: KvDeps, req: BackendRequest): Promise<LogicalResponse> {
  const path = secretPath(req.params.path);
  const patch = requireDataField(req.data);
  const cas = readCas(req.data);
  return deps.locks.run(path, async () => {
    const meta = await readMeta(req.storage, path);
    if (!meta) throw notFound();
    const config = await readConfig(req.storage);
    checkCas(cas, meta.current, config.casRequired || meta.casRequired);
    const vm = meta.versions[String(meta.current)];
    if (!vm) throw notFound();
    // Like Vault: a deleted or destroyed latest version cannot be patched; answer 404 with its metadata.
    if (!isLive(vm, deps.now())) return { status: 404, data: versionView(meta, meta.current) };
    const existing = await readVersionData(req.storage, path, meta.current);
    if (existing === undefined) throw new CofferError('internal', 'could not find version data');
    const patched = mergePatch(existing, patch);
    const bytes = encodeSecret(isPlainObject(patched) ? patched : {});
    return commitVersion(deps, req, path, meta, config, bytes);
  });
}

async function deleteLatest(deps: KvDeps, req: BackendRequest): Promise<null> {
  const path = secretPath(req.params.path);
  await deps.locks.run(path, async () => {
    const meta = await readMeta(req.storage, path);
    const vm = meta?.versions[String(meta.current)];
    const now = deps.now();
    if (!meta || !vm || vm.destroyed || isDeleted(vm, now)) return;
    vm.deletion = now;
    await req.storage.batch([putMetaOp(path, meta)]);
    // A deleted secret raises no expiry events (undelete brings them back).
    await syncKvExpiryWithCurrent(deps, req, path, meta);
  });
  return null;
}
