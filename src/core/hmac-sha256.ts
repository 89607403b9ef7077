/**
 * HMAC-SHA256 of many strings under one key, cheaper per string than `createHmac` (which
 * imports the key and builds an OpenSSL context and a JS object per call). Used where every
 * request hashes strings under a fixed key: audit entries (every string) and token lookups.
 */
import * as nodeCrypto from 'node:crypto';
import { createHmac, createSecretKey } from 'node:crypto';

/** Maps a string (UTF-8) to the lower-case hex HMAC-SHA256 under a fixed key. */
export type HmacHex = (value: string) => string;

type OneShotHash = (algorithm: string, data: string | Buffer, encoding: string) => string | Buffer;
/** One-shot `crypto.hash` (Node >= 20.12); absent on older 20.x, where createHmac is used. */
const oneShotHash = (nodeCrypto as { hash?: OneShotHash }).hash;

/**
 * A hasher for `key` whose output equals `createHmac('sha256', key).update(value, 'utf8').digest('hex')`
 * for every key and string.
 *
 * How: HMAC(K, m) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)) with K zero-padded to the 64-byte block
 * (RFC 2104), both hashes one `crypto.hash` call. When every byte of K is below 0x80 (Coffer's
 * audit salts are hex text), K ⊕ ipad is ASCII and the inner input is the string `ipad + m`
 * (UTF-8 of ASCII is the bytes themselves; `m` is encoded exactly as `update(m, 'utf8')` does,
 * lone surrogates included). Other keys (binary, or longer than a block) and Nodes without
 * crypto.hash use createHmac with a KeyObject imported once: for a binary key, writing `m`
 * after the pad in a buffer measured no faster than createHmac (~2.1 µs either way here).
 */
export function createHmacHex(key: Buffer): HmacHex {
  const hash = oneShotHash;
  if (!hash || key.length > 64 || key.some((b) => b >= 0x80)) {
    const k = createSecretKey(key);
    return (value) => createHmac('sha256', k).update(value, 'utf8').digest('hex');
  }
  const ipad = Buffer.alloc(64, 0x36);
  const outer = Buffer.alloc(64 + 32, 0x5c);
  for (let i = 0; i < key.length; i++) {
    ipad[i] = key[i]! ^ 0x36;
    outer[i] = key[i]! ^ 0x5c;
  }
  const ipadText = ipad.toString('latin1');
  ipad.fill(0);
  return (value) => {
    const inner = hash('sha256', ipadText + value, 'buffer') as Buffer;
    // Synchronous from here to the digest, so one scratch buffer per hasher is safe.
    inner.copy(outer, 64);
    return hash('sha256', outer, 'hex') as string;
  };
}
