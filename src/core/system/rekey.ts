/**
 * sys/rekey: new unseal key shares (a new count and threshold) for an unsealed Shamir server,
 * authorised by a quorum of the current ones (Vault's API, as `vault operator rekey` calls it).
 *
 * - `GET|PUT|DELETE sys/rekey/init`: progress; start with `secret_shares` and `secret_threshold`;
 *   cancel.
 * - `PUT sys/rekey/update {key, nonce}`: one current share; the last one answers with the new
 *   shares, once.
 *
 * Unauthenticated, as in Vault: the shares are the authority. Invariants: nothing changes until
 * the current shares open the root key; the root key is stored under the new key together with
 * the new configuration in one commit, so the old shares work until that commit and never after;
 * stored data keeps its encryption (the root key is the same). PGP-encrypted shares, backups
 * and the verification step are not supported and are refused by name.
 */
import type { Route } from '../backend.js';
import type { Core } from '../core.js';
import { SealError, validateShares } from '../../barrier/seal.js';
import { badRequest } from '../errors.js';
import { optBool, optInt } from '../fields.js';
import { ShareQuorum } from './share-quorum.js';

const STATIC_SEAL = 'this server uses a static seal key and has no unseal key shares to rekey (replace the key file to change the seal key)';

/** The routes, with the node's one attempt (the new count and threshold as settings) kept in their closure. */
export function rekeyRoutes(core: Core): Route[] {
  const quorum = new ShareQuorum<{ shares: number; threshold: number }>({ name: 'rekey', startPath: 'sys/rekey/init' });
  const common = { pgp_fingerprints: null, backup: false, verification_required: false, verification_nonce: '' };
  const status = async () => {
    const settings = quorum.attempt?.settings;
    return { raw: { status: 200, body: { ...(await quorum.progress(core)), t: settings?.threshold ?? 0, n: settings?.shares ?? 0, ...common } } };
  };

  return [
    {
      pattern: /^rekey\/init$/,
      fields: ['secret_shares', 'secret_threshold', 'pgp_keys', 'backup', 'require_verification'],
      unauthenticated: ['read', 'update', 'create', 'delete'],
      operations: {
        read: async () => status(),
        update: async (req) => {
          await quorum.shamirConfig(core, STATIC_SEAL);
          const pgp = req.data.pgp_keys;
          if (pgp !== undefined && pgp !== null && pgp !== '' && !(Array.isArray(pgp) && pgp.length === 0)) throw badRequest('pgp_keys are not supported by Coffer; omit them and hand the new shares over a secure channel');
          if (optBool(req.data, 'backup')) throw badRequest('backup is not supported by Coffer (it only applies to PGP-encrypted shares)');
          if (optBool(req.data, 'require_verification')) throw badRequest('require_verification is not supported by Coffer: check the new shares by unsealing with them after the rekey');
          const shares = optInt(req.data, 'secret_shares');
          const threshold = optInt(req.data, 'secret_threshold');
          if (shares === undefined || threshold === undefined) throw badRequest('missing "secret_shares" and "secret_threshold": how many new shares to make and how many will unseal');
          try {
            validateShares(shares, threshold);
          } catch (err) {
            if (err instanceof SealError) throw badRequest(err.message);
            throw err;
          }
          quorum.start({ shares, threshold });
          return status();
        },
        delete: async () => {
          quorum.cancel();
          return null;
        },
      },
      help: 'Rekey: GET shows the attempt, PUT starts one (secret_shares, secret_threshold), DELETE cancels it.',
    },
    {
      pattern: /^rekey\/update$/,
      fields: ['key', 'nonce'],
      unauthenticated: ['update', 'create'],
      operations: {
        update: async (req) => {
          const cfg = await quorum.shamirConfig(core, STATIC_SEAL);
          const full = quorum.add(cfg, req.data);
          if (!full) return status();
          let keys: Buffer[] | undefined;
          try {
            keys = await core.seal.rekey(full.shares, full.settings.shares, full.settings.threshold);
          } catch (err) {
            if (err instanceof SealError) throw badRequest(`${err.message}; progress was reset`);
            throw err;
          }
          if (!keys) throw badRequest('rekey failed: these key shares do not open this server (wrong keys); progress was reset, the attempt stays open');
          full.finish();
          const body = {
            nonce: full.nonce,
            complete: true,
            keys: keys.map((k) => k.toString('hex')),
            keys_base64: keys.map((k) => k.toString('base64')),
            ...common,
          };
          for (const k of keys) k.fill(0);
          return { raw: { status: 200, body } };
        },
      },
      help: 'Submits one current unseal key share to the rekey; the last one returns the new shares (once).',
    },
  ];
}
