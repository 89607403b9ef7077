/**
 * A per-key async mutex: read-modify-write sequences on one secret (new version + metadata,
 * CAS checks) run one at a time within this process. Different keys never wait on each other.
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
      // Drop the entry when nobody queued behind us, so the map does not grow with every key ever written.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Number of keys with work queued or running (for tests). */
  get size(): number {
    return this.tails.size;
  }
}
