/**
 * The `auth/token/` backend: token create, lookup, renew and revoke routes, the accessor
 * list and token roles (spec §2.6). Core has already authenticated the caller and checked the
 * ACL (including sudo on `revoke-orphan` and `accessors/`); handlers apply Vault's own rules on
 * top (policy subsets, who may pick an id or create orphans or periodic tokens).
 */
import type { Backend, BackendRequest, RequestAuth, Route } from '../backend.js';
import { badRequest, CofferError } from '../errors.js';
import { optBool, optDuration, optInt, optString, optStringList, optStringMap } from '../fields.js';
import type { LogicalResponse } from '../logical.js';
import { authResponse, lookupData } from './format.js';
import { anyGlobMatch, isSubset, NON_ASSIGNABLE_POLICIES, sanitizePolicies } from './policies.js';
import { applyRoleUpdate, deleteRole, listRoles, readRole, ROLE_NAME_PATTERN, roleData, TOKEN_ROLE_FIELDS, writeRole, type TokenRole } from './roles.js';
import type { TokenEntry, TokenStore } from './store.js';
import { isBatchToken } from './batch.js';

/** What the token backend needs from core. */
export interface TokenBackendDeps {
  store: TokenStore;
  /** Whether an ACL policy of that name exists (unknown policies only produce a warning). */
  policyExists(name: string): Promise<boolean>;
  /** Current time in Unix ms (the same clock as the store). */
  now(): number;
  /**
   * Whether the caller holds `sudo` on `path` (Vault lets sudo holders pick token ids, create
   * orphans with `no_parent` and periodic tokens). Defaults to "the caller is a root token".
   */
  hasSudo?(auth: RequestAuth, path: string): boolean | Promise<boolean>;
}

/** The fields of the create routes (Vault's token-create schema, plus the deprecated `lease` and `metadata` read as aliases). */
const CREATE_FIELDS = [
  'display_name', 'entity_alias', 'explicit_max_ttl', 'id', 'lease', 'meta', 'metadata', 'no_default_policy', 'no_parent',
  'num_uses', 'period', 'policies', 'renewable', 'ttl', 'type',
] as const;

/** Vault's display-name sanitiser. */
const DISPLAY_NAME_SANITIZE = /[^a-zA-Z0-9-]/g;

/** Go's `%q` of a []string, as Vault's messages print policy lists. */
function goList(list: readonly string[]): string {
  return `[${list.map((p) => JSON.stringify(p)).join(' ')}]`;
}

function badToken(): CofferError {
  return new CofferError('permission_denied', 'bad token');
}

function requireAuth(req: BackendRequest): RequestAuth {
  if (!req.auth) throw new CofferError('permission_denied', 'permission denied');
  return req.auth;
}

