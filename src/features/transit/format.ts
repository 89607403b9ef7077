/**
 * Transit's wire forms: strict base64 (Go's StdEncoding, whose error text clients see), the
 * `vault:v<N>:<base64>` envelope of ciphertexts, signatures and HMACs, Vault's hash names,
 * and the key read view.
 */
import { badRequest } from '../../core/errors.js';
import {
  KEY_TYPE_INFO, ed25519PublicRaw, publicKeyPem, sortedVersions, type HashName, type NamedKey,
} from '../keys-core/index.js';

const B64_CHAR = /[A-Za-z0-9+/]/;
/** Padded standard base64 (length a multiple of 4 is checked apart). */
const STRICT_B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes standard, padded base64 strictly (node's decoder skips junk silently, which would
 * encrypt something other than what was sent). Throws Go's message on bad input.
 */
export function decodeBase64(text: string, what?: string): Buffer {
  // Fast path: one regular-expression pass over well-formed input (the common case, and the hot one
  // for batch requests); the character loop below only runs to name the offending byte.
  if (text.length % 4 === 0 && STRICT_B64.test(text)) return Buffer.from(text, 'base64');
  const fail = (at: number) => badRequest(`${what ? `${what}: ` : ''}illegal base64 data at input byte ${at}`);
  let end = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '=') {
      end = i;
      break;
    }
    if (!B64_CHAR.test(c)) throw fail(i);
  }
  const pad = text.length - end;
  if (pad > 2 || /[^=]/.test(text.slice(end))) throw fail(end);
  if (text.length % 4 !== 0 || (pad > 0 && end % 4 === 1)) throw fail(Math.max(0, text.length - (text.length % 4 || 4)));
  return Buffer.from(text, 'base64');
}

/** `vault:v<N>:` + base64 (or base64url for JWS-marshaled signatures). */
export function envelope(version: number, bytes: Buffer, url = false): string {
  return `vault:v${version}:${bytes.toString(url ? 'base64url' : 'base64')}`;
}

/**
 * Splits `vault:v<N>:<payload>`; `what` is `ciphertext`, `signature` or `HMAC` for Vault's
 * messages (`invalid ciphertext: no prefix`, ...).
 */
export function parseEnvelope(value: string, what: string): { version: number; payload: string } {
  if (!value.startsWith('vault:v')) throw badRequest(`invalid ${what}: no prefix`);
  const rest = value.slice('vault:v'.length);
  const colon = rest.indexOf(':');
  if (colon < 0) throw badRequest(`invalid ${what}: wrong number of fields`);
  const digits = rest.slice(0, colon);
  if (!/^\d{1,9}$/.test(digits)) throw badRequest(`invalid ${what}: version number could not be decoded`);
  return { version: Number(digits), payload: rest.slice(colon + 1) };
}

const HASH_NAMES: Record<string, HashName | 'none'> = {
  sha1: 'sha1',
  'sha2-224': 'sha224',
  'sha2-256': 'sha256',
  'sha2-384': 'sha384',
  'sha2-512': 'sha512',
  'sha3-224': 'sha3-224',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
  none: 'none',
};

/** Maps Vault's hash name (`sha2-256`, ...; `none` only where `allowNone`) to node's. */
export function hashAlgorithm(name: string | undefined, allowNone = false): HashName | 'none' {
  const key = name || 'sha2-256';
  const found = Object.hasOwn(HASH_NAMES, key) ? HASH_NAMES[key] : undefined;
  if (!found || (found === 'none' && !allowNone)) {
    throw badRequest(`unsupported hash algorithm ${key.slice(0, 40)}: use one of ${Object.keys(HASH_NAMES).filter((h) => allowNone || h !== 'none').join(', ')}`);
  }
  return found;
}

/** What a key type can do, as Vault reports it. */
export function capabilities(key: NamedKey): Record<string, boolean> {
  const f = KEY_TYPE_INFO[key.type].family;
  return {
    supports_encryption: f === 'aead' || f === 'rsa',
    supports_decryption: f === 'aead' || f === 'rsa',
    supports_derivation: f === 'aead',
    supports_signing: f === 'rsa' || f === 'ec' || f === 'ed25519',
  };
}

/** RFC 3339 with nanoseconds, as Go prints creation times. */
function goTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/**
 * The `GET keys/:name` answer: config, versions (creation time in seconds for symmetric keys;
 * name, public key and creation time for asymmetric ones), what the key supports.
 */
export function keyView(key: NamedKey): Record<string, unknown> {
  const f = KEY_TYPE_INFO[key.type].family;
  const keys: Record<string, unknown> = {};
  for (const v of sortedVersions(key)) {
    if (f === 'aead' || f === 'hmac') {
      keys[String(v.version)] = Math.floor(v.createdAt / 1000);
    } else {
      const name = f === 'ec' ? KEY_TYPE_INFO[key.type].curve : key.type;
      const publicKey = f === 'ed25519' ? ed25519PublicRaw(v) : publicKeyPem(v);
      keys[String(v.version)] = { creation_time: goTime(v.createdAt), name, public_key: publicKey };
    }
  }
  const view: Record<string, unknown> = {
    name: key.name,
    type: key.type,
    allow_plaintext_backup: key.config.allowPlaintextBackup,
    auto_rotate_period: key.config.autoRotatePeriod,
    deletion_allowed: key.config.deletionAllowed,
    derived: key.derived,
    exportable: key.config.exportable,
    imported_key: key.imported,
    keys,
    latest_version: key.latestVersion,
    min_available_version: key.minAvailableVersion,
    min_decryption_version: key.config.minDecryptionVersion,
    min_encryption_version: key.config.minEncryptionVersion,
    ...capabilities(key),
  };
  if (key.type === 'hmac') view.key_size = key.keySize;
  if (key.derived) {
    view.kdf = 'hkdf_sha256';
    view.convergent_encryption = key.convergentEncryption;
    if (key.convergentEncryption) view.convergent_encryption_version = -1;
  }
  return view;
}
