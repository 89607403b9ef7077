/**
 * `POST auth/<mount>/login {role_id, secret_id}` (unauthenticated).
 *
 * Order matters: lockout first (a locked role-id is refused without looking at the
 * credential), then the credential, then the client-address bindings, and only then is a use
 * of the secret-id taken. Every credential failure gets the same message, so nothing tells an
 * unknown role-id from a wrong, expired or used-up secret-id.
 */
import type { Handler } from '../../core/backend.js';
import { isInCidrs } from '../../core/cidr.js';
import { badRequest, permissionDenied } from '../../core/errors.js';
import { optString } from '../../core/fields.js';
import { issueParams } from '../auth-common/token-fields.js';
import type { RoleEntry } from './role.js';
import type { ApproleDeps } from './shared.js';
import type { SecretIdEntry } from './store.js';

const INVALID = 'invalid role or secret ID';

function checkAddress(address: string | undefined, blocks: string[], what: string): void {
  if (blocks.length === 0 || isInCidrs(address, blocks)) return;
  throw badRequest(`source address "${address ?? 'unknown'}" is not allowed by ${what}`);
}

/** The token's CIDR binding: the secret-id's when it has one (it can only narrow the role's). */
function tokenCidrs(role: RoleEntry, entry: SecretIdEntry | undefined): string[] {
  return [...(entry && entry.token_bound_cidrs.length > 0 ? entry.token_bound_cidrs : role.token_bound_cidrs)];
}

/** The login handler. */
export function loginHandler(deps: ApproleDeps): Handler {
  const { store, services } = deps;
  return async (req) => {
    const roleId = optString(req.data, 'role_id') ?? '';
    if (roleId === '') throw badRequest('missing role_id');
    const secretId = optString(req.data, 'secret_id') ?? '';
    const { lockout } = services;
    if (await lockout.isLocked(req.mount, roleId)) throw permissionDenied('login temporarily locked after repeated failures');

    const invalid = async () => {
      await lockout.failed(req.mount, roleId);
      return badRequest(INVALID);
    };

    const role: RoleEntry | undefined = await store.roleByRoleId(roleId);
    // The same answer for an unknown role-id as for a role that needs a secret-id.
    if ((!role || role.bind_secret_id) && secretId === '') throw badRequest('missing secret_id');
    if (!role) throw await invalid();

    let entry: SecretIdEntry | undefined;
    if (role.bind_secret_id) {
      const digest = store.secretDigest(role, secretId);
      const check = async (found: SecretIdEntry | undefined): Promise<SecretIdEntry | undefined> => {
        if (!found) return undefined;
        if (store.expired(found)) {
          await store.deleteSecretEntry(role, found);
          return undefined;
        }
        checkAddress(req.clientAddress, role.secret_id_bound_cidrs, "the role's secret_id_bound_cidrs");
        checkAddress(req.clientAddress, found.cidr_list, "the secret ID's cidr_list");
        // A token the caller could not use from here is refused now, before a use is taken.
        checkAddress(req.clientAddress, tokenCidrs(role, found), 'the token_bound_cidrs of the role or secret ID');
        await store.consumeUse(role, found);
        return found;
      };
      const unlocked = await store.getSecretEntry(role, digest);
      // An unlimited secret-id (num_uses 0, which never changes: only a limited count is ever
      // rewritten) has no read-modify-write, so it needs no lock: concurrent logins with one
      // secret-id do not queue behind each other. A limited one is read again under the
      // secret-id's lock, where its use count is read-modify-write (spent exactly once).
      // (The commit is conditioned on the entry as read, so a limited use is never spent twice,
      // on any node; the lock only keeps local logins from conflicting and retrying.)
      if (unlocked) {
        entry = unlocked.num_uses === 0
          ? await check(unlocked)
          : await store.secretLock.run(`${role.uid}/${digest}`, async () => check(await store.getSecretEntry(role, digest)));
      }
      if (!entry) throw await invalid();
    } else {
      checkAddress(req.clientAddress, role.secret_id_bound_cidrs, "the role's secret_id_bound_cidrs");
      checkAddress(req.clientAddress, role.token_bound_cidrs, "the role's token_bound_cidrs");
    }

    await lockout.succeeded(req.mount, roleId);
    const params = issueParams(role);
    params.boundCidrs = tokenCidrs(role, entry);
    params.metadata = { ...(entry?.metadata ?? {}), role_name: role.name };
    const auth = await services.issueToken(req.mount, params);
    return { auth };
  };
}
