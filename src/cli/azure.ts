/**
 * Shared pieces of the az-style commands (`keyvault`, `ad`, `identity`, `role`, and `run`'s
 * vault loading): vault names and URLs, az's JSON shapes, az's `--output`/`--query`, paging
 * through Key Vault lists, and the `auth/azure/` identity mount. All over the Vault HTTP API.
 */

import { Option, type Command } from 'commander';
import type { ApiResponse, CofferClient } from './client.js';
import { ApiError } from './client.js';
import { resolveAddress } from './config.js';
import { CliError, usageError, type Io } from './context.js';

type Json = Record<string, unknown>;
type Env = Record<string, string | undefined>;

/** The vault host names' parent domain when COFFER_KEYVAULT_BASE_DOMAIN is not set. */
export const DEFAULT_BASE_DOMAIN = 'vault.localhost';

/** The mount type of the Key Vault engine and the identity auth method. */
export const KEYVAULT_TYPE = 'keyvault';
/** The auth method type of the Azure identity provider. */
export const AZURE_AUTH_TYPE = 'azure-ad';
/** Where the Azure identity provider is mounted. */
export const AZURE_AUTH_PATH = 'azure';

// Azure vault names: 3-24 characters, letters, digits and hyphens, a letter first, a letter or
// digit last, no "--".
const VAULT_NAME = /^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/;
// Azure secret names.
const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/;

/** Validates an Azure vault name and returns it lower-cased (the mount is `keyvault/<v>/`). */
export function vaultName(raw: string | undefined, flag = '--name'): string {
  const v = (raw ?? '').trim();
  if (v === '') throw usageError(`${flag} is required: the vault name`);
  if (!VAULT_NAME.test(v) || v.includes('--')) {
    throw usageError(
      `invalid vault name "${v}": use 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without "--"`,
    );
  }
  return v.toLowerCase();
}

/** Validates an Azure secret name. */
export function secretName(raw: string | undefined): string {
  const n = (raw ?? '').trim();
  if (n === '') throw usageError('--name is required: the secret name');
  if (!SECRET_NAME.test(n)) throw usageError(`invalid secret name "${n}": use 1-127 letters, digits and hyphens`);
  return n;
}

/**
 * Checks a value that becomes one path segment of an API call (an appId, an identity name):
 * no slashes, no dot segments, printable, at most 128 characters.
 */
export function pathSegment(raw: string | undefined, flag: string): string {
  const v = (raw ?? '').trim();
  if (v === '') throw usageError(`${flag} is required`);
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/.test(v)) {
    throw usageError(`invalid ${flag} "${v.slice(0, 64)}": use letters, digits, ".", "_", "@" and "-" (at most 128), starting with a letter or digit`);
  }
  return v;
}

/** The base domain of vault host names: COFFER_KEYVAULT_BASE_DOMAIN, else vault.localhost. */
export function baseDomain(env: Env): string {
  const d = (env.COFFER_KEYVAULT_BASE_DOMAIN ?? '').trim().toLowerCase().replace(/^\.+|\.+$/g, '');
  return d === '' ? DEFAULT_BASE_DOMAIN : d;
}

/** The vault URL without a trailing slash: `https://<v>.<base-domain>[:port]` (port from COFFER_ADDR). */
export function vaultUrl(env: Env, v: string): string {
  const port = new URL(resolveAddress(env)).port;
  return `https://${v}.${baseDomain(env)}${port && port !== '443' ? `:${port}` : ''}`;
}

/** The Vault API path of a vault's mount, e.g. `keyvault/myvault`. */
export function vaultMount(v: string): string {
  return `keyvault/${v}`;
}

/**
 * Parses a Key Vault object URL (`https://v.vault.localhost:8200/secrets/n/ver`, or
 * `/deletedsecrets/n`) as `--id` gives it: the vault is the first label of the host.
 */
export function parseObjectId(id: string, kind: ObjectKind = 'secrets'): { vault: string; name: string; version?: string } {
  let url: URL;
  try {
    url = new URL(id);
  } catch {
    throw usageError(`--id must be a Key Vault URL such as https://myvault.vault.localhost:8200/${kind}/name[/version]`);
  }
  const segs = url.pathname.split('/').filter((s) => s !== '');
  if (segs.length < 2 || segs.length > 3 || ![kind, `deleted${kind}`].includes(segs[0]!)) {
    throw usageError(`--id must look like https://<vault>.<domain>/${kind}/<name>[/<version>]`);
  }
  const vault = vaultName(url.hostname.split('.')[0], '--id');
  return { vault, name: secretName(decodeURIComponent(segs[1]!)), version: segs[2] ? decodeURIComponent(segs[2]) : undefined };
}

