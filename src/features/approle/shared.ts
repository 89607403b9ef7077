/**
 * What AppRole handlers share: the mount's store and core's services, and the role lookup
 * every `role/:role_name/...` route starts with.
 */
import type { BackendRequest, BackendServices } from '../../core/backend.js';
import { badRequest, notFound } from '../../core/errors.js';
import { normalizeName } from '../auth-common/names.js';
import type { RoleEntry } from './role.js';
import type { ApproleStore } from './store.js';

/** Dependencies of the AppRole handlers. */
export interface ApproleDeps {
  store: ApproleStore;
  services: BackendServices;
}

/** The role name from the path, lower-cased and validated. */
export function roleName(req: BackendRequest): string {
  return normalizeName(req.params.role_name, 'role_name');
}

/**
 * The role named in the path. A missing role is a 404 with no message on reads (Vault's
 * answer for a missing item) and a 400 that names it on writes to its sub-paths.
 */
export async function requireRole(deps: ApproleDeps, req: BackendRequest, mode: 'read' | 'write'): Promise<RoleEntry> {
  const name = roleName(req);
  const role = await deps.store.getRole(name);
  if (role) return role;
  if (mode === 'read') throw notFound();
  throw badRequest(`role "${name}" does not exist; create it first with a write to role/${name}`);
}
