/**
 * Pure helpers of the Key Vault pages: names, paths, dates, tags, base64url and the access-policy
 * model. They mirror the CLI (`src/cli/azure.ts`) so the UI and `coffer keyvault …` read and
 * write the same things (policy names, first-line comments, templates).
 */

/** Azure vault names: 3-24 letters, digits and hyphens, a letter first, a letter or digit last, no "--". */
const VAULT_NAME = /^[A-Za-z][A-Za-z0-9-]{1,22}[A-Za-z0-9]$/;
/** Azure secret names. */
const SECRET_NAME = /^[0-9A-Za-z-]{1,127}$/;
/** What may become one path segment (appId, identity name, object id), as the CLI checks it. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

/** Why `raw` is not a vault name, or undefined when it is. */
export function vaultNameProblem(raw: string): string | undefined {
  const v = raw.trim();
  if (v === '') return 'a vault name is required';
  if (!VAULT_NAME.test(v) || v.includes('--')) return 'use 3-24 letters, digits and hyphens, starting with a letter, ending with a letter or digit, without "--"';
  return undefined;
}

/** Why `raw` is not a secret name, or undefined. */
export function secretNameProblem(raw: string): string | undefined {
  const n = raw.trim();
  if (n === '') return 'a secret name is required';
  if (!SECRET_NAME.test(n)) return 'use 1-127 letters, digits and hyphens';
  return undefined;
}

/** Why `raw` cannot be a path segment (appId, identity name), or undefined. */
export function segmentProblem(raw: string, what: string): string | undefined {
  const v = raw.trim();
  if (v === '') return `${what} is required`;
  if (!SEGMENT.test(v)) return `${what}: use letters, digits, ".", "_", "@" and "-" (at most 128), starting with a letter or digit`;
  return undefined;
}

/** The Vault API path of a vault's mount (`keyvault/<v>`, v lower-cased). */
export function vaultMount(v: string): string {
  return `keyvault/${v.toLowerCase()}`;
}

/** The engine path of a secret or of one of its versions. */
export function secretPath(v: string, name: string, version?: string): string {
  return `${vaultMount(v)}/secrets/${name}${version ? `/${version}` : ''}`;
}

/** Where the Azure identity provider is mounted (as the CLI: `auth/azure/`). */
export const AZURE_AUTH = 'auth/azure';

/** Secret attributes as the engine returns them (dates in unix seconds). */
export interface SecretAttributes {
  enabled?: boolean;
  nbf?: number;
  exp?: number;
  created?: number;
  updated?: number;
  recoveryLevel?: string;
  recoverableDays?: number;
}

/** A secret bundle, list item or deleted item of the engine. */
export interface SecretData {
  name: string;
  version?: string;
  value?: string;
  contentType?: string;
  tags?: Record<string, string>;
  managed?: boolean;
  attributes?: SecretAttributes;
  deletedDate?: number | string;
  scheduledPurgeDate?: number | string;
}

/** A date as the pages show it (UTC, to the second); '—' when absent. */
export function showDate(value: number | string | undefined | null): string {
  if (value === undefined || value === null || value === '') return '—';
  const ms = typeof value === 'number' ? value * 1000 : Date.parse(value);
  if (!Number.isFinite(ms)) return String(value);
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace('T', ' ');
}

/** Unix seconds → the value of a `datetime-local` input, in UTC ('' when absent). */
export function toLocalInput(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  return new Date(seconds * 1000).toISOString().slice(0, 16);
}

/** A `datetime-local` value (read as UTC) → unix seconds; undefined when empty; throws on garbage. */
export function fromLocalInput(raw: string, label: string): number | undefined {
  const v = raw.trim();
  if (v === '') return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
  if (!Number.isFinite(ms)) throw new Error(`${label} must be a date and time, e.g. 2027-01-31T00:00`);
  return Math.floor(ms / 1000);
}

/** Parses tags written one per line (or comma separated) as `key=value`; a bare key has an empty value. */
export function parseTags(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const raw of text.split(/[\n,]/)) {
    const line = raw.trim();
    if (line === '') continue;
    const eq = line.indexOf('=');
    const k = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (k === '') throw new Error(`invalid tag "${line}": use key=value`);
    tags[k] = eq < 0 ? '' : line.slice(eq + 1).trim();
  }
  return tags;
}

/** Tags as the tags textarea shows them (one `key=value` per line, keys sorted). */
export function formatTags(tags: Record<string, string> | undefined): string {
  return Object.keys(tags ?? {})
    .sort()
    .map((k) => `${k}=${tags![k]}`)
    .join('\n');
}

