/**
 * Key Vault access-policy permissions in terms of Coffer's ACL. A Key Vault permission maps to
 * capabilities on THIS vault's paths (the mount path is `keyvault/<v>/`); the
 * `access-policy-template` route renders them as a Vault HCL policy, and
 * {@link requiredPermission} names the permission a denied request lacked (for the Azure front's
 * 403 messages).
 */
import type { BackendRequest } from '../../core/backend.js';
import { optString, optStringList } from '../../core/fields.js';
import type { LogicalResponse, Operation } from '../../core/logical.js';
import { badParameter } from './azure-errors.js';
import { KEY_GRANTS, KEY_PERMISSIONS, KEY_ROLES, RNG_PERMISSIONS, keyPermission, requiredKeyPermission, type KeyPermission } from './key-permissions.js';

/** A Key Vault secret permission. */
export type SecretPermission = 'get' | 'list' | 'set' | 'delete' | 'backup' | 'restore' | 'recover' | 'purge';

/** Every secret permission, in Key Vault's order. */
export const SECRET_PERMISSIONS: readonly SecretPermission[] = ['get', 'list', 'set', 'delete', 'backup', 'restore', 'recover', 'purge'];

type Cap = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list';
const CAP_ORDER: readonly Cap[] = ['create', 'read', 'update', 'patch', 'delete', 'list'];

/** Capabilities each permission grants, on paths relative to the mount. */
const GRANTS: Record<SecretPermission, Array<[path: string, caps: Cap[]]>> = {
  get: [['secrets/+', ['read']], ['secrets/+/+', ['read']]],
  list: [['secrets/', ['list']], ['secrets/+/versions/', ['list']], ['deletedsecrets/', ['list']], ['deletedsecrets/+', ['read']]],
  set: [['secrets/+', ['create', 'update', 'patch']], ['secrets/+/+', ['patch']]],
  delete: [['secrets/+', ['delete']]],
  backup: [['secrets/+/backup', ['update']]],
  restore: [['restore', ['update']]],
  recover: [['deletedsecrets/+/recover', ['update']]],
  purge: [['deletedsecrets/+', ['delete']]],
};

/** Azure's built-in data-plane roles, as secret and key permission sets (plus extra paths). */
const ROLES: Record<string, { permissions: readonly SecretPermission[]; keys: readonly KeyPermission[]; extra: Array<[string, Cap[]]> }> = {
  'key vault secrets user': { permissions: ['get', 'list'], keys: [], extra: [] },
  'key vault secrets officer': { permissions: SECRET_PERMISSIONS, keys: [], extra: [] },
  'key vault crypto user': { permissions: [], keys: KEY_ROLES['key vault crypto user']!, extra: [] },
  'key vault crypto service encryption user': { permissions: [], keys: KEY_ROLES['key vault crypto service encryption user']!, extra: [] },
  'key vault crypto officer': { permissions: [], keys: KEY_ROLES['key vault crypto officer']!, extra: [] },
  'key vault administrator': { permissions: SECRET_PERMISSIONS, keys: KEY_ROLES['key vault administrator']!, extra: [['config', ['read']]] },
};

/** The role names accepted by the template (display form). */
export const ROLE_NAMES = [
  'Key Vault Secrets User', 'Key Vault Secrets Officer', 'Key Vault Crypto User', 'Key Vault Crypto Service Encryption User',
  'Key Vault Crypto Officer', 'Key Vault Administrator',
];

/** Parses a permission list (`get,list`, or `all`); 400 on an unknown permission or an empty list. */
export function parsePermissions(list: string[]): SecretPermission[] {
  const out = new Set<SecretPermission>();
  for (const raw of list) {
    const p = raw.trim().toLowerCase();
    if (p === 'all') SECRET_PERMISSIONS.forEach((x) => out.add(x));
    else if ((SECRET_PERMISSIONS as readonly string[]).includes(p)) out.add(p as SecretPermission);
    else throw badParameter(`Unknown secret permission ${JSON.stringify(raw.slice(0, 40))}: use a comma list of ${SECRET_PERMISSIONS.join(', ')}, or "all"`);
  }
  if (out.size === 0) throw badParameter(`No permissions given: use a comma list of ${SECRET_PERMISSIONS.join(', ')}, or "all"`);
  return SECRET_PERMISSIONS.filter((p) => out.has(p));
}

/** Parses a key permission list (`get,sign`, or `all`; any case); 400 on an unknown permission. An empty list is allowed (no key access). */
export function parseKeyPermissions(list: string[]): KeyPermission[] {
  const out = new Set<KeyPermission>();
  for (const raw of list) {
    if (raw.trim() === '') continue;
    if (raw.trim().toLowerCase() === 'all') KEY_PERMISSIONS.forEach((x) => out.add(x));
    else {
      const p = keyPermission(raw);
      if (!p) throw badParameter(`Unknown key permission ${JSON.stringify(raw.slice(0, 40))}: use a comma list of ${KEY_PERMISSIONS.join(', ')}, or "all"`);
      out.add(p);
    }
  }
  return KEY_PERMISSIONS.filter((p) => out.has(p));
}

/**
 * The HCL policy granting exactly `permissions` (plus `extra` rules) on the vault mounted at
 * `mountPath` (with its trailing slash).
 */
