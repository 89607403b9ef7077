/**
 * The mount table: which backend serves which path prefix. Secret engines mount at the
 * top level (`secret/`), auth methods under `auth/` (`auth/approle/`). The table is stored
 * in the barrier; each mount gets its own storage view (`logical/<uuid>/` or
 * `auth/<uuid>/`) and never reads outside it.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Storage } from '../storage/types.js';
import { PrefixedStorage } from '../storage/prefixed.js';
import type { Backend, BackendFactory, BackendServices, MountConfig, MountEntry } from './backend.js';
import { badRequest } from './errors.js';

const TABLE_KEY = 'core/mounts';

/** A mounted backend. */
export interface Mounted {
  entry: MountEntry;
  backend: Backend;
  storage: Storage;
}

/** Parameters to mount a backend. */
export interface MountRequest {
  path: string;
  type: string;
  kind: 'secret' | 'auth';
  description?: string;
  config?: Partial<MountConfig>;
  options?: Record<string, string>;
  local?: boolean;
  sealWrap?: boolean;
}

/** Types that are part of core and cannot be mounted twice or unmounted. */
const SINGLETON_TYPES = new Set(['system', 'cubbyhole', 'token']);
/** Mount paths nobody may take. */
const RESERVED_PATHS = ['sys/', 'auth/', 'cubbyhole/', 'identity/'];

/** Mount table with longest-prefix routing. */
export class MountTable {
  private mounts = new Map<string, Mounted>();
  private readonly factories = new Map<string, BackendFactory>();
  private readonly aliases = new Map<string, { type: string; options: Record<string, string> }>();

  constructor(
    private readonly barrier: Storage,
    factories: BackendFactory[],
    private readonly services: BackendServices,
    private readonly now: () => number,
    /** Queues a reload of the table as committed (Core.invalidate); see refresh. */
    private readonly reloadLater: () => void = () => {},
  ) {
    for (const f of factories) {
      this.factories.set(`${f.kind}:${f.type}`, f);
      for (const [alias, options] of Object.entries(f.aliases ?? {})) this.aliases.set(`${f.kind}:${alias}`, { type: f.type, options });
    }
  }

  /** Loads the stored table and instantiates every backend (after unseal). */
  async load(): Promise<void> {
    const seq = ++this.reads;
    await this.loadFrom(await this.barrier.get(TABLE_KEY), seq);
  }

  /** Reads of the stored table started so far, and the number of the newest read applied. */
  private reads = 0;
  private applied = 0;

  /**
   * Brings the in-memory table level with the stored one as the current transaction sees it.
   * Every change calls this first. Invariant: a change is decided on the table it read inside its
   * transaction, not on this node's copy, which another node's commit reaches only later through
   * the change feed. The read joins the transaction's read set, so a concurrent change to the
   * table makes the commit conflict and run again instead of overwriting it or failing with
   * "already in use" against a table it never read.
   */
  async refresh(): Promise<MountEntry[]> {
    const seq = ++this.reads;
    const raw = await this.barrier.get(TABLE_KEY);
    const stored = raw ? Buffer.from(raw).toString('utf8') : '[]';
    const entries = JSON.parse(stored) as MountEntry[];
    if (stored === this.serialized()) return entries;
    await this.loadFrom(raw, seq);
    // The transaction's view may be older than a reload that finished meanwhile (it read the
    // table earlier); a reload queued now reads the table as committed, whatever comes of this request.
    this.reloadLater();
    return entries;
  }

  /**
   * Swaps in the table read as read number `seq`, unless a later read was applied first (loads
   * overlap: backends initialize asynchronously). Invariant: the table in memory never goes back
   * to an older read; a local change not yet committed may be undone by a newer read, and its
   * commit queues another reload (Core's onCommit hook).
   */
  private async loadFrom(raw: Uint8Array | undefined, seq: number): Promise<void> {
    const entries: MountEntry[] = raw ? JSON.parse(Buffer.from(raw).toString('utf8')) : [];
    // Built aside and swapped in whole: a reload (another node changed the table) never lets a
    // request see a half-loaded table.
    const next = new Map<string, Mounted>();
    for (const entry of entries) {
      const factory = this.factories.get(`${entry.kind}:${entry.type}`);
      if (!factory) throw new Error(`mount ${entry.path} has unknown type ${entry.type}; is this build missing a feature?`);
      const current = this.mounts.get(entry.path);
      // An unchanged mount keeps its backend instance.
      next.set(entry.path, current && JSON.stringify(current.entry) === JSON.stringify(entry) ? current : await this.create(entry, factory));
    }
    if (seq < this.applied) return;
    this.applied = seq;
    this.mounts = next;
  }

  /** The storage key of the mount table (for invalidation). */
  static readonly tableKey = TABLE_KEY;

  /** Drops every backend from memory (on seal). */
  clear(): void {
    this.mounts.clear();
  }

