/**
 * Key Vault keys, the live-key operations: create (RSA 2048/3072/4096, EC P-256/P-384/P-521),
 * import (JWK), get (latest or a version; public JWK only), list keys and versions, update a
 * version's properties, soft delete, rotate. Key material, versions and rotation are keys-core's
 * (shared with transit); this file only speaks Key Vault.
 *
 * `kty` RSA-HSM and EC-HSM are accepted and served as the software types RSA and EC: Coffer
 * has no HSM, every key is protected by the barrier, and answering "-HSM" would claim a
 * protection that is not there. `oct` keys are Managed HSM only in Key Vault, and refused here.
 * A new version (create or import on an existing name) must keep the key's type.
 */
import type { BackendRequest } from '../../core/backend.js';
import type { LogicalResponse } from '../../core/logical.js';
import { createKey, materialFromJwk, rotateKey, type KeyType, type KeyVersion, type NamedKey } from '../keys-core/index.js';
import { badParameter, deletedButRecoverable, keyNotFound } from './azure-errors.js';
import { pageView } from './bundle.js';
import { nowSeconds, type VaultDeps } from './deps.js';
import {
  KEY_OPS_BY_KTY, KEYS_PREFIX, deletedKeys, keyBundleData, keyProps, ktyOf, latestOf, liveKeys, parseKeyOps, versionOf,
  versionProps, versionsById, type AzureKeyProps, type AzureVersionProps,
} from './key-model.js';
import { isStoredName, isStoredVersion, isValidSecretName, newVersionId, parseKeyName } from './names.js';
import { encodeSkipToken, listPage, parsePageRequest } from './paging.js';
import { parseProperties } from './props.js';
import { readSettings } from './settings.js';
import { encodeJson } from './codec.js';
import { isoDurationSeconds, reindexRotation, unindexRotation } from './rotation-index.js';
import { purgeIndexKey } from './store.js';

const SECONDS_PER_DAY = 86400;
const RSA_SIZES = [2048, 3072, 4096];
const CURVES: Record<string, KeyType> = { 'P-256': 'ecdsa-p256', 'P-384': 'ecdsa-p384', 'P-521': 'ecdsa-p521' };

/** ACL existence check of `keys/<name>`: a live key makes an import an `update`, otherwise `create`. */
export async function keyExists(req: BackendRequest): Promise<boolean> {
  const name = req.params.name;
  return isValidSecretName(name) && (await liveKeys(req.storage).get(name.toLowerCase())) !== undefined;
}

/** The keys-core type a create request asks for. */
function typeOfCreate(data: Record<string, unknown>): KeyType {
  const kty = data.kty;
  if (typeof kty !== 'string' || kty === '') throw badParameter('Property kty is required: RSA, RSA-HSM, EC or EC-HSM');
  const base = kty.toUpperCase().replace(/-HSM$/, '');
  if (base === 'RSA') {
    const size = data.key_size === undefined || data.key_size === null ? 2048 : Number(data.key_size);
    if (!RSA_SIZES.includes(size)) throw badParameter(`Invalid key_size ${JSON.stringify(data.key_size)}: RSA keys are 2048, 3072 or 4096 bits`);
    const exp = data.public_exponent;
    if (exp !== undefined && exp !== null && Number(exp) !== 65537) throw badParameter('Invalid public_exponent: only 65537 is supported');
    return `rsa-${size}` as KeyType;
  }
  if (base === 'EC') {
    const crv = data.crv === undefined || data.crv === null ? 'P-256' : String(data.crv);
    const type = CURVES[crv.toUpperCase()];
    if (!type) throw badParameter(`Invalid crv ${JSON.stringify(crv.slice(0, 20))}: use P-256, P-384 or P-521 (P-256K is not supported)`);
    return type;
  }
  if (base === 'OCT') throw badParameter('Key type oct (symmetric) is only available in a Managed HSM; use RSA or EC in a vault');
  throw badParameter(`Invalid kty ${JSON.stringify(kty.slice(0, 20))}: use RSA, RSA-HSM, EC or EC-HSM`);
}