/** Builds the backend mounted at `auth/token/`. */
export function createTokenBackend(deps: TokenBackendDeps): Backend {
  const { store } = deps;
  const isSudo = async (auth: RequestAuth, path: string): Promise<boolean> =>
    auth.isRoot || (deps.hasSudo ? await deps.hasSudo(auth, path) : false);

  /** The caller's own entry; the current request may be its last use, so pending counts. */
  async function selfEntry(auth: RequestAuth): Promise<TokenEntry | undefined> {
    // A batch token is not stored: it is its own entry.
    if (isBatchToken(auth.clientToken)) return store.lookup(auth.clientToken);
    return store.lookupByHash(auth.tokenId, { includePending: true });
  }

  /** Entry for a raw token given in the body; the caller's own token resolves through its auth. */
  async function entryForToken(token: string, auth: RequestAuth | undefined): Promise<TokenEntry | undefined> {
    if (auth && token === auth.clientToken) return selfEntry(auth);
    if (isBatchToken(token)) return store.lookup(token);
    return store.lookupByHash(await store.hashToken(token), { includePending: true });
  }

  // ------------------------------------------------------------------ create

  async function create(req: BackendRequest, orphanRoute: boolean, roleName?: string): Promise<LogicalResponse> {
    const auth = requireAuth(req);
    const parent = await selfEntry(auth);
    if (!parent) throw badRequest('parent token lookup failed: no parent found');
    // Batch tokens are not tracked, so nothing could revoke their children.
    if (parent.type === 'batch') throw badRequest('batch tokens cannot create more tokens');
    // A token with limited uses could escape its limit through children.
    if (parent.numUses !== 0) throw badRequest('restricted use token cannot generate child tokens');
    const sudo = await isSudo(auth, req.fullPath);

    let role: TokenRole | undefined;
    if (roleName !== undefined) {
      role = await readRole(req.storage, roleName);
      if (!role) throw badRequest(`unknown role ${roleName}`);
    }

    const d = req.data ?? {};
    const id = optString(d, 'id') || undefined;
    const requestedPolicies = optStringList(d, 'policies') ?? [];
    const meta = optStringMap(d, 'meta') ?? optStringMap(d, 'metadata');
    const noParent = optBool(d, 'no_parent') ?? false;
    let noDefaultPolicy = optBool(d, 'no_default_policy') ?? false;
    let renewable = optBool(d, 'renewable') ?? true;
    const ttl = optDuration(d, 'ttl') ?? optDuration(d, 'lease');
    const explicitMaxTTL = optDuration(d, 'explicit_max_ttl') ?? 0;
    const period = optDuration(d, 'period') ?? 0;
    const displayNameIn = optString(d, 'display_name');
    let numUses = optInt(d, 'num_uses') ?? 0;
    let type = optString(d, 'type') ?? '';
    const entityAlias = optString(d, 'entity_alias') ?? '';

    // The role's token_type decides, or gives the default (Vault's handleCreateCommon).
    if (role?.tokenType === 'service' || role?.tokenType === 'batch') type = role.tokenType;
    else if (role?.tokenType === 'default-batch' && type === '') type = 'batch';
    if (type !== '' && type !== 'service' && type !== 'batch') throw badRequest(`invalid 'type' value "${type.slice(0, 40)}": use "service" or "batch"`);
    const batch = type === 'batch';
    if (batch) {
      const bad = explicitMaxTTL !== 0 ? 'explicit_max_ttl' : numUses !== 0 ? 'num_uses' : period !== 0 ? 'period' : id !== undefined ? 'id' : '';
      if (bad) throw badRequest(`batch tokens cannot have "${bad}" set`);
      renewable = false;
    }
    if (numUses < 0) throw badRequest('number of uses cannot be negative');
    if (entityAlias !== '') {
      if (!role) throw badRequest("'entity_alias' is only allowed in combination with token role");
      throw badRequest("'entity_alias' is not supported yet: entities do not exist in Coffer");
    }
    if (id !== undefined && !sudo) throw badRequest('root or sudo privileges required to specify token id');

    let path = `${req.mount.path}${req.path}`;
    if (role) {
      if (renewable && !role.renewable) renewable = false;
      // 0 means unlimited, so any positive limit from the role is stricter.
      if (role.tokenNumUses > 0 && (numUses === 0 || role.tokenNumUses < numUses)) numUses = role.tokenNumUses;
      if (role.pathSuffix) path = `${path}/${role.pathSuffix}`;
      if (role.tokenNoDefaultPolicy) noDefaultPolicy = true;
    }

    let displayName = 'token';
    if (displayNameIn) displayName = `token-${displayNameIn}`.replace(DISPLAY_NAME_SANITIZE, '-').replace(/-$/, '');

    // ---- policies (Vault's handleCreateCommon, same order of checks and messages)
    let policies: string[];
    let addDefault = false;
    const roleHasLists = role !== undefined && (role.allowedPolicies.length > 0 || role.disallowedPolicies.length > 0
      || role.allowedPoliciesGlob.length > 0 || role.disallowedPoliciesGlob.length > 0);
    if (role && roleHasLists) {
      // Roles with allow/deny lists grant policies independently of the parent's.
      const localAddDefault = !noDefaultPolicy && !role.disallowedPolicies.includes('default')
        && !anyGlobMatch(role.disallowedPoliciesGlob, 'default');
      let final = requestedPolicies.length > 0 ? sanitizePolicies(requestedPolicies, localAddDefault) : [];
      if (role.allowedPolicies.length > 0 || role.allowedPoliciesGlob.length > 0) {
        const allowed = sanitizePolicies(role.allowedPolicies, localAddDefault);
        if (final.length === 0) {
          final = allowed;
        } else {
          const globs = sanitizePolicies(role.allowedPoliciesGlob, false);
          for (const p of final) {
            if (!allowed.includes(p) && !anyGlobMatch(globs, p)) {
              throw badRequest(`token policies (${goList(final)}) must be subset of the role's allowed policies (${goList(allowed)}) or glob policies (${goList(globs)})`);
            }
          }
        }
      } else if (final.length === 0) {
        final = sanitizePolicies(parent.policies, localAddDefault);
      }
      for (const p of final) {
        if (role.disallowedPolicies.includes(p) || anyGlobMatch(role.disallowedPoliciesGlob, p)) {
          throw badRequest(`token policy "${p}" is disallowed by this role`);
        }
      }
      policies = final;
    } else if (requestedPolicies.length === 0) {
      // Inherit the parent's; `default` only if the parent has it.
      policies = sanitizePolicies(parent.policies, false);
    } else if (!sudo) {
      const input = sanitizePolicies(requestedPolicies, false);
      if (!isSubset(sanitizePolicies(parent.policies, false), input)) throw badRequest('child policies must be subset of parent');
      policies = input;
      addDefault = !noDefaultPolicy && parent.policies.includes('default');
    } else {
      policies = requestedPolicies;
      addDefault = !noDefaultPolicy;
    }
    policies = sanitizePolicies(policies, addDefault);
    if (noDefaultPolicy) policies = policies.filter((p) => p !== 'default');
    for (const p of policies) {
      if (NON_ASSIGNABLE_POLICIES.includes(p)) throw badRequest(`cannot assign policy "${p}"`);
    }
    if (policies.includes('root') && !parent.policies.includes('root')) {
      throw badRequest('root tokens may not be created without parent token being root');
    }
    // Batch tokens cannot be revoked, so there must never be a root one.
    if (policies.includes('root') && batch) throw badRequest('batch tokens cannot be root tokens');

    // ---- parent
    let orphan = false;
    if (role) orphan = role.orphan;
    else if (noParent) {
      if (!sudo) throw badRequest('root or sudo privileges required to create orphan token');
      orphan = true;
    } else orphan = orphanRoute;
    let boundCidrs: string[] = [];
    if (role && role.tokenBoundCidrs.length > 0) boundCidrs = [...role.tokenBoundCidrs];
    else if (!role && !orphan) boundCidrs = [...parent.boundCidrs];

    // ---- TTL inputs
    const warnings: string[] = [];
    let explicitToUse = explicitMaxTTL;
    let periodToUse = 0;
    if (period > 0) {
      if (!sudo) throw badRequest('root or sudo privileges required to create periodic token');
      periodToUse = period;
    }
    if (role) {
      if (role.tokenExplicitMaxTTL > 0) {
        if (explicitToUse === 0) explicitToUse = role.tokenExplicitMaxTTL;
        else {
          explicitToUse = Math.min(explicitToUse, role.tokenExplicitMaxTTL);
          warnings.push(`Explicit max TTL specified both during creation call and in role; using the lesser value of ${explicitToUse} seconds`);
        }
      }
      if (role.tokenPeriod > 0) {
        if (periodToUse === 0) periodToUse = role.tokenPeriod;
        else {
          periodToUse = Math.min(periodToUse, role.tokenPeriod);
          warnings.push(`Period specified both during creation call and in role; using the lesser value of ${periodToUse} seconds`);
        }
      }
    }

    const result = await store.create({
      policies,
      noDefaultPolicy: true, // already decided above
      id,
      parent: orphan ? '' : parent.id,
      orphan,
      meta,
      displayName,
      numUses,
      ttl: ttl ?? 0,
      explicitMaxTTL: explicitToUse,
      period: periodToUse,
      renewable,
      path,
      boundCidrs,
      role: role?.name,
      mountDefaultTTL: req.mount?.config?.defaultLeaseTTL,
      mountMaxTTL: req.mount?.config?.maxLeaseTTL,
      type: batch ? 'batch' : 'service',
    });
    warnings.push(...result.warnings);
    for (const p of result.entry.policies) {
      if (p !== 'root' && !(await deps.policyExists(p))) warnings.push(`Policy "${p}" does not exist`);
    }
    return { data: null, auth: authResponse(result.entry, result.token), warnings: warnings.length > 0 ? warnings : undefined };
  }

  // ------------------------------------------------------------------ lookup

  async function lookup(req: BackendRequest): Promise<LogicalResponse> {
    const auth = req.auth;
    // Like Vault, no token in the body means "the calling token".
    const token = optString(req.data ?? {}, 'token') || auth?.clientToken || '';
    if (token === '') throw badRequest('missing token ID');
    const entry = await entryForToken(token, auth);
    if (!entry) throw badToken();
    return { data: lookupData(entry, token, deps.now()) };
  }

  async function lookupSelf(req: BackendRequest): Promise<LogicalResponse> {
    const auth = requireAuth(req);
    const entry = await selfEntry(auth);
    if (!entry) throw badToken();
    return { data: lookupData(entry, auth.clientToken, deps.now()) };
  }

  async function accessorHash(req: BackendRequest): Promise<string> {
    const accessor = optString(req.data ?? {}, 'accessor') ?? '';
    if (accessor === '') throw badRequest('missing accessor');
    const hash = await store.hashForAccessor(accessor);
    if (!hash) throw badRequest('invalid accessor');
    return hash;
  }

  async function lookupAccessor(req: BackendRequest): Promise<LogicalResponse> {
    const entry = await store.lookupByHash(await accessorHash(req), { includePending: true });
    if (!entry) throw badToken();
    return { data: lookupData(entry, '', deps.now()) };
  }

  // ------------------------------------------------------------------ renew

  async function renewEntry(entry: TokenEntry | undefined, clientToken: string, req: BackendRequest): Promise<LogicalResponse> {
    if (!entry) throw badRequest('token not found');
    if (entry.type === 'batch') throw badRequest('batch tokens cannot be renewed');
    const increment = optDuration(req.data ?? {}, 'increment') ?? 0;
    const r = await store.renew(entry, increment);
    return { auth: authResponse(r.entry, clientToken, r.ttl), warnings: r.warnings.length > 0 ? r.warnings : undefined };
  }

  async function renew(req: BackendRequest): Promise<LogicalResponse> {
    const token = optString(req.data ?? {}, 'token') ?? '';
    if (token === '') throw badRequest('missing token ID');
    return renewEntry(await entryForToken(token, req.auth), token, req);
  }

  async function renewSelf(req: BackendRequest): Promise<LogicalResponse> {
    const auth = requireAuth(req);
    return renewEntry(await selfEntry(auth), auth.clientToken, req);
  }

  async function renewAccessor(req: BackendRequest): Promise<LogicalResponse> {
    const entry = await store.lookupByHash(await accessorHash(req));
    // The accessor never reveals the token.
    return renewEntry(entry, '', req);
  }

  // ------------------------------------------------------------------ revoke

  /** Batch tokens live until they expire or their parent is revoked (Vault has no other way). */
  function refuseBatchRevocation(token: string): void {
    if (isBatchToken(token)) throw badRequest('batch tokens cannot be revoked; they expire, or end with their parent token');
  }

  async function revoke(req: BackendRequest): Promise<null> {
    const token = optString(req.data ?? {}, 'token') ?? '';
    if (token === '') throw badRequest('missing token ID');
    refuseBatchRevocation(token);
    // Unknown tokens are fine: "revoked if it existed".
    await store.revoke(await store.hashToken(token));
    return null;
  }

  async function revokeSelf(req: BackendRequest): Promise<null> {
    const auth = requireAuth(req);
    refuseBatchRevocation(auth.clientToken);
    await store.revoke(auth.tokenId);
    return null;
  }

  async function revokeAccessor(req: BackendRequest): Promise<LogicalResponse | null> {
    const accessor = optString(req.data ?? {}, 'accessor') ?? '';
    if (accessor === '') throw badRequest('missing accessor');
    if (!(await store.revokeByAccessor(accessor))) return { data: null, warnings: ['No token found with this accessor'] };
    return null;
  }

  async function revokeOrphan(req: BackendRequest): Promise<null> {
    // The route is a sudo path: core's ACL check already required sudo.
    const token = optString(req.data ?? {}, 'token') ?? '';
    if (token === '') throw badRequest('missing token ID');
    refuseBatchRevocation(token);
    const hash = await store.hashToken(token);
    if (!(await store.lookupByHash(hash, { includePending: true }))) throw badRequest('token to revoke not found');
    await store.revokeOrphan(hash);
    return null;
  }

  // ------------------------------------------------------------------ roles

  const roleName = (req: BackendRequest): string => req.params.role_name ?? '';

  const routes: Route[] = [
    {
      pattern: /^create-orphan$/,
      fields: CREATE_FIELDS,
      operations: { update: (req) => create(req, true) },
      help: 'Create an orphan token (no parent, so it survives the revocation of the caller).',
    },
    {
      pattern: new RegExp(`^create/${ROLE_NAME_PATTERN}$`),
      fields: CREATE_FIELDS,
      operations: { update: (req) => create(req, false, roleName(req)) },
      help: 'Create a token against a token role.',
    },
    {
      pattern: /^create$/,
      fields: CREATE_FIELDS,
      operations: { update: (req) => create(req, false) },
      help: 'Create a child token of the calling token.',
    },
    {
      pattern: /^lookup$/,
      fields: ['token'],
      operations: { read: lookup, update: lookup },
      help: 'Look up a token (body: token) and its properties.',
    },
    {
      pattern: /^lookup-self$/,
      fields: ['token'],
      operations: { read: lookupSelf, update: lookupSelf },
      help: 'Look up the calling token.',
    },
    {
      pattern: /^lookup-accessor$/,
      fields: ['accessor'],
      operations: { update: lookupAccessor },
      help: 'Look up a token by accessor (the token id is not returned).',
    },
    {
      pattern: /^renew$/,
      fields: ['token', 'increment'],
      operations: { update: renew },
      help: 'Renew a token (body: token, increment).',
    },
    {
      pattern: /^renew-self$/,
      fields: ['token', 'increment'],
      operations: { update: renewSelf },
      help: 'Renew the calling token (body: increment).',
    },
    {
      pattern: /^renew-accessor$/,
      fields: ['accessor', 'increment'],
      operations: { update: renewAccessor },
      help: 'Renew a token by accessor (body: accessor, increment).',
    },
    {
      pattern: /^revoke$/,
      fields: ['token'],
      operations: { update: revoke },
      help: 'Revoke a token and all its children (body: token).',
    },
    {
      pattern: /^revoke-self$/,
      fields: [],
      operations: { update: revokeSelf },
      help: 'Revoke the calling token and all its children.',
    },
    {
      pattern: /^revoke-accessor$/,
      fields: ['accessor'],
      operations: { update: revokeAccessor },
      help: 'Revoke a token and its children by accessor (body: accessor).',
    },
    {
      pattern: /^revoke-orphan$/,
      fields: ['token'],
      sudo: true,
      operations: { update: revokeOrphan },
      help: 'Revoke a token but keep its children, which become orphans (body: token). Needs sudo.',
    },
    {
      pattern: /^accessors\/?$/,
      sudo: true,
      operations: { list: async () => ({ data: { keys: await store.listAccessors() } }) },
      help: 'List token accessors. Needs sudo.',
    },
    {
      pattern: /^roles\/?$/,
      operations: { list: async (req) => ({ data: { keys: await listRoles(req.storage) } }) },
      help: 'List token roles.',
    },
    {
      pattern: new RegExp(`^roles/${ROLE_NAME_PATTERN}$`),
      fields: TOKEN_ROLE_FIELDS,
      existenceCheck: async (req) => (await readRole(req.storage, roleName(req))) !== undefined,
      operations: {
        read: async (req) => {
          const role = await readRole(req.storage, roleName(req));
          if (!role) throw new CofferError('not_found', []);
          return { data: roleData(role) };
        },
        create: writeRoleHandler,
        update: writeRoleHandler,
        delete: async (req) => {
          await deleteRole(req.storage, roleName(req));
          return null;
        },
      },
      help: 'Create, read, update or delete a token role.',
    },
  ];

  async function writeRoleHandler(req: BackendRequest): Promise<LogicalResponse | null> {
    const name = roleName(req);
    const existing = await readRole(req.storage, name);
    const { role, warnings } = applyRoleUpdate(name, existing, req.data ?? {});
    await writeRole(req.storage, role);
    return warnings.length > 0 ? { data: null, warnings } : null;
  }

  return { routes };
}
