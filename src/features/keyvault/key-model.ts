/**
 * The Key Vault view of keys-core's NamedKey: how a Key Vault key lives in the vault's storage and
 * what its KeyBundle looks like (without URLs; the Azure front adds `kid`).
 *
 * Storage (inside the mount's barrier-encrypted view), through keys-core's KeyStore:
 *   keys/<name>          a live key: the whole NamedKey (every version's material and metadata)
 *   deletedkeys/<name>   a soft-deleted key, the same record plus its deletion dates
 *   purge/<date>/key.<name>  its entry in the vault's purge-date index (shared with secrets, deleted.ts)
 *   rotate/<date>/<name> its entry in the automatic-rotation index (rotation-index.ts)
 * `<name>` is the lower-cased key name (NamedKey.name); the display casing is a key attribute.
 * Key Vault's per-version properties (32-hex version id, enabled, nbf, exp, tags, key_ops) are
 * keys-core's `externalId` and version `attributes`; key-level ones (display name, kty, rotation
 * policy, deletion dates) are the key's `attributes`.
 */
import { KEY_TYPE_INFO, KeyStore, publicJwk, type KeyType, type KeyVersion, type NamedKey } from '../keys-core/index.js';
import type { Storage } from '../../storage/types.js';
import { badParameter, keyNotFound } from './azure-errors.js';
import { normalizeVersion } from './names.js';
import { attributesView } from './bundle.js';
import type { VaultSettings } from './settings.js';

/** Prefix of live keys. */
export const KEYS_PREFIX = 'keys/';
/** Prefix of soft-deleted keys. */
export const DELETED_KEYS_PREFIX = 'deletedkeys/';

/** The live keys of a vault. */
export function liveKeys(storage: Storage): KeyStore {
  return new KeyStore(storage, KEYS_PREFIX);
}

/** The soft-deleted keys of a vault. */
export function deletedKeys(storage: Storage): KeyStore {
  return new KeyStore(storage, DELETED_KEYS_PREFIX);
}

/** Key Vault's per-version properties (dates in unix seconds). */
export interface AzureVersionProps {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  tags?: Record<string, string>;
  keyOps: string[];
}

/** A stored rotation policy (durations as ISO 8601 strings, dates in unix seconds). */
export interface StoredRotationPolicy {
  lifetimeActions: Array<{ trigger: { timeAfterCreate?: string; timeBeforeExpiry?: string }; action: { type: 'Rotate' | 'Notify' } }>;
  expiryTime?: string;
  created: number;
  updated: number;
}

/** Key Vault's key-level properties. */
export interface AzureKeyProps {
  displayName: string;
  kty: 'RSA' | 'EC';
  rotationPolicy?: StoredRotationPolicy;
  /** The date of the key's entry in the rotation index (rotation-index.ts). */
  rotationDue?: number;
  deletedDate?: number;
  scheduledPurgeDate?: number;
}

/** The key operations Key Vault knows. */
export const KNOWN_KEY_OPS = ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey', 'import', 'export'] as const;

/** The operations a key of each kty can do (and gets by default). */
export const KEY_OPS_BY_KTY: Record<'RSA' | 'EC', readonly string[]> = {
  RSA: ['encrypt', 'decrypt', 'sign', 'verify', 'wrapKey', 'unwrapKey'],
  EC: ['sign', 'verify'],
};

/** The properties of a version. */
export function versionProps(v: KeyVersion): AzureVersionProps {
  return v.attributes as unknown as AzureVersionProps;
}

/** The properties of a key. */
export function keyProps(k: NamedKey): AzureKeyProps {
  return k.attributes as unknown as AzureKeyProps;
}

/** Key Vault's kty of a keys-core type. */
export function ktyOf(type: KeyType): 'RSA' | 'EC' {
  return KEY_TYPE_INFO[type].family === 'rsa' ? 'RSA' : 'EC';
}

/** The latest version of a key. */
export function latestOf(k: NamedKey): KeyVersion {
  return k.versions[String(k.latestVersion)]!;
}

/** Every version, in id order (the listing order). */
export function versionsById(k: NamedKey): KeyVersion[] {
  return Object.values(k.versions).sort((a, b) => (a.externalId! < b.externalId! ? -1 : a.externalId! > b.externalId! ? 1 : 0));
}

/** The version `raw` (a 32-hex id; empty = latest) of `k`, or a 404 naming what was asked for. */
export function versionOf(k: NamedKey, raw: string | undefined): KeyVersion {
  const display = keyProps(k).displayName;
  if (!raw) return latestOf(k);
  const id = normalizeVersion(raw);
  const v = id && Object.values(k.versions).find((x) => x.externalId === id);
  if (!v) throw keyNotFound(`${display}/${raw}`);
  return v;
}

/** Parses a `key_ops` list for a key of `kty`; 400 for an unknown or impossible operation. */
export function parseKeyOps(raw: unknown, kty: 'RSA' | 'EC'): string[] {
  if (!Array.isArray(raw)) throw badParameter('Property key_ops must be an array of key operations, e.g. ["sign","verify"]');
  const out: string[] = [];
  for (const op of raw) {
    const known = typeof op === 'string' ? KNOWN_KEY_OPS.find((k) => k.toLowerCase() === op.toLowerCase()) : undefined;
    if (!known) throw badParameter(`Invalid key operation ${JSON.stringify(String(op).slice(0, 40))}: use ${KNOWN_KEY_OPS.join(', ')}`);
    if (known !== 'import' && known !== 'export' && !KEY_OPS_BY_KTY[kty].includes(known)) {
      throw badParameter(`Key operation ${known} is not possible with a ${kty} key: use ${KEY_OPS_BY_KTY[kty].join(', ')}`);
    }
    if (!out.includes(known)) out.push(known);
  }
  return out;
}

/**
 * A key version as the engine answers it: `{name, version, key (public JWK + key_ops),
 * attributes, tags?}`, plus the deletion dates for a deleted key. Never private material.
 */
export function keyBundleData(k: NamedKey, v: KeyVersion, settings: VaultSettings, opts: { withKey?: boolean } = { withKey: true }): Record<string, unknown> {
  const p = versionProps(v);
  const kp = keyProps(k);
  const out: Record<string, unknown> = { name: kp.displayName, version: v.externalId };
  if (opts.withKey !== false) {
    const jwk = publicJwk(v) as Record<string, unknown>;
    const key: Record<string, unknown> = { kty: kp.kty, key_ops: [...p.keyOps] };
    for (const m of ['n', 'e', 'crv', 'x', 'y']) if (typeof jwk[m] === 'string') key[m] = jwk[m];
    out.key = key;
  }
  out.attributes = attributesView(p, settings);
  if (p.tags !== undefined) out.tags = { ...p.tags };
  if (kp.deletedDate !== undefined) {
    out.deletedDate = kp.deletedDate;
    out.scheduledPurgeDate = kp.scheduledPurgeDate;
  }
  return out;
}
