/**
 * Server configuration: HCL like Vault's (JSON accepted too).
 *
 * ```hcl
 * storage "sqlite" { path = "/var/lib/coffer/coffer.db" }   # cache_size_mb = 64: SQLite's page cache (bounded)
 * # storage "postgresql" { connection_url = "postgres://coffer@db/coffer" table = "coffer_kv" ha_enabled = true }
 * # api_addr = "https://coffer-1.example.internal:8200"   # with ha_enabled: what clients and other nodes are told
 * listener "tcp" {
 *   address       = "0.0.0.0:8200"
 *   tls_cert_file = "/etc/coffer/tls/server.crt"
 *   tls_key_file  = "/etc/coffer/tls/server.key"
 *   # tls_disable = true
 *   # azure_allow_plaintext = true   # Key Vault API on plain HTTP: only behind a TLS-terminating proxy
 *   # http_read_header_timeout = "10s"  http_read_timeout = "30s"  http_idle_timeout = "5s"
 *   # max_connections = 4096  max_connections_per_client = 256   (0: no cap)
 * }
 * seal "static" { key_file = "/etc/coffer/unseal.key" }   # optional auto-unseal
 * azure { base_domain = "vault.example.internal" }       # Key Vault front: https://<vault>.<base_domain>
 * telemetry { unauthenticated_metrics_access = true }    # GET /v1/sys/metrics without a token (default: read on sys/metrics)
 * events { webhook_allowed_hosts = ["hooks.example.com", "10.20.0.0/16"] }   # default: any but link-local/metadata
 * log_level = "info"
 * # bootstrap { mount "kv" { type = "kv" } ... }   # or bootstrap { file = "bootstrap.hcl" }: see bootstrap/spec.ts
 * ```
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, resolve } from 'node:path';
import { blocks, labeledBlocks, mergeBlocks, parseHcl, type HclObject } from '../core/hcl/parser.js';
import { normalizeBaseDomain } from '../api/azure/host.js';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from '../api/http/limits.js';
import { parseDuration } from '../core/fields.js';
import { parseBootstrap, type BootstrapSpec } from './bootstrap/spec.js';
import { DEFAULT_SQLITE_CACHE_SIZE_MB, SQLITE_CACHE_SIZE_MB_MAX, SQLITE_CACHE_SIZE_MB_MIN, SQLITE_MMAP_SIZE_MB_MAX } from '../storage/sqlite.js';

/** Parsed server configuration. */
export interface ServerConfig {
  storage: {
    type: 'inmem' | 'sqlite' | 'postgresql';
    path?: string;
    /** sqlite: SQLite page cache in MiB (default {@link DEFAULT_SQLITE_CACHE_SIZE_MB}); a fixed cap, not a share of the data. */
    cacheSizeMb?: number;
    /** sqlite: memory-mapped reads of up to this many MiB of the file (default 0: off; trade-offs in storage/sqlite.ts). */
    mmapSizeMb?: number;
    connectionUrl?: string;
    table?: string;
    /** PostgreSQL only: several active nodes share the table (leader election, change feed). */
    haEnabled?: boolean;
  };
  listener: {
    address: string;
    tlsCertFile?: string;
    tlsKeyFile?: string;
    tlsDisable: boolean;
    /** Serve the Key Vault API on this plain-HTTP listener (a TLS-terminating proxy is in front). */
    azureAllowPlaintext?: boolean;
    /** Timeouts and connection caps. */
    limits?: ListenerLimits;
  };
  seal?: { type: 'static'; keyFile: string };
  logLevel: string;
  clusterName?: string;
  apiAddr?: string;
  /** Key Vault front: vaults are served at `<v>.<azureBaseDomain>`; unset means `vault.localhost`. */
  azureBaseDomain?: string;
  /** The `telemetry { ... }` block. */
  telemetry?: { unauthenticatedMetricsAccess: boolean };
  /** What the server must contain, applied at init and every unseal (see bootstrap/spec.ts). */
  bootstrap?: BootstrapSpec;
  /** The `events { ... }` block: where webhooks may be sent (see features/events/destination.ts). */
  events?: { webhookAllowedHosts?: string[]; webhookDeniedAddresses?: string[] };
}

