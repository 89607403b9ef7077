/**
 * The secrets engine types this build mounts (the server's `src/features/index.ts`; it has no
 * plugin catalog endpoint to read them from), and helpers for the mount table (pure, tested).
 */

/** A choice in the "enable" form. */
export interface EngineChoice {
  id: string;
  label: string;
  type: string;
  options?: Record<string, string>;
  /** The default mount path. */
  defaultPath: string;
  note?: string;
}

/** The engines a user can enable here. cubbyhole is built in (one per server) and not offered. */
export const ENGINE_CHOICES: EngineChoice[] = [
  { id: 'kv-v2', label: 'KV version 2 (versioned key/value)', type: 'kv', options: { version: '2' }, defaultPath: 'kv' },
  { id: 'kv-v1', label: 'KV version 1 (plain key/value)', type: 'kv', options: { version: '1' }, defaultPath: 'kv' },
  { id: 'transit', label: 'Transit (encryption as a service)', type: 'transit', defaultPath: 'transit' },
  { id: 'keyvault', label: 'Azure Key Vault', type: 'keyvault', defaultPath: 'keyvault', note: 'Its vaults and secrets are managed in the Key Vault view.' },
];

/** Mount paths that cannot be disabled, and why. */
export const BUILT_IN: Record<string, string> = {
  'sys/': 'the system backend cannot be disabled',
  'cubbyhole/': 'cubbyhole is built in and cannot be disabled',
};

/** A row of `sys/mounts`. */
export interface MountRow {
  path: string;
  type: string;
  description: string;
  accessor?: string;
  options: Record<string, string> | null;
  config: { default_lease_ttl?: number; max_lease_ttl?: number };
}

/** `sys/mounts` data → rows sorted by path. */
export function mountRows(data: Record<string, unknown>): MountRow[] {
  return Object.entries(data)
    .filter(([path, v]) => path.endsWith('/') && typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string')
    .map(([path, v]) => {
      const m = v as Partial<MountRow>;
      return { path, type: m.type!, description: m.description ?? '', accessor: m.accessor, options: m.options ?? null, config: m.config ?? {} };
    })
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** "kv v2", "kv v1", "transit". Vault's kv without a version option is v1. */
export function typeLabel(row: Pick<MountRow, 'type' | 'options'>): string {
  if (row.type === 'kv' || row.type === 'kv-v2' || row.type === 'generic') {
    const v = row.type === 'kv-v2' ? '2' : row.options?.version ?? '1';
    return `kv v${v}`;
  }
  return row.type;
}

/** True for a KV version 2 mount (it has a `config` endpoint with max_versions). */
export function isKv2(row: Pick<MountRow, 'type' | 'options'>): boolean {
  return typeLabel(row) === 'kv v2';
}

/** `/a/b/` → `a/b` (the API paths are built without the trailing slash). */
export function bare(path: string): string {
  return path.trim().replace(/^\/+|\/+$/g, '');
}

/** A mount path the user typed, checked: the reason it is unusable, or undefined. */
export function mountPathProblem(path: string): string | undefined {
  const p = bare(path);
  if (!p) return 'Enter a mount path.';
  if (/\s/.test(p)) return 'A mount path cannot contain spaces.';
  if (p.split('/').some((s) => s === '' || s === '.' || s === '..')) return 'A mount path cannot have empty, "." or ".." segments.';
  if (p === 'sys' || p.startsWith('sys/') || p === 'auth' || p.startsWith('auth/') || p === 'cubbyhole' || p === 'identity') return `"${p}" is reserved.`;
  return undefined;
}
