/**
 * The AppRole route table (spec §2.7): roles, their per-field sub-paths, role-id, secret-ids,
 * login and tidy. Paths are relative to the mount.
 */
import type { BackendRequest, Handler, Route } from '../../core/backend.js';
import { badRequest } from '../../core/errors.js';
import { optString, reqString } from '../../core/fields.js';
import { loginHandler } from './login.js';
import { tokenFieldNames } from '../auth-common/token-fields.js';
import { applyRoleFields, newRole, ROLE_ALIASES, roleView, type RoleEntry } from './role.js';
import { SECRET_ID_FIELDS, secretIdHandlers } from './secret-ids.js';
import { requireRole, roleName, type ApproleDeps } from './shared.js';

const ROLE = '(?<role_name>[^/]+)';
const MAX_ROLE_ID = 1024;

/** One per-field sub-path: the request fields it accepts, its defaults on delete, its read view. */
interface FieldPath {
  fields: string[];
  reset?: Record<string, unknown>;
  view(role: RoleEntry): Record<string, unknown>;
}

function pick(role: RoleEntry, ...keys: string[]): Record<string, unknown> {
  const view = roleView(role);
  return Object.fromEntries(keys.filter((k) => k in view).map((k) => [k, view[k]]));
}

/** `role/:name/<sub-path>` → the field(s) it manages (Vault's per-field endpoints). */
const FIELD_PATHS: Record<string, FieldPath> = {
  policies: { fields: ['token_policies', 'policies'], reset: { token_policies: [] }, view: (r) => pick(r, 'token_policies', 'policies') },
  period: { fields: ['token_period', 'period'], reset: { token_period: 0 }, view: (r) => pick(r, 'token_period', 'period') },
  'token-ttl': { fields: ['token_ttl'], reset: { token_ttl: 0 }, view: (r) => pick(r, 'token_ttl') },
  'token-max-ttl': { fields: ['token_max_ttl'], reset: { token_max_ttl: 0 }, view: (r) => pick(r, 'token_max_ttl') },
  'token-num-uses': { fields: ['token_num_uses'], reset: { token_num_uses: 0 }, view: (r) => pick(r, 'token_num_uses') },
  'token-bound-cidrs': { fields: ['token_bound_cidrs'], reset: { token_bound_cidrs: [] }, view: (r) => pick(r, 'token_bound_cidrs') },
  'secret-id-ttl': { fields: ['secret_id_ttl'], reset: { secret_id_ttl: 0 }, view: (r) => pick(r, 'secret_id_ttl') },
  'secret-id-num-uses': { fields: ['secret_id_num_uses'], reset: { secret_id_num_uses: 0 }, view: (r) => pick(r, 'secret_id_num_uses') },
  'bind-secret-id': { fields: ['bind_secret_id'], reset: { bind_secret_id: true }, view: (r) => pick(r, 'bind_secret_id') },
  'secret-id-bound-cidrs': { fields: ['secret_id_bound_cidrs'], reset: { secret_id_bound_cidrs: [] }, view: (r) => pick(r, 'secret_id_bound_cidrs') },
  'bound-cidr-list': { fields: ['bound_cidr_list'], reset: { secret_id_bound_cidrs: [] }, view: (r) => ({ bound_cidr_list: [...r.secret_id_bound_cidrs] }) },
  'local-secret-ids': { fields: [], view: (r) => pick(r, 'local_secret_ids') },
};

function present(data: Record<string, unknown>, key: string): boolean {
  return data[key] !== undefined && data[key] !== null;
}

function validRoleId(value: string): string {
  if (value.trim() === '') throw badRequest('role_id must not be empty');
  if (value.length > MAX_ROLE_ID) throw badRequest(`role_id is too long (at most ${MAX_ROLE_ID} characters)`);
  return value;
}

