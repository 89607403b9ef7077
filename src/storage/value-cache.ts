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
 * Recency is kept by Map insertion order, but a hit moves its entry to the back only when it
 * finds it in the older half (`maxEntries / 2` insertions or more behind), and evictions are done
 * in chunks. Why: V8 leaves a deleted Map entry in place (and in its bucket's chain) until the
 * table is rehashed, so moving the same hot key on every hit made every re-insertion walk a chain
 * of its own tombstones, and evicting one entry at a time made every `keys().next()` walk the
 * tombstones at the front: both grew with the table (measured ~13 µs per hit at 20,000 entries,
 * about a tenth of an AppRole login's CPU before admission kept new keys out). An entry hit at
 * least once per `maxEntries / 2` insertions is never evicted, as with a strict LRU.
 */
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

/** A cached value and the insertion tick it was (re)inserted at. */
interface Slot {
  value: Buffer | null;
  tick: number;
}

/** Values (ciphertext: caches live below the barrier) by key; updated only after a commit. */
export class ValueCache {
  private readonly map = new Map<string, Slot>();
  private bytes = 0;
  private readonly sketch: AdmissionSketch;
  /** Insertions so far; the map's order is the order of their ticks. */
  private tick = 0;

  constructor(private readonly maxEntries: number, private readonly maxBytes: number) {
    this.sketch = new AdmissionSketch(Math.max(1024, maxEntries * 10));
  }

  /** Entries held (for tests and metrics). */
  get size(): number {
    return this.map.size;
  }

  /** The cached value, `null` when the key is known absent, undefined when not cached. */
  get(key: string): Buffer | null | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    // Refresh recency only once the entry has aged into the older half (see the file comment).
    if (this.tick - slot.tick >= this.maxEntries >> 1) {
      this.map.delete(key);
      slot.tick = ++this.tick;
      this.map.set(key, slot);
    }
    return slot.value;
  }

  /**
   * Offers a value read from the backend, or `null` for a key found absent. It is kept when the
   * key was cached already or offered before (second read: see the file's comment). The cache
   * keeps its own copy: callers may hand out or reuse `value`.
   */
  set(key: string, value: Uint8Array | null): void {
    const cached = this.map.has(key);
    this.delete(key);
    if (!this.sketch.offer(key) && !cached) return;
    if (value !== null && value.length > this.maxBytes / 64) return; // large values are not worth the memory
    this.map.set(key, { value: value === null ? null : Buffer.from(value), tick: ++this.tick });
    this.bytes += value?.length ?? 0;
    if (this.map.size > this.maxEntries || this.bytes > this.maxBytes) this.evict();
  }

  /**
   * Drops the oldest entries down to 15/16 of both bounds, in one walk from the front (one walk
   * over the front tombstones per chunk instead of one per evicted entry).
   */
  private evict(): void {
    const entries = this.maxEntries - (this.maxEntries >> 4);
    const bytes = this.maxBytes - (this.maxBytes >> 4);
    for (const [key, slot] of this.map) {
      if (this.map.size <= entries && this.bytes <= bytes) break;
      this.map.delete(key);
      this.bytes -= slot.value?.length ?? 0;
    }
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
    this.sketch.clear();
  }

  delete(key: string): void {
    const slot = this.map.get(key);
    if (slot !== undefined) {
      this.bytes -= slot.value?.length ?? 0;
      this.map.delete(key);
    }
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
