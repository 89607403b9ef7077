/**
 * Managing principals: service principals (`sp/...`), managed identities and their sessions
 * (`identity/...`), and the Coffer policies attached to either (`principal/:id/policies`).
 * These routes are authenticated and ACL-checked by core like any other path.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { BackendServices, Handler } from '../../core/backend.js';
import { badRequest, notFound } from '../../core/errors.js';
import { optDuration, optString } from '../../core/fields.js';
import { normalizeName } from '../auth-common/names.js';
import { parsePolicies } from '../auth-common/token-fields.js';
import { isUuid, type AzureIdentityStore, type ManagedIdentity, type Principal, type ServicePrincipal } from './store.js';
import { TENANT } from './token.js';

/** What the management handlers need. */
export interface PrincipalDeps {
  store: AzureIdentityStore;
  services: BackendServices;
}

/** Names that are routes under `identity/` and so cannot name an identity. */
const RESERVED_IDENTITY_NAMES = new Set(['login']);
const MAX_DISPLAY_NAME = 256;
/** Session lifetime when none is asked for, and the most that may be asked for. */
export const DEFAULT_SESSION_TTL = 24 * 3600;
export const MAX_SESSION_TTL = 365 * 24 * 3600;

/** A fresh client secret: 32 random bytes, base64url (43 characters), like Entra ID's 40-character secrets. */
function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function displayNameFrom(data: Record<string, unknown>, now: number): string {
  const raw = (optString(data, 'display_name') ?? optString(data, 'displayName') ?? '').trim();
  if (raw === '') return `coffer-sp-${new Date(now).toISOString().slice(0, 19).replace(/[-:T]/g, '')}`;
  // eslint-disable-next-line no-control-regex
  if (raw.length > MAX_DISPLAY_NAME || /[\u0000-\u001f\u007f]/.test(raw)) {
    throw badRequest(`invalid display_name: at most ${MAX_DISPLAY_NAME} characters, no control characters`);
  }
  return raw;
}

/** Parses a policy list field; `root` may not be attached to a principal. */
function policiesFrom(data: Record<string, unknown>, fieldName: string): string[] | undefined {
  const list = parsePolicies(data, fieldName);
  if (list?.includes('root')) throw badRequest(`invalid ${fieldName}: the root policy cannot be attached to a principal; write a policy that grants what it needs`);
  return list;
}

/** The appId in the path, validated. */
function appIdParam(raw: string | undefined): string {
  const appId = (raw ?? '').trim().toLowerCase();
  if (!isUuid(appId)) throw badRequest(`invalid appId "${appId.slice(0, 64)}": an appId is a UUID such as 00000000-0000-0000-0000-000000000000 (list them with LIST sp/)`);
  return appId;
}

/** The identity name in the path, normalised and validated. */
export function identityName(raw: string | undefined): string {
  const name = normalizeName(raw, 'identity name');
  if (RESERVED_IDENTITY_NAMES.has(name)) throw badRequest(`"${name}" cannot name a managed identity (it is a route); choose another name`);
  return name;
}

/** The read view of a service principal (never the secret or its digest). */
export function spView(sp: ServicePrincipal): Record<string, unknown> {
  return {
    appId: sp.appId,
    objectId: sp.objectId,
    displayName: sp.displayName,
    tenant: TENANT,
    policies: [...sp.policies],
    created: seconds(sp.createdAt),
    password_updated: seconds(sp.passwordUpdatedAt),
  };
}

/** The read view of a managed identity. */
export function miView(mi: ManagedIdentity): Record<string, unknown> {
  return { name: mi.name, principalId: mi.principalId, clientId: mi.clientId, tenantId: TENANT, policies: [...mi.policies], created: seconds(mi.createdAt) };
}

function principalView(p: Principal): Record<string, unknown> {
  if (p.kind === 'sp') {
    return { kind: 'service_principal', object_id: p.sp.objectId, app_id: p.sp.appId, display_name: p.sp.displayName, policies: [...p.sp.policies] };
  }
  return { kind: 'managed_identity', object_id: p.mi.principalId, app_id: p.mi.clientId, display_name: p.mi.name, policies: [...p.mi.policies] };
}

/** Handlers of the `sp/...` routes. */
export function spHandlers(deps: PrincipalDeps): Record<'list' | 'create' | 'read' | 'delete' | 'resetPassword', Handler> {
  const { store, services } = deps;
  return {
    list: async () => {
      const keys = await store.listSps();
      const keyInfo: Record<string, unknown> = {};
      for (const appId of keys) {
        const sp = await store.getSp(appId);
        if (sp) keyInfo[appId] = { displayName: sp.displayName, objectId: sp.objectId };
      }
      return { data: { keys, key_info: keyInfo } };
    },
    create: async (req) => {
      const now = services.now();
      const displayName = displayNameFrom(req.data, now);
      const policies = policiesFrom(req.data, 'policies') ?? [];
      const password = newSecret();
      const sp: ServicePrincipal = {
        appId: randomUUID(),
        objectId: randomUUID(),
        displayName,
        secretHmac: await store.digest('client-secret', password),
        policies,
        createdAt: now,
        passwordUpdatedAt: now,
      };
      await store.lock.run('principals', () => store.putSp(sp));
      // The only time the password is shown; only its HMAC is kept.
      return { data: { appId: sp.appId, objectId: sp.objectId, displayName, password, tenant: TENANT, policies } };
    },
    read: async (req) => {
      const sp = await store.getSp(appIdParam(req.params.app_id));
      if (!sp) throw notFound();
      return { data: spView(sp) };
    },
    delete: async (req) => {
      const appId = appIdParam(req.params.app_id);
      await store.lock.run('principals', async () => {
        const sp = await store.getSp(appId);
        if (sp) await store.deleteSp(sp);
      });
      return null;
    },
    resetPassword: async (req) => {
      const appId = appIdParam(req.params.app_id);
      const password = newSecret();
      const digest = await store.digest('client-secret', password);
      const sp = await store.lock.run('principals', async () => {
        const found = await store.getSp(appId);
        if (!found) throw badRequest(`service principal ${appId} does not exist (list them with LIST sp/)`);
        const updated: ServicePrincipal = { ...found, secretHmac: digest, passwordUpdatedAt: services.now() };
        await store.putSp(updated);
        return updated;
      });
      await services.lockout.succeeded(req.mount, appId);
      return { data: { appId: sp.appId, objectId: sp.objectId, displayName: sp.displayName, password, tenant: TENANT } };
    },
  };
}

