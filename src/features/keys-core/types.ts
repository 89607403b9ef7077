/**
 * The data model of a named key: its type, its versions (material plus metadata) and its
 * configuration. These records are stored as JSON through a mount's storage view, which is
 * encrypted by the barrier; nothing here is ever written anywhere else.
 */

/** Every key type the core can generate and use. */
export const KEY_TYPES = [
  'aes128-gcm96',
  'aes256-gcm96',
  'chacha20-poly1305',
  'ed25519',
  'ecdsa-p256',
  'ecdsa-p384',
  'ecdsa-p521',
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'hmac',
] as const;

/** A key type name (Vault's transit names; the Azure view maps RSA/EC sizes onto them). */
export type KeyType = (typeof KEY_TYPES)[number];

/** What a type is, cryptographically. */
export type KeyFamily = 'aead' | 'rsa' | 'ec' | 'ed25519' | 'hmac';

/** Static facts about a key type. */
export interface KeyTypeInfo {
  family: KeyFamily;
  /** Raw key bytes for AEAD types. */
  keyBytes?: number;
  /** Modulus bits for RSA. */
  modulusBits?: number;
  /** Node's / JWK's curve name for EC. */
  curve?: 'P-256' | 'P-384' | 'P-521';
}

/** The facts about each key type. */
export const KEY_TYPE_INFO: Record<KeyType, KeyTypeInfo> = {
  'aes128-gcm96': { family: 'aead', keyBytes: 16 },
  'aes256-gcm96': { family: 'aead', keyBytes: 32 },
  'chacha20-poly1305': { family: 'aead', keyBytes: 32 },
  ed25519: { family: 'ed25519' },
  'ecdsa-p256': { family: 'ec', curve: 'P-256' },
  'ecdsa-p384': { family: 'ec', curve: 'P-384' },
  'ecdsa-p521': { family: 'ec', curve: 'P-521' },
  'rsa-2048': { family: 'rsa', modulusBits: 2048 },
  'rsa-3072': { family: 'rsa', modulusBits: 3072 },
  'rsa-4096': { family: 'rsa', modulusBits: 4096 },
  hmac: { family: 'hmac' },
};

/** True when `value` names a supported key type. */
export function isKeyType(value: unknown): value is KeyType {
  return typeof value === 'string' && (KEY_TYPES as readonly string[]).includes(value);
}

/** One version of a key. */
export interface KeyVersion {
  version: number;
  /** Unix milliseconds. */
  createdAt: number;
  /**
   * base64 of the key material: raw bytes for AEAD and HMAC keys, PKCS#8 DER of the private
   * key for RSA, EC and Ed25519.
   */
  material: string;
  /** base64 of a 32-byte HMAC key of this version (Vault's per-version `hmac_key`); the key itself for `hmac` keys. */
  hmacKey: string;
  /** An opaque id a view may give this version (the Azure view's 32-hex version id). */
  externalId?: string;
  /** A view's own per-version properties (Azure: enabled, exp, nbf, tags, key_ops). */
  attributes?: Record<string, unknown>;
}

/** The settings of a key that may change after creation. */
export interface KeyConfig {
  /** Versions below this cannot decrypt or verify. */
  minDecryptionVersion: number;
  /** Versions below this cannot encrypt or sign; 0 means "latest". */
  minEncryptionVersion: number;
  deletionAllowed: boolean;
  /** Once true, stays true. */
  exportable: boolean;
  /** Once true, stays true. */
  allowPlaintextBackup: boolean;
  /** Seconds; 0 disables automatic rotation. */
  autoRotatePeriod: number;
}

/** A named key with all its versions (one storage record). */
export interface NamedKey {
  name: string;
  type: KeyType;
  /** Unix milliseconds. */
  createdAt: number;
  /** Operations use keys derived per request from a `context` (AEAD keys only). */
  derived: boolean;
  /** Same plaintext + context gives the same ciphertext (requires `derived`). */
  convergentEncryption: boolean;
  /** The material came from outside (import) rather than from this server. */
  imported: boolean;
  /** Bytes of an `hmac` key. */
  keySize?: number;
  latestVersion: number;
  /** Versions below this were trimmed and are gone for good; 0 until the first trim. */
  minAvailableVersion: number;
  config: KeyConfig;
  /** Version number (as a string) -> version. */
  versions: Record<string, KeyVersion>;
  /** A view's own key-level properties (Azure: rotation policy, tags of the key, deleted state...). */
  attributes?: Record<string, unknown>;
}
