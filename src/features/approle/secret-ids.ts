/**
 * Secret-id routes of a role: generate, custom, list (accessors), lookup and destroy by value
 * or by accessor. Values are returned once, at generation, and stored only as HMACs.
 */
import { randomUUID } from 'node:crypto';
import type { BackendRequest, Handler } from '../../core/backend.js';
import { rfc3339Nano } from '../../core/clock.js';
import { CofferError, badRequest } from '../../core/errors.js';
import { optDuration, optInt, optStringMap, reqString } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { parseCidrField } from '../auth-common/token-fields.js';
import { cidrsWithin } from './cidr-subset.js';
import type { RoleEntry } from './role.js';
import { requireRole, type ApproleDeps } from './shared.js';
import type { SecretIdEntry } from './store.js';

/** Go's zero time, which Vault prints for "never expires". */
const ZERO_TIME = '0001-01-01T00:00:00Z';
const MAX_CUSTOM_SECRET_ID = 1024;

/** The request fields of a secret-id generation (`secret-id`; `custom-secret-id` adds `secret_id`). */
export const SECRET_ID_FIELDS = ['metadata', 'cidr_list', 'token_bound_cidrs', 'num_uses', 'ttl'] as const;

/** The request's secret-id settings, checked against the role's limits. */
function secretIdSettings(role: RoleEntry, data: Record<string, unknown>) {
  const metadata = optStringMap(data, 'metadata') ?? {};
  const cidrList = parseCidrField(data, 'cidr_list') ?? [];
  if (cidrList.length > 0 && role.secret_id_bound_cidrs.length > 0 && !cidrsWithin(cidrList, role.secret_id_bound_cidrs)) {
    throw badRequest('cidr_list must lie within the role\'s secret_id_bound_cidrs');
  }
  const tokenCidrs = parseCidrField(data, 'token_bound_cidrs') ?? [];
  if (tokenCidrs.length > 0 && role.token_bound_cidrs.length > 0 && !cidrsWithin(tokenCidrs, role.token_bound_cidrs)) {
    throw badRequest('token_bound_cidrs must lie within the role\'s token_bound_cidrs');
  }
  let numUses = optInt(data, 'num_uses', { min: 0 }) ?? 0;
  if (role.secret_id_num_uses > 0) {
    if (numUses > role.secret_id_num_uses) throw badRequest(`num_uses cannot be higher than the role's secret_id_num_uses (${role.secret_id_num_uses})`);
    if (numUses === 0) numUses = role.secret_id_num_uses;
  }
  let ttl = optDuration(data, 'ttl') ?? 0;
  if (role.secret_id_ttl > 0) {
    if (ttl > role.secret_id_ttl) throw badRequest(`ttl cannot be longer than the role's secret_id_ttl (${role.secret_id_ttl}s)`);
    if (ttl === 0) ttl = role.secret_id_ttl;
  }
  return { metadata, cidrList, tokenCidrs, numUses, ttl };
}

/** Stores `secretId` for the role named in the path and answers with it (once). */
async function register(deps: ApproleDeps, req: BackendRequest, secretId: string): Promise<LogicalResponse> {
  const { store, services } = deps;
  // Under the role lock, so a concurrent role delete cannot leave this secret-id behind.
  return store.roleLock.run('roles', async () => {
    const role = await requireRole(deps, req, 'write');
    const s = secretIdSettings(role, req.data);
    const now = services.now();
    const accessor = randomUUID();
    const entry: SecretIdEntry = {
      hmac: store.secretDigest(role, secretId),
      accessor,
      accessor_digest: store.accessorDigest(role, accessor),
      creation_time: now,
      expiration_time: s.ttl > 0 ? now + s.ttl * 1000 : 0,
      last_updated_time: now,
      num_uses: s.numUses,
      cidr_list: s.cidrList,
      token_bound_cidrs: s.tokenCidrs,
      metadata: s.metadata,
    };
    if (!(await store.createSecretId(role, entry))) throw badRequest('this secret_id is already registered on the role; choose another value');
    const response: LogicalResponse = {
      data: { secret_id: secretId, secret_id_accessor: accessor, secret_id_ttl: s.ttl, secret_id_num_uses: s.numUses },
      // A wrapped reply shows the accessor, so the sender can follow the secret-id without seeing it.
      wrappedAccessor: accessor,
    };
    if (!role.bind_secret_id) response.warnings = [`role "${role.name}" has bind_secret_id=false: its logins do not check secret-ids`];
    return response;
  });
}

