/**
 * The Key Vault pages' calls: the same public `/v1/` calls `coffer keyvault|ad|identity|role`
 * make (src/cli/commands/*.ts, src/cli/azure.ts), over the shared API client. Only PATCH (set
 * attributes, `application/merge-patch+json`) is sent here directly, as the shared client has no
 * PATCH; it uses the same token header and error type.
 */
import { ApiError, normalizePath, type ApiClient } from '../../api/client';
import {
  AZURE_AUTH,
  accessPolicyName,
  accessPolicyWhat,
  parseVaultPolicy,
  policyComment,
  rolePolicyName,
  vaultMount,
  type SecretData,
  type VaultPolicy,
} from './model';

type Json = Record<string, unknown>;

/** A vault as listed from sys/mounts. */
export interface VaultEntry {
  name: string;
  description: string;
  options: Record<string, string>;
}

/** A vault's settings (engine `config`, or the mount options without read on config). */
export interface VaultSettings {
  retentionDays: number;
  purgeProtection: boolean;
  enforceValidityWindow: boolean;
  recoveryLevel?: string;
  /** True when read from the mount options (no read on config). */
  fromMountOptions?: boolean;
}

/** Every keyvault mount (`keyvault/<v>/` of type keyvault). */
export async function listVaults(api: ApiClient): Promise<VaultEntry[]> {
  const res = await api.read<Record<string, Json>>('sys/mounts');
  const mounts = (res.data ?? (res as unknown as Record<string, Json>)) as Record<string, Json>;
  const out: VaultEntry[] = [];
  for (const [path, m] of Object.entries(mounts)) {
    const match = /^keyvault\/([^/]+)\/$/.exec(path);
    if (!match || m?.type !== 'keyvault') continue;
    out.push({ name: match[1]!, description: String(m.description ?? ''), options: (m.options ?? {}) as Record<string, string> });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** `coffer keyvault create`: mounts the engine with the given settings. */
export async function createVault(api: ApiClient, v: string, opts: { retentionDays?: number; purgeProtection: boolean; enforceValidityWindow: boolean; description?: string }): Promise<void> {
  const options: Record<string, string> = {};
  if (opts.retentionDays !== undefined) options.soft_delete_retention_days = String(opts.retentionDays);
  if (opts.purgeProtection) options.purge_protection = 'true';
  if (opts.enforceValidityWindow) options.enforce_validity_window = 'true';
  await api.write(`sys/mounts/${vaultMount(v)}`, { type: 'keyvault', description: opts.description || `Key Vault ${v}`, options });
}

/** `coffer keyvault delete`: unmounts, then removes the grant policies (a later vault of that name must not inherit them). */
export async function deleteVault(api: ApiClient, v: string): Promise<void> {
  await api.del(`sys/mounts/${vaultMount(v)}`);
  for (const p of (await readVaultPolicies(api, v)) ?? []) await revokePolicy(api, p.principal, p.name, true);
}

/** The settings of a vault: `config`, else the mount options (as `keyvault show` does without read on config). */
export async function readSettings(api: ApiClient, v: string): Promise<VaultSettings> {
  try {
    const res = await api.read<Json>(`${vaultMount(v)}/config`);
    const d = res.data ?? {};
    return {
      retentionDays: Number(d.soft_delete_retention_days ?? 90),
      purgeProtection: d.purge_protection === true,
      enforceValidityWindow: d.enforce_validity_window === true,
      recoveryLevel: typeof d.recovery_level === 'string' ? d.recovery_level : undefined,
    };
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 403)) throw err;
  }
  const mount = await api.read<Json>(`sys/mounts/${vaultMount(v)}`);
  const o = ((mount.data ?? {}).options ?? {}) as Record<string, string>;
  return {
    retentionDays: Number(o.soft_delete_retention_days ?? 90),
    purgeProtection: o.purge_protection === 'true',
    enforceValidityWindow: o.enforce_validity_window === 'true',
    fromMountOptions: true,
  };
}

/** One page of an engine list (`secrets/`, `secrets/<n>/versions/`, `deletedsecrets/`). */
export async function listPage(api: ApiClient, path: string, skiptoken?: string, maxresults = 25): Promise<{ items: SecretData[]; next?: string }> {
  const query: Record<string, string> = { list: 'true', maxresults: String(maxresults) };
  if (skiptoken) query.skiptoken = skiptoken;
  try {
    const res = await api.read<{ items?: SecretData[]; nextSkipToken?: string }>(path, { query });
    const next = res.data?.nextSkipToken;
    return { items: res.data?.items ?? [], next: typeof next === 'string' && next !== '' ? next : undefined };
  } catch (err) {
    // Vault style: an empty list is a 404 without errors.
    if (err instanceof ApiError && err.status === 404 && err.errors.length === 0) return { items: [] };
    throw err;
  }
}

