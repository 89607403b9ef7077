/**
 * A named key's life cycle as pure functions over NamedKey records: create, rotate, trim,
 * change config, pick the version an operation may use. Storing them is store.ts's job.
 * Error messages follow Vault's transit engine, since its clients match on them.
 */
import { randomBytes } from 'node:crypto';
import { badRequest } from '../../core/errors.js';
import { generateMaterial } from './material.js';
import { KEY_TYPE_INFO, type KeyConfig, type KeyType, type KeyVersion, type NamedKey } from './types.js';

/** Options of createKey. */
export interface CreateKeyOptions {
  derived?: boolean;
  convergentEncryption?: boolean;
  exportable?: boolean;
  allowPlaintextBackup?: boolean;
  /** Seconds; 0 disables. */
  autoRotatePeriod?: number;
  /** Bytes, `hmac` keys only. */
  keySize?: number;
  /** Material to use instead of generating it (import); base64 as in KeyVersion. */
  material?: string;
  /** Metadata of the first version. */
  externalId?: string;
  versionAttributes?: Record<string, unknown>;
  attributes?: Record<string, unknown>;
}

/** Smallest non-zero auto-rotation period (Vault's): one hour. */
export const MIN_AUTO_ROTATE_SECONDS = 3600;

/** Checks an auto-rotation period in seconds. */
export function checkAutoRotatePeriod(seconds: number): number {
  if (seconds !== 0 && seconds < MIN_AUTO_ROTATE_SECONDS) throw badRequest('auto rotate period must be 0 to disable or at least an hour');
  return seconds;
}

function newVersion(key: Pick<NamedKey, 'type' | 'keySize'>, version: number, now: number, material?: string): KeyVersion {
  const mat = material ?? generateMaterial(key.type, key.keySize);
  // An hmac key's HMAC key is itself; every other type gets its own (Vault's per-version hmac_key).
  const hmacKey = key.type === 'hmac' ? mat : randomBytes(32).toString('base64');
  return { version, createdAt: now, material: mat, hmacKey };
}

/** A new key with one version. */
export function createKey(name: string, type: KeyType, now: number, opts: CreateKeyOptions = {}): NamedKey {
  const family = KEY_TYPE_INFO[type].family;
  if (opts.convergentEncryption && !opts.derived) throw badRequest('convergent encryption requires derivation to be enabled, so context is required');
  if (opts.derived && family !== 'aead') throw badRequest(`key derivation not supported for key type ${type}`);
  if (opts.keySize !== undefined && opts.keySize !== 0 && type !== 'hmac') throw badRequest(`key_size is only supported for the hmac key type`);
  const key: NamedKey = {
    name,
    type,
    createdAt: now,
    derived: opts.derived ?? false,
    convergentEncryption: opts.convergentEncryption ?? false,
    imported: opts.material !== undefined,
    latestVersion: 1,
    minAvailableVersion: 0,
    config: {
      minDecryptionVersion: 1,
      minEncryptionVersion: 0,
      deletionAllowed: false,
      exportable: opts.exportable ?? false,
      allowPlaintextBackup: opts.allowPlaintextBackup ?? false,
      autoRotatePeriod: checkAutoRotatePeriod(opts.autoRotatePeriod ?? 0),
    },
    versions: {},
  };
  if (type === 'hmac') key.keySize = opts.keySize || 32;
  if (opts.attributes) key.attributes = opts.attributes;
  const first = newVersion(key, 1, now, opts.material);
  if (opts.externalId !== undefined) first.externalId = opts.externalId;
  if (opts.versionAttributes) first.attributes = opts.versionAttributes;
  key.versions['1'] = first;
  return key;
}

/** Adds a new latest version (fresh material, or `material` for an imported version); returns it. */
export function rotateKey(key: NamedKey, now: number, meta: { material?: string; externalId?: string; attributes?: Record<string, unknown> } = {}): KeyVersion {
  const v = newVersion(key, key.latestVersion + 1, now, meta.material);
  if (meta.externalId !== undefined) v.externalId = meta.externalId;
  if (meta.attributes) v.attributes = meta.attributes;
  key.latestVersion = v.version;
  key.versions[String(v.version)] = v;
  if (meta.material === undefined) key.imported = false;
  return v;
}

/**
 * Deletes the versions below `minAvailable` for good. Vault's rules: it may not pass the
 * minimum decryption or encryption version, nor go backwards.
 */
export function trimKey(key: NamedKey, minAvailable: number): void {
  if (!Number.isInteger(minAvailable) || minAvailable < 1) throw badRequest('minimum available version should be positive');
  if (minAvailable > key.config.minDecryptionVersion) throw badRequest('minimum available version should not be greater than minimum decryption version');
  if (key.config.minEncryptionVersion > 0 && minAvailable > key.config.minEncryptionVersion) throw badRequest('minimum available version should not be greater than minimum encryption version');
  if (minAvailable < key.minAvailableVersion) throw badRequest('minimum available version should not be less than the current minimum available version');
  for (const v of Object.keys(key.versions)) if (Number(v) < minAvailable) delete key.versions[v];
  key.minAvailableVersion = minAvailable;
}

