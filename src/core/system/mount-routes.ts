/**
 * sys/mounts and sys/auth (enable, disable, tune, list) and the sys/internal/ui/mounts
 * preflight the `vault kv` commands make before every call.
 */
import type { BackendRequest, MountConfig, MountEntry, Route } from '../backend.js';
import type { Core } from '../core.js';
import { SYSTEM_DEFAULT_TTL, SYSTEM_MAX_TTL } from '../core.js';
import { CofferError, badRequest } from '../errors.js';
import { optBool, optDuration, optString, optStringList } from '../fields.js';
import { normalizeMountPath } from '../paths.js';
import type { LogicalResponse } from '../logical.js';

/** The mount-table view Vault clients read (`sys/mounts`, `sys/auth`). */
export function mountView(entry: MountEntry): Record<string, unknown> {
  const config: Record<string, unknown> = {
    default_lease_ttl: entry.config.defaultLeaseTTL,
    max_lease_ttl: entry.config.maxLeaseTTL,
    force_no_cache: entry.config.forceNoCache,
  };
  if (entry.config.listingVisibility) config.listing_visibility = entry.config.listingVisibility;
  if (entry.config.auditNonHmacRequestKeys?.length) config.audit_non_hmac_request_keys = entry.config.auditNonHmacRequestKeys;
  if (entry.config.auditNonHmacResponseKeys?.length) config.audit_non_hmac_response_keys = entry.config.auditNonHmacResponseKeys;
  if (entry.kind === 'auth') config.token_type = entry.config.tokenType ?? 'default-service';
  return {
    accessor: entry.accessor,
    config,
    description: entry.description,
    external_entropy_access: false,
    local: entry.local,
    options: Object.keys(entry.options).length ? entry.options : null,
    plugin_version: '',
    running_plugin_version: `v${entry.type}+builtin.coffer`,
    running_sha256: '',
    seal_wrap: entry.sealWrap,
    type: entry.type,
    uuid: entry.uuid,
    deprecation_status: 'supported',
  };
}

/**
 * The body of an enable (`sys/mounts/:path`, `sys/auth/:path`), as the vault CLI and Go client
 * send it. `external_entropy_access` and the plugin names are accepted and have no effect here.
 */
const ENABLE_FIELDS = [
  'type', 'description', 'config', 'options', 'local', 'seal_wrap', 'external_entropy_access', 'plugin_name', 'plugin_version',
] as const;

/**
 * The body of a tune (Vault's MountConfigInput). The Go client always sends `force_no_cache`;
 * the header lists, managed keys, plugin and identity settings are accepted and have no effect here.
 */
const TUNE_FIELDS = [
  'description', 'options', 'default_lease_ttl', 'max_lease_ttl', 'force_no_cache', 'listing_visibility',
  'audit_non_hmac_request_keys', 'audit_non_hmac_response_keys', 'passthrough_request_headers', 'allowed_response_headers',
  'token_type', 'allowed_managed_keys', 'plugin_name', 'plugin_version', 'user_lockout_config', 'delegated_auth_accessors',
  'identity_token_key',
] as const;

/** Parses the `config` object of an enable or tune request. */
function parseConfig(data: Record<string, unknown>): Partial<MountConfig> {
  const raw = data.config;
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('invalid value for "config": expected an object');
  return parseTunables(raw as Record<string, unknown>);
}