/** PATCH with `application/merge-patch+json` (set attributes), like the CLI's set-attributes. */
export async function patch<T = Json>(token: string | null, rawPath: string, body: unknown): Promise<T | null> {
  const path = normalizePath(rawPath);
  const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/merge-patch+json' };
  if (token) headers['X-Vault-Token'] = token;
  let res: Response;
  try {
    res = await fetch(`/v1/${path.split('/').map(encodeURIComponent).join('/')}`, { method: 'PATCH', headers, body: JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, [`the Coffer server could not be reached (${(err as Error).message})`], path, 'write');
  }
  const text = await res.text();
  let parsed: { data?: T; errors?: unknown } | undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const errors = Array.isArray(parsed?.errors) ? parsed!.errors.map(String) : text ? [text.slice(0, 300)] : [];
    throw new ApiError(res.status, errors, path, 'write');
  }
  return parsed?.data ?? null;
}

// ---------------------------------------------------------------------------------------------
// Identity provider

/** A service principal (key_info of `auth/azure/sp/`). */
export interface ServicePrincipal {
  appId: string;
  objectId?: string;
  displayName?: string;
}

/** A managed identity (key_info of `auth/azure/identity/`). */
export interface ManagedIdentity {
  name: string;
  principalId?: string;
  clientId?: string;
}

function str(o: Json | undefined, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = o?.[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/**
 * False when sys/auth shows no auth/azure/ (listing it would only log a 404 in the console);
 * true when it is there or when the token cannot read sys/auth (then the list call decides).
 */
async function azureAuthMaybeEnabled(api: ApiClient): Promise<boolean> {
  try {
    const res = await api.read<Record<string, Json>>('sys/auth');
    const mounts = (res.data ?? res) as Record<string, Json>;
    return mounts['azure/'] !== undefined;
  } catch {
    return true;
  }
}

/** True when auth/azure/ is not enabled (its routes answer 400/404 "no handler"). */
function notEnabled(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 404 || (err.status === 400 && /no handler|not (?:enabled|mounted)|unsupported path/i.test(err.message)));
}

/** `coffer ad sp list`: [] when the identity provider is not enabled yet. */
export async function listServicePrincipals(api: ApiClient): Promise<ServicePrincipal[]> {
  if (!(await azureAuthMaybeEnabled(api))) return [];
  let res;
  try {
    res = await api.read<{ keys?: string[]; key_info?: Record<string, Json> }>(`${AZURE_AUTH}/sp/`, { query: { list: 'true' } });
  } catch (err) {
    if (notEnabled(err)) return [];
    throw err;
  }
  const info = res.data?.key_info ?? {};
  return (res.data?.keys ?? []).map((appId) => ({ appId, objectId: str(info[appId], 'objectId', 'object_id'), displayName: str(info[appId], 'displayName', 'display_name') }));
}

/** `coffer identity list`: [] when the identity provider is not enabled yet. */
export async function listIdentities(api: ApiClient): Promise<ManagedIdentity[]> {
  if (!(await azureAuthMaybeEnabled(api))) return [];
  let res;
  try {
    res = await api.read<{ keys?: string[]; key_info?: Record<string, Json> }>(`${AZURE_AUTH}/identity/`, { query: { list: 'true' } });
  } catch (err) {
    if (notEnabled(err)) return [];
    throw err;
  }
  const info = res.data?.key_info ?? {};
  return (res.data?.keys ?? []).map((name) => ({ name, principalId: str(info[name], 'principalId', 'principal_id'), clientId: str(info[name], 'clientId', 'client_id') }));
}

/** Enables auth/azure/ (type azure-ad) unless it is there (the CLI's ensureAzureAuth). */
export async function ensureAzureAuth(api: ApiClient): Promise<void> {
  let mounts: Record<string, Json>;
  try {
    const res = await api.read<Record<string, Json>>('sys/auth');
    mounts = (res.data ?? res) as Record<string, Json>;
  } catch (err) {
    // Without read on sys/auth we cannot look: assume an operator enabled it; the next call says otherwise.
    if (err instanceof ApiError && err.status === 403) return;
    throw err;
  }
  const existing = mounts['azure/'];
  if (existing) {
    if (existing.type !== 'azure-ad') throw new Error(`auth/azure/ is a "${String(existing.type)}" auth method, not the Azure identity provider (azure-ad)`);
    return;
  }
  await api.write('sys/auth/azure', { type: 'azure-ad', description: 'Azure AD-style service principals and managed identities' });
}

/** A client secret as create/reset return it (shown once). */
export interface Credential {
  appId: string;
  objectId?: string;
  displayName?: string;
  password: string;
  tenant: string;
}

function credentialOf(data: Json | undefined, appId?: string): Credential {
  const password = str(data, 'password', 'client_secret', 'clientSecret');
  if (!password) throw new Error('The server returned no client secret');
  return {
    appId: str(data, 'appId', 'app_id') ?? appId ?? '',
    objectId: str(data, 'objectId', 'object_id'),
    displayName: str(data, 'displayName', 'display_name'),
    password,
    tenant: str(data, 'tenant', 'tenant_id', 'tenantId') ?? 'adfs',
  };
}

/** `coffer ad sp create-for-rbac --name …`. */
export async function createServicePrincipal(api: ApiClient, displayName: string): Promise<Credential> {
  await ensureAzureAuth(api);
  const res = await api.write<Json>(`${AZURE_AUTH}/sp/create`, { display_name: displayName });
  return credentialOf(res?.data);
}

/** `coffer ad sp credential reset --id …`. */
export async function resetCredential(api: ApiClient, appId: string): Promise<Credential> {
  const res = await api.write<Json>(`${AZURE_AUTH}/sp/${appId}/password`, {});
  return credentialOf(res?.data, appId);
}

/** `coffer identity assign --name …`. */
export async function assignIdentity(api: ApiClient, name: string): Promise<void> {
  await ensureAzureAuth(api);
  await api.write(`${AZURE_AUTH}/identity/${name}`, {});
}

// ---------------------------------------------------------------------------------------------
// Grants (access policies and role assignments)

/** The grant policies of vault `v`; null when the token cannot list policies. */
export async function readVaultPolicies(api: ApiClient, v: string): Promise<VaultPolicy[] | null> {
  let names: string[];
  try {
    names = await api.list('sys/policies/acl');
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return null;
    throw err;
  }
  const mine = names.filter((n) => n.startsWith(`keyvault-${v}-`));
  const texts = await Promise.all(mine.map((n) => api.read<{ policy?: string }>(`sys/policies/acl/${n}`).then((r) => String(r.data?.policy ?? ''))));
  return mine.map((n, i) => parseVaultPolicy(v, n, texts[i]!)).filter((p): p is VaultPolicy => p !== null);
}

/** The object id behind any principal id (appId, objectId, principalId, clientId, identity name). */
export async function resolveObjectId(api: ApiClient, id: string): Promise<string> {
  let data: Json | undefined;
  try {
    data = (await api.read<Json>(`${AZURE_AUTH}/principal/${id}/policies`)).data;
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) data = undefined;
    else throw err;
  }
  const oid = str(data, 'object_id', 'objectId');
  if (!oid) throw new Error(`No principal ${id}: give the appId of a service principal or the principalId of a managed identity`);
  return oid;
}

