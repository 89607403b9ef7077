/**
 * Server-wide authenticated encryption for blobs that leave the server (Key Vault backups).
 * The key is created on first use and kept in the barrier, so blobs can be opened only by a
 * Coffer that holds the same storage (and is unsealed). Format: `CBK1` magic, then the
 * barrier's AEAD format with the purpose as additional data.
 */
import { DecryptError, open, seal } from '../barrier/aead.js';
import type { Storage } from '../storage/types.js';
import { badRequest } from './errors.js';
import { StoredKey } from './stored-key.js';

const KEY_PATH = 'core/envelope-key';
const MAGIC = Buffer.from('CBK1');

/** Seals and opens blobs under the server-wide envelope key. */
export class Envelope {
  private readonly key: StoredKey;

  constructor(barrier: Storage) {
    this.key = new StoredKey(barrier, KEY_PATH);
  }

  /** Encrypts `plaintext` for `purpose`. */
  async seal(purpose: string, plaintext: Uint8Array): Promise<Buffer> {
    return Buffer.concat([MAGIC, seal(await this.key.get(), 0, `envelope:${purpose}`, plaintext)]);
  }

  /** Decrypts a blob made by `seal` for the same purpose; a 400 otherwise. */
  async open(purpose: string, blob: Uint8Array): Promise<Buffer> {
    const buf = Buffer.from(blob);
    if (buf.length < MAGIC.length || !buf.subarray(0, MAGIC.length).equals(MAGIC)) throw badRequest('the blob is not a Coffer backup (unknown format)');
    try {
      return open(await this.key.get(), `envelope:${purpose}`, buf.subarray(MAGIC.length));
    } catch (err) {
      if (err instanceof DecryptError) throw badRequest('the blob was not made by this Coffer or was altered (integrity check failed)');
      throw err;
    }
  }

  /** Forgets the key (on seal). */
  clear(): void {
    this.key.clear();
  }
}