/** Lookup `data` for a secret-id entry (never the value). */
function lookupView(entry: SecretIdEntry): Record<string, unknown> {
  return {
    cidr_list: [...entry.cidr_list],
    creation_time: rfc3339Nano(entry.creation_time),
    expiration_time: entry.expiration_time > 0 ? rfc3339Nano(entry.expiration_time) : ZERO_TIME,
    last_updated_time: rfc3339Nano(entry.last_updated_time),
    metadata: { ...entry.metadata },
    secret_id_accessor: entry.accessor,
    secret_id_num_uses: entry.num_uses,
    secret_id_ttl: entry.expiration_time > 0 ? Math.round((entry.expiration_time - entry.creation_time) / 1000) : 0,
    token_bound_cidrs: [...entry.token_bound_cidrs],
  };
}

/** A live entry for the digest (expired ones are deleted on sight). */
async function liveEntry(deps: ApproleDeps, role: RoleEntry, digest: string): Promise<SecretIdEntry | undefined> {
  const { store } = deps;
  return store.secretLock.run(`${role.uid}/${digest}`, async () => {
    const entry = await store.getSecretEntry(role, digest);
    if (entry && store.expired(entry)) {
      await store.deleteSecretEntry(role, entry);
      return undefined;
    }
    return entry;
  });
}

function accessorNotFound(accessor: string, role: RoleEntry): CofferError {
  return new CofferError('not_found', `no secret ID with accessor "${accessor.slice(0, 64)}" on role "${role.name}"`);
}

/** The handlers of the secret-id routes. */
export function secretIdHandlers(deps: ApproleDeps): Record<string, Handler> {
  const { store } = deps;
  return {
    generate: (req) => register(deps, req, randomUUID()),

    custom: async (req) => {
      const secretId = reqString(req.data, 'secret_id');
      if (secretId.length > MAX_CUSTOM_SECRET_ID) throw badRequest(`secret_id is too long (at most ${MAX_CUSTOM_SECRET_ID} characters)`);
      return register(deps, req, secretId);
    },

    list: async (req) => {
      const role = await requireRole(deps, req, 'read');
      return { data: { keys: await store.listAccessors(role) } };
    },

    lookup: async (req) => {
      const role = await requireRole(deps, req, 'write');
      const entry = await liveEntry(deps, role, store.secretDigest(role, reqString(req.data, 'secret_id')));
      return entry ? { data: lookupView(entry) } : null;
    },

    destroy: async (req) => {
      const role = await requireRole(deps, req, 'write');
      const digest = store.secretDigest(role, reqString(req.data, 'secret_id'));
      await store.secretLock.run(`${role.uid}/${digest}`, async () => {
        const entry = await store.getSecretEntry(role, digest);
        if (entry) await store.deleteSecretEntry(role, entry);
      });
      return null;
    },

    accessorLookup: async (req) => {
      const role = await requireRole(deps, req, 'write');
      const accessor = reqString(req.data, 'secret_id_accessor');
      const digest = await store.digestForAccessor(role, accessor);
      const entry = digest ? await liveEntry(deps, role, digest) : undefined;
      if (!entry) throw accessorNotFound(accessor, role);
      return { data: lookupView(entry) };
    },

    accessorDestroy: async (req) => {
      const role = await requireRole(deps, req, 'write');
      const accessor = reqString(req.data, 'secret_id_accessor');
      const digest = await store.digestForAccessor(role, accessor);
      if (!digest) return null;
      await store.secretLock.run(`${role.uid}/${digest}`, async () => {
        const entry = await store.getSecretEntry(role, digest);
        if (entry) await store.deleteSecretEntry(role, entry);
      });
      return null;
    },
  };
}
