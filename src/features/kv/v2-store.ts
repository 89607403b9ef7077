/**
 * KV v2 storage layout inside the mount's storage view, and the version bookkeeping.
 *
 *   config                       mount-level settings (KvConfig)
 *   meta/<path>                  one secret's metadata (KeyMeta), keyed by its logical path so
 *                                that `LIST metadata/a/` is exactly one `storage.list('meta/a/')`
 *   versions/<sha256(path)>/<n>  the data of version n; hashed so that any logical path maps to
 *                                a fixed-shape key that never collides with another path's versions
 *
 * Everything that changes more than one key (a new version with its metadata and the versions it
 * prunes, destroy, delete-all) goes through one `storage.batch`, so it lands completely or not at all.
 */
import * as nodeCrypto from 'node:crypto';
import { createHash } from 'node:crypto';
import type { BatchOp, Storage } from '../../storage/types.js';
import { rfc3339Nano } from '../../core/clock.js';
import { decodeJson, encodeJson } from './codec.js';

/** Versions kept per key when neither the key nor the mount sets max_versions. */
export const DEFAULT_MAX_VERSIONS = 10;

/** Mount-level settings (`<mount>/config`). */
export interface KvConfig {
  /** 0 = unset (10). */
  maxVersions: number;
  casRequired: boolean;
  /** Seconds; 0 = unset, -1 = disabled for every key. */
  deleteVersionAfter: number;
}

/** One version's bookkeeping. Times are Unix milliseconds. */
export interface VersionMeta {
  created: number;
  /** When the version counts as deleted (soft delete, or created + delete_version_after); null = never. */
  deletion: number | null;
  destroyed: boolean;
}

/** One secret's metadata. */
export interface KeyMeta {
  /** 0 until the first version or metadata write. */
  created: number;
  updated: number;
  current: number;
  oldest: number;
  /** 0 = use the mount's setting. */
  maxVersions: number;
  casRequired: boolean;
  /** Seconds; 0 = use the mount's setting. */
  deleteVersionAfter: number;
  customMetadata: Record<string, string> | null;
  /** Keyed by the version number as a decimal string. */
  versions: Record<string, VersionMeta>;
}

/** Storage key of the mount config. */
export const CONFIG_KEY = 'config';
/** Prefix of the metadata family. */
export const META_PREFIX = 'meta/';

/** Storage key of a secret's metadata. */
export function metaKey(path: string): string {
  return META_PREFIX + path;
}

type OneShotHash = (algorithm: string, data: string, encoding: 'hex') => string;
/** One-shot `crypto.hash` (Node >= 20.12; a quarter of createHash's cost per read here), else createHash. */
const sha256Hex: (text: string) => string = typeof (nodeCrypto as { hash?: OneShotHash }).hash === 'function'
  ? (text) => (nodeCrypto as { hash: OneShotHash }).hash('sha256', text, 'hex')
  : (text) => createHash('sha256').update(text).digest('hex');

/** Storage key of one version's data. */
export function versionKey(path: string, version: number): string {
  return `versions/${sha256Hex(path)}/${version}`;
}

/** Reads the mount config (defaults when never written). */
export function readConfig(storage: Storage): Promise<KvConfig> {
  return storage.get(CONFIG_KEY).then((raw) => {
    const stored = raw ? decodeJson<Partial<KvConfig>>(raw) : {};
    return { maxVersions: stored.maxVersions ?? 0, casRequired: stored.casRequired ?? false, deleteVersionAfter: stored.deleteVersionAfter ?? 0 };
  });
}

/** Writes the mount config. */
export async function writeConfig(storage: Storage, config: KvConfig): Promise<void> {
  await storage.put(CONFIG_KEY, encodeJson(config));
}

