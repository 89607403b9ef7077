/**
 * Reading a transit backup back: the blob comes from outside, so every field is checked and
 * every version's material must load as a key of the stated type before anything is stored.
 */
import { badRequest } from '../../core/errors.js';
import {
  KEY_TYPE_INFO, checkHmacSize, checkKeyName, isKeyType, privateKeyOf, type KeyConfig, type KeyVersion, type NamedKey,
} from '../keys-core/index.js';

const BAD = 'invalid backup: it was not made by a transit backup of this format or was altered';

function int(v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw badRequest(BAD);
  return v;
}

function bool(v: unknown): boolean {
  if (typeof v !== 'boolean') throw badRequest(BAD);
  return v;
}

function b64(v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw badRequest(BAD);
  return v;
}

function checkVersion(type: NamedKey['type'], raw: unknown, number: number): KeyVersion {
  if (typeof raw !== 'object' || raw === null) throw badRequest(BAD);
  const v = raw as Record<string, unknown>;
  const out: KeyVersion = { version: int(v.version, 1), createdAt: int(v.createdAt), material: b64(v.material), hmacKey: b64(v.hmacKey) };
  if (out.version !== number) throw badRequest(BAD);
  if (typeof v.externalId === 'string') out.externalId = v.externalId;
  const info = KEY_TYPE_INFO[type];
  const bytes = Buffer.from(out.material, 'base64');
  if (info.family === 'aead' && bytes.length !== info.keyBytes) throw badRequest(BAD);
  if (info.family === 'hmac') checkHmacSize(bytes.length);
  if (info.family !== 'aead' && info.family !== 'hmac') {
    let key;
    try {
      key = privateKeyOf(out);
    } catch {
      throw badRequest(BAD);
    }
    const kind = key.asymmetricKeyType;
    const ok = info.family === 'rsa' ? kind === 'rsa' && key.asymmetricKeyDetails?.modulusLength === info.modulusBits
      : info.family === 'ec' ? kind === 'ec' && key.asymmetricKeyDetails?.namedCurve === { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' }[info.curve!]
        : kind === 'ed25519';
    if (!ok) throw badRequest(BAD);
  }
  return out;
}

/** Decodes and validates a backup blob; returns the key it holds. */
export function checkRestoredKey(blob: string): NamedKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(b64(blob), 'base64').toString('utf8'));
  } catch {
    throw badRequest(BAD);
  }
  const outer = parsed as { format?: unknown; key?: Record<string, unknown> };
  if (outer?.format !== 'coffer-transit-backup-v1' || typeof outer.key !== 'object' || outer.key === null) throw badRequest(BAD);
  const k = outer.key;
  if (!isKeyType(k.type) || typeof k.name !== 'string') throw badRequest(BAD);
  const c = (k.config ?? {}) as Record<string, unknown>;
  const config: KeyConfig = {
    minDecryptionVersion: int(c.minDecryptionVersion, 1),
    minEncryptionVersion: int(c.minEncryptionVersion),
    deletionAllowed: bool(c.deletionAllowed),
    exportable: bool(c.exportable),
    allowPlaintextBackup: bool(c.allowPlaintextBackup),
    autoRotatePeriod: int(c.autoRotatePeriod),
  };
  const key: NamedKey = {
    name: checkKeyName(k.name),
    type: k.type,
    createdAt: int(k.createdAt),
    derived: bool(k.derived),
    convergentEncryption: bool(k.convergentEncryption),
    imported: bool(k.imported),
    latestVersion: int(k.latestVersion, 1),
    minAvailableVersion: int(k.minAvailableVersion),
    config,
    versions: {},
  };
  if (k.type === 'hmac') key.keySize = int(k.keySize, 32);
  const versions = k.versions as Record<string, unknown> | undefined;
  if (typeof versions !== 'object' || versions === null) throw badRequest(BAD);
  for (const [n, raw] of Object.entries(versions)) {
    if (!/^\d+$/.test(n)) throw badRequest(BAD);
    const num = Number(n);
    if (num > key.latestVersion || num < Math.max(1, key.minAvailableVersion)) throw badRequest(BAD);
    key.versions[n] = checkVersion(key.type, raw, num);
  }
  if (!key.versions[String(key.latestVersion)] || config.minDecryptionVersion > key.latestVersion) throw badRequest(BAD);
  return key;
}
