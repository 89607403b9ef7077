/**
 * The live-secret operations: set (a new version each time), get latest or by version, update
 * a version's properties (the value is immutable), list secrets and versions, soft delete.
 */
import type { BackendRequest } from '../../core/backend.js';
import type { LogicalResponse } from '../../core/logical.js';
import { optDuration } from '../../core/fields.js';
import { deepFreeze, isDeepFrozen } from '../../core/deep-freeze.js';
import { badParameter, deletedButRecoverable, forbidden, secretNotFound } from './azure-errors.js';
import { deletedBundle, pageView, secretBundle } from './bundle.js';
import { nowSeconds, type VaultDeps } from './deps.js';
import { isStoredName, isStoredVersion, isValidSecretName, newVersionId, normalizeVersion, parseSecretName } from './names.js';
import { listPage, parsePageRequest } from './paging.js';
import { applyProperties, parseProperties, parseValue } from './props.js';
import { readSettings, type VaultSettings } from './settings.js';
import {
  SECRETS_PREFIX, deletedKey, deleteOp, purgeIndexKey, putOp, listAllVersions, readDeleted, readSecret, readSecretShared, readVersion, readVersionShared, secretKey, versionKey,
  versionsPrefix, type DeletedRecord, type SecretRecord, type VersionRecord,
} from './store.js';

const SECONDS_PER_DAY = 86400;

/** ACL existence check of `secrets/<name>`: a live secret makes a write an `update`, otherwise `create`. */
export async function secretExists(req: BackendRequest): Promise<boolean> {
  const name = req.params.name;
  return isValidSecretName(name) && (await readSecret(req.storage, name.toLowerCase())) !== undefined;
}

/**
 * Resolves `name` and an optional version (empty = latest) to a stored version, or a 404
 * that names what was asked for.
 */
async function loadVersion(
  req: BackendRequest, rawVersion: string | undefined, shared = false,
): Promise<{ record: SecretRecord; version: string; v: VersionRecord }> {
  const name = parseSecretName(req.params.name);
  const shown = rawVersion ? `${name.display}/${rawVersion}` : name.display;
  // `shared`: the frozen objects every read of these stored values gets (getSecret); writers get their own copies.
  const record = await (shared ? readSecretShared : readSecret)(req.storage, name.key);
  if (!record) throw secretNotFound(shown);
  const version = rawVersion ? normalizeVersion(rawVersion) : record.current;
  if (!version) throw secretNotFound(shown);
  const v = await (shared ? readVersionShared : readVersion)(req.storage, name.key, version);
  if (!v) throw secretNotFound(shown);
  return { record, version, v };
}

/**
 * Key Vault refuses to return a disabled version's value. The nbf/exp window is enforced only
 * when the vault asks for it (Key Vault itself returns such versions).
 */
function assertReadable(v: VersionRecord, settings: VaultSettings, now: number): void {
  if (!v.enabled) throw forbidden('Operation get is not allowed on a disabled secret.', 'SecretDisabled');
  if (!settings.enforceValidityWindow) return;
  if (v.nbf !== undefined && now < v.nbf) {
    throw forbidden('Operation get is not allowed on a secret that is not yet valid (its nbf date is in the future).', 'SecretNotYetValid');
  }
  if (v.exp !== undefined && now >= v.exp) {
    throw forbidden('Operation get is not allowed on an expired secret (its exp date has passed).', 'SecretExpired');
  }
}

/** `update/create secrets/<name>`: stores a new version and makes it the latest. */
export async function setSecret(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const name = parseSecretName(req.params.name);
  const value = parseValue(req.data);
  const changes = parseProperties(req.data);
  const settings = await readSettings(req.storage, req.mount);
  return deps.locks.run(name.key, async () => {
    const deleted = await readDeleted(req.storage, name.key);
    if (deleted) throw deletedButRecoverable(deleted.name);
    const existing = await readSecret(req.storage, name.key);
    const now = nowSeconds(deps);
    const version = newVersionId();
    const v: VersionRecord = { value, enabled: true, created: now, updated: now };
    applyProperties(v, changes, now);
    const record: SecretRecord = { name: existing?.name ?? name.display, current: version };
    await req.storage.batch([putOp(versionKey(name.key, version), v), putOp(secretKey(name.key), record)]);
    await emitNewVersion(deps, req, record, version, v);
    if (v.exp !== undefined) await watchVersionExpiry(deps, req, record, version, v);
    return { data: secretBundle(record, version, v, settings, { withValue: true }) };
  });
}

