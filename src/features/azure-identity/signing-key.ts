/**
 * The mount's ES256 signing key for access tokens. It is generated on first use and kept in
 * the mount's storage (behind the barrier); the public half is served as a JWKS so that
 * anyone may check a token's signature. Coffer itself trusts the `ctk` envelope inside the
 * token, not the signature (see token.ts), so a rotated key never invalidates live tokens.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Storage } from '../../storage/types.js';
import { decodeJson, encodeJson } from '../auth-common/names.js';

const KEY_PATH = 'signing-key';

interface StoredKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  createdAt: number;
}

/** A loaded signing key. */
export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** The public JWK with `kid`, `use` and `alg`, as published in the JWKS. */
  publicJwk: JWK;
}

/** Loads (or creates once) the signing key of one mount. */
export class SigningKeys {
  private loading: Promise<SigningKey> | undefined;

  constructor(private readonly storage: Storage, private readonly now: () => number) {}

  /** The key, generated and stored on first use. */
  get(): Promise<SigningKey> {
    this.loading ??= this.load();
    // A failure (sealed mid-way) must not stick.
    this.loading.catch(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** The JSON Web Key Set with the public key. */
  async jwks(): Promise<{ keys: JWK[] }> {
    return { keys: [(await this.get()).publicJwk] };
  }

  private async load(): Promise<SigningKey> {
    let stored: StoredKey;
    const raw = await this.storage.get(KEY_PATH);
    if (raw) {
      stored = decodeJson<StoredKey>(raw);
    } else {
      const pair = await generateKeyPair('ES256', { extractable: true });
      const privateJwk = await exportJWK(pair.privateKey);
      const publicJwk = await exportJWK(pair.publicKey);
      const kid = await calculateJwkThumbprint(publicJwk);
      stored = { kid, privateJwk, publicJwk: { ...publicJwk, kid, use: 'sig', alg: 'ES256' }, createdAt: this.now() };
      await this.storage.put(KEY_PATH, encodeJson(stored));
    }
    const privateKey = (await importJWK(stored.privateJwk, 'ES256')) as CryptoKey;
    return { kid: stored.kid, privateKey, publicJwk: stored.publicJwk };
  }
}