/** A configuration problem; the message names the file and the setting. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Obj = Record<string, unknown>;

/** `key "label" { ... }` blocks as `[label, body]` pairs, in source order. */
function labelled(doc: HclObject, key: string, source: string): [string, Obj][] {
  try {
    return labeledBlocks(doc, key).map(({ label, body }) => [label, body as Obj]);
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
}

/** An unlabeled block such as `azure { ... }` (repeats merge). */
function single(doc: HclObject, key: string, source: string): Obj {
  try {
    return mergeBlocks(blocks(doc[key], `"${key}"`)) as Obj;
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
}

function str(body: Obj, key: string, where: string): string | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new ConfigError(`${where}: "${key}" must be a string`);
  return String(v);
}

/** The `events { ... }` block: two lists of hosts / address blocks, each checked here. */
function eventsBlock(body: Obj, where: string): NonNullable<ServerConfig['events']> {
  const known = ['webhook_allowed_hosts', 'webhook_denied_addresses'];
  for (const key of Object.keys(body)) if (!known.includes(key)) throw new ConfigError(`${where}: unknown setting "${key}" (known: ${known.join(', ')})`);
  const list = (key: string): string[] | undefined => {
    const v = body[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.trim() === '')) throw new ConfigError(`${where}: "${key}" must be a list of strings, e.g. ["hooks.example.com", "10.0.0.0/8"]`);
    return v.map((x: string) => x.trim());
  };
  const block = (entry: string, key: string) => {
    const [addr, bits] = entry.split('/');
    const family = isIP(addr!);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
      throw new ConfigError(`${where}: "${key}": "${entry}" is not an address or address block (e.g. "10.0.0.0/8", "fd00::/8")`);
    }
  };
  const allowed = list('webhook_allowed_hosts');
  for (const h of allowed ?? []) {
    if (isIP(h.split('/')[0]!) !== 0) block(h, 'webhook_allowed_hosts');
    else if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/.test(h)) {
      throw new ConfigError(`${where}: "webhook_allowed_hosts": "${h}" is not a host name, "*.domain" or address block`);
    }
  }
  const denied = list('webhook_denied_addresses');
  for (const d of denied ?? []) block(d, 'webhook_denied_addresses');
  return { ...(allowed ? { webhookAllowedHosts: allowed } : {}), ...(denied ? { webhookDeniedAddresses: denied } : {}) };
}

function bool(body: Obj, key: string): boolean {
  const v = body[key];
  return v === true || v === 'true' || v === 1 || v === '1';
}

/**
 * A size in MiB of a sqlite block (`cache_size_mb`, `mmap_size_mb`): a whole number within the
 * bounds SqliteStorage accepts (a string of digits too, as HCL from templating often quotes numbers).
 */
