/**
 * A per-key async mutex: read-modify-write sequences on one item (a token's use count, a KV
 * secret's new version and metadata, a role and its index) run one at a time within this
 * process. Different keys never wait on each other. Several nodes sharing one database need a
 * storage-level guard on top (see the notes on multi-node operation).
 */
import { promiseOf } from '../storage/promise-step.js';

/** Serialises async work per key. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Runs `fn` once every earlier `run` on the same key has settled. Uncontended (the common case:
   * every KV write takes one), `fn` starts at once and the run costs two promises, not an async
   * function's five (each costs hook work while a transaction runs).
   */
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    // Tails never reject: the next run waits for this one to settle, however it ends.
    const tail = previous === undefined ? done : previous.then(() => done);
    this.tails.set(key, tail);
    const finish = (): void => {
      release();
      // Drop the entry when nobody queued behind us, so the map does not grow with every key ever written.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
    const result = previous === undefined ? promiseOf(fn) : previous.then(fn);
    return result.then(
      (value) => {
        finish();
        return value;
      },
      (err: unknown) => {
        finish();
        throw err;
      },
    );
  }

  /** Number of keys with work queued or running (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
