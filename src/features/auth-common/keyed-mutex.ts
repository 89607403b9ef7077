/**
 * A per-key async mutex for read-modify-write sequences inside one process (a role update and
 * its role-id index, a secret-id's use count). Different keys never wait on each other.
 */

/** Serialises async work per key. */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` once every earlier `run` on the same key has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      // Drop the entry when nobody queued behind us, so the map does not grow with every key.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