/** Handlers of the `identity/...` management routes. */
export function identityHandlers(deps: PrincipalDeps): Record<'list' | 'write' | 'read' | 'delete' | 'createSession' | 'revokeSession', Handler> {
  const { store, services } = deps;
  return {
    list: async () => {
      const keys = await store.listMis();
      const keyInfo: Record<string, unknown> = {};
      for (const name of keys) {
        const mi = await store.getMi(name);
        if (mi) keyInfo[name] = { principalId: mi.principalId, clientId: mi.clientId };
      }
      return { data: { keys, key_info: keyInfo } };
    },
    // Creating an existing identity keeps its ids (only `policies`, when given, changes).
    write: async (req) => {
      const name = identityName(req.params.name);
      const policies = policiesFrom(req.data, 'policies');
      const mi = await store.lock.run('principals', async () => {
        const existing = await store.getMi(name);
        const next: ManagedIdentity = existing
          ? { ...existing, policies: policies ?? existing.policies }
          : { name, principalId: randomUUID(), clientId: randomUUID(), policies: policies ?? [], createdAt: services.now() };
        await store.putMi(next);
        return next;
      });
      return { data: miView(mi) };
    },
    read: async (req) => {
      const mi = await store.getMi(identityName(req.params.name));
      if (!mi) throw notFound();
      return { data: miView(mi) };
    },
    delete: async (req) => {
      const name = identityName(req.params.name);
      await store.lock.run('principals', async () => {
        const mi = await store.getMi(name);
        if (mi) await store.deleteMi(mi);
      });
      return null;
    },
    createSession: async (req) => {
      const name = identityName(req.params.name);
      const ttl = optDuration(req.data, 'ttl') || DEFAULT_SESSION_TTL;
      if (ttl > MAX_SESSION_TTL) throw badRequest(`invalid ttl: at most ${MAX_SESSION_TTL / 86400} days`);
      const mi = await store.getMi(name);
      if (!mi) throw badRequest(`managed identity "${name}" does not exist; create it first with a write to identity/${name}`);
      const secret = newSecret();
      const now = services.now();
      const expiresAt = now + ttl * 1000;
      await store.putSession(name, { hmac: await store.digest('session', secret), createdAt: now, expiresAt });
      // The only time the session secret is shown.
      return { data: { name, clientId: mi.clientId, principalId: mi.principalId, session_secret: secret, expires_on: seconds(expiresAt) } };
    },
    revokeSession: async (req) => {
      const name = identityName(req.params.name);
      const secret = (optString(req.data, 'session_secret') ?? '').trim();
      if (secret === '') throw badRequest('missing session_secret');
      await store.deleteSession(name, await store.digest('session', secret));
      return null;
    },
  };
}

/** Handlers of `principal/:id/policies`. */
export function policyHandlers(deps: PrincipalDeps): Record<'read' | 'update', Handler> {
  const { store } = deps;
  const resolve = async (raw: string | undefined, mode: 'read' | 'write'): Promise<Principal> => {
    const id = (raw ?? '').trim();
    const found = id === '' ? undefined : await store.resolve(id);
    if (found) return found;
    if (mode === 'read') throw notFound();
    throw badRequest(`no principal "${id.slice(0, 64)}": give an appId or objectId of a service principal, or a principalId, clientId or name of a managed identity`);
  };
  return {
    read: async (req) => ({ data: principalView(await resolve(req.params.id, 'read')) }),
    update: async (req) => {
      const replace = policiesFrom(req.data, 'policies');
      const add = policiesFrom(req.data, 'add');
      const remove = parsePolicies(req.data, 'remove');
      if (replace === undefined && add === undefined && remove === undefined) {
        throw badRequest('give "policies" (the full list), or "add" and/or "remove" (lists of policy names)');
      }
      const updated = await store.lock.run('principals', async () => {
        const p = await resolve(req.params.id, 'write');
        const current = p.kind === 'sp' ? p.sp.policies : p.mi.policies;
        let next = new Set(replace ?? current);
        for (const name of add ?? []) next.add(name);
        if (remove) next = new Set([...next].filter((n) => !remove.includes(n)));
        const policies = [...next].sort();
        if (p.kind === 'sp') {
          const sp = { ...p.sp, policies };
          await store.putSp(sp);
          return { kind: 'sp', sp } satisfies Principal;
        }
        const mi = { ...p.mi, policies };
        await store.putMi(mi);
        return { kind: 'mi', mi } satisfies Principal;
      });
      return { data: principalView(updated) };
    },
  };
}
