/**
 * ACL policies: stored (in the barrier) as their raw text, parsed once, compiled into ACLs
 * cached per policy set. `root` is built in and immutable; `default` is created at init,
 * editable, and cannot be deleted.
 */
import type { Storage } from '../storage/types.js';
import { ACL } from './acl/acl.js';
import { AclCache } from './acl/cache.js';
import { DEFAULT_POLICY_TEXT, RESPONSE_WRAPPING_POLICY_TEXT, parsePolicy, type Policy } from './acl/policy.js';
import { badRequest } from './errors.js';

const NAME_RE = /^[a-z0-9_.@+=-]{1,128}$/;

/** Stored form of a policy. */
interface StoredPolicy {
  name: string;
  policy: string;
  modified: number;
  version: number;
}

/** Reads, writes and compiles policies. */
export class PolicyStore {
  private readonly parsed = new Map<string, Policy | null>();
  private readonly cache = new AclCache();

  constructor(private readonly storage: Storage, private readonly now: () => number) {}

  /** Writes the `default` policy if it does not exist yet (at init and after upgrades). */
  async ensureDefaults(): Promise<void> {
    if (!(await this.storage.get('default'))) await this.write('default', DEFAULT_POLICY_TEXT);
  }

  /** Lower-cases and validates a policy name. */
  static normalizeName(raw: string): string {
    const name = raw.trim().toLowerCase();
    if (!NAME_RE.test(name)) throw badRequest(`invalid policy name "${raw.slice(0, 64)}": use 1-128 characters from a-z 0-9 _ . @ + = -`);
    return name;
  }

  /** The raw text of a policy, or undefined. */
  async read(rawName: string): Promise<{ name: string; policy: string; modified?: number; version?: number } | undefined> {
    const name = PolicyStore.normalizeName(rawName);
    if (name === 'root') return { name: 'root', policy: '' };
    const raw = await this.storage.get(name);
    if (!raw) return undefined;
    return JSON.parse(Buffer.from(raw).toString('utf8')) as StoredPolicy;
  }

  /** Creates or replaces a policy after parsing it (a parse error is a 400 and writes nothing). */
  async write(rawName: string, text: string): Promise<void> {
    const name = PolicyStore.normalizeName(rawName);
    if (name === 'root') throw badRequest('cannot update "root" policy');
    if (name === 'response-wrapping') throw badRequest('cannot update "response-wrapping" policy');
    const parsed = parsePolicy(name, text);
    const previous = await this.read(name);
    const stored: StoredPolicy = { name, policy: text, modified: this.now(), version: (previous?.version ?? 0) + 1 };
    await this.storage.put(name, Buffer.from(JSON.stringify(stored)));
    this.parsed.set(name, parsed);
    this.cache.invalidate();
  }

  /** Deletes a policy; deleting a missing one succeeds (idempotent). */
  async delete(rawName: string): Promise<void> {
    const name = PolicyStore.normalizeName(rawName);
    if (name === 'root') throw badRequest('cannot delete "root" policy');
    if (name === 'default') throw badRequest('cannot delete "default" policy');
    if (name === 'response-wrapping') throw badRequest('cannot delete "response-wrapping" policy');
    await this.storage.delete(name);
    this.parsed.delete(name);
    this.cache.invalidate();
  }

  /** All policy names, `root` included, sorted. */
  async list(): Promise<string[]> {
    const names: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.storage.list('', { after, limit: 1000 });
      names.push(...page.filter((n) => !n.endsWith('/')));
      if (page.length < 1000) break;
      after = page[page.length - 1];
    }
    return [...new Set([...names, 'root'])].sort();
  }

  /** Whether a policy exists (root and response-wrapping count). */
  async exists(rawName: string): Promise<boolean> {
    const name = rawName.trim().toLowerCase();
    if (name === 'root' || name === 'response-wrapping') return true;
    return (await this.load(name)) !== undefined;
  }

  /** Compiled-ACL cache lookups of this node (hits, misses), for sys/metrics. */
  get aclCacheStats(): { readonly hits: number; readonly misses: number } {
    return this.cache.stats;
  }

  /** The compiled ACL for a token's policy set (cached; policies are never re-parsed per request). */
  async acl(policyNames: string[]): Promise<ACL> {
    if (policyNames.includes('root')) return ACL.root();
    return this.cache.get(policyNames, (name) => this.load(name));
  }

  private async load(name: string): Promise<Policy | undefined> {
    if (this.parsed.has(name)) return this.parsed.get(name) ?? undefined;
    const generation = this.generation;
    let policy: Policy | null = null;
    if (name === 'response-wrapping') {
      policy = parsePolicy(name, RESPONSE_WRAPPING_POLICY_TEXT);
    } else if (NAME_RE.test(name)) {
      const raw = await this.storage.get(name);
      if (raw) policy = parsePolicy(name, (JSON.parse(Buffer.from(raw).toString('utf8')) as StoredPolicy).policy);
    }
    // A load that raced an invalidation may have read the old text: do not keep it.
    if (generation === this.generation) this.parsed.set(name, policy);
    return policy ?? undefined;
  }

  /** Bumped by every invalidation (see load). */
  private generation = 0;

  /** Another node (or a discarded transaction) changed the policy stored at `name`. */
  invalidate(name: string): void {
    this.generation++;
    this.parsed.delete(name);
    this.cache.invalidate();
  }

  /** Drops parsed policies and compiled ACLs (on seal). */
  clear(): void {
    this.generation++;
    this.parsed.clear();
    this.cache.invalidate();
  }
}
