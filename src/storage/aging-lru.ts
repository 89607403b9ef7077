/**
 * A least-recently-used map on V8's Map insertion order, bounded by entries and optionally by a
 * total weight (bytes), for the hot caches (stored values, token entries).
 *
 * A hit moves its entry to the back only once the entry has aged into the older half (`maxEntries
 * / 2` insertions behind), and evictions go in chunks, down to 15/16 of the bounds. Why: V8 keeps a
 * deleted Map entry in place (and in its bucket's chain) until the table is rehashed, so moving a
 * hot key on every hit made each re-insertion walk a chain of its own tombstones, and evicting one
 * entry at a time made each `keys().next()` walk the tombstones at the front: both grew with the
 * table (measured ~13 µs per hit at 20,000 entries, about a tenth of an AppRole login's CPU).
 * Invariant: an entry hit at least once per `maxEntries / 2` insertions is never evicted, as with
 * a strict LRU (test/storage/value-cache.test.ts).
 */

/** An entry and the insertion tick it was (re)inserted at. */
interface Slot<V> {
  value: V;
  tick: number;
}

/** See the module comment. */
export class AgingLru<V> {
  private readonly map = new Map<string, Slot<V>>();
  /** Insertions so far; the map's order is the order of their ticks. */
  private tick = 0;
  private weight = 0;

  /**
   * @param maxEntries entries kept at most
   * @param maxWeight total of `weigh(value)` kept at most (default: no bound)
   * @param weigh a value's weight (e.g. its bytes; default 0)
   */
  constructor(
    private readonly maxEntries: number,
    private readonly maxWeight = Infinity,
    private readonly weigh: (value: V) => number = () => 0,
  ) {}

  /** Entries held. */
  get size(): number {
    return this.map.size;
  }

  /** True when `key` is held (no recency change). */
  has(key: string): boolean {
    return this.map.has(key);
  }

  /** The value held for `key`, or undefined. */
  get(key: string): V | undefined {
    const slot = this.map.get(key);
    if (slot === undefined) return undefined;
    if (this.tick - slot.tick >= this.maxEntries >> 1) {
      this.map.delete(key);
      slot.tick = ++this.tick;
      this.map.set(key, slot);
    }
    return slot.value;
  }

  /** Holds `value` for `key` (replacing any), evicting the oldest entries beyond the bounds. */
  set(key: string, value: V): void {
    this.delete(key);
    this.map.set(key, { value, tick: ++this.tick });
    this.weight += this.weigh(value);
    if (this.map.size > this.maxEntries || this.weight > this.maxWeight) this.evict();
  }

  /** The values held, oldest first. */
  *values(): IterableIterator<V> {
    for (const slot of this.map.values()) yield slot.value;
  }

  delete(key: string): void {
    const slot = this.map.get(key);
    if (slot === undefined) return;
    this.map.delete(key);
    this.weight -= this.weigh(slot.value);
  }

  clear(): void {
    this.map.clear();
    this.weight = 0;
  }

  /** Drops the oldest entries down to 15/16 of both bounds, in one walk from the front. */
  private evict(): void {
    const entries = this.maxEntries - (this.maxEntries >> 4);
    const weight = Number.isFinite(this.maxWeight) ? this.maxWeight - this.maxWeight / 16 : Infinity;
    for (const [key, slot] of this.map) {
      if (this.map.size <= entries && this.weight <= weight) break;
      this.map.delete(key);
      this.weight -= this.weigh(slot.value);
    }
  }
}