/** The collections an `--id` can name. */
export type ObjectKind = 'secrets' | 'keys';

/** Options that address one secret or key (`--vault-name` + `--name` [+ `--version`], or `--id`). */
export interface ObjectTargetOptions {
  vaultName?: string;
  name?: string;
  id?: string;
  version?: string;
}

/** The vault, name and version a command addresses. */
export function objectTarget(opts: ObjectTargetOptions, kind: ObjectKind, needName = true): { vault: string; name: string; version?: string } {
  if (opts.id !== undefined) {
    if (opts.vaultName !== undefined || opts.name !== undefined) throw usageError('give either --id or --vault-name/--name, not both');
    const parsed = parseObjectId(opts.id, kind);
    return { ...parsed, version: opts.version ?? parsed.version };
  }
  const vault = vaultName(opts.vaultName, '--vault-name');
  if (!needName) return { vault, name: '' };
  return { vault, name: secretName(opts.name), version: opts.version };
}

/** Adds `--vault-name`, `-n/--name`, `--id` (an object URL) and optionally `--version`, plus az's output flags. */
export function addObjectTarget(cmd: Command, kind: ObjectKind, withVersion = false): Command {
  const what = kind === 'keys' ? 'key' : 'secret';
  cmd
    .option('--vault-name <name>', 'the vault name')
    .option('-n, --name <name>', `the ${what} name`)
    .option('--id <url>', `the ${what} URL, e.g. https://myvault.vault.localhost:8200/${kind}/name[/version]`);
  if (withVersion) cmd.option('--version <version>', `a ${what} version (default: the latest)`);
  return addAzOutput(cmd);
}

/** A vault scope as az writes it: `V`, `keyvault/V`, or a resource id ending in `/vaults/V`. */
export function parseScope(scope: string): string {
  const s = scope.trim().replace(/\/+$/, '');
  const arm = /\/vaults\/([^/]+)$/i.exec(s);
  if (arm) return vaultName(arm[1], '--scope');
  const m = /^\/?keyvault\/([^/]+)$/i.exec(s);
  return vaultName(m ? m[1] : s, '--scope');
}

/** Unix seconds (or an ISO string) as az prints dates: `2026-11-22T12:00:00+00:00`; null when absent. */
export function azDate(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(String(value));
  if (!Number.isFinite(ms)) return null;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** Parses an az date flag (ISO 8601, e.g. 2027-01-01T00:00:00Z or 2027-01-01) to unix seconds. */
export function isoToUnix(raw: string, flag: string): number {
  const ms = Date.parse(raw.trim());
  if (!Number.isFinite(ms)) throw usageError(`${flag} must be an ISO 8601 date, e.g. 2027-01-31T00:00:00Z`);
  return Math.floor(ms / 1000);
}

/** Parses an az boolean (`true`/`false`, also `yes`/`no`, `1`/`0`); a bare flag is true. */
export function azBool(value: string | boolean | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true) return true;
  const v = String(value).trim().toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(v)) return true;
  if (['false', 'no', '0', 'off'].includes(v)) return false;
  throw usageError(`${flag} takes true or false`);
}

/** `--tags k=v k2=v2` (a bare `k` is a tag with an empty value; `--tags ""` clears the tags). */
export function parseTags(values: readonly string[] | undefined): Record<string, string> | undefined {
  if (values === undefined) return undefined;
  const tags: Record<string, string> = {};
  for (const raw of values) {
    if (raw.trim() === '') continue;
    const eq = raw.indexOf('=');
    const k = (eq < 0 ? raw : raw.slice(0, eq)).trim();
    if (k === '') throw usageError(`invalid tag "${raw}": use key=value`);
    tags[k] = eq < 0 ? '' : raw.slice(eq + 1);
  }
  return tags;
}