function sqliteMiB(body: Obj, key: string, min: number, max: number, fallback: string, where: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${where}: "${key}" must be a whole number of MiB from ${min} to ${max} (got ${JSON.stringify(v)}); the default is ${fallback}`);
  }
  return n;
}

/**
 * Parses one `storage "<type>" { ... }` block (also used by `coffer operator migrate` for its
 * storage_source / storage_destination blocks); `where` prefixes error messages.
 */
export function parseStorageBlock(storageType: string, storageBody: Obj, where: string, baseDir = process.cwd()): ServerConfig['storage'] {
  let storage: ServerConfig['storage'];
  if (storageType === 'sqlite' || storageType === 'file' || storageType === 'raft') {
    const path = str(storageBody, 'path', where);
    if (!path) throw new ConfigError(`${where}: "path" is required (the database file, e.g. /var/lib/coffer/coffer.db)`);
    storage = { type: 'sqlite', path: resolve(baseDir, path.endsWith('.db') ? path : `${path}/coffer.db`) };
    const cacheSizeMb = sqliteMiB(storageBody, 'cache_size_mb', SQLITE_CACHE_SIZE_MB_MIN, SQLITE_CACHE_SIZE_MB_MAX, String(DEFAULT_SQLITE_CACHE_SIZE_MB), where);
    if (cacheSizeMb !== undefined) storage.cacheSizeMb = cacheSizeMb;
    const mmapSizeMb = sqliteMiB(storageBody, 'mmap_size_mb', 0, SQLITE_MMAP_SIZE_MB_MAX, '0 (off)', where);
    if (mmapSizeMb !== undefined) storage.mmapSizeMb = mmapSizeMb;
  } else if (storageType === 'postgresql' || storageType === 'postgres') {
    const connectionUrl = str(storageBody, 'connection_url', where) ?? process.env.COFFER_PG_CONNECTION_URL;
    if (!connectionUrl) throw new ConfigError(`${where}: "connection_url" is required (or set COFFER_PG_CONNECTION_URL)`);
    storage = { type: 'postgresql', connectionUrl, table: str(storageBody, 'table', where), haEnabled: bool(storageBody, 'ha_enabled') };
  } else if (storageType === 'inmem') {
    storage = { type: 'inmem' };
  } else {
    throw new ConfigError(`${where}: unknown storage type (use "sqlite", "postgresql" or "inmem")`);
  }
  if (storage.type !== 'sqlite' && storageBody.cache_size_mb !== undefined) {
    throw new ConfigError(`${where}: cache_size_mb applies only to storage "sqlite" (its page cache); remove it`);
  }
  if (storage.type !== 'sqlite' && storageBody.mmap_size_mb !== undefined) {
    throw new ConfigError(`${where}: mmap_size_mb applies only to storage "sqlite" (memory-mapped reads of its file); remove it`);
  }
  if (storage.type !== 'postgresql' && bool(storageBody, 'ha_enabled')) {
    throw new ConfigError(`${where}: ha_enabled needs storage "postgresql" (several nodes share one database); ${storage.type} storage belongs to one server — remove ha_enabled or move to PostgreSQL`);
  }
  return storage;
}

/** Parses configuration text; relative file paths resolve against `baseDir`. */
export function parseServerConfig(text: string, source: string, baseDir = process.cwd()): ServerConfig {
  let doc: HclObject;
  try {
    // Positions let a bootstrap error name its line.
    doc = parseHcl(text, { positions: true });
  } catch (err) {
    throw new ConfigError(`${source}: ${(err as Error).message}`);
  }
  const known = new Set(['storage', 'backend', 'listener', 'seal', 'log_level', 'cluster_name', 'api_addr', 'ui', 'disable_mlock', 'cluster_addr', 'default_lease_ttl', 'max_lease_ttl', 'azure', 'telemetry', 'bootstrap', 'events']);
  for (const key of Object.keys(doc)) if (!known.has(key)) throw new ConfigError(`${source}: unknown setting "${key}" (known: ${[...known].join(', ')})`);

  const storages = labelled(doc, doc.storage !== undefined ? 'storage' : 'backend', source);
  if (storages.length !== 1) throw new ConfigError(`${source}: exactly one storage block is required, e.g. storage "sqlite" { path = "/var/lib/coffer/coffer.db" }`);
  const [storageType, storageBody] = storages[0]!;
  const storage = parseStorageBlock(storageType, storageBody, `${source}: storage "${storageType}"`, baseDir);

  const listeners = labelled(doc, 'listener', source);
  if (listeners.length > 1) throw new ConfigError(`${source}: only one listener block is supported`);
  const [listenerType, lb] = listeners[0] ?? ['tcp', {}];
  if (listenerType !== 'tcp') throw new ConfigError(`${source}: listener "${listenerType}" is not supported (use listener "tcp")`);
  const lwhere = `${source}: listener "tcp"`;
  const listener: ServerConfig['listener'] = {
    address: str(lb, 'address', lwhere) ?? '127.0.0.1:8200',
    tlsCertFile: optPath(str(lb, 'tls_cert_file', lwhere), baseDir),
    tlsKeyFile: optPath(str(lb, 'tls_key_file', lwhere), baseDir),
    tlsDisable: bool(lb, 'tls_disable'),
    azureAllowPlaintext: bool(lb, 'azure_allow_plaintext'),
    limits: listenerLimits(lb, lwhere),
  };
  if (!listener.tlsDisable && (!!listener.tlsCertFile !== !!listener.tlsKeyFile)) {
    throw new ConfigError(`${lwhere}: set both tls_cert_file and tls_key_file, or tls_disable = true`);
  }

  let seal: ServerConfig['seal'];
  const seals = labelled(doc, 'seal', source);
  if (seals.length > 1) throw new ConfigError(`${source}: only one seal block is supported`);
  if (seals.length === 1) {
    const [sealType, sb] = seals[0]!;
    if (sealType !== 'static') throw new ConfigError(`${source}: seal "${sealType}" is not supported (use seal "static" { key_file = "..." }, or no seal block for Shamir)`);
    const keyFile = str(sb, 'key_file', `${source}: seal "static"`);
    if (!keyFile) throw new ConfigError(`${source}: seal "static" needs key_file (a file with 32 random bytes, mode 0600)`);
    seal = { type: 'static', keyFile: resolve(baseDir, keyFile) };
  }

  let azureBaseDomain: string | undefined;
  if (doc.azure !== undefined) {
    const ab = single(doc, 'azure', source);
    const awhere = `${source}: azure`;
    for (const key of Object.keys(ab)) if (key !== 'base_domain') throw new ConfigError(`${awhere}: unknown setting "${key}" (known: base_domain)`);
    const raw = str(ab, 'base_domain', awhere);
    if (raw !== undefined) {
      try {
        azureBaseDomain = normalizeBaseDomain(raw);
      } catch (err) {
        throw new ConfigError(`${awhere}: ${(err as Error).message}`);
      }
    }
  }

  let telemetry: ServerConfig['telemetry'];
  if (doc.telemetry !== undefined) {
    const tb = single(doc, 'telemetry', source);
    const twhere = `${source}: telemetry`;
    for (const key of Object.keys(tb)) if (key !== 'unauthenticated_metrics_access') throw new ConfigError(`${twhere}: unknown setting "${key}" (known: unauthenticated_metrics_access)`);
    const v = tb.unauthenticated_metrics_access;
    if (v !== undefined && typeof v !== 'boolean' && v !== 'true' && v !== 'false') {
      throw new ConfigError(`${twhere}: "unauthenticated_metrics_access" must be true or false`);
    }
    telemetry = { unauthenticatedMetricsAccess: bool(tb, 'unauthenticated_metrics_access') };
  }

  let events: ServerConfig['events'];
  if (doc.events !== undefined) events = eventsBlock(single(doc, 'events', source), `${source}: events`);

  let bootstrap: BootstrapSpec | undefined;
  if (doc.bootstrap !== undefined) {
    try {
      bootstrap = parseBootstrap(doc.bootstrap, source, baseDir, doc);
    } catch (err) {
      throw new ConfigError((err as Error).message);
    }
  }

  return {
    storage,
    listener,
    seal,
    azureBaseDomain,
    telemetry,
    bootstrap,
    events,
    logLevel: str(doc, 'log_level', source) ?? 'info',
    clusterName: str(doc, 'cluster_name', source),
    apiAddr: str(doc, 'api_addr', source),
  };
}

/** The listener's timeouts and connection caps; unset settings keep DEFAULT_LISTENER_LIMITS. */
function listenerLimits(lb: Obj, where: string): ListenerLimits {
  const d = DEFAULT_LISTENER_LIMITS;
  const limits: ListenerLimits = {
    headersTimeoutMs: durationMs(lb, 'http_read_header_timeout', where) ?? d.headersTimeoutMs,
    requestTimeoutMs: durationMs(lb, 'http_read_timeout', where) ?? d.requestTimeoutMs,
    idleTimeoutMs: durationMs(lb, 'http_idle_timeout', where) ?? d.idleTimeoutMs,
    maxConnections: count(lb, 'max_connections', where) ?? d.maxConnections,
    maxConnectionsPerClient: count(lb, 'max_connections_per_client', where) ?? d.maxConnectionsPerClient,
  };
  // Node refuses a header timeout longer than the request timeout (the headers are part of the request).
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    throw new ConfigError(`${where}: http_read_header_timeout (${limits.headersTimeoutMs / 1000}s) cannot be longer than http_read_timeout (${limits.requestTimeoutMs / 1000}s)`);
  }
  return limits;
}

/** A duration setting ("10s", "1m", or seconds as a number) in ms; at least one second. */
function durationMs(body: Obj, key: string, where: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  let seconds: number;
  try {
    seconds = parseDuration(v, key);
  } catch {
    throw new ConfigError(`${where}: "${key}" must be a duration such as "10s" or "1m"`);
  }
  if (seconds < 1) throw new ConfigError(`${where}: "${key}" must be at least 1s`);
  return seconds * 1000;
}

/** A non-negative whole-number setting (0 meaning "no limit"). */
function count(body: Obj, key: string, where: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError(`${where}: "${key}" must be a whole number (0 for no limit)`);
  return n;
}

function optPath(p: string | undefined, baseDir: string): string | undefined {
  return p ? resolve(baseDir, p) : undefined;
}

/** Reads and parses a configuration file. */
export function loadServerConfig(file: string): ServerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseServerConfig(text, file, dirname(resolve(file)));
}
