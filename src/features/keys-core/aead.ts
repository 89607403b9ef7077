/**
 * Authenticated encryption with AEAD keys (AES-GCM with a 96-bit nonce, ChaCha20-Poly1305),
 * laid out as Vault does: `nonce(12) || ciphertext || tag(16)`.
 *
 * Derived keys (Vault's `derived`, KDF `hkdf_sha256`): the per-request key is
 * HKDF-SHA256(ikm = version key, salt = empty, info = context). Convergent encryption
 * (Vault's convergent version 3): HKDF yields 32 more bytes, an HMAC key, and the nonce is
 * HMAC-SHA256(that key, plaintext) truncated to 12 bytes, so the same plaintext and context
 * give the same ciphertext and nothing else does.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, type CipherGCMTypes } from 'node:crypto';
import { badRequest } from '../../core/errors.js';
import { rawKey } from './material.js';
import { KEY_TYPE_INFO, type KeyVersion, type NamedKey } from './types.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Inputs of an AEAD operation besides the data. */
export interface AeadOptions {
  /** Key-derivation context; required for derived keys, refused otherwise. */
  context?: Buffer;
  /** Authenticated but not encrypted (Vault's `associated_data`). */
  associatedData?: Buffer;
}

/** Vault's message for a derived key used without context. */
export const MISSING_CONTEXT_MESSAGE =
  "missing 'context' for key derivation; the key was created using a derived key, which means additional, per-request information must be included in order to perform operations with the key";

function cipherName(key: NamedKey): string {
  if (key.type === 'chacha20-poly1305') return 'chacha20-poly1305';
  if (key.type === 'aes128-gcm96') return 'aes-128-gcm';
  if (key.type === 'aes256-gcm96') return 'aes-256-gcm';
  throw badRequest(`message encryption not supported for key type ${key.type}`);
}

/** The encryption key (and, for convergent keys, the nonce HMAC key) of one request. */
function keysFor(key: NamedKey, version: KeyVersion, context: Buffer | undefined, withHmac: boolean): { enc: Buffer; hmac?: Buffer } {
  const raw = rawKey(version);
  if (!key.derived) {
    if (context && context.length > 0) throw badRequest('context was given but the key does not use key derivation; create the key with derived=true to use a context');
    return { enc: raw };
  }
  if (!context || context.length === 0) throw badRequest(MISSING_CONTEXT_MESSAGE);
  const encBytes = KEY_TYPE_INFO[key.type].keyBytes!;
  const out = Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), context, encBytes + (withHmac ? 32 : 0)));
  return { enc: out.subarray(0, encBytes), hmac: withHmac ? out.subarray(encBytes) : undefined };
}

/** Encrypts `plaintext` with `version` of `key`; returns nonce || ciphertext || tag. */
export function aeadEncrypt(key: NamedKey, version: KeyVersion, plaintext: Buffer, opts: AeadOptions = {}): Buffer {
  const name = cipherName(key);
  const { enc, hmac } = keysFor(key, version, opts.context, key.convergentEncryption);
  const nonce = hmac ? createHmac('sha256', hmac).update(plaintext).digest().subarray(0, NONCE_BYTES) : randomBytes(NONCE_BYTES);
  const cipher = createCipheriv(name as CipherGCMTypes, enc, nonce, { authTagLength: TAG_BYTES });
  if (opts.associatedData) cipher.setAAD(opts.associatedData);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Vault's (Go's) message when a ciphertext, its associated data or its context does not authenticate. */
export const AUTH_FAILED_MESSAGE = 'cipher: message authentication failed';

/** Decrypts nonce || ciphertext || tag made by aeadEncrypt with the same version, context and associated data. */
export function aeadDecrypt(key: NamedKey, version: KeyVersion, data: Buffer, opts: AeadOptions = {}): Buffer {
  const name = cipherName(key);
  if (data.length < NONCE_BYTES + TAG_BYTES) throw badRequest('invalid ciphertext length');
  const { enc } = keysFor(key, version, opts.context, false);
  const decipher = createDecipheriv(name as CipherGCMTypes, enc, data.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
  if (opts.associatedData) decipher.setAAD(opts.associatedData);
  try {
    return Buffer.concat([decipher.update(data.subarray(NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw badRequest(AUTH_FAILED_MESSAGE);
  }
}
