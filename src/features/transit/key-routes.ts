/**
 * Transit key management: `keys/` (list), `keys/:name` (create, read, delete),
 * `keys/:name/config`, `keys/:name/rotate`, `keys/:name/trim`, `export/:type/:name[/:version]`,
 * `backup/:name`, `restore[/:name]`. Paths are relative to the mount.
 */
import type { BackendRequest, Route } from '../../core/backend.js';
import { badRequest, notFound } from '../../core/errors.js';
import { optBool, optDuration, optInt, optString, reqString } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { route } from '../../core/route.js';
import {
  KEY_TYPE_INFO, checkKeyName, createKey, ed25519PublicRaw, isKeyType, privateKeyExport, publicKeyPem, rotateKey, sortedVersions,
  trimKey, updateKeyConfig, versionOrThrow, type KeyConfigChange, type KeyVersion, type NamedKey,
} from '../keys-core/index.js';
import { keyView } from './format.js';
import { loadKey, requireKey, storeOf, type TransitDeps } from './shared.js';
import { checkRestoredKey } from './restore.js';

const NAME = '(?<name>\\w(?:[\\w.-]*\\w)?)';

async function listKeys(req: BackendRequest): Promise<LogicalResponse> {
  const keys = await storeOf(req).list();
  if (keys.length === 0) throw notFound();
  return { data: { keys } };
}

async function createKeyHandler(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const name = checkKeyName(req.params.name);
  const store = storeOf(req);
  const existing = await loadKey(deps, req, name);
  if (existing) return { data: keyView(existing), warnings: [`key ${name} already existed`] };
  const type = optString(req.data, 'type') || 'aes256-gcm96';
  if (!isKeyType(type)) throw badRequest(`unknown key type ${type.slice(0, 40)}`);
  const key = createKey(name, type, deps.now(), {
    derived: optBool(req.data, 'derived'),
    convergentEncryption: optBool(req.data, 'convergent_encryption'),
    exportable: optBool(req.data, 'exportable'),
    allowPlaintextBackup: optBool(req.data, 'allow_plaintext_backup'),
    autoRotatePeriod: optDuration(req.data, 'auto_rotate_period'),
    keySize: optInt(req.data, 'key_size', { min: 0 }),
  });
  await store.put(key);
  return { data: keyView(key) };
}

async function readKey(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await loadKey(deps, req, checkKeyName(req.params.name));
  if (!key) throw notFound();
  return { data: keyView(key) };
}

async function deleteKey(req: BackendRequest): Promise<null> {
  const store = storeOf(req);
  const key = await store.get(checkKeyName(req.params.name));
  if (!key) throw badRequest('could not delete key; not found');
  if (!key.config.deletionAllowed) throw badRequest('deletion is not allowed for this policy');
  await store.delete(key.name);
  return null;
}

async function writeConfig(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await requireKey(deps, req, checkKeyName(req.params.name));
  const change: KeyConfigChange = {
    minDecryptionVersion: optInt(req.data, 'min_decryption_version'),
    minEncryptionVersion: optInt(req.data, 'min_encryption_version'),
    deletionAllowed: optBool(req.data, 'deletion_allowed'),
    exportable: optBool(req.data, 'exportable'),
    allowPlaintextBackup: optBool(req.data, 'allow_plaintext_backup'),
    autoRotatePeriod: optDuration(req.data, 'auto_rotate_period'),
  };
  const warnings = updateKeyConfig(key, change);
  await storeOf(req).put(key);
  return { data: keyView(key), ...(warnings.length ? { warnings } : {}) };
}

async function rotate(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await requireKey(deps, req, checkKeyName(req.params.name));
  rotateKey(key, deps.now());
  await storeOf(req).put(key);
  return { data: keyView(key) };
}