  /** Resolves `type` (or an alias) to a factory and the options the alias implies. */
  resolveType(kind: 'secret' | 'auth', type: string): { factory: BackendFactory; options: Record<string, string> } {
    const alias = this.aliases.get(`${kind}:${type}`);
    const factory = this.factories.get(`${kind}:${alias?.type ?? type}`);
    if (!factory) {
      const known = [...this.factories.values()].filter((f) => f.kind === kind && !SINGLETON_TYPES.has(f.type)).map((f) => f.type);
      throw badRequest(`unknown ${kind === 'auth' ? 'auth method' : 'secrets engine'} type "${type}" (available: ${known.sort().join(', ')})`);
    }
    return { factory, options: alias?.options ?? {} };
  }

  /** Mounts a new backend and persists the table. */
  async mount(req: MountRequest, opts: { internal?: boolean } = {}): Promise<MountEntry> {
    const base = await this.refresh();
    const fullPath = req.kind === 'auth' ? `auth/${req.path}` : req.path;
    const { factory, options: aliasOptions } = this.resolveType(req.kind, req.type);
    if (!opts.internal) {
      if (SINGLETON_TYPES.has(factory.type)) throw badRequest(`cannot mount another "${factory.type}" backend; it is built in`);
      if (req.kind === 'secret' && RESERVED_PATHS.some((r) => fullPath.startsWith(r) || r.startsWith(fullPath))) {
        throw badRequest(`cannot mount at "${fullPath}": the path is reserved`);
      }
    }
    for (const { path: existing } of base) {
      if (existing.startsWith(fullPath) || fullPath.startsWith(existing)) throw badRequest(`path is already in use at ${existing}`);
    }
    let options = { ...aliasOptions, ...(req.options ?? {}) };
    if (factory.validateOptions) options = factory.validateOptions(options);
    const entry: MountEntry = {
      path: fullPath,
      type: factory.type,
      description: req.description ?? '',
      uuid: randomUUID(),
      accessor: `${factory.type.replace(/[^a-z0-9]/gi, '_')}_${randomBytes(4).toString('hex')}`,
      kind: req.kind,
      config: { defaultLeaseTTL: 0, maxLeaseTTL: 0, forceNoCache: false, ...req.config },
      options,
      local: req.local ?? false,
      sealWrap: req.sealWrap ?? false,
      createdAt: this.now(),
    };
    await this.instantiate(entry, factory);
    try {
      await this.persist([...base, entry]);
    } catch (err) {
      this.mounts.delete(entry.path);
      throw err;
    }
    return entry;
  }

  /** Unmounts `fullPath`, lets the backend clean up, and wipes its storage. */
  async unmount(fullPath: string): Promise<void> {
    const base = await this.refresh();
    const m = this.mounts.get(fullPath);
    if (!m || !base.some((e) => e.path === fullPath)) return; // Vault treats disabling a missing mount as success.
    if (SINGLETON_TYPES.has(m.entry.type)) throw badRequest(`cannot unmount "${fullPath}"`);
    this.mounts.delete(fullPath);
    await this.persist(base.filter((e) => e.path !== fullPath));
    await m.backend.cleanup?.();
    await wipe(m.storage, '');
  }

  /** Changes tunable settings of a mount and persists the table (all or nothing). */
  async tune(fullPath: string, change: { config?: Partial<MountConfig>; description?: string; options?: Record<string, string> }): Promise<MountEntry> {
    const base = await this.refresh();
    const m = this.mounts.get(fullPath);
    const stored = base.find((e) => e.path === fullPath);
    if (!m || !stored) throw badRequest(`no mount at ${fullPath}`);
    const before = m.entry;
    const next: MountEntry = structuredClone(stored);
    if (change.config) {
      // Feature settings merge key by key (tuning one lockout field keeps the others).
      const extra = mergeExtra(before.config.extra, change.config.extra);
      next.config = { ...before.config, ...change.config, ...(extra ? { extra } : {}) };
    }
    if (change.description !== undefined) next.description = change.description;
    const factory = this.resolveType(before.kind, before.type).factory;
    if (change.options) {
      const options = { ...before.options, ...change.options };
      next.options = factory.validateOptions ? factory.validateOptions(options, before.options) : options;
    }
    // Update the entry object in place: backends hold a reference to it.
    const snapshot = structuredClone(before);
    Object.assign(before, next);
    try {
      await this.persist(base.map((e) => (e.path === fullPath ? next : e)));
    } catch (err) {
      Object.assign(before, snapshot);
      throw err;
    }
    // Options change behaviour, so rebuild the backend from the new entry.
    if (change.options) await this.instantiate(before, factory);
    return before;
  }