/** The properties of a new version from a create/import body. */
function newVersionProps(data: Record<string, unknown>, kty: 'RSA' | 'EC', defaultOps: unknown, now: number): AzureVersionProps {
  const changes = parseProperties({ tags: data.tags, attributes: data.attributes });
  const rawOps = data.key_ops ?? defaultOps;
  const p: AzureVersionProps = {
    enabled: changes.enabled ?? true,
    created: now,
    updated: now,
    keyOps: rawOps === undefined || rawOps === null ? [...KEY_OPS_BY_KTY[kty]] : parseKeyOps(rawOps, kty),
  };
  if (changes.nbf !== undefined) p.nbf = changes.nbf;
  if (changes.exp !== undefined) p.exp = changes.exp;
  if (changes.tags !== undefined) p.tags = changes.tags;
  return p;
}

/**
 * Adds a version (fresh material, or `material` for an import) to the key `name`, creating the
 * key when it does not exist; answers its KeyBundle.
 */
async function addVersion(
  deps: VaultDeps, req: BackendRequest, type: KeyType, props: AzureVersionProps, material?: string,
): Promise<LogicalResponse> {
  const name = parseKeyName(req.params.name);
  const settings = await readSettings(req.storage, req.mount);
  const deleted = await deletedKeys(req.storage).get(name.key);
  if (deleted) throw deletedButRecoverable(keyProps(deleted).displayName, 'Key');
  const store = liveKeys(req.storage);
  const existing = await store.get(name.key);
  const nowMs = deps.services.now();
  const meta = { externalId: newVersionId(), attributes: props as unknown as Record<string, unknown> };
  let key: NamedKey;
  let version: KeyVersion;
  if (existing) {
    if (existing.type !== type) {
      throw badParameter(`Key ${keyProps(existing).displayName} is of type ${existing.type}; a new version must be of the same type (use a new key name for a ${type} key)`);
    }
    key = existing;
    version = rotateKey(key, nowMs, { ...meta, material });
  } else {
    const attributes: AzureKeyProps = { displayName: name.display, kty: ktyOf(type) };
    key = createKey(name.key, type, nowMs, { material, externalId: meta.externalId, versionAttributes: meta.attributes, attributes: attributes as unknown as Record<string, unknown> });
    version = latestOf(key);
  }
  await reindexRotation(req.storage, key);
  await store.put(key);
  return { data: keyBundleData(key, version, settings) };
}

/** `update keys/<name>/create`: a new key, or a new version of an existing one. */
export async function createKeyHandler(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const type = typeOfCreate(req.data);
  return addVersion(deps, req, type, newVersionProps(req.data, ktyOf(type), undefined, nowSeconds(deps)));
}

/** `update/create keys/<name>` `{key: JWK with its private members, attributes?, tags?, Hsm?}`: import. */
export async function importKey(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const jwk = req.data.key;
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) {
    throw badParameter('Property key is required: the JSON Web Key to import, with its private members (RSA: n, e, d, p, q, dp, dq, qi; EC: crv, x, y, d)');
  }
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...publicPart } = jwk as Record<string, unknown>;
  const kty = typeof publicPart.kty === 'string' ? publicPart.kty.toUpperCase().replace(/-HSM$/, '') : '';
  if (kty !== 'RSA' && kty !== 'EC') throw badParameter('Property key.kty must be RSA, RSA-HSM, EC or EC-HSM (oct keys are Managed HSM only)');
  // Only the JWK members of the key itself reach node:crypto (not kid, key_ops, key_hsm...).
  const members: Record<string, unknown> = { kty };
  for (const m of ['n', 'e', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'crv', 'x', 'y']) if ((jwk as Record<string, unknown>)[m] !== undefined) members[m] = (jwk as Record<string, unknown>)[m];
  const { type, material } = materialFromJwk(members as import('node:crypto').JsonWebKey);
  const props = newVersionProps(req.data, ktyOf(type), publicPart.key_ops, nowSeconds(deps));
  return addVersion(deps, req, type, props, material);
}

/** Loads a live key or answers 404 for the name (or name/version) asked for. */
export async function loadLiveKey(req: BackendRequest): Promise<NamedKey> {
  const name = parseKeyName(req.params.name);
  const key = await liveKeys(req.storage).get(name.key);
  if (!key) throw keyNotFound(req.params.version ? `${name.display}/${req.params.version}` : name.display);
  return key;
}

/** `read keys/<name>` and `read keys/<name>/<version>`: the public KeyBundle (a disabled key is still readable, as in Key Vault). */
export async function getKey(req: BackendRequest): Promise<LogicalResponse> {
  const key = await loadLiveKey(req);
  const v = versionOf(key, req.params.version);
  return { data: keyBundleData(key, v, await readSettings(req.storage, req.mount)) };
}

