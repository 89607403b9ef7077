/**
 * AES-256-GCM sealing of one value, in the format DESIGN.md §3 fixes:
 * `[key term u32 BE][format version u8][nonce 12][ciphertext][GCM tag 16]`.
 * Version 2 binds the storage path as additional authenticated data, so a value
 * copied to another key fails to decrypt.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Ciphertext format version: AES-256-GCM with the storage path as AAD. */
export const FORMAT_PATH_AAD = 2;
const HEADER = 5;
const NONCE = 12;
const TAG = 16;

/** Thrown when a value cannot be authenticated (tampered, moved, or wrong key). */
export class DecryptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecryptError';
  }
}

/**
 * Random nonces come from a pool refilled 4 KiB at a time: the same CSPRNG bytes as one
 * randomBytes(12) per value, without one getrandom call per encryption. Each nonce is copied
 * out of the pool and its bytes are never handed out again.
 */
const NONCE_POOL = 4096 - (4096 % NONCE);
let noncePool = Buffer.alloc(0);
let nonceOffset = 0;

function nextNonce(): Buffer {
  if (nonceOffset + NONCE > noncePool.length) {
    // A fresh buffer each time (never refilled in place), so a nonce view stays valid.
    noncePool = randomBytes(NONCE_POOL);
    nonceOffset = 0;
  }
  // A view, not a copy: seal() copies it into the ciphertext right away.
  const nonce = noncePool.subarray(nonceOffset, nonceOffset + NONCE);
  nonceOffset += NONCE;
  return nonce;
}

/** Encrypts `plaintext` under `key` (32 bytes) for storage at `path`. */
export function seal(key: Buffer, term: number, path: string, plaintext: Uint8Array): Buffer {
  const nonce = nextNonce();
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(path, 'utf8'));
  // GCM is a stream mode: update() returns all of the ciphertext and final() none (it only
  // computes the tag), so the body is copied once, straight into the output, with no concat.
  const body = cipher.update(plaintext);
  const rest = cipher.final();
  const out = Buffer.allocUnsafe(HEADER + NONCE + body.length + rest.length + TAG);
  out.writeUInt32BE(term, 0);
  out.writeUInt8(FORMAT_PATH_AAD, 4);
  nonce.copy(out, HEADER);
  body.copy(out, HEADER + NONCE);
  rest.copy(out, HEADER + NONCE + body.length);
  cipher.getAuthTag().copy(out, HEADER + NONCE + body.length + rest.length);
  return out;
}

/** Reads the key term a ciphertext was written with. */
export function termOf(ciphertext: Uint8Array): number {
  if (ciphertext.length < HEADER + NONCE + TAG) throw new DecryptError('ciphertext too short');
  return Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength).readUInt32BE(0);
}

/** Decrypts a value written by `seal` for the same `path`; throws DecryptError otherwise. */
export function open(key: Buffer, path: string, ciphertext: Uint8Array): Buffer {
  const buf = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  if (buf.length < HEADER + NONCE + TAG) throw new DecryptError('ciphertext too short');
  if (buf.readUInt8(4) !== FORMAT_PATH_AAD) throw new DecryptError(`unknown ciphertext format ${buf.readUInt8(4)}`);
  const nonce = buf.subarray(HEADER, HEADER + NONCE);
  const tag = buf.subarray(buf.length - TAG);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(path, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    // Invariant: nothing is returned before final() has checked the tag (it throws on a mismatch).
    const body = decipher.update(buf.subarray(HEADER + NONCE, buf.length - TAG));
    const rest = decipher.final();
    // GCM's final() yields no bytes: return update()'s buffer itself instead of a concatenated copy.
    return rest.length === 0 ? body : Buffer.concat([body, rest]);
  } catch {
    throw new DecryptError(`message authentication failed for ${path}`);
  }
}