function parseTunables(c: Record<string, unknown>): Partial<MountConfig> {
  const out: Partial<MountConfig> = {};
  const d = optDuration(c, 'default_lease_ttl');
  const m = optDuration(c, 'max_lease_ttl');
  if (d !== undefined) out.defaultLeaseTTL = d;
  if (m !== undefined) out.maxLeaseTTL = m;
  if (d && m && d > m) throw badRequest('default_lease_ttl cannot be larger than max_lease_ttl');
  if ((m ?? 0) > SYSTEM_MAX_TTL) throw badRequest(`max_lease_ttl cannot be larger than the system maximum (${SYSTEM_MAX_TTL}s)`);
  const fnc = optBool(c, 'force_no_cache');
  if (fnc !== undefined) out.forceNoCache = fnc;
  const lv = optString(c, 'listing_visibility');
  if (lv !== undefined) {
    if (!['', 'hidden', 'unauth'].includes(lv)) throw badRequest('listing_visibility must be "", "hidden" or "unauth"');
    out.listingVisibility = lv;
  }
  const req = optStringList(c, 'audit_non_hmac_request_keys');
  if (req) out.auditNonHmacRequestKeys = req;
  const res = optStringList(c, 'audit_non_hmac_response_keys');
  if (res) out.auditNonHmacResponseKeys = res;
  const tt = optString(c, 'token_type');
  if (tt !== undefined) out.tokenType = tt;
  if (c.user_lockout_config !== undefined) out.extra = { user_lockout_config: c.user_lockout_config };
  return out;
}

function parseOptions(data: Record<string, unknown>): Record<string, string> | undefined {
  const raw = data.options;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badRequest('invalid value for "options": expected an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'object') throw badRequest(`invalid value for "options.${k}": expected a string`);
    out[k] = String(v);
  }
  return out;
}

function tuneView(entry: MountEntry): Record<string, unknown> {
  return {
    description: entry.description,
    default_lease_ttl: entry.config.defaultLeaseTTL || SYSTEM_DEFAULT_TTL,
    max_lease_ttl: entry.config.maxLeaseTTL || SYSTEM_MAX_TTL,
    force_no_cache: entry.config.forceNoCache,
    options: Object.keys(entry.options).length ? entry.options : null,
    ...(entry.config.listingVisibility ? { listing_visibility: entry.config.listingVisibility } : {}),
    ...(entry.kind === 'auth' ? { token_type: entry.config.tokenType ?? 'default-service' } : {}),
    ...(entry.config.extra ?? {}),
  };
}

function mountRoutesFor(core: Core, kind: 'secret' | 'auth'): Route[] {
  const base = kind === 'auth' ? 'auth' : 'mounts';
  const fullPath = (raw: string) => (kind === 'auth' ? `auth/${normalizeMountPath(raw)}` : normalizeMountPath(raw));
  const requireMount = (raw: string) => {
    const m = core.mounts.get(fullPath(raw));
    if (!m || m.entry.kind !== kind) throw badRequest(`no ${kind === 'auth' ? 'auth method' : 'secrets engine'} is mounted at ${fullPath(raw)}`);
    return m;
  };
  const list = async (): Promise<LogicalResponse> => {
    const data: Record<string, unknown> = {};
    for (const m of core.mounts.list(kind)) data[kind === 'auth' ? m.entry.path.slice(5) : m.entry.path] = mountView(m.entry);
    return { data, injectData: true };
  };
  return [
    { pattern: new RegExp(`^${base}/?$`), fields: [], sudo: kind === 'auth', operations: { read: list } },
    {
      pattern: new RegExp(`^${base}/(?<path>.+?)/tune$`),
      fields: TUNE_FIELDS,
      sudo: kind === 'auth',
      operations: {
        read: async (req) => ({ data: tuneView(requireMount(req.params.path!).entry), injectData: true }),
        update: async (req) => {
          await core.mounts.refresh(); // decide on the table this transaction reads (see refresh)
          const m = requireMount(req.params.path!);
          const config = parseTunables(req.data);
          const options = parseOptions(req.data);
          const description = optString(req.data, 'description');
          await core.mounts.tune(m.entry.path, { config, options, description });
          return null;
        },
      },
    },
    {
      pattern: new RegExp(`^${base}/(?<path>.+)$`),
      fields: ENABLE_FIELDS,
      sudo: kind === 'auth',
      operations: {
        read: async (req) => ({ data: mountView(requireMount(req.params.path!).entry), injectData: true }),
        update: async (req) => enable(core, kind, req),
        delete: async (req) => {
          const path = fullPath(req.params.path!);
          if (kind === 'auth' && path === 'auth/token/') throw badRequest('token credential backend cannot be disabled');
          if (kind === 'secret' && ['sys/', 'cubbyhole/'].includes(path)) throw badRequest(`cannot unmount "${path}"`);
          await core.mounts.refresh(); // decide on the table this transaction reads (see refresh)
          const m = core.mounts.get(path);
          // Revoke what the mount handed out before its backend goes away (as Vault does).
          if (m && kind === 'auth') await core.tokens.revokeByPathPrefix(path);
          if (m) await core.leases.revokePrefix(path, { force: true });
          await core.mounts.unmount(path);
          return null;
        },
      },
    },
  ];
}