/** Engine secret data (bundle, item or deleted) in az's shape; `value` only when `withValue`. */
export function secretJson(
  url: string,
  data: Json,
  opts: { kind: 'bundle' | 'item' | 'deleted' | 'deletedItem'; versioned?: boolean; withValue?: boolean },
): Json {
  const name = String(data.name ?? '');
  const version = typeof data.version === 'string' && data.version !== '' ? data.version : undefined;
  const a = (data.attributes ?? {}) as Json;
  const versioned = opts.versioned ?? (opts.kind === 'bundle' || opts.kind === 'deleted');
  const out: Json = {
    attributes: {
      created: azDate(a.created),
      enabled: a.enabled === undefined ? true : Boolean(a.enabled),
      expires: azDate(a.exp ?? a.expires),
      notBefore: azDate(a.nbf ?? a.notBefore),
      recoverableDays: a.recoverableDays ?? null,
      recoveryLevel: a.recoveryLevel ?? null,
      updated: azDate(a.updated),
    },
    contentType: data.contentType ?? null,
    id: `${url}/secrets/${name}${versioned && version ? `/${version}` : ''}`,
    managed: data.managed ?? null,
    name,
    tags: data.tags ?? {},
  };
  if (opts.kind === 'bundle' || opts.kind === 'deleted') {
    out.kid = data.kid ?? null;
    out.value = opts.withValue && typeof data.value === 'string' ? data.value : null;
  }
  if (opts.kind === 'deleted' || opts.kind === 'deletedItem') {
    out.deletedDate = azDate(data.deletedDate);
    out.recoveryId = `${url}/deletedsecrets/${name}`;
    out.scheduledPurgeDate = azDate(data.scheduledPurgeDate);
  }
  return out;
}

/**
 * Every item of a Key Vault engine list (`LIST <path>` with `maxresults`/`skiptoken`), following
 * `nextSkipToken` page by page. A 404 without errors is an empty list (Vault style).
 */
export async function listAllItems(client: CofferClient, path: string, action: string, limit?: number): Promise<Json[]> {
  const items: Json[] = [];
  const seen = new Set<string>();
  let skiptoken: string | undefined;
  for (;;) {
    const res = await client.request('LIST', path, { query: { maxresults: 25, skiptoken }, action, allowNotFound: true });
    if (res.status === 404) {
      if (errorsOf(res).length > 0) throw notFoundError(res, action);
      break;
    }
    const data = (res.body?.data ?? {}) as Json;
    const page = Array.isArray(data.items) ? (data.items as Json[]) : [];
    items.push(...page);
    if (limit !== undefined && items.length >= limit) return items.slice(0, limit);
    const next = typeof data.nextSkipToken === 'string' && data.nextSkipToken !== '' ? data.nextSkipToken : undefined;
    // A server that hands back a token twice would loop for ever.
    if (!next || seen.has(next)) break;
    seen.add(next);
    skiptoken = next;
  }
  return items;
}

function errorsOf(res: ApiResponse): string[] {
  const errors = (res.body as { errors?: unknown } | null)?.errors;
  return Array.isArray(errors) ? errors.map(String) : [];
}

function notFoundError(res: ApiResponse, action: string): CliError {
  return new CliError(`Error ${action}: ${errorsOf(res).join('; ')} (404)`);
}

/** Reads a vault's mount entry; a clear error when there is no vault of that name. */
export async function readVaultMount(client: CofferClient, v: string): Promise<Json> {
  let res: ApiResponse;
  try {
    res = await client.request('GET', `sys/mounts/${vaultMount(v)}`, { action: `reading vault "${v}"`, allowNotFound: true });
  } catch (err) {
    // The mount routes answer 400 "no secrets engine is mounted at ...".
    if (err instanceof ApiError && err.status === 400) throw vaultNotFound(v);
    throw err;
  }
  if (res.status === 404) throw vaultNotFound(v);
  const data = (res.body?.data ?? res.body ?? {}) as Json;
  if (data.type !== undefined && data.type !== KEYVAULT_TYPE) {
    throw new CliError(`keyvault/${v}/ is a "${String(data.type)}" mount, not a vault`);
  }
  return data;
}

function vaultNotFound(v: string): CliError {
  return new CliError(`The vault "${v}" was not found: create it with "coffer keyvault create --name ${v}", or list vaults with "coffer keyvault list"`);
}

// ---------------------------------------------------------------------------------------------
// az's --output and --query

/** Output options of az-style commands. */
export interface AzOutputOptions {
  output?: string;
  query?: string;
}

const AZ_OUTPUTS = ['json', 'jsonc', 'tsv', 'none'] as const;

/** Adds az's `-o/--output json|jsonc|tsv|none` and `--query <path>` to a command. */
export function addAzOutput(cmd: Command): Command {
  cmd.addOption(new Option('-o, --output <format>', 'output format').choices(AZ_OUTPUTS));
  cmd.option('--query <path>', 'print part of the result: a JMESPath-like path such as value, properties.vaultUri or [].name');
  return cmd;
}