/** `read secrets/<name>` and `read secrets/<name>/<version>` (empty version = latest). */
export async function getSecret(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const { record, version, v } = await loadVersion(req, req.params.version, true);
  const settings = await readSettings(req.storage, req.mount);
  assertReadable(v, settings, nowSeconds(deps));
  return { data: sharedValueBundle(record, version, v, settings) };
}

/** The last bundle built from each shared (frozen) version, with what else it was built from. */
const valueBundles = new WeakMap<VersionRecord, { name: string; version: string; retentionDays: number; purgeProtection: boolean; bundle: Record<string, unknown> }>();

/**
 * getSecret's bundle of a version from readVersionShared: built once and deeply frozen, so every
 * read of that version answers the same object and the audit device hashes it once. Invariant:
 * reused only while everything secretBundle reads besides the frozen version is the same (the
 * display name, the version id, the settings it shows); anything else gets a fresh bundle.
 */
function sharedValueBundle(record: SecretRecord, version: string, v: VersionRecord, settings: VaultSettings): Record<string, unknown> {
  if (!isDeepFrozen(v)) return secretBundle(record, version, v, settings, { withValue: true });
  const last = valueBundles.get(v);
  if (last !== undefined && last.name === record.name && last.version === version && last.retentionDays === settings.retentionDays &&
    last.purgeProtection === settings.purgeProtection) return last.bundle;
  const bundle = deepFreeze(secretBundle(record, version, v, settings, { withValue: true }));
  valueBundles.set(v, { name: record.name, version, retentionDays: settings.retentionDays, purgeProtection: settings.purgeProtection, bundle });
  return bundle;
}

/** `patch secrets/<name>[/<version>]`: changes contentType, tags and attributes of one version. */
export async function updateSecretProperties(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  if (req.data.value !== undefined) throw badParameter('A secret value cannot be changed; set the secret again to create a new version.');
  const name = parseSecretName(req.params.name);
  const changes = parseProperties(req.data);
  const settings = await readSettings(req.storage, req.mount);
  return deps.locks.run(name.key, async () => {
    const { record, version, v } = await loadVersion(req, req.params.version);
    const hadExpiry = v.exp !== undefined;
    applyProperties(v, changes, nowSeconds(deps));
    await req.storage.batch([putOp(versionKey(name.key, version), v)]);
    if (hadExpiry || v.exp !== undefined) await watchVersionExpiry(deps, req, record, version, v);
    return { data: secretBundle(record, version, v, settings) };
  });
}

/** `delete secrets/<name>`: soft delete; the answer is the DeletedSecretBundle. */
export async function deleteSecret(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const name = parseSecretName(req.params.name);
  const settings = await readSettings(req.storage, req.mount);
  return deps.locks.run(name.key, async () => {
    const record = await readSecret(req.storage, name.key);
    if (!record) throw secretNotFound(name.display);
    const v = await readVersion(req.storage, name.key, record.current);
    if (!v) throw secretNotFound(name.display);
    const deletedDate = nowSeconds(deps);
    const deleted: DeletedRecord = {
      name: record.name, current: record.current, deletedDate, scheduledPurgeDate: deletedDate + settings.retentionDays * SECONDS_PER_DAY,
    };
    await req.storage.batch([
      deleteOp(secretKey(name.key)),
      putOp(deletedKey(name.key), deleted),
      putOp(purgeIndexKey(deleted.scheduledPurgeDate, name.key), name.key),
    ]);
    // A deleted secret raises no expiry events: the watch of every version ends.
    await watchAllVersions(deps, req, record, name.key, false);
    return { data: deletedBundle(deleted, v, settings) };
  });
}

/**
 * Coffer's `tag` filter on the secret listing (Key Vault's GetSecrets has none): `name:value`
 * keeps secrets whose latest version has that tag with that value, `name` any value.
 * Undefined when absent.
 */