  /**
   * Moves a mount to a new path. Data stays where it is (storage views are keyed by the
   * mount's uuid), so only the table changes.
   */
  async remount(from: string, to: string): Promise<void> {
    const base = await this.refresh();
    const m = this.mounts.get(from);
    if (!m || !base.some((e) => e.path === from)) throw badRequest(`no mount at ${from}`);
    if (SINGLETON_TYPES.has(m.entry.type)) throw badRequest(`cannot remount "${from}"`);
    if (m.entry.kind === 'auth' ? !to.startsWith('auth/') : to.startsWith('auth/')) throw badRequest('cannot move a mount between secrets engines and auth methods');
    if (m.entry.kind === 'secret' && RESERVED_PATHS.some((r) => to.startsWith(r) || r.startsWith(to))) throw badRequest(`cannot mount at "${to}": the path is reserved`);
    for (const { path: existing } of base) {
      if (existing !== from && (existing.startsWith(to) || to.startsWith(existing))) throw badRequest(`path is already in use at ${existing}`);
    }
    this.mounts.delete(from);
    m.entry.path = to;
    this.mounts.set(to, m);
    try {
      await this.persist(base.map((e) => (e.path === from ? { ...e, path: to } : e)));
    } catch (err) {
      this.mounts.delete(to);
      m.entry.path = from;
      this.mounts.set(from, m);
      throw err;
    }
  }

  /** The mount serving `path` (longest prefix), if any. */
  match(path: string): Mounted | undefined {
    // Walk from the longest candidate prefix to the shortest: "a/b/c" → "a/b/c/", "a/b/", "a/".
    // Every step must shorten the candidate: for "/" (an empty or slashes-only path)
    // lastIndexOf('/', -1) is 0 again, which once made this loop spin forever.
    let candidate = path.endsWith('/') ? path : `${path}/`;
    while (candidate.length > 1) {
      const m = this.mounts.get(candidate);
      if (m) return m;
      const end = candidate.lastIndexOf('/', candidate.length - 2);
      if (end < 0) return undefined;
      candidate = candidate.slice(0, end + 1);
    }
    return undefined;
  }

  /** The mount at exactly `fullPath`. */
  get(fullPath: string): Mounted | undefined {
    return this.mounts.get(fullPath);
  }

  /** All mounts of one kind, sorted by path. */
  list(kind: 'secret' | 'auth'): Mounted[] {
    return [...this.mounts.values()].filter((m) => m.entry.kind === kind).sort((a, b) => a.entry.path.localeCompare(b.entry.path));
  }

  /** Every mounted backend. */
  all(): Mounted[] {
    return [...this.mounts.values()];
  }

  private async instantiate(entry: MountEntry, factory: BackendFactory): Promise<Mounted> {
    const mounted = await this.create(entry, factory);
    this.mounts.set(entry.path, mounted);
    return mounted;
  }

  private async create(entry: MountEntry, factory: BackendFactory): Promise<Mounted> {
    const storage = new PrefixedStorage(this.barrier, storagePrefix(entry));
    const backend = factory.create({ mount: entry, storage, services: this.services });
    await backend.initialize?.();
    return { entry, backend, storage };
  }

  /** The mount whose storage view holds the physical `key`, with the key relative to the view. */
  ownerOf(key: string): { mounted: Mounted; relKey: string } | undefined {
    const m = /^(?:logical|auth)\/([^/]+)\//.exec(key);
    if (!m) return undefined;
    for (const mounted of this.mounts.values()) {
      if (mounted.entry.uuid === m[1] && key.startsWith(storagePrefix(mounted.entry))) return { mounted, relKey: key.slice(m[0].length) };
    }
    return undefined;
  }

  /**
   * Stores `entries`: the table this transaction read with only its own change applied. Never
   * this node's whole in-memory table, which may hold another request's mount that has not
   * committed (it would commit with this request, whatever became of its own).
   */
  private async persist(entries: MountEntry[]): Promise<void> {
    await this.barrier.put(TABLE_KEY, Buffer.from(JSON.stringify(entries)));
  }

  /** The table as stored. */
  private serialized(): string {
    return JSON.stringify([...this.mounts.values()].map((m) => m.entry));
  }
}

/** Where a mount's storage view lives in the barrier. */
function storagePrefix(entry: MountEntry): string {
  return entry.kind === 'auth' ? `auth/${entry.uuid}/` : `logical/${entry.uuid}/`;
}

/** Deletes every key below `prefix` in `storage`, depth first, in batches. */
export async function wipe(storage: Storage, prefix: string): Promise<void> {
  const names = await storage.list(prefix);
  const leaves: string[] = [];
  for (const name of names) {
    if (name.endsWith('/')) await wipe(storage, prefix + name);
    else leaves.push(prefix + name);
  }
  for (let i = 0; i < leaves.length; i += 500) {
    await storage.batch(leaves.slice(i, i + 500).map((key) => ({ type: 'delete' as const, key })));
  }
}

function mergeExtra(before: Record<string, unknown> | undefined, change: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!change) return before;
  const out: Record<string, unknown> = { ...(before ?? {}) };
  for (const [k, v] of Object.entries(change)) {
    const prev = out[k];
    out[k] = prev && typeof prev === 'object' && v && typeof v === 'object' && !Array.isArray(v) ? { ...prev, ...v } : v;
  }
  return out;
}