/** `patch keys/<name>[/<version>]` `{key_ops?, attributes?, tags?}`: changes one version's properties. */
export async function updateKeyProperties(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const changes = parseProperties({ tags: req.data.tags, attributes: req.data.attributes });
  const key = await loadLiveKey(req);
  const v = versionOf(key, req.params.version);
  const p = versionProps(v);
  if (req.data.key_ops !== undefined && req.data.key_ops !== null) p.keyOps = parseKeyOps(req.data.key_ops, keyProps(key).kty);
  if (changes.enabled !== undefined) p.enabled = changes.enabled;
  if (changes.nbf !== undefined) p.nbf = changes.nbf;
  if (changes.exp !== undefined) p.exp = changes.exp;
  if (changes.tags !== undefined) p.tags = changes.tags;
  p.updated = nowSeconds(deps);
  await reindexRotation(req.storage, key); // a new exp moves a timeBeforeExpiry rotation
  await liveKeys(req.storage).put(key);
  return { data: keyBundleData(key, v, await readSettings(req.storage, req.mount)) };
}

/** `delete keys/<name>`: soft delete (all versions); answers the DeletedKeyBundle. */
export async function deleteKey(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await loadLiveKey(req);
  const settings = await readSettings(req.storage, req.mount);
  const kp = keyProps(key);
  kp.deletedDate = nowSeconds(deps);
  kp.scheduledPurgeDate = kp.deletedDate + settings.retentionDays * SECONDS_PER_DAY;
  // One request = one storage transaction: these writes land together.
  await unindexRotation(req.storage, key);
  await liveKeys(req.storage).delete(key.name);
  await deletedKeys(req.storage).put(key);
  await req.storage.put(purgeIndexKey(kp.scheduledPurgeDate, keyIndexName(key.name)), encodeJson(key.name));
  return { data: keyBundleData(key, latestOf(key), settings) };
}

/** Name of a key's entry in the shared purge-date index (`key.` cannot begin a secret name). */
export function keyIndexName(name: string): string {
  return `key.${name}`;
}

/** `update keys/<name>/rotate`: a new version with fresh material, the latest version's key_ops and tags, and the rotation policy's expiry. */
export async function rotateKeyHandler(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await loadLiveKey(req);
  const settings = await readSettings(req.storage, req.mount);
  const version = rotateNow(deps, key);
  await reindexRotation(req.storage, key);
  await liveKeys(req.storage).put(key);
  return { data: keyBundleData(key, version, settings) };
}

/** Adds a rotated version to `key` (neither stored nor re-indexed); shared by rotate and automatic rotation. */
export function rotateNow(deps: VaultDeps, key: NamedKey): KeyVersion {
  const now = nowSeconds(deps);
  const latest = versionProps(latestOf(key));
  const props: AzureVersionProps = { enabled: true, created: now, updated: now, keyOps: [...latest.keyOps] };
  if (latest.tags) props.tags = { ...latest.tags };
  const expiry = keyProps(key).rotationPolicy?.expiryTime;
  if (expiry) props.exp = now + isoDurationSeconds(expiry);
  return rotateKey(key, deps.services.now(), { externalId: newVersionId(), attributes: props as unknown as Record<string, unknown> });
}

/** `list keys/`: one page of keys, each with its latest version's properties. */
export async function listKeys(req: BackendRequest): Promise<LogicalResponse> {
  const page = await listPage(req.storage, KEYS_PREFIX, parsePageRequest(req.data, isStoredName));
  const settings = await readSettings(req.storage, req.mount);
  const store = liveKeys(req.storage);
  const items: Record<string, unknown>[] = [];
  for (const name of page.keys) {
    const key = await store.get(name);
    if (key) items.push(keyBundleData(key, latestOf(key), settings, { withKey: false }));
  }
  return { data: pageView(items, page.nextSkipToken) };
}

/** `list keys/<name>/versions/`: one page of a live key's versions. */
export async function listKeyVersions(req: BackendRequest): Promise<LogicalResponse> {
  const pageRequest = parsePageRequest(req.data, isStoredVersion);
  const key = await loadLiveKey(req);
  const settings = await readSettings(req.storage, req.mount);
  const rest = versionsById(key).filter((v) => pageRequest.after === undefined || v.externalId! > pageRequest.after);
  const shown = rest.slice(0, pageRequest.limit);
  const next = rest.length > shown.length ? encodeSkipToken(shown[shown.length - 1]!.externalId!) : undefined;
  return { data: pageView(shown.map((v) => keyBundleData(key, v, settings, { withKey: false })), next) };
}