/** Builds the routes of one mount. */
export function approleRoutes(deps: ApproleDeps): Route[] {
  const { store } = deps;

  /** Read-modify-write of one role under the role lock; `change` edits a copy. */
  const modify = (req: BackendRequest, change: (role: RoleEntry) => Promise<void> | void): Promise<null> =>
    store.roleLock.run('roles', async () => {
      const existing = await requireRole(deps, req, 'write');
      const role = structuredClone(existing);
      await change(role);
      if (role.role_id !== existing.role_id) await assertRoleIdFree(role);
      await store.putRole(role, existing);
      return null;
    });

  const assertRoleIdFree = async (role: RoleEntry): Promise<void> => {
    const owner = await store.roleNameForRoleId(role.role_id);
    if (owner !== undefined && owner !== role.name) throw badRequest('role_id is already in use by another role; choose a different role_id');
  };

  const writeRole: Handler = (req) =>
    store.roleLock.run('roles', async () => {
      const name = roleName(req);
      const existing = await store.getRole(name);
      const role = existing ? structuredClone(existing) : newRole(name);
      const customId = optString(req.data, 'role_id');
      if (customId !== undefined) role.role_id = validRoleId(customId);
      applyRoleFields(role, req.data, !existing);
      if (role.role_id !== existing?.role_id) await assertRoleIdFree(role);
      await store.putRole(role, existing);
      return null;
    });

  const secretIds = secretIdHandlers(deps);

  return [
    {
      pattern: /^role\/?$/,
      fields: [],
      operations: { list: async () => ({ data: { keys: await store.listRoles() } }) },
      help: 'List the AppRole roles.',
    },
    {
      pattern: new RegExp(`^role/${ROLE}$`),
      fields: [
        'role_id', 'bind_secret_id', 'secret_id_bound_cidrs', 'bound_cidr_list', 'secret_id_num_uses', 'secret_id_ttl',
        'local_secret_ids', ...tokenFieldNames(ROLE_ALIASES),
      ],
      existenceCheck: async (req) => (await store.getRole(roleName(req))) !== undefined,
      operations: {
        create: writeRole,
        update: writeRole,
        read: async (req) => ({ data: roleView(await requireRole(deps, req, 'read')) }),
        delete: (req) =>
          store.roleLock.run('roles', async () => {
            const role = await store.getRole(roleName(req));
            if (role) await store.deleteRole(role);
            return null;
          }),
      },
      help: 'Create, read, update or delete an AppRole role.',
    },
    // One route per sub-path, so each declares exactly the fields it takes.
    ...Object.entries(FIELD_PATHS).map(([name, fp]): Route => ({
      pattern: new RegExp(`^role/${ROLE}/${name.replace(/-/g, '\\-')}$`),
      fields: fp.fields,
      operations: {
        read: async (req) => ({ data: fp.view(await requireRole(deps, req, 'read')) }),
        update: (req) => {
          if (fp.fields.length === 0) throw badRequest(`${name} can only be read (it is fixed when the role is created)`);
          const given = fp.fields.filter((f) => present(req.data, f));
          if (given.length === 0) throw badRequest(`missing ${fp.fields[0]}`);
          const picked = Object.fromEntries(given.map((f) => [f, req.data[f]]));
          return modify(req, (role) => applyRoleFields(role, picked, false));
        },
        delete: (req) => {
          if (!fp.reset) throw badRequest(`${name} cannot be deleted`);
          return modify(req, (role) => applyRoleFields(role, fp.reset!, false));
        },
      },
      help: 'Read, update or reset one field of a role.',
    })),
    {
      pattern: new RegExp(`^role/${ROLE}/role-id$`),
      fields: ['role_id'],
      operations: {
        read: async (req) => ({ data: { role_id: (await requireRole(deps, req, 'read')).role_id } }),
        update: (req) => {
          const roleId = validRoleId(reqString(req.data, 'role_id'));
          return modify(req, (role) => {
            role.role_id = roleId;
          });
        },
      },
      help: 'Read the role-id of a role, or set a custom one (unique across roles).',
    },
    {
      pattern: new RegExp(`^role/${ROLE}/secret-id/?$`),
      fields: SECRET_ID_FIELDS,
      operations: { update: secretIds.generate!, list: secretIds.list! },
      help: 'Generate a secret-id (returned once), or list the accessors of live secret-ids.',
    },
    { pattern: new RegExp(`^role/${ROLE}/secret-id/lookup$`), fields: ['secret_id'], operations: { update: secretIds.lookup! } },
    { pattern: new RegExp(`^role/${ROLE}/secret-id/destroy$`), fields: ['secret_id'], operations: { update: secretIds.destroy!, delete: secretIds.destroy! } },
    { pattern: new RegExp(`^role/${ROLE}/secret-id-accessor/lookup$`), fields: ['secret_id_accessor'], operations: { update: secretIds.accessorLookup! } },
    {
      pattern: new RegExp(`^role/${ROLE}/secret-id-accessor/destroy$`),
      fields: ['secret_id_accessor'],
      operations: { update: secretIds.accessorDestroy!, delete: secretIds.accessorDestroy! },
    },
    { pattern: new RegExp(`^role/${ROLE}/custom-secret-id$`), fields: ['secret_id', ...SECRET_ID_FIELDS], operations: { update: secretIds.custom! } },
    {
      pattern: /^login$/,
      fields: ['role_id', 'secret_id'],
      operations: { update: loginHandler(deps) },
      unauthenticated: ['update', 'create'],
      help: 'Log in with a role-id and a secret-id.',
    },
    {
      pattern: /^tidy\/secret-id$/,
      fields: [],
      operations: {
        update: async () => {
          await store.tidy();
          return null;
        },
      },
      help: 'Delete expired secret-ids now (this also runs in the background).',
    },
  ];
}
