/**
 * sys/generate-root: a new root token from a quorum of unseal key shares, on an unsealed server
 * (Vault's API, so `vault operator generate-root` and node-vault's generateRoot* work).
 *
 * - `GET|PUT|DELETE sys/generate-root/attempt`: progress, start (with the caller's one-time pad,
 *   `otp`, or one generated and returned only in this answer), cancel.
 * - `PUT sys/generate-root/update {key, nonce}`: one share; the last one completes the attempt
 *   and the answer carries `encoded_token`: base64 (unpadded) of the token XOR the OTP, so the
 *   token itself never crosses the wire or the audit log in the clear.
 *
 * Unauthenticated, as in Vault: whoever holds the shares already holds the server. Invariants:
 * a token is made only when the shares open the root key (SealManager.verifyShares); the
 * attempt lives in this node's memory (ShareQuorum); shares are wiped after use.
 */
import type { Route } from '../backend.js';
import type { Core } from '../core.js';
import { SealError } from '../../barrier/seal.js';
import { badRequest } from '../errors.js';
import { randomBase62, SERVICE_TOKEN_LENGTH } from '../tokens/random.js';
import { ShareQuorum } from './share-quorum.js';

const STATIC_SEAL = "this server uses a static seal key and has no key shares, so it cannot generate a root token; create an admin through the server's bootstrap block or with an existing root-policy token";

/** The routes, with the node's one attempt (its OTP as settings) kept in their closure. */
export function generateRootRoutes(core: Core): Route[] {
  const quorum = new ShareQuorum<{ otp: string }>({ name: 'root generation', startPath: 'sys/generate-root/attempt' });

  const status = async (extra: Record<string, unknown> = {}) => ({
    raw: {
      status: 200,
      body: { ...(await quorum.progress(core)), complete: false, encoded_token: '', encoded_root_token: '', pgp_fingerprint: '', otp_length: SERVICE_TOKEN_LENGTH, ...extra },
    },
  });

  return [
    {
      pattern: /^generate-root\/attempt$/,
      fields: ['otp', 'pgp_key'],
      unauthenticated: ['read', 'update', 'create', 'delete'],
      operations: {
        read: async () => status(),
        update: async (req) => {
          await quorum.shamirConfig(core, STATIC_SEAL);
          if (req.data.pgp_key !== undefined && req.data.pgp_key !== null && req.data.pgp_key !== '') {
            throw badRequest('pgp_key is not supported by Coffer: start with an otp instead (or with neither, and one is generated for you)');
          }
          const given = req.data.otp;
          if (given !== undefined && given !== '' && (typeof given !== 'string' || !/^[A-Za-z0-9]+$/.test(given) || given.length !== SERVICE_TOKEN_LENGTH)) {
            throw badRequest(`invalid otp: it must be ${SERVICE_TOKEN_LENGTH} base62 characters (otp_length in GET sys/generate-root/attempt), or omitted to have one generated`);
          }
          const generated = typeof given === 'string' && given !== '' ? undefined : randomBase62(SERVICE_TOKEN_LENGTH);
          quorum.start({ otp: generated ?? (given as string) });
          // A generated OTP is shown once, here: the attempt's status never repeats it.
          return status(generated ? { otp: generated } : {});
        },
        delete: async () => {
          quorum.cancel();
          return null;
        },
      },
      help: 'Root token generation: GET shows the attempt, PUT starts one (otp optional), DELETE cancels it.',
    },
    {
      pattern: /^generate-root\/update$/,
      fields: ['key', 'nonce'],
      unauthenticated: ['update', 'create'],
      operations: {
        update: async (req) => {
          const cfg = await quorum.shamirConfig(core, STATIC_SEAL);
          const full = quorum.add(cfg, req.data);
          if (!full) return status();
          let valid: boolean;
          try {
            valid = await core.seal.verifyShares(full.shares);
          } catch (err) {
            if (err instanceof SealError) throw badRequest(`${err.message}; progress was reset`);
            throw err;
          }
          if (!valid) throw badRequest('root generation failed: these key shares do not open this server (wrong keys); progress was reset, the attempt stays open');
          const { token } = await core.tokens.create({ policies: ['root'], ttl: 0, path: 'auth/token/root', displayName: 'root', orphan: true, noDefaultPolicy: true });
          full.finish();
          const encoded = xorBase64(token, full.settings.otp);
          return status({ started: true, nonce: full.nonce, progress: cfg.secretThreshold, complete: true, encoded_token: encoded, encoded_root_token: encoded });
        },
      },
      help: 'Submits one unseal key share to the current root generation attempt; the last one returns the new root token XORed with the OTP (encoded_token).',
    },
  ];
}

/** base64 (standard alphabet, no padding) of `token` XOR `otp`, byte by byte (Vault's EncodeToken). */
function xorBase64(token: string, otp: string): string {
  const t = Buffer.from(token, 'utf8');
  const o = Buffer.from(otp, 'utf8');
  if (t.length !== o.length) throw new Error('root token and OTP differ in length');
  for (let i = 0; i < t.length; i++) t[i]! ^= o[i]!;
  return t.toString('base64').replace(/=+$/, '');
}