async function enable(core: Core, kind: 'secret' | 'auth', req: BackendRequest): Promise<null> {
  const type = optString(req.data, 'type');
  if (!type) throw badRequest(`missing "type" (e.g. ${kind === 'auth' ? '"approle", "userpass"' : '"kv"'})`);
  const path = normalizeMountPath(req.params.path!);
  await core.mounts.mount({
    path,
    type,
    kind,
    description: optString(req.data, 'description') ?? '',
    config: parseConfig(req.data),
    options: parseOptions(req.data),
    local: optBool(req.data, 'local') ?? false,
    sealWrap: optBool(req.data, 'seal_wrap') ?? false,
  });
  return null;
}

/** sys/mounts*, sys/auth*, sys/internal/ui/mounts*. */
export function mountRoutes(core: Core): Route[] {
  return [
    ...mountRoutesFor(core, 'secret'),
    ...mountRoutesFor(core, 'auth'),
    {
      pattern: /^remount$/,
      fields: ['from', 'to'],
      sudo: true,
      operations: {
        update: async (req) => {
          const from = optString(req.data, 'from');
          const to = optString(req.data, 'to');
          if (!from || !to) throw badRequest('missing "from" and "to": the current and the new mount path');
          const norm = (p: string) => (p.startsWith('auth/') ? `auth/${normalizeMountPath(p.slice(5))}` : normalizeMountPath(p));
          const source = norm(from);
          const target = norm(to);
          await core.mounts.remount(source, target);
          return null;
        },
      },
    },
    {
      pattern: /^internal\/ui\/mounts\/?$/,
      fields: [],
      unauthenticated: ['read'],
      operations: {
        read: async () => {
          const secret: Record<string, unknown> = {};
          const auth: Record<string, unknown> = {};
          for (const m of core.mounts.all()) {
            if (m.entry.config.listingVisibility !== 'unauth') continue;
            const view = mountView(m.entry);
            if (m.entry.kind === 'auth') auth[m.entry.path.slice(5)] = view;
            else secret[m.entry.path] = view;
          }
          return { data: { secret, auth } };
        },
      },
    },
    {
      pattern: /^internal\/ui\/mounts\/(?<path>.+)$/,
      fields: [],
      unauthenticated: ['read'],
      operations: {
        read: async (req) => {
          const target = req.params.path!;
          const m = core.mounts.match(target);
          const denied = () =>
            new CofferError('permission_denied', `preflight capability check returned 403, please ensure client's policies grant access to path "${target.replace(/\/?$/, '/')}"`);
          // Unauthenticated at the route level, but it does its own check: the caller needs some
          // capability under the mount (Vault's hasMountAccess).
          if (!req.auth || !m) throw denied();
          const acl = await core.policies.acl(req.auth.policies);
          if (!acl.isRoot && !acl.hasMountAccess(m.entry.path)) throw denied();
          const view = mountView(m.entry);
          return { data: { ...view, path: m.entry.path } };
        },
      },
    },
  ];
}