type Step = { field: string } | { index: number } | { project: true };

/** Parses the subset of JMESPath the az tutorials use: `a.b`, `a[0]`, `[].name`, `a[*].b`. */
export function parseQuery(expr: string): Step[] {
  const src = expr.trim();
  const steps: Step[] = [];
  let i = 0;
  const unsupported = (): never => {
    throw usageError(`unsupported --query "${expr}": only paths such as value, properties.vaultUri, [0].name or [].name are supported`);
  };
  if (src === '' || src === '@') return steps;
  const ident = /^(?:([A-Za-z_][A-Za-z0-9_]*)|"((?:[^"\\]|\\.)*)")/;
  while (i < src.length) {
    const rest = src.slice(i);
    let m: RegExpExecArray | null;
    if ((m = /^\[(\*)?\]/.exec(rest))) {
      steps.push({ project: true });
      i += m[0].length;
      continue;
    }
    if ((m = /^\[(-?\d+)\]/.exec(rest))) {
      steps.push({ index: Number(m[1]) });
      i += m[0].length;
      continue;
    }
    // A field: first in the expression, or after a dot.
    const dot = i > 0 ? 1 : 0;
    if (dot && !rest.startsWith('.')) unsupported();
    m = ident.exec(rest.slice(dot));
    if (!m) unsupported();
    steps.push({ field: m![1] ?? (JSON.parse(`"${m![2]!}"`) as string) });
    i += dot + m![0].length;
  }
  return steps;
}

function evalSteps(steps: readonly Step[], value: unknown): unknown {
  if (steps.length === 0) return value;
  const [step, ...rest] = steps;
  if ('field' in step!) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
    const next = (value as Json)[step.field];
    return evalSteps(rest, next === undefined ? null : next);
  }
  if ('index' in step!) {
    if (!Array.isArray(value)) return null;
    const idx = step.index < 0 ? value.length + step.index : step.index;
    return evalSteps(rest, value[idx] ?? null);
  }
  if (!Array.isArray(value)) return null;
  return value.map((v) => evalSteps(rest, v)).filter((v) => v !== null);
}

/** Applies `--query` to a result. */
export function applyQuery(value: unknown, query: string | undefined): unknown {
  return query === undefined ? value : evalSteps(parseQuery(query), value);
}

/** az's JSON: keys sorted at every level, two-space indent. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const k of Object.keys(value as Json).sort()) out[k] = sortKeysDeep((value as Json)[k]);
    return out;
  }
  return value;
}

/** One tsv cell the way az writes it: null is empty, booleans True/False, a list its length, an object empty. */
function tsvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return String(v.length);
  if (typeof v === 'object') return '';
  return String(v);
}

/** az's tsv: one row per item of a list (or the value itself); an object's values in key order, tab-separated. */
function tsvLines(value: unknown): string[] {
  const rows = Array.isArray(value) ? value : [value];
  return rows.map((row) => {
    if (Array.isArray(row)) return row.map(tsvCell).join('\t');
    if (row && typeof row === 'object') {
      return Object.keys(row as Json)
        .sort()
        .map((k) => tsvCell((row as Json)[k]))
        .join('\t');
    }
    return tsvCell(row);
  });
}

/** Prints a result as az does (`-o json` by default), after `--query`. */
export function printAz(io: Io, result: unknown, opts: AzOutputOptions): void {
  const format = (opts.output ?? 'json').toLowerCase();
  if (!(AZ_OUTPUTS as readonly string[]).includes(format)) throw usageError(`unknown --output "${opts.output}": use json, jsonc, tsv or none`);
  const value = applyQuery(result, opts.query);
  if (format === 'none') return;
  if (format === 'tsv') {
    const lines = tsvLines(value);
    if (lines.length > 0) io.out(`${lines.join('\n')}\n`);
    return;
  }
  io.out(`${JSON.stringify(sortKeysDeep(value ?? null), null, 2)}\n`);
}

// ---------------------------------------------------------------------------------------------
// The identity provider (auth/azure/)

