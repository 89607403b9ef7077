/**
 * A per-key async mutex: read-modify-write sequences on one item (a token's use count, a KV
 * secret's new version and metadata, a role and its index) run one at a time within this
 * process. Different keys never wait on each other. Several nodes sharing one database need a
 * storage-level guard on top (see the notes on multi-node operation).
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
