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
