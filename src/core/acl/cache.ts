/**
 * Compiled ACLs cached by policy set, so a request never re-parses or re-compiles policies.
 * Any policy change calls `invalidate()`, which drops every entry (policy writes are rare).
 */
import { ACL } from './acl.js';
import type { Policy } from './policy.js';

/** Loads a parsed policy by name; undefined when it does not exist (it is then skipped, as in Vault). */
export type PolicyLoader = (name: string) => Promise<Policy | undefined>;

/** Options for {@link AclCache}. */
export interface AclCacheOptions {
  /** Most distinct policy sets kept (least recently used are dropped). Default 1024. */
  maxEntries?: number;
}

/** Caches compiled {@link ACL}s keyed by the sorted, de-duplicated set of policy names. */
export class AclCache {
  private readonly maxEntries: number;
  /** Promises, so concurrent requests with the same policy set share one load and compile. */
  private entries = new Map<string, Promise<ACL>>();
  private generation = 0;
  /**
   * Fast path keyed by the policy array itself: a token's (frozen) policy list is the same
   * object on every request, so the sort-and-key step is skipped. Stale after invalidate().
   */
  private readonly byArray = new WeakMap<readonly string[], { generation: number; acl: Promise<ACL> }>();
  /** Lookups served from the cache or compiled (for sys/metrics); root sets are not counted. */
  readonly stats = { hits: 0, misses: 0 };

  constructor(options: AclCacheOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 1024);
  }

  /**
   * The ACL for `policyNames` (order and duplicates do not matter). A set containing `root`
   * is the root ACL without loading anything. Missing policies are skipped.
   */
  get(policyNames: readonly string[], load: PolicyLoader): Promise<ACL> {
    const fast = this.byArray.get(policyNames);
    if (fast && fast.generation === this.generation) {
      this.stats.hits++;
      return fast.acl;
    }
    const acl = this.lookup(policyNames, load);
    // Only frozen arrays can be trusted not to change under the cached result.
    if (Object.isFrozen(policyNames)) {
      const memo = { generation: this.generation, acl };
      this.byArray.set(policyNames, memo);
      // A failed load is not remembered (same rule as the keyed entries).
      acl.catch(() => {
        if (this.byArray.get(policyNames) === memo) this.byArray.delete(policyNames);
      });
    }
    return acl;
  }

  private lookup(policyNames: readonly string[], load: PolicyLoader): Promise<ACL> {
    const names = [...new Set(policyNames)].sort();
    if (names.includes('root')) return Promise.resolve(ACL.root());
    const key = JSON.stringify(names);
    const hit = this.entries.get(key);
    if (hit) {
      // Refresh recency: Map iteration order is insertion order.
      this.entries.delete(key);
      this.entries.set(key, hit);
      this.stats.hits++;
      return hit;
    }
    this.stats.misses++;
    const generation = this.generation;
    const pending = Promise.all(names.map((n) => load(n))).then((loaded) => new ACL(loaded.filter((p): p is Policy => p !== undefined)));
    this.entries.set(key, pending);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    pending.catch(() => {
      // A failed load is not cached; only remove our own entry (not one made after invalidate()).
      if (this.generation === generation && this.entries.get(key) === pending) this.entries.delete(key);
    });
    return pending;
  }

  /** Drops every cached ACL; call whenever any policy is written or deleted. */
  invalidate(): void {
    this.generation++;
    this.entries = new Map();
  }

  /** How many policy sets are cached (for tests and metrics). */
  get size(): number {
    return this.entries.size;
  }
}