/** The CLI's grantVaultPolicy: engine template → ACL policy with a comment → attached to the principal. */
async function grant(api: ApiClient, v: string, objectId: string, policyName: string, template: Record<string, string>, what: string): Promise<void> {
  const res = await api.read<{ policy?: string }>(`${vaultMount(v)}/access-policy-template`, { query: template });
  const policy = res.data?.policy;
  if (typeof policy !== 'string' || policy.trim() === '') throw new Error(`The server returned no policy for vault "${v}"`);
  await api.write(`sys/policies/acl/${policyName}`, { policy: `# ${policyComment(v, objectId, what)}\n${policy}` });
  await api.write(`${AZURE_AUTH}/principal/${objectId}/policies`, { add: [policyName] });
}

/** `coffer keyvault set-policy`: the principal's access policy becomes exactly these permissions. */
export async function setAccessPolicy(api: ApiClient, v: string, objectId: string, secrets: string[], keys: string[]): Promise<void> {
  const template: Record<string, string> = {};
  if (secrets.length) template.permissions = secrets.join(',');
  if (keys.length) template.key_permissions = keys.join(',');
  await grant(api, v, objectId, accessPolicyName(v, objectId), template, accessPolicyWhat(secrets, keys));
}

/** Detaches then deletes a grant policy (`keyvault delete-policy`, `role assignment delete`). */
export async function revokePolicy(api: ApiClient, objectId: string, policyName: string, principalMayBeGone = false): Promise<void> {
  try {
    await api.write(`${AZURE_AUTH}/principal/${objectId}/policies`, { remove: [policyName] });
  } catch (err) {
    // The principal may be gone already: the policy itself must still go.
    if (!(principalMayBeGone && err instanceof ApiError && (err.status === 400 || err.status === 404))) throw err;
  }
  await api.del(`sys/policies/acl/${policyName}`);
}

/** `coffer role assignment create --role R --scope v --assignee id`. */
export async function assignRole(api: ApiClient, v: string, objectId: string, role: string): Promise<void> {
  await grant(api, v, objectId, rolePolicyName(v, objectId, role), { role }, `role=${role}`);
}
