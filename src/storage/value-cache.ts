/**
 * A small LRU of stored values by key, bounded by entries and bytes, for a backend that is the
 * only writer of its store (SQLite's locked file, PostgreSQL in exclusive mode). It may also
 * remember that a key is absent (`null`), which costs one entry and no bytes.
 *
 * Admission: a key enters the cache on its second fill within the sketch's window (see
 * {@link AdmissionSketch}), not its first. With a data set far larger than the cache and reads
 * spread over it (a million secrets read at random), first-time fills were nearly all evicted
 * unread, and copying and retaining them only made garbage-collector work; with a working set
 * that fits, every key is in after its second read, and one pass over cold keys (a scan, a
 * listing of everything) no longer flushes the hot ones.
 *
 * Recency and eviction: {@link AgingLru} (a hit refreshes only an entry that has aged, evictions
 * go in chunks: V8 Map tombstones made a strict LRU's every hit cost ~13 µs at 20,000 entries).
 */
import { AgingLru } from './aging-lru.js';
import type { BatchOp } from './types.js';

/**
 * A count-min sketch of how often keys were offered to the cache recently: 2^20 4-bit-saturating
 * counters (one byte each, 1 MiB), two indexes per key. Counters are halved after every
 * `window` offers, so "seen before" means "within roughly the last `window` offers". A false
 * "seen" (both counters raised by other keys) only admits a key early: the sketch decides what
 * is worth caching, never what a read returns.
 */
export class AdmissionSketch {
  private readonly counters = new Uint8Array(1 << 20);
  private offers = 0;

  /** @param window offers between two halvings (about ten times the cache's entries) */
  constructor(private readonly window: number) {}

  /** Records one offer of `key`; true when the key had been offered before within the window. */
  offer(key: string): boolean {
    // FNV-1a over the UTF-16 code units; the second index from a multiplicative remix.
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    const a = (h >>> 0) & 0xfffff;
    const b = (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 12) & 0xfffff;
    const c = this.counters;
    const seen = c[a]! > 0 && c[b]! > 0;
    if (c[a]! < 15) c[a]!++;
    if (c[b]! < 15) c[b]!++;
    if (++this.offers >= this.window) this.age();
    return seen;
  }

  private age(): void {
    this.offers = 0;
    const c = this.counters;
    for (let i = 0; i < c.length; i++) c[i]! >>= 1;
  }

  /** Forgets every key (the cache was cleared). */
  clear(): void {
    this.counters.fill(0);
    this.offers = 0;
  }
}

/** Values (ciphertext: caches live below the barrier) by key; updated only after a commit. */
export class ValueCache {
  private readonly lru: AgingLru<Buffer | null>;
  private readonly sketch: AdmissionSketch;

  constructor(maxEntries: number, private readonly maxBytes: number) {
    this.lru = new AgingLru<Buffer | null>(maxEntries, maxBytes, (v) => v?.length ?? 0);
    this.sketch = new AdmissionSketch(Math.max(1024, maxEntries * 10));
  }

  /** Entries held (for tests and metrics). */
  get size(): number {
    return this.lru.size;
  }

  /** The cached value, `null` when the key is known absent, undefined when not cached. */
  get(key: string): Buffer | null | undefined {
    return this.lru.get(key);
  }

  /**
   * Offers a value read from the backend, or `null` for a key found absent. It is kept when the
   * key was cached already or offered before (second read: see the file's comment). The cache
   * keeps its own copy: callers may hand out or reuse `value`.
   */
  set(key: string, value: Uint8Array | null): void {
    const cached = this.lru.has(key);
    this.lru.delete(key);
    if (!this.sketch.offer(key) && !cached) return;
    if (value !== null && value.length > this.maxBytes / 64) return; // large values are not worth the memory
    this.lru.set(key, value === null ? null : Buffer.from(value));
  }

  clear(): void {
    this.lru.clear();
    this.sketch.clear();
  }

  delete(key: string): void {
    this.lru.delete(key);
  }

  /**
   * Mirrors committed operations; with `absent`, a delete is remembered as a known absence.
   * Invariant: after this, no key of `ops` holds its old value (it holds the new one or nothing).
   */
  apply(ops: Iterable<BatchOp>, absent = false): void {
    for (const op of ops) {
      if (op.type === 'put') this.set(op.key, op.value);
      else if (absent) this.set(op.key, null);
      else this.delete(op.key);
    }
  }
}
