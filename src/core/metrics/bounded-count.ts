/**
 * A count of stored entries (tokens, leases) for the `coffer_tokens` / `coffer_leases` gauges and
 * `sys/internal/counters/tokens`, with a bounded cost per scrape.
 *
 * Counting N entries is a key listing of N keys (no decryption, but O(N)): about a second of
 * CPU per million tokens, which a scrape every 15 s must not pay each time. Invariant: a count
 * of at least `reuseFrom` entries is reused for `perEntryMs` per entry counted (capped at
 * `maxAgeMs`), so the listing's share of the CPU stays small and flat however large the store
 * grows (1,000,000 tokens: listed at most once per 5 minutes). Below `reuseFrom` every call
 * counts afresh, so small servers (and tests) see exact values. Concurrent callers share the
 * count in flight.
 */
export interface BoundedCountOptions {
  /** Counts below this are never reused (default 10,000). */
  reuseFrom: number;
  /** How long a count is reused per entry it counted, in ms (default 1: 100,000 entries → 100 s). */
  perEntryMs: number;
  /** The longest a count is reused (default 5 minutes). */
  maxAgeMs: number;
}

/** See the module comment. */
export class BoundedCount {
  readonly options: BoundedCountOptions;
  private last: { value: number; at: number } | undefined;
  private inflight: Promise<number> | undefined;

  /** `count` lists the entries; `now` is the server's clock in unix ms. */
  constructor(private readonly count: () => Promise<number>, private readonly now: () => number, options: Partial<BoundedCountOptions> = {}) {
    this.options = { reuseFrom: 10_000, perEntryMs: 1, maxAgeMs: 300_000, ...options };
  }

  /** The count: a fresh one, or a recent one of a large store (see the module comment). */
  get(): Promise<number> {
    const last = this.last;
    if (last && last.value >= this.options.reuseFrom) {
      const age = this.now() - last.at;
      if (age >= 0 && age < Math.min(this.options.maxAgeMs, last.value * this.options.perEntryMs)) return Promise.resolve(last.value);
    }
    this.inflight ??= this.count()
      .then((value) => {
        this.last = { value, at: this.now() };
        return value;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  /** Forgets the last count (the next call counts afresh). */
  reset(): void {
    this.last = undefined;
  }
}
