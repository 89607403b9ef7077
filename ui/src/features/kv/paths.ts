/**
 * KV paths and calls: which mount and version, the API path of each action (for the calls and
 * for capability checks), and small path helpers. Everything goes through the public /v1/ API.
 */
import { isApiError, type ApiClient } from '../../api/client';
import type { KvMap } from './diff';

/** A KV mount: its path (`secret/`, with the slash) and engine version. */
export interface KvMount {
  path: string;
  version: 1 | 2;
}

/** `a/` + `b` → `a/b` (folder paths end with `/`; the root folder is ``). */
export function joinPath(folder: string, name: string): string {
  return folder + name;
}

/** The folder a secret is in (`a/b/c` → `a/b/`, `c` → ``). */
export function parentFolder(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  return i < 0 ? '' : trimmed.slice(0, i + 1);
}

/** True when `err` is the server's check-and-set refusal (someone saved a newer version). */
export function casConflict(err: unknown): boolean {
  return isApiError(err) && err.status === 400 && err.errors.some((e) => /check-and-set parameter did not match/.test(e));
}

/** The API paths of one secret (without `/v1/`), for calls and capability checks. */
export function secretPaths(m: KvMount, path: string) {
  const base = m.path.replace(/\/$/, '');
  if (m.version === 1) {
    const p = `${base}/${path}`;
    return { data: p, metadata: p, delete: p, undelete: p, destroy: p };
  }
  return {
    data: `${base}/data/${path}`,
    metadata: `${base}/metadata/${path}`,
    delete: `${base}/delete/${path}`,
    undelete: `${base}/undelete/${path}`,
    destroy: `${base}/destroy/${path}`,
  };
}

/** The LIST path of a folder (``, `a/`). */
export function listPath(m: KvMount, folder: string): string {
  const base = m.path.replace(/\/$/, '');
  return m.version === 2 ? `${base}/metadata/${folder}` : `${base}/${folder}`;
}

/** Finds the mount of `mount` and its KV version (the CLI's preflight: works for any token with access under it). */
export async function loadMount(api: ApiClient, mount: string): Promise<KvMount> {
  const res = await api.read<{ path: string; type: string; options?: Record<string, string> | null }>(`sys/internal/ui/mounts/${mount}`);
  const type = res.data.type;
  if (type !== 'kv' && type !== 'generic') throw new Error(`${mount}/ is a "${type}" mount, not a KV secrets engine`);
  return { path: res.data.path, version: res.data.options?.version === '2' ? 2 : 1 };
}

/** One version of a secret as read: data (null when deleted/destroyed) and its version metadata. */
export interface SecretRead {
  data: KvMap | null;
  version: number;
  deleted: boolean;
  destroyed: boolean;
  created_time?: string;
}

/** Reads a secret (v2: a given version or the latest). v1 secrets have version 0. */
export async function readSecret(api: ApiClient, m: KvMount, path: string, version?: number): Promise<SecretRead> {
  const p = secretPaths(m, path);
  if (m.version === 1) {
    const res = await api.read<KvMap>(p.data);
    return { data: res.data, version: 0, deleted: false, destroyed: false };
  }
  // A deleted or destroyed version answers 404 (callers check the metadata first to say which).
  const res = await api.read<{ data: KvMap | null; metadata: { version: number; deletion_time: string; destroyed: boolean; created_time: string } }>(p.data, version ? { query: { version: String(version) } } : undefined);
  const md = res.data.metadata;
  return { data: res.data.data, version: md.version, deleted: !!md.deletion_time, destroyed: md.destroyed, created_time: md.created_time };
}

/** Writes `data` (v2 with `options.cas`; v1 has no versions and no CAS). */
export async function writeSecret(api: ApiClient, m: KvMount, path: string, data: KvMap, cas: number | undefined): Promise<number> {
  const p = secretPaths(m, path);
  if (m.version === 1) {
    await api.write(p.data, data);
    return 0;
  }
  const res = await api.write<{ version: number }>(p.data, cas === undefined ? { data } : { data, options: { cas } });
  return res?.data?.version ?? 0;
}

/** KV v2 metadata of a secret. */
export interface SecretMetadata {
  cas_required: boolean;
  created_time: string;
  current_version: number;
  custom_metadata: Record<string, string> | null;
  delete_version_after: string;
  max_versions: number;
  oldest_version: number;
  updated_time: string;
  versions: Record<string, { created_time: string; deletion_time: string; destroyed: boolean }>;
}

/** Reads v2 metadata. */
export async function readMetadata(api: ApiClient, m: KvMount, path: string): Promise<SecretMetadata> {
  return (await api.read<SecretMetadata>(secretPaths(m, path).metadata)).data;
}