/** Bytes → base64url (no padding), as `coffer keyvault secret restore` sends a backup. */
export function bytesToBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** base64url (padding optional) → bytes; throws on characters outside the alphabet. */
export function base64UrlToBytes(text: string): Uint8Array {
  const s = text.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]*=*$/.test(s)) throw new Error('not base64url');
  const bin = atob(s + '='.repeat((4 - (s.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Access policies and role assignments: ACL policies `keyvault-<v>-<objectId>[-role-<slug>]` whose
// first line is `# coffer: vault=<v> principal=<objectId> <what>` (written by the CLI and by these pages).

/** Key Vault secret permissions (the engine's SECRET_PERMISSIONS order). */
export const SECRET_PERMISSIONS = ['get', 'list', 'set', 'delete', 'backup', 'restore', 'recover', 'purge'] as const;
/** Key Vault key permissions (the engine's KEY_PERMISSIONS order). */
export const KEY_PERMISSIONS = [
  'get', 'list', 'create', 'import', 'update', 'delete', 'recover', 'backup', 'restore', 'purge',
  'encrypt', 'decrypt', 'wrapKey', 'unwrapKey', 'sign', 'verify', 'rotate', 'getrotationpolicy', 'setrotationpolicy',
] as const;
/** Certificate permissions exist in Azure; Coffer vaults hold no certificates (shown disabled). */
export const CERTIFICATE_PERMISSIONS = ['get', 'list', 'create', 'import', 'update', 'delete'] as const;
/** Why certificate permissions cannot be granted. */
export const NO_CERTIFICATES = 'Coffer vaults hold secrets and keys, not certificates';

/** The data-plane roles the engine's access-policy template knows. */
export const ROLE_NAMES = [
  'Key Vault Secrets User', 'Key Vault Secrets Officer', 'Key Vault Crypto User', 'Key Vault Crypto Service Encryption User',
  'Key Vault Crypto Officer', 'Key Vault Administrator',
] as const;

/** A grant policy of a vault, read back from its first-line comment. */
export interface VaultPolicy {
  name: string;
  principal: string;
  /** Access policy: secret permissions. */
  permissions?: string[];
  /** Access policy: key permissions. */
  keyPermissions?: string[];
  /** Role assignment: the role name. */
  role?: string;
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

/** The first-line comment of a grant policy. */
export function policyComment(v: string, objectId: string, what: string): string {
  return `coffer: vault=${v} principal=${objectId} ${what}`;
}

/** What an access policy's comment says (`secret-permissions=a,b key-permissions=c`). */
export function accessPolicyWhat(secrets: readonly string[], keys: readonly string[]): string {
  return [secrets.length ? `secret-permissions=${secrets.join(',')}` : '', keys.length ? `key-permissions=${keys.join(',')}` : ''].filter((x) => x).join(' ');
}

/**
 * Reads a grant policy of vault `v` from its text; null when it is not one (another vault's
 * policy whose name shares the prefix, e.g. vault `a` and `a-b`, or a hand-written policy).
 */
export function parseVaultPolicy(v: string, name: string, text: string): VaultPolicy | null {
  if (!name.startsWith(`keyvault-${v}-`)) return null;
  const first = text.split('\n', 1)[0] ?? '';
  const m = /^# coffer: vault=(\S+) principal=(\S+) (.*)$/.exec(first);
  if (!m || m[1] !== v) return null;
  const what = m[3]!.trim();
  const perms = /^(?:secret-permissions=(\S*))?\s*(?:key-permissions=(\S*))?$/.exec(what);
  const role = /^role=(.+)$/.exec(what);
  const list = (x: string | undefined) => (x === undefined ? [] : x.split(',').filter((p) => p !== ''));
  if (perms && (perms[1] !== undefined || perms[2] !== undefined)) {
    return { name, principal: m[2]!, permissions: list(perms[1]), keyPermissions: list(perms[2]) };
  }
  if (role) return { name, principal: m[2]!, role: role[1]!.trim() };
  return null;
}

/** One row of the access-policy grid: a principal and its checked permissions. */
export interface GridRow {
  objectId: string;
  secrets: string[];
  keys: string[];
}

/** Toggles `perm` in `list`, keeping the canonical order of `all`. */
export function togglePermission(all: readonly string[], list: readonly string[], perm: string, on: boolean): string[] {
  const set = new Set(list);
  if (on) set.add(perm);
  else set.delete(perm);
  return all.filter((p) => set.has(p));
}

/** What saving the grid does for one principal: grant (new or changed), revoke (emptied) or nothing. */
export type GridChange = { kind: 'grant'; row: GridRow } | { kind: 'revoke'; objectId: string };

/** The changes between the saved access policies and the edited grid rows. */
export function gridChanges(saved: readonly GridRow[], edited: readonly GridRow[]): GridChange[] {
  const before = new Map(saved.map((r) => [r.objectId, r]));
  const out: GridChange[] = [];
  for (const row of edited) {
    const old = before.get(row.objectId);
    const empty = row.secrets.length === 0 && row.keys.length === 0;
    if (empty) {
      if (old) out.push({ kind: 'revoke', objectId: row.objectId });
      continue;
    }
    if (!old || old.secrets.join(',') !== row.secrets.join(',') || old.keys.join(',') !== row.keys.join(',')) out.push({ kind: 'grant', row });
  }
  return out;
}