/** Enables `auth/azure/` (type azure-ad) unless it is there already. */
export async function ensureAzureAuth(client: CofferClient): Promise<void> {
  let res: ApiResponse | null = null;
  try {
    res = await client.read('sys/auth', { action: 'listing auth methods' });
  } catch (err) {
    // Without sudo on sys/auth we cannot look; assume an operator enabled it and let the call say otherwise.
    if (err instanceof ApiError && err.status === 403) return;
    throw err;
  }
  const mounts = (res?.body?.data ?? res?.body ?? {}) as Json;
  const existing = mounts[`${AZURE_AUTH_PATH}/`] as Json | undefined;
  if (existing) {
    if (existing.type !== AZURE_AUTH_TYPE) {
      throw new CliError(`auth/${AZURE_AUTH_PATH}/ is a "${String(existing.type)}" auth method, not the Azure identity provider (${AZURE_AUTH_TYPE})`);
    }
    return;
  }
  await client.request('POST', `sys/auth/${AZURE_AUTH_PATH}`, {
    body: { type: AZURE_AUTH_TYPE, description: 'Azure AD-style service principals and managed identities' },
    action: `enabling the Azure identity provider at auth/${AZURE_AUTH_PATH}/`,
  });
}

/** The first of `keys` that `obj` has as a non-empty string. */
export function pick(obj: Json | undefined, ...keys: string[]): string | undefined {
  for (const k of keys) {
    const v = obj?.[k];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

/** A service principal as the identity provider returns it, with camelCase or snake_case fields. */
export interface ServicePrincipal {
  appId: string;
  objectId?: string;
  displayName?: string;
}

/** Normalises a service principal record. */
export function servicePrincipalOf(data: Json, fallbackAppId?: string): ServicePrincipal {
  return {
    appId: pick(data, 'appId', 'app_id', 'client_id', 'clientId') ?? fallbackAppId ?? '',
    objectId: pick(data, 'objectId', 'object_id', 'id', 'principalId', 'principal_id'),
    displayName: pick(data, 'displayName', 'display_name', 'name'),
  };
}

/** Reads a service principal by appId; null when there is none. */
export async function readServicePrincipal(client: CofferClient, appId: string): Promise<ServicePrincipal | null> {
  const res = await client.request('GET', `auth/${AZURE_AUTH_PATH}/sp/${appId}`, { action: `reading service principal ${appId}`, allowNotFound: true });
  if (res.status === 404) return null;
  return servicePrincipalOf((res.body?.data ?? {}) as Json, appId);
}

/**
 * The object id a vault policy is named after and attached to. `--spn` is an appId, `--object-id`
 * an objectId or a managed identity's principalId; an `--assignee` may be any of these (or a
 * managed identity's clientId or name). The identity provider resolves all of them through
 * `principal/<id>/policies`, whose answer carries the principal's `object_id`.
 */
export async function resolveObjectId(client: CofferClient, opts: { spn?: string; objectId?: string; assignee?: string }): Promise<string> {
  const given = [opts.spn, opts.objectId, opts.assignee].filter((v) => v !== undefined && v.trim() !== '');
  if (given.length !== 1) throw usageError(opts.assignee !== undefined ? 'give one of --assignee or --assignee-object-id' : 'give exactly one of --spn APPID or --object-id ID');
  const flag = opts.spn !== undefined ? '--spn' : opts.objectId !== undefined ? '--object-id' : '--assignee';
  const id = pathSegment(given[0], flag);
  const res = await client.request('GET', `auth/${AZURE_AUTH_PATH}/principal/${id}/policies`, {
    allowNotFound: true,
    action: `looking up the principal ${id}`,
  });
  const objectId = res.status === 404 ? undefined : pick((res.body?.data ?? {}) as Json, 'object_id', 'objectId');
  if (!objectId) {
    throw new CliError(
      `No principal ${id}: give the appId of a service principal (coffer ad sp list) or the principalId of a managed identity (coffer identity list)`,
    );
  }
  return pathSegment(objectId, 'object id');
}

/** The name of the ACL policy holding a principal's access policy on a vault. */
export function accessPolicyName(v: string, objectId: string): string {
  return `keyvault-${v}-${objectId}`.toLowerCase();
}

/** The name of the ACL policy holding a principal's role on a vault. */
export function rolePolicyName(v: string, objectId: string, role: string): string {
  const slug = role.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  return `keyvault-${v}-${objectId}-role-${slug}`.toLowerCase();
}

/**
 * Grants: fetch the engine's policy template, store it as an ACL policy, attach it to the
 * principal. `template` is the query of `access-policy-template` ({permissions} or {role}).
 */
export async function grantVaultPolicy(
  client: CofferClient,
  v: string,
  objectId: string,
  policyName: string,
  template: Record<string, string>,
  comment: string,
): Promise<void> {
  const res = await client.request('GET', `${vaultMount(v)}/access-policy-template`, { query: template, action: `building the policy for vault "${v}"` });
  const policy = res.body?.data?.policy;
  if (typeof policy !== 'string' || policy.trim() === '') throw new CliError(`The server returned no policy for vault "${v}"`);
  await client.request('PUT', `sys/policies/acl/${policyName}`, {
    body: { policy: `# ${comment}\n${policy}` },
    action: `writing policy "${policyName}"`,
  });
  await client.request('POST', `auth/${AZURE_AUTH_PATH}/principal/${objectId}/policies`, {
    body: { add: [policyName] },
    action: `attaching policy "${policyName}" to ${objectId}`,
  });
}

/** Revokes what grantVaultPolicy granted (detach first, so no token keeps a dangling name). */
export async function revokeVaultPolicy(client: CofferClient, objectId: string, policyName: string): Promise<void> {
  await client.request('POST', `auth/${AZURE_AUTH_PATH}/principal/${objectId}/policies`, {
    body: { remove: [policyName] },
    action: `detaching policy "${policyName}" from ${objectId}`,
  });
  await client.request('DELETE', `sys/policies/acl/${policyName}`, { action: `deleting policy "${policyName}"` });
}

/** The comment grant commands put on the first line of the policies they write (read back by show/list). */
export function policyComment(v: string, objectId: string, what: string): string {
  return `coffer: vault=${v} principal=${objectId} ${what}`;
}

/** az's JSON for a role assignment on a vault. */
export function roleAssignmentJson(v: string, objectId: string, role: string, policyName: string): Json {
  return {
    id: policyName,
    name: policyName,
    principalId: objectId,
    principalType: 'ServicePrincipal',
    roleDefinitionName: role,
    scope: vaultMount(v),
    type: 'Microsoft.Authorization/roleAssignments',
  };
}

/** Assigns `role` on vault `v` to a principal: the engine's role template as policy `keyvault-<v>-<id>-role-<role>`. */
export async function assignRole(client: CofferClient, v: string, objectId: string, role: string): Promise<Json> {
  const r = role.trim();
  if (r === '') throw usageError('--role is required, e.g. --role "Key Vault Secrets User"');
  const name = rolePolicyName(v, objectId, r);
  await grantVaultPolicy(client, v, objectId, name, { role: r }, policyComment(v, objectId, `role=${r}`));
  return roleAssignmentJson(v, objectId, r, name);
}

/** A policy written by set-policy or role assignment create, read back from its first-line comment. */
export interface VaultPolicy {
  name: string;
  principal: string;
  /** set-policy: the secret permissions. */
  permissions?: string[];
  /** set-policy: the key permissions. */
  keyPermissions?: string[];
  /** role assignment: the role name. */
  role?: string;
}

/**
 * The grant policies of vault `v` (names `keyvault-<v>-...` whose comment names this vault: a
 * vault `a` must not pick up the policies of a vault `a-b`). Null when policies cannot be listed.
 */
export async function readVaultPolicies(client: CofferClient, v: string): Promise<VaultPolicy[] | null> {
  let names: string[] | null;
  try {
    names = await client.list('sys/policies/acl', { action: 'listing policies' });
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) return null;
    throw err;
  }
  const out: VaultPolicy[] = [];
  for (const name of names ?? []) {
    if (!name.startsWith(`keyvault-${v}-`)) continue;
    const res = await client.read(`sys/policies/acl/${name}`, { action: `reading policy "${name}"` });
    const first = String(res?.body?.data?.policy ?? '').split('\n', 1)[0] ?? '';
    const m = /^# coffer: vault=(\S+) principal=(\S+) (.*)$/.exec(first);
    if (!m || m[1] !== v) continue;
    const what = m[3]!.trim();
    const perms = /^(?:secret-permissions=(\S*))?\s*(?:key-permissions=(\S*))?$/.exec(what);
    const role = /^role=(.+)$/.exec(what);
    const list = (x: string | undefined) => (x === undefined ? undefined : x.split(',').filter((p) => p !== ''));
    if (perms && (perms[1] !== undefined || perms[2] !== undefined)) {
      out.push({ name, principal: m[2]!, permissions: list(perms[1]) ?? [], keyPermissions: list(perms[2]) ?? [] });
    }
    else if (role) out.push({ name, principal: m[2]!, role: role[1]!.trim() });
  }
  return out;
}
