/**
 * Storage layout of one vault (inside the mount's storage view):
 *
 *   config                          settings written through the `config` route (settings.ts)
 *   secrets/<name>                  a live secret: display name and latest version (SecretRecord)
 *   versions/<name>/<version>       one version: value and properties (VersionRecord)
 *   deleted/<name>                  a soft-deleted secret (DeletedRecord); its versions stay put
 *   purge/<purge-date>/<name>       index of deleted secrets by scheduled purge date, so tidy
 *                                   reads only the entries that are due
 *
 * `<name>` is the lower-cased secret name. A name is either live (`secrets/`), deleted
 * (`deleted/`) or absent, never two at once: every change that moves a secret between states
 * touches several keys and goes through one `storage.batch`.
 */
import type { BatchOp, Storage } from '../../storage/types.js';
import { deepFreeze } from '../../core/deep-freeze.js';
import { MAX_SHARED_DECODED_BYTES, getDecoded } from '../../storage/decoded.js';
import { decodeJson, encodeJson } from './codec.js';

/** A live secret. */
export interface SecretRecord {
  /** Display name (the casing it was created with). */
  name: string;
  /** The latest version id. */
  current: string;
}

/** One version. Dates are unix seconds. */
export interface VersionRecord {
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
}

/** A soft-deleted secret. Dates are unix seconds. */
export interface DeletedRecord extends SecretRecord {
  deletedDate: number;
  scheduledPurgeDate: number;
}

const SECRETS = 'secrets/';
const VERSIONS = 'versions/';
const DELETED = 'deleted/';
/** Prefix of the purge-date index. */
export const PURGE_INDEX = 'purge/';

/** Prefix listing live secret names. */
export const SECRETS_PREFIX = SECRETS;
/** Prefix listing deleted secret names. */
export const DELETED_PREFIX = DELETED;

/** Storage key of a live secret. */
export function secretKey(name: string): string {
  return SECRETS + name;
}

/** Prefix of a secret's versions. */
export function versionsPrefix(name: string): string {
  return `${VERSIONS}${name}/`;
}

/** Storage key of one version. */
export function versionKey(name: string, version: string): string {
  return versionsPrefix(name) + version;
}

/** Storage key of a deleted secret. */
export function deletedKey(name: string): string {
  return DELETED + name;
}

/** Zero-padded so that the byte order of the index is the time order. */
export function purgeDateSegment(date: number): string {
  return String(Math.max(0, Math.floor(date))).padStart(12, '0');
}

/** Storage key of a deleted secret's purge-index entry. */
export function purgeIndexKey(date: number, name: string): string {
  return `${PURGE_INDEX}${purgeDateSegment(date)}/${name}`;
}

async function readJson<T>(storage: Storage, key: string): Promise<T | undefined> {
  const raw = await storage.get(key);
  return raw ? decodeJson<T>(raw) : undefined;
}

/** The live secret `name`, if any. */
export function readSecret(storage: Storage, name: string): Promise<SecretRecord | undefined> {
  return readJson<SecretRecord>(storage, secretKey(name));
}

/** One version of `name`, if stored. */
export function readVersion(storage: Storage, name: string, version: string): Promise<VersionRecord | undefined> {
  return readJson<VersionRecord>(storage, versionKey(name, version));
}

/** The one decoder of the shared reads (its identity keys the barrier's memo). */
function decodeFrozen(raw: Uint8Array, shared: boolean): unknown {
  const value = decodeJson<unknown>(raw);
  // Frozen only when shared (see Decoder). A value too large for the barrier's memo is never
  // shared, so the size check stays for storages that report everything as shared.
  return shared && raw.byteLength <= MAX_SHARED_DECODED_BYTES ? deepFreeze(value) : value;
}

/**
 * readSecret for getSecret: decoded once per stored value and shared, deeply frozen, by every
 * read of it (Barrier.getDecoded; other storages decode on each read). Writers use readSecret.
 */
export function readSecretShared(storage: Storage, name: string): Promise<Readonly<SecretRecord> | undefined> {
  return getDecoded(storage, secretKey(name), decodeFrozen) as Promise<SecretRecord | undefined>;
}

/** readVersion for getSecret: shared and frozen like readSecretShared. Writers use readVersion. */
export function readVersionShared(storage: Storage, name: string, version: string): Promise<Readonly<VersionRecord> | undefined> {
  return getDecoded(storage, versionKey(name, version), decodeFrozen) as Promise<VersionRecord | undefined>;
}

/** The deleted secret `name`, if any. */
export function readDeleted(storage: Storage, name: string): Promise<DeletedRecord | undefined> {
  return readJson<DeletedRecord>(storage, deletedKey(name));
}

/** Every version id of `name` (for backup and purge). */
export function listAllVersions(storage: Storage, name: string): Promise<string[]> {
  return storage.list(versionsPrefix(name));
}

/** Batch op writing a JSON value. */
export function putOp(key: string, value: unknown): BatchOp {
  return { type: 'put', key, value: encodeJson(value) };
}

/** Batch op deleting a key. */
export function deleteOp(key: string): BatchOp {
  return { type: 'delete', key };
}

/** The ops that remove every trace of a deleted secret (record, index entry, all versions). */
export async function purgeOps(storage: Storage, name: string, deleted: DeletedRecord): Promise<BatchOp[]> {
  const versions = await listAllVersions(storage, name);
  return [
    deleteOp(deletedKey(name)),
    deleteOp(purgeIndexKey(deleted.scheduledPurgeDate, name)),
    ...versions.map((v) => deleteOp(versionKey(name, v))),
  ];
}
