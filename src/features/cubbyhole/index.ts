/**
 * cubbyhole/: a private KV store for each token. Only the token that wrote a value can
 * read it (the storage view is scoped to the caller's token id), and everything is
 * deleted when the token is revoked or expires.
 */
import type { Backend, BackendFactory, BackendRequest } from '../../core/backend.js';
import { badRequest, notFound, permissionDenied } from '../../core/errors.js';
import { wipe } from '../../core/mount-table.js';
import { assertSafePath } from '../../core/paths.js';
import { isBatchToken } from '../../core/tokens/batch.js';
import { PrefixedStorage } from '../../storage/prefixed.js';
import type { Storage } from '../../storage/types.js';

function scoped(req: BackendRequest): Storage {
  if (!req.auth) throw permissionDenied();
  // A batch token is never stored or revoked, so nothing would ever wipe its cubbyhole (as in Vault, it has none).
  if (isBatchToken(req.auth.clientToken)) throw badRequest('batch tokens have no cubbyhole: use a service token');
  return new PrefixedStorage(req.storage, `${req.auth.tokenId}/`);
}

function key(req: BackendRequest): string {
  const path = req.params.path ?? '';
  if (path === '' || path.endsWith('/')) throw badRequest('missing path: give a key such as cubbyhole/my-secret');
  assertSafePath(path);
  return path;
}

/** The cubbyhole feature (built in, mounted once at `cubbyhole/`). */
export const cubbyholeFactory: BackendFactory = {
  type: 'cubbyhole',
  kind: 'secret',
  create: ({ storage }): Backend => ({
    routes: [
      {
        pattern: /^(?<path>.*)$/,
        // The body is the secret itself: any key is data.
        fields: '*',
        existenceCheck: async (req) => (await scoped(req).get(key(req))) !== undefined,
        operations: {
          read: async (req) => {
            const raw = await scoped(req).get(key(req));
            if (!raw) throw notFound();
            return { data: JSON.parse(Buffer.from(raw).toString('utf8')) as Record<string, unknown> };
          },
          update: async (req) => {
            if (Object.keys(req.data).length === 0) throw badRequest('missing data fields: cubbyhole writes need at least one key=value');
            await scoped(req).put(key(req), Buffer.from(JSON.stringify(req.data)));
            return null;
          },
          delete: async (req) => {
            await scoped(req).delete(key(req));
            return null;
          },
          list: async (req) => {
            const prefix = req.params.path ?? '';
            if (prefix !== '') assertSafePath(prefix);
            const keys = await scoped(req).list(prefix);
            if (keys.length === 0) throw notFound();
            return { data: { keys } };
          },
        },
      },
    ],
    onTokenRevoked: async (tokenId) => wipe(new PrefixedStorage(storage, `${tokenId}/`), ''),
  }),
};
