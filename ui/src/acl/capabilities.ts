/**
 * What the current token may do, from `POST sys/capabilities-self` — the same answer the server's
 * ACL would give, so the UI disables (with the reason) what the server would refuse. The server
 * still enforces everything; this is only to show it up front.
 */
import type { ApiClient } from '../api/client';

/** A Vault ACL capability. */
export type Capability = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny' | 'root';

/** True when `caps` grants `need` (`root` grants everything, `deny` nothing). */
export function allows(caps: readonly string[] | undefined, need: Capability): boolean {
  if (!caps) return false;
  if (caps.includes('deny')) return false;
  return caps.includes('root') || caps.includes(need);
}

/**
 * The reason an action needing `need` on `path` is unavailable, or undefined when it is allowed.
 * `caps` undefined means "still checking".
 */
export function disabledReason(caps: readonly string[] | undefined, need: Capability | Capability[], path: string, policies?: readonly string[]): string | undefined {
  if (caps === undefined) return 'checking permissions…';
  const needs = Array.isArray(need) ? need : [need];
  const missing = needs.filter((n) => !allows(caps, n));
  if (missing.length === 0) return undefined;
  const by = policies && policies.length ? ` (policies: ${policies.join(', ')})` : '';
  return `your token${by} lacks the ${missing.map((m) => `"${m}"`).join(' and ')} capability on ${path}`;
}

/**
 * Batches capability look-ups: every path asked for in the same tick goes in one
 * `sys/capabilities-self` call; answers are cached per path until clear().
 */
export class CapabilityBatcher {
  private cache = new Map<string, Promise<string[]>>();
  private pending = new Map<string, { resolve: (c: string[]) => void; reject: (e: unknown) => void }>();
  private scheduled = false;

  constructor(private readonly api: ApiClient) {}

  /** The capabilities on `path`. */
  get(path: string): Promise<string[]> {
    const hit = this.cache.get(path);
    if (hit) return hit;
    const p = new Promise<string[]>((resolve, reject) => this.pending.set(path, { resolve, reject }));
    this.cache.set(path, p);
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => void this.flush(), 0);
    }
    return p;
  }

  /** Forgets cached answers (after a policy change or a new login). */
  clear(): void {
    this.cache.clear();
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = new Map(this.pending);
    this.pending.clear();
    const paths = [...batch.keys()];
    try {
      const res = await this.api.write<Record<string, string[]>>('sys/capabilities-self', { paths });
      const data = (res?.data ?? (res as unknown as Record<string, string[]> | null) ?? {}) as Record<string, string[]>;
      for (const [path, waiter] of batch) {
        // With one path Vault also answers in `capabilities`.
        const caps = data[path] ?? (paths.length === 1 ? data.capabilities : undefined) ?? [];
        waiter.resolve(Array.isArray(caps) ? caps : []);
      }
    } catch (err) {
      for (const [path, waiter] of batch) {
        this.cache.delete(path);
        waiter.reject(err);
      }
    }
  }
}
