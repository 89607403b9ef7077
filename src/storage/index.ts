/**
 * Storage backends and the factory that picks one from configuration.
 */

import { MemoryStorage } from './memory.js';
import { PostgresStorage } from './postgres.js';
import { SqliteStorage } from './sqlite.js';
import type { NamedStorage } from './types.js';

export type { BatchCondition, BatchOp, ChangeFeed, ClusterCoordinator, ClusterMember, ListOptions, NamedStorage, SnapshotStorage, Storage, StorageEntry, StorageSnapshot } from './types.js';
export { ConflictError, isConflictError } from './errors.js';
export { TransactionalStorage } from './transaction.js';
export { MemoryStorage } from './memory.js';
export { SqliteStorage } from './sqlite.js';
export { PostgresStorage, redactConnectionUrl, type PostgresStorageOptions } from './postgres.js';
export { PrefixedStorage } from './prefixed.js';
export { StorageUnavailableError, isStorageUnavailableError } from './errors.js';
export { parseConnectionUrl, type PgHost, type PgTargets } from './postgres-hosts.js';
export { PostgresCoordinator, type PostgresCoordinatorOptions } from './postgres-cluster.js';

/** The `storage` section of the configuration. */
export interface StorageConfig {
  type: 'inmem' | 'sqlite' | 'postgresql';
  /** sqlite: database file path. */
  path?: string;
  /** sqlite: page cache in MiB (default 64, see sqlite.ts). */
  cacheSizeMb?: number;
  /** sqlite: memory-mapped reads of up to this many MiB of the file (default 0: off, see sqlite.ts). */
  mmapSizeMb?: number;
  /** postgresql: connection string; several hosts in libpq's form are followed through failovers. */
  connectionUrl?: string;
  /** postgresql: table name (default `coffer_kv`). */
  table?: string;
  /** postgresql: hold an advisory lock so one server at a time uses the table (servers set it; not in HA mode). */
  exclusive?: boolean;
  /** postgresql: several active nodes on the table (change feed); `nodeId` unique per node. */
  ha?: { nodeId: string; maxLagMs?: number };
  /** postgresql: connect timeout per host in ms (default 10000); bounds how long a call waits while the database fails over. */
  connectTimeoutMs?: number;
  /** postgresql: client-side bound on one statement in ms (default 30000). */
  queryTimeoutMs?: number;
}

const TYPES = ['inmem', 'sqlite', 'postgresql'] as const;

/**
 * Open the storage backend `config` describes. Throws an Error that says how to fix
 * the configuration when it is incomplete or names an unknown backend.
 */
export async function createStorage(config: StorageConfig): Promise<NamedStorage> {
  if (config === null || typeof config !== 'object') {
    throw new Error(`storage config must be an object with a "type" (${TYPES.join(', ')})`);
  }
  const { type } = config as { type?: unknown };
  const option = (name: 'path' | 'connectionUrl' | 'table'): string | undefined => {
    const v = (config as unknown as Record<string, unknown>)[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.trim() === '') {
      throw new Error(`storage config: "${name}" must be a non-empty string`);
    }
    return v;
  };
  const refuse = (name: 'path' | 'connectionUrl' | 'table'): void => {
    if (option(name) !== undefined) {
      throw new Error(`storage config: "${name}" does not apply to storage type "${String(type)}"`);
    }
  };
  // Several active nodes need a shared database; sqlite and inmem are one process each.
  const refuseHa = (): void => {
    if ((config as { ha?: unknown }).ha !== undefined) {
      throw new Error(`storage config: "ha" needs storage type "postgresql" (got "${String(type)}")`);
    }
  };

  switch (type) {
    case 'inmem':
      refuseHa();
      refuse('path');
      refuse('connectionUrl');
      refuse('table');
      return new MemoryStorage();
    case 'sqlite': {
      refuseHa();
      refuse('connectionUrl');
      refuse('table');
      const path = option('path');
      if (path === undefined) {
        throw new Error('storage config: type "sqlite" needs "path", the database file (e.g. "/var/lib/coffer/coffer.db")');
      }
      return SqliteStorage.open(path, {
        ...(config.cacheSizeMb !== undefined ? { cacheSizeMb: config.cacheSizeMb } : {}),
        ...(config.mmapSizeMb !== undefined ? { mmapSizeMb: config.mmapSizeMb } : {}),
      });
    }
    case 'postgresql': {
      refuse('path');
      const connectionUrl = option('connectionUrl');
      if (connectionUrl === undefined) {
        throw new Error(
          'storage config: type "postgresql" needs "connectionUrl" (e.g. "postgres://coffer@127.0.0.1:5432/coffer")',
        );
      }
      return PostgresStorage.open({
        connectionUrl,
        table: option('table'),
        exclusive: config.exclusive === true,
        ...(config.ha !== undefined ? { ha: config.ha } : {}),
        connectTimeoutMs: config.connectTimeoutMs,
        queryTimeoutMs: config.queryTimeoutMs,
      });
    }
    default:
      throw new Error(
        `storage config: unknown storage type ${JSON.stringify(type) ?? 'undefined'}; use one of ${TYPES.join(', ')}`,
      );
  }
}