async function trim(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse | null> {
  const key = await requireKey(deps, req, checkKeyName(req.params.name));
  const min = optInt(req.data, 'min_available_version');
  if (min === undefined) throw badRequest('missing min_available_version: the lowest key version to keep');
  trimKey(key, min);
  await storeOf(req).put(key);
  return { data: keyView(key) };
}

const EXPORT_TYPES = ['encryption-key', 'signing-key', 'hmac-key', 'public-key'] as const;

function exportOne(key: NamedKey, type: (typeof EXPORT_TYPES)[number], v: KeyVersion): string {
  const f = KEY_TYPE_INFO[key.type].family;
  switch (type) {
    case 'hmac-key':
      return v.hmacKey;
    case 'encryption-key':
      if (f === 'aead') return v.material;
      if (f === 'rsa') return privateKeyExport(v);
      throw badRequest('encryption not supported for the key');
    case 'signing-key':
      if (f === 'ec' || f === 'ed25519' || f === 'rsa') return privateKeyExport(v);
      throw badRequest('signing not supported for the key');
    case 'public-key':
      if (f === 'ed25519') return ed25519PublicRaw(v);
      if (f === 'ec' || f === 'rsa') return publicKeyPem(v);
      throw badRequest('public key not available for the key type');
  }
}

async function exportKey(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const type = req.params.type as (typeof EXPORT_TYPES)[number];
  if (!(EXPORT_TYPES as readonly string[]).includes(type)) throw badRequest(`invalid export type: ${String(type).slice(0, 40)}; use ${EXPORT_TYPES.join(', ')}`);
  const key = await loadKey(deps, req, checkKeyName(req.params.name));
  if (!key) throw notFound();
  if (type !== 'public-key' && !key.config.exportable) throw badRequest('private key material is not exportable');
  let versions = sortedVersions(key);
  const wanted = req.params.version;
  if (wanted !== undefined && wanted !== '') {
    let n: number;
    if (wanted === 'latest') n = key.latestVersion;
    else if (/^\d+$/.test(wanted)) n = Number(wanted);
    else throw badRequest('version must be a number or "latest"');
    if (n < key.config.minDecryptionVersion) throw badRequest('version for export is below minimum decryption version');
    versions = [versionOrThrow(key, n)];
  } else {
    versions = versions.filter((v) => v.version >= key.config.minDecryptionVersion);
  }
  const keys: Record<string, string> = {};
  for (const v of versions) keys[String(v.version)] = exportOne(key, type, v);
  return { data: { name: key.name, type: key.type, keys } };
}

async function backup(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await requireKey(deps, req, checkKeyName(req.params.name));
  if (!key.config.exportable) throw badRequest('exporting is disallowed on the policy');
  if (!key.config.allowPlaintextBackup) throw badRequest('plaintext backup is disallowed on the policy');
  // Vault's transit backups are plaintext by design (hence allow_plaintext_backup): they restore anywhere.
  const blob = Buffer.from(JSON.stringify({ format: 'coffer-transit-backup-v1', key })).toString('base64');
  return { data: { backup: blob } };
}

async function restore(req: BackendRequest): Promise<null> {
  const blob = reqString(req.data, 'backup');
  const key = checkRestoredKey(blob);
  const name = req.params.name || optString(req.data, 'name') || key.name;
  key.name = checkKeyName(name);
  const store = storeOf(req);
  if ((await store.get(key.name)) && !optBool(req.data, 'force')) throw badRequest(`key "${key.name}" already exists`);
  await store.put(key);
  return null;
}

/** The key-management routes. */
export function keyRoutes(deps: TransitDeps): Route[] {
  const created = (req: BackendRequest) => createKeyHandler(deps, req);
  return [
    route(/^keys\/?$/, { list: listKeys }, { help: 'List the named keys.' }),
    route(new RegExp(`^keys/${NAME}$`), { create: created, update: created, read: (r) => readKey(deps, r), delete: deleteKey }, {
      fields: ['type', 'derived', 'convergent_encryption', 'exportable', 'allow_plaintext_backup', 'auto_rotate_period', 'key_size'],
      help: 'Create (type, derived, convergent_encryption, exportable, allow_plaintext_backup, auto_rotate_period, key_size), read or delete a named key.',
    }),
    route(new RegExp(`^keys/${NAME}/config$`), { create: (r) => writeConfig(deps, r), update: (r) => writeConfig(deps, r) }, {
      fields: ['min_decryption_version', 'min_encryption_version', 'deletion_allowed', 'exportable', 'allow_plaintext_backup', 'auto_rotate_period'],
      help: 'Configure a named key.',
    }),
    route(new RegExp(`^keys/${NAME}/rotate$`), { create: (r) => rotate(deps, r), update: (r) => rotate(deps, r) }, { fields: [], help: 'Add a new version to a key.' }),
    route(new RegExp(`^keys/${NAME}/trim$`), { create: (r) => trim(deps, r), update: (r) => trim(deps, r) }, {
      fields: ['min_available_version'],
      help: 'Delete key versions below min_available_version for good.',
    }),
    route(new RegExp(`^export/(?<type>[^/]+)/${NAME}(?:/(?<version>[^/]+))?$`), { read: (r) => exportKey(deps, r) }, {
      help: 'Export key material (exportable keys only) or public keys.',
    }),
    route(new RegExp(`^backup/${NAME}$`), { read: (r) => backup(deps, r) }, { help: 'Back up a key (exportable keys with allow_plaintext_backup only).' }),
    route(new RegExp(`^restore(?:/${NAME})?$`), { create: restore, update: restore }, { fields: ['backup', 'name', 'force'], help: 'Restore a key from a backup.' }),
  ];
}