export function renderPolicy(
  mountPath: string, permissions: readonly SecretPermission[], extra: Array<[string, Cap[]]> = [], keyPermissions: readonly KeyPermission[] = [],
): string {
  // Glob characters or quotes in the mount path would widen or break the rules.
  if (!/^[A-Za-z0-9._\/-]+\/$/.test(mountPath)) {
    throw badParameter(`Cannot render a policy for the mount path ${JSON.stringify(mountPath.slice(0, 80))}: it contains characters that are special in policy paths`);
  }
  const byPath = new Map<string, Set<Cap>>();
  // Random bytes come with any crypto-operation permission (Azure ties rng to its crypto roles).
  const rng: Array<[string, Cap[]]> = keyPermissions.some((p) => RNG_PERMISSIONS.includes(p)) ? [['rng', ['update']]] : [];
  for (const [path, caps] of [...permissions.flatMap((p) => GRANTS[p]), ...keyPermissions.flatMap((p) => KEY_GRANTS[p]), ...rng, ...extra]) {
    const set = byPath.get(path) ?? new Set<Cap>();
    caps.forEach((c) => set.add(c));
    byPath.set(path, set);
  }
  const lines = [`# Key Vault permissions on ${mountPath}: secrets ${permissions.join(', ') || '(none)'}; keys ${keyPermissions.join(', ') || '(none)'}${extra.length ? ' (+ read of the vault config)' : ''}`];
  for (const [path, caps] of byPath) {
    const list = CAP_ORDER.filter((c) => caps.has(c)).map((c) => `"${c}"`).join(', ');
    lines.push(`path "${mountPath}${path}" {`, `  capabilities = [${list}]`, '}');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `read access-policy-template` `{permissions?, key_permissions?}` or `{role}` →
 * `{policy, permissions, key_permissions}`. `permissions` (alias `secret_permissions`) are secret
 * permissions; either list alone is enough.
 */
export async function accessPolicyTemplate(req: BackendRequest): Promise<LogicalResponse> {
  const secretList = optStringList(req.data, 'permissions') ?? optStringList(req.data, 'secret_permissions');
  const keyList = optStringList(req.data, 'key_permissions');
  const role = optString(req.data, 'role');
  if ((secretList !== undefined || keyList !== undefined) && role !== undefined) throw badParameter('Give either permissions (secret and/or key) or role, not both');
  if (role !== undefined) {
    const def = ROLES[role.trim().toLowerCase()];
    if (!def) throw badParameter(`Unknown role ${JSON.stringify(role.slice(0, 60))}: use one of ${ROLE_NAMES.map((r) => `"${r}"`).join(', ')}`);
    return {
      data: { policy: renderPolicy(req.mount.path, def.permissions, def.extra, def.keys), permissions: [...def.permissions], key_permissions: [...def.keys] },
    };
  }
  if (secretList === undefined && keyList === undefined) {
    throw badParameter(`Give permissions (a comma list of ${SECRET_PERMISSIONS.join(', ')}, or "all"), key_permissions (${KEY_PERMISSIONS.join(', ')}, or "all"), or role (${ROLE_NAMES.join(', ')})`);
  }
  const permissions = secretList === undefined || (keyList !== undefined && secretList.every((p) => p.trim() === '')) ? [] : parsePermissions(secretList);
  const keyPermissions = keyList === undefined ? [] : parseKeyPermissions(keyList);
  if (permissions.length === 0 && keyPermissions.length === 0) throw badParameter('No permissions given: name at least one secret or key permission');
  return { data: { policy: renderPolicy(req.mount.path, permissions, [], keyPermissions), permissions, key_permissions: keyPermissions } };
}

/** The permission a denied request lacked, and whether it is a `secrets` or a `keys` permission (for Key Vault's 403 text). */
export function requiredAccess(operation: Operation, path: string): { kind: 'secrets' | 'keys'; permission: string } | undefined {
  const key = requiredKeyPermission(operation, path);
  if (key) return { kind: 'keys', permission: key };
  const secret = requiredPermission(operation, path);
  return secret ? { kind: 'secrets', permission: secret } : undefined;
}

/**
 * The Key Vault permission an (operation, path relative to the mount) needs, e.g.
 * `requiredPermission('read', 'secrets/x') === 'get'`; undefined for paths that are not
 * secret operations (`config`, the template itself, unknown paths).
 */
export function requiredPermission(operation: Operation, path: string): SecretPermission | undefined {
  const seg = path.replace(/^\/+/, '').split('/');
  const write = operation === 'create' || operation === 'update';
  if (seg[0] === 'secrets') {
    if (seg.length === 2) {
      if (seg[1] === '') return operation === 'list' ? 'list' : undefined;
      if (operation === 'read') return 'get';
      if (write || operation === 'patch') return 'set';
      if (operation === 'delete') return 'delete';
      return undefined;
    }
    if (seg.length === 3) {
      if (seg[2] === 'backup' && write) return 'backup';
      if (operation === 'read') return 'get';
      if (operation === 'patch') return 'set';
      return undefined;
    }
    if (seg.length === 4 && seg[2] === 'versions' && seg[3] === '' && operation === 'list') return 'list';
    return undefined;
  }
  if (seg[0] === 'deletedsecrets') {
    if (seg.length === 2 && seg[1] === '') return operation === 'list' ? 'list' : undefined;
    if (seg.length === 2) return operation === 'read' ? 'list' : operation === 'delete' ? 'purge' : undefined;
    if (seg.length === 3 && seg[2] === 'recover' && write) return 'recover';
    return undefined;
  }
  if (seg.length === 1 && seg[0] === 'restore' && write) return 'restore';
  return undefined;
}
