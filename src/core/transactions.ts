/**
 * How core runs storage transactions: a request's storage work is one transaction, run again when
 * it conflicts with a transaction that committed first (on this node or another); some writes
 * must commit on their own, whatever becomes of the request around them (a spent token use, a
 * failed login, a keyring change).
 */
import { ConflictError, StorageUnavailableError } from '../storage/errors.js';
import type { TransactionalStorage } from '../storage/transaction.js';
import { CofferError } from './errors.js';

/** How often a conflicting transaction is run again before the request gets a 503. */
const ATTEMPTS = 12;

/** Options of {@link Transactions.detached}. */
export interface DetachedOptions {
  /** Run again on conflict (default true); false lets the caller see the ConflictError. */
  retry?: boolean;
}

/** Runs core's storage work in transactions of the one transactional storage. */
export class Transactions {
  constructor(private readonly storage: TransactionalStorage) {}

  /**
   * Runs a request's work as one transaction, or as part of the one already running (a request
   * handled inside another). `fn` must be safe to run again: it is, when its only effects are
   * storage writes (discarded on conflict) and caches that the discard invalidates.
   */
  request<T>(fn: () => Promise<T>): Promise<T> {
    if (this.storage.inTransaction()) return fn();
    return retrying(() => this.storage.run(fn));
  }

  /** Runs `fn` as a transaction of its own, committed when it resolves, even inside a request's transaction. */
  detached<T>(fn: () => Promise<T>, options: DetachedOptions = {}): Promise<T> {
    const once = () => this.storage.runDetached(fn);
    return options.retry === false ? once() : retrying(once);
  }

  /** Runs `fn` outside any transaction (for timers started during a request; see TransactionalStorage.outside). */
  outside<T>(fn: () => T): T {
    return this.storage.outside(fn);
  }

  /** True for the error a conflicting commit throws. */
  isConflict(err: unknown): boolean {
    return err instanceof ConflictError;
  }

  /** The client-facing error for a storage failure, or undefined when `err` is not one. */
  translate(err: unknown): CofferError | undefined {
    if (err instanceof ConflictError) {
      return new CofferError('unavailable', `the request conflicted with concurrent changes ${ATTEMPTS} times in a row and was not applied; retry it`);
    }
    if (err instanceof StorageUnavailableError) {
      return new CofferError('unavailable', err.notApplied ? err.message : `${err.message} (the request may not have been applied; retry it)`);
    }
    return undefined;
  }
}

async function retrying<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConflictError) || i >= ATTEMPTS) throw err;
      // Jittered, growing pause: racing writers (often on other nodes) spread out instead of colliding again.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** i)));
    }
  }
}
