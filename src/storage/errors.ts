/**
 * Errors of the storage contract that callers act on (as opposed to plain Errors for bad input).
 */

/**
 * A condition of a conditional batch did not hold when the batch would have committed:
 * nothing was written. The caller re-reads and retries. The message never names the key
 * (keys can embed salted token hashes).
 */
export class ConflictError extends Error {
  /** Stable code callers and the core's retry loop test for. */
  readonly code = 'storage_conflict';

  constructor(message = 'storage conflict: a value read by this operation was changed concurrently; re-read and retry') {
    super(message);
    this.name = 'ConflictError';
  }
}

/** True for a {@link ConflictError}, also one from another copy of this module. */
export function isConflictError(err: unknown): err is ConflictError {
  return err instanceof ConflictError || (err as { code?: unknown } | null)?.code === 'storage_conflict';
}

/**
 * The storage backend cannot take the call right now (for PostgreSQL: no writable primary
 * answers, or the connection to it dropped mid-call, so the outcome of that call is unknown; for
 * SQLite: the disk is full, the write was not applied). The caller answers 503 and the client
 * retries later. The message names hosts, never a password.
 */
export class StorageUnavailableError extends Error {
  /** Stable code callers test for (the server maps it to 503). */
  readonly code = 'storage_unavailable';
  /** The hosts that were tried, as `host:port`. */
  readonly hosts: string[];
  /** Why each host was not used (`host:port: reason`), for logs; no secrets. */
  readonly reasons: string[];

  /** True when the call surely changed nothing (else its outcome is unknown). */
  readonly notApplied: boolean;

  /** `message` replaces the default "no writable primary reachable" text. */
  constructor(hosts: string[], options?: { reasons?: string[]; cause?: unknown; message?: string; notApplied?: boolean }) {
    super(options?.message ?? `storage unavailable: no writable PostgreSQL primary reachable at ${hosts.join(', ')}; retrying`, { cause: options?.cause });
    this.name = 'StorageUnavailableError';
    this.hosts = hosts;
    this.reasons = options?.reasons ?? [];
    this.notApplied = options?.notApplied ?? false;
  }
}

/** True for a {@link StorageUnavailableError}, also one from another copy of this module. */
export function isStorageUnavailableError(err: unknown): err is StorageUnavailableError {
  return err instanceof StorageUnavailableError || (err as { code?: unknown } | null)?.code === 'storage_unavailable';
}