/** Reads a secret's metadata; undefined when the secret has none. */
export function readMeta(storage: Storage, path: string): Promise<KeyMeta | undefined> {
  // One promise step (every write reads it): not an async function's two.
  return storage.get(metaKey(path)).then((raw) => (raw ? decodeJson<KeyMeta>(raw) : undefined));
}

/** The batch op that writes `meta`. */
export function putMetaOp(path: string, meta: KeyMeta): BatchOp {
  return { type: 'put', key: metaKey(path), value: encodeJson(meta) };
}

/** Fresh metadata for a secret that has none yet. */
export function emptyMeta(now = 0): KeyMeta {
  return { created: now, updated: now, current: 0, oldest: 0, maxVersions: 0, casRequired: false, deleteVersionAfter: 0, customMetadata: null, versions: {} };
}

/** Reads one version's data; undefined when it is not in storage (destroyed or pruned). */
export async function readVersionData(storage: Storage, path: string, version: number): Promise<Record<string, unknown> | undefined> {
  const raw = await storage.get(versionKey(path, version));
  return raw ? decodeJson<Record<string, unknown>>(raw) : undefined;
}

/** True once a version's deletion time has come (a soft delete takes effect at once). */
export function isDeleted(vm: VersionMeta, now: number): boolean {
  return vm.deletion !== null && vm.deletion <= now;
}

/** True when a version can be read: neither deleted nor destroyed. */
export function isLive(vm: VersionMeta, now: number): boolean {
  return !vm.destroyed && !isDeleted(vm, now);
}

/** Versions to keep: the larger of the key's and the mount's setting, 10 when neither is set (Vault's rule). */
export function effectiveMaxVersions(meta: KeyMeta, config: KvConfig): number {
  const larger = Math.max(meta.maxVersions, config.maxVersions);
  return larger > 0 ? larger : DEFAULT_MAX_VERSIONS;
}

/**
 * When a version created (or undeleted) at `from` is deleted automatically: `from` plus the
 * smaller non-zero of the mount's and the key's delete_version_after; null when neither is set
 * or the mount disabled it.
 */
export function autoDeletionTime(from: number, config: KvConfig, meta: KeyMeta): number | null {
  if (config.deleteVersionAfter < 0) return null;
  const candidates = [config.deleteVersionAfter, meta.deleteVersionAfter].filter((d) => d > 0);
  if (candidates.length === 0) return null;
  return from + Math.min(...candidates) * 1000;
}

/**
 * Appends version `current + 1` to `meta` (in place) and drops the versions past the limit,
 * moving `oldest` up. Returns the new version number and the numbers whose data must be deleted.
 */
export function addVersion(meta: KeyMeta, created: number, config: KvConfig): { version: number; pruned: number[] } {
  const version = meta.current + 1;
  meta.current = version;
  meta.versions[String(version)] = { created, deletion: autoDeletionTime(created, config, meta), destroyed: false };
  meta.updated = created;
  if (meta.created === 0) meta.created = created;
  const pruned: number[] = [];
  const max = effectiveMaxVersions(meta, config);
  if (meta.current - meta.oldest >= max) {
    const lastToDelete = meta.current - max;
    for (const key of Object.keys(meta.versions)) {
      const n = Number(key);
      if (n <= lastToDelete) {
        delete meta.versions[key];
        pruned.push(n);
      }
    }
    meta.oldest = lastToDelete + 1;
  }
  return { version, pruned: pruned.sort((a, b) => a - b) };
}

/** Vault's time format; unset times are `""`. */
export function timeString(ms: number | null): string {
  return ms === null || ms === 0 ? '' : rfc3339Nano(ms);
}

/** The per-version metadata block of read, write and patch responses. */
export function versionView(meta: KeyMeta, version: number): Record<string, unknown> {
  const vm = meta.versions[String(version)]!;
  return {
    created_time: timeString(vm.created),
    custom_metadata: meta.customMetadata,
    deletion_time: timeString(vm.deletion),
    destroyed: vm.destroyed,
    version,
  };
}