/** A config change; absent fields are left alone. */
export type KeyConfigChange = Partial<KeyConfig>;

/** Applies a config change with Vault's checks; returns warnings to pass on. */
export function updateKeyConfig(key: NamedKey, change: KeyConfigChange): string[] {
  const warnings: string[] = [];
  const next: KeyConfig = { ...key.config };
  if (change.minDecryptionVersion !== undefined) {
    let v = change.minDecryptionVersion;
    if (v < 0) throw badRequest('min decryption version cannot be negative');
    if (v === 0) {
      v = 1;
      warnings.push('since Vault 0.3, transit key numbering starts at 1; forcing minimum to 1');
    }
    if (v > key.latestVersion) throw badRequest(`cannot set min decryption version of ${v}, latest key version is ${key.latestVersion}`);
    if (key.minAvailableVersion > 0 && v < key.minAvailableVersion) throw badRequest(`cannot set min decryption version of ${v} below the min available version ${key.minAvailableVersion}: versions below it were trimmed`);
    next.minDecryptionVersion = v;
  }
  if (change.minEncryptionVersion !== undefined) {
    const v = change.minEncryptionVersion;
    if (v < 0) throw badRequest('min encryption version cannot be negative');
    if (v > key.latestVersion) throw badRequest(`cannot set min encryption version of ${v}, latest key version is ${key.latestVersion}`);
    next.minEncryptionVersion = v;
  }
  if (next.minEncryptionVersion > 0 && next.minEncryptionVersion < next.minDecryptionVersion) {
    throw badRequest('min encryption version should not be less than min decryption version');
  }
  if (change.deletionAllowed !== undefined) next.deletionAllowed = change.deletionAllowed;
  if (change.exportable !== undefined) {
    if (key.config.exportable && !change.exportable) throw badRequest('exportable key cannot be made non-exportable');
    next.exportable = change.exportable;
  }
  if (change.allowPlaintextBackup !== undefined) {
    if (key.config.allowPlaintextBackup && !change.allowPlaintextBackup) throw badRequest('plaintext backup cannot be disabled once allowed');
    next.allowPlaintextBackup = change.allowPlaintextBackup;
  }
  if (change.autoRotatePeriod !== undefined) next.autoRotatePeriod = checkAutoRotatePeriod(change.autoRotatePeriod);
  key.config = next;
  return warnings;
}

/**
 * The version an encrypt/sign/hmac may use: `requested` (0 or absent: the latest) within
 * [min_encryption_version, latest].
 */
export function versionForEncryption(key: NamedKey, requested?: number, verb = 'encryption'): KeyVersion {
  let ver = requested ?? 0;
  if (ver < 0) throw badRequest(`requested version for ${verb} is negative`);
  if (ver === 0) ver = key.latestVersion;
  if (ver > key.latestVersion) throw badRequest(`requested version for ${verb} is higher than the latest key version`);
  if (key.config.minEncryptionVersion > 0 && ver < key.config.minEncryptionVersion) throw badRequest(`requested version for ${verb} is less than the minimum encryption key version`);
  return versionOrThrow(key, ver);
}

/** Vault's refusal of a ciphertext or signature below min_decryption_version. */
export const TOO_OLD_MESSAGE = 'ciphertext or signature version is disallowed by policy (too old)';

/**
 * The version a decrypt/verify of something made with version `ver` may use. `what` names
 * the input in messages (`ciphertext`, `signature`).
 */
export function versionForDecryption(key: NamedKey, ver: number, what = 'ciphertext'): KeyVersion {
  if (ver === 0) ver = 1; // Vault's compatibility with its first numbering
  if (ver > key.latestVersion) throw badRequest(`invalid ${what}: version is too new`);
  if (key.config.minDecryptionVersion > 0 && ver < key.config.minDecryptionVersion) throw badRequest(TOO_OLD_MESSAGE);
  return versionOrThrow(key, ver);
}

/** The version `ver`, or a 400 when it does not exist (trimmed, or never made). */
export function versionOrThrow(key: NamedKey, ver: number): KeyVersion {
  const v = Object.hasOwn(key.versions, String(ver)) ? key.versions[String(ver)] : undefined;
  if (!v) throw badRequest('no such key version');
  return v;
}

/** The version whose externalId is `id`, if any (the Azure view's version ids). */
export function versionByExternalId(key: NamedKey, id: string): KeyVersion | undefined {
  return Object.values(key.versions).find((v) => v.externalId === id);
}

/** Versions sorted by number, oldest first. */
export function sortedVersions(key: NamedKey): KeyVersion[] {
  return Object.values(key.versions).sort((a, b) => a.version - b.version);
}

/** True when automatic rotation is on and the latest version is at least that old at `now`. */
export function rotationDue(key: NamedKey, now: number): boolean {
  if (key.config.autoRotatePeriod <= 0) return false;
  const latest = key.versions[String(key.latestVersion)];
  return latest !== undefined && now - latest.createdAt >= key.config.autoRotatePeriod * 1000;
}
