/**
 * Batch tokens, as in Vault: nothing is stored. The token itself is `hvb.` + base64url of an
 * AES-256-GCM blob holding the token's policies, TTL, creation time, parent and so on, sealed
 * under a key kept in the token store's barrier-encrypted view. They therefore survive a
 * restart, stop working when that key is lost, and cannot be altered or forged by a client.
 */
import { DecryptError, open, seal } from '../../barrier/aead.js';
import type { Storage } from '../../storage/types.js';
import { StoredKey } from '../stored-key.js';

/** The prefix of every batch token. */
export const BATCH_PREFIX = 'hvb.';
const KEY_PATH = 'batch-key';
/** Bound into every blob as additional data, so no other sealed value can pass as a token. */
const AAD = 'coffer:batch-token:v1';

/** Whether a raw token is a batch token (by its prefix; only decoding proves it is valid). */
export function isBatchToken(token: string | undefined): boolean {
  return typeof token === 'string' && token.startsWith(BATCH_PREFIX);
}

/** What a batch token carries. Times are Unix ms, durations seconds. */
export interface BatchPayload {
  policies: string[];
  meta: Record<string, string>;
  displayName: string;
  path: string;
  /** The parent's hash, '' for an orphan. The token stops working when its parent is gone. */
  parent: string;
  issueTime: number;
  ttl: number;
  maxTTL: number;
  boundCidrs: string[];
  role: string;
  entityId: string;
}

/** Seals and opens batch tokens with the key kept in `storage`. */
export class BatchTokenCodec {
  private readonly key: StoredKey;

  constructor(storage: Storage) {
    this.key = new StoredKey(storage, KEY_PATH);
  }

  /** A new batch token for `payload`. */
  async encode(payload: BatchPayload): Promise<string> {
    const blob = seal(await this.key.get(), 0, AAD, Buffer.from(JSON.stringify(payload), 'utf8'));
    return BATCH_PREFIX + blob.toString('base64url');
  }

  /** The payload of a genuine batch token, or undefined for anything else (malformed, altered, other key). */
  async decode(token: string): Promise<BatchPayload | undefined> {
    if (!isBatchToken(token)) return undefined;
    const body = token.slice(BATCH_PREFIX.length);
    // base64url only, and a sane length: the blob of a token with many policies is a few KB.
    if (body.length === 0 || body.length > 16_384 || !/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
    let plain: Buffer;
    try {
      plain = open(await this.key.get(), AAD, Buffer.from(body, 'base64url'));
    } catch (err) {
      if (err instanceof DecryptError) return undefined;
      throw err;
    }
    return JSON.parse(plain.toString('utf8')) as BatchPayload;
  }

  /** Forgets the key (on seal). */
  clear(): void {
    this.key.clear();
  }
}

/**
 * The type of a login token: the auth mount's `token_type` (tune setting) forces `service` or
 * `batch`; `default-batch` and `default-service` (or nothing) only give the default for roles
 * that say `default` (Vault's rules for login responses).
 */
export function resolveTokenType(mountType: string | undefined, requested: string | undefined): 'service' | 'batch' {
  if (mountType === 'service' || mountType === 'batch') return mountType;
  const wantsDefault = requested === undefined || requested === '' || requested === 'default';
  if (mountType === 'default-batch') return wantsDefault || requested === 'default-batch' || requested === 'batch' ? 'batch' : 'service';
  return requested === 'batch' || requested === 'default-batch' ? 'batch' : 'service';
}