function parseTagFilter(data: Record<string, unknown>): ((tags: unknown) => boolean) | undefined {
  const raw = data.tag;
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string') throw badParameter('Invalid tag filter: use tag=<name>:<value> (or tag=<name> for any value)');
  const colon = raw.indexOf(':');
  const name = colon < 0 ? raw : raw.slice(0, colon);
  const value = colon < 0 ? undefined : raw.slice(colon + 1);
  if (name === '') throw badParameter('Invalid tag filter: the tag name is empty; use tag=<name>:<value>');
  return (tags) => {
    if (tags === null || typeof tags !== 'object' || !Object.hasOwn(tags, name)) return false;
    return value === undefined || (tags as Record<string, unknown>)[name] === value;
  };
}

/**
 * `list secrets/`: one page of secrets, each shown with its latest version's properties. With
 * `tag`, a page shows only the matching secrets of its range, so it may be short or even empty
 * while a nextLink remains (Key Vault's own pages behave so; the SDKs follow nextLink). With
 * `expiring_within` (a duration such as `7d`), only those whose latest version's `exp` falls
 * within it (or has passed).
 */
export async function listSecrets(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const matches = parseTagFilter(req.data);
  const within = optDuration(req.data, 'expiring_within');
  const until = within === undefined ? undefined : nowSeconds(deps) + within;
  const page = await listPage(req.storage, SECRETS_PREFIX, parsePageRequest(req.data, isStoredName));
  const settings = await readSettings(req.storage, req.mount);
  const items: Record<string, unknown>[] = [];
  for (const key of page.keys) {
    // A secret deleted between the listing and these reads is simply left out.
    const record = await readSecret(req.storage, key);
    const v = record && (await readVersion(req.storage, key, record.current));
    if (record && v && (!matches || matches(v.tags)) && (until === undefined || (v.exp !== undefined && v.exp <= until))) items.push(secretBundle(record, record.current, v, settings));
  }
  return { data: pageView(items, page.nextSkipToken) };
}

/** `list secrets/<name>/versions/`: one page of a live secret's versions. */
export async function listSecretVersions(req: BackendRequest): Promise<LogicalResponse> {
  const name = parseSecretName(req.params.name);
  const pageRequest = parsePageRequest(req.data, isStoredVersion);
  const record = await readSecret(req.storage, name.key);
  if (!record) throw secretNotFound(name.display);
  const page = await listPage(req.storage, versionsPrefix(name.key), pageRequest);
  const settings = await readSettings(req.storage, req.mount);
  const items: Record<string, unknown>[] = [];
  for (const version of page.keys) {
    const v = await readVersion(req.storage, name.key, version);
    if (v) items.push(secretBundle(record, version, v, settings));
  }
  return { data: pageView(items, page.nextSkipToken) };
}

/** What Key Vault's secret events say about one version (never its value). */
function eventOf(req: BackendRequest, record: SecretRecord, version: string, v: VersionRecord) {
  const vaultName = req.mount.path.replace(/^keyvault\//, '').replace(/\/$/, '');
  return {
    namespace: 'Microsoft.KeyVault', mount: req.mount.path, vaultName,
    objectName: record.name, version, id: `${req.mount.path}secrets/${record.name}/${version}`, readPath: `${req.mount.path}secrets/${record.name}`, nbf: v.nbf, exp: v.exp,
  };
}

/** Queues Key Vault's SecretNewVersionCreated (in the request's transaction). */
export async function emitNewVersion(deps: VaultDeps, req: BackendRequest, record: SecretRecord, version: string, v: VersionRecord): Promise<void> {
  await deps.services.events?.emit({ type: 'SecretNewVersionCreated', ...eventOf(req, record, version, v) });
}

/**
 * Sets (`on`) or clears the expiry watch of every version of a secret that has an `exp`: a delete
 * ends them all, a recover or a restore from backup brings them all back.
 */
export async function watchAllVersions(deps: VaultDeps, req: BackendRequest, record: SecretRecord, key: string, on: boolean): Promise<void> {
  if (!deps.services.events) return;
  for (const version of await listAllVersions(req.storage, key)) {
    const v = await readVersion(req.storage, key, version);
    if (v?.exp !== undefined) await watchVersionExpiry(deps, req, record, version, on ? v : { ...v, exp: undefined });
  }
}

/** Points the version's expiry watch at its `exp` (clears it without one): SecretNearExpiry and SecretExpired, per version as in Key Vault. */
export async function watchVersionExpiry(deps: VaultDeps, req: BackendRequest, record: SecretRecord, version: string, v: VersionRecord): Promise<void> {
  await deps.services.events?.watchExpiry(`${record.name.toLowerCase()}/${version}`, eventOf(req, record, version, v));
}
