/**
 * The token store: issues, looks up, renews and revokes service tokens.
 *
 * Tokens are never stored. Every key derives from `"h" + hex(HMAC-SHA256(salt, token))`, with
 * a random 32-byte salt kept in the same (barrier-encrypted) storage view. Layout under the
 * view core hands us (e.g. `sys/token/`):
 *
 *   salt                          32 random bytes, created on first use
 *   id/<hash>                     the TokenEntry (JSON)
 *   accessor/<s>_<accessor hash>  { accessor, hash }   (the accessor index; <s>: the 11-digit creation
 *                                                      second the accessor carries, so entries written
 *                                                      together are stored together; accessors from
 *                                                      before that: accessor/<accessor hash>)
 *   parent/<parent hash>/<hash>   empty                (one key per child, found by list)
 *   expire/<16-digit ms>_<hash>   empty                (sorted by expiry, for the sweeper)
 *
 * Batch tokens (`hvb.`, see batch.ts) are not stored at all: the token is the sealed entry.
 *
 * Every change that touches several keys goes through one `storage.batch`. A small LRU of
 * entries by hash sits in front of `id/`; since every write goes through this class, the
 * cache is updated on every write (a second node sharing the storage would not see them: see
 * the note on `cacheSize`).
 */
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { AgingLru } from '../../storage/aging-lru.js';
import type { BatchOp, Storage } from '../../storage/types.js';
import { badRequest } from '../errors.js';
import { accessorSeconds, newAccessor, newServiceToken } from './random.js';
import { sanitizePolicies } from './policies.js';
import { calculateTTL, SYSTEM_DEFAULT_TTL, SYSTEM_MAX_TTL } from './ttl.js';
import { KeyedMutex } from '../keyed-mutex.js';
import { StoredKey } from '../stored-key.js';
import { BatchTokenCodec, isBatchToken, type BatchPayload } from './batch.js';

/** `numUses` of a token whose last use is in progress: it is invalid for any new request. */
export const REVOCATION_PENDING = -1;

/**
 * A stored token. Entries handed out by the store are shared with its cache and frozen at
 * runtime (arrays and `meta` included): copy before changing anything.
 */
export interface TokenEntry {
  /** The salted hash (`h<hex>`); also the storage id. Never the token itself. */
  readonly id: string;
  readonly accessor: string;
  readonly policies: string[];
  readonly meta: Record<string, string>;
  readonly displayName: string;
  /** Uses left; 0 = unlimited; -1 = last use in progress (see REVOCATION_PENDING). */
  readonly numUses: number;
  /** Unix seconds. */
  readonly creationTime: number;
  /** Unix ms of creation (for `issue_time`). */
  readonly issueTime: number;
  /** Unix ms of the last renewal, 0 if never renewed. */
  readonly lastRenewalTime: number;
  /** TTL granted at creation, seconds (0 for non-expiring root tokens). */
  readonly creationTTL: number;
  /** TTL granted by the last creation or renewal, seconds. */
  readonly ttl: number;
  readonly explicitMaxTTL: number;
  /** Effective max TTL fixed at creation (mount/system max, narrowed by the issuer's max), seconds. */
  readonly maxTTL: number;
  readonly period: number;
  readonly renewable: boolean;
  /** Creation path, e.g. `auth/token/create` or `auth/approle/login`. */
  readonly path: string;
  /** Parent's hash, or '' for orphans. */
  readonly parent: string;
  readonly orphan: boolean;
  /** Batch tokens are never stored: they carry their entry, have no accessor and cannot be renewed. */
  readonly type: 'service' | 'batch';
  readonly boundCidrs: string[];
  /** Unix ms after which the token is invalid; 0 = never. */
  readonly expireTime: number;
  readonly entityId: string;
  /** Token role it was created against, '' if none. */
  readonly role: string;
  /** Unix ms at which the token became pending revocation (its expiry-index marker), 0 if not. */
  readonly pendingSince: number;
}

/** What `create` needs. Durations are seconds; 0 or absent means "not set". */
export interface CreateTokenParams {
  /** Policies; sanitized here (trimmed, lower-cased, sorted, `root` alone), `default` added unless noDefaultPolicy. */
  policies: readonly string[];
  /** Do not add `default` to the policies. */
  noDefaultPolicy?: boolean;
  /** Caller-chosen token id (root callers only; validated: non-empty, no `.`). */
  id?: string;
  /** Parent token hash; absent or '' for an orphan. The parent must exist and be valid. */
  parent?: string;
  /** Force an orphan (ignores `parent`). */
  orphan?: boolean;
  meta?: Record<string, string>;
  displayName?: string;
  numUses?: number;
  /** Requested TTL; absent = the default. */
  ttl?: number;
  /** Issuer's own max TTL (a role's token_max_ttl), narrower than the mount max. */
  maxTTL?: number;
  explicitMaxTTL?: number;
  period?: number;
  /** Default true; forced false for non-expiring tokens. */
  renewable?: boolean;
  path: string;
  boundCidrs?: readonly string[];
  role?: string;
  /** The issuing mount's tuned default/max TTL; 0 or absent = system values. */
  mountDefaultTTL?: number;
  mountMaxTTL?: number;
  /** Default `service`. A `batch` token is not stored; it cannot be root, periodic, use-limited or have an id. */
  type?: 'service' | 'batch';
}

/** The outcome of `create`. `token` is shown to the caller once and kept nowhere. */
export interface CreateTokenResult {
  token: string;
  entry: TokenEntry;
  warnings: string[];
}

/** The outcome of `renew`. */
export interface RenewResult {
  entry: TokenEntry;
  /** The granted TTL in seconds (the new `lease_duration`). */
  ttl: number;
  warnings: string[];
}

/** The outcome of `useToken`. */
export interface UseResult {
  /** The entry after counting this use. */
  entry: TokenEntry;
  /** True when this request consumed the last use: core must call `revoke(entry.id)` once it has produced the response. */
  revokeAfterRequest: boolean;
}

/** Called for every token revoked, before its entry is deleted (cubbyhole wipe, auth backend notice). */
export type RevokeHook = (hash: string, entry: TokenEntry) => Promise<void>;

/** Construction options. */
export interface TokenStoreOptions {
  /** A barrier-encrypted view dedicated to the token store (e.g. prefix `sys/token/`). */
  storage: Storage;
  /** Current time in Unix ms (a controllable clock in tests). */
  now(): number;
  /** System default TTL in seconds (768h). */
  defaultTTL?: number;
  /** System max TTL in seconds (768h). */
  maxTTL?: number;
  /**
   * Entries kept in memory (default 10000). The cache assumes this process is the only
   * writer of the view; several nodes sharing one database would need cache invalidation.
   */
  cacheSize?: number;
}

const ID = 'id/';
const ACCESSOR = 'accessor/';
const PARENT = 'parent/';
const EXPIRE = 'expire/';
const SALT = 'salt';
const PAGE = 256;
/**
 * How long a token may stay in its last use (or in a revocation whose hook failed) before the
 * sweeper revokes it itself: longer than any request may run (Vault's max_request_duration is 90s).
 */
export const PENDING_GRACE_MS = 120_000;
const enc = new TextEncoder();
const dec = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** The accessor index key of an accessor issued at `seconds` (see TokenStore.accessorKeys). */
function timedAccessorKey(seconds: number, accessorHash: string): string {
  return `${ACCESSOR}${String(seconds).padStart(11, '0')}_${accessorHash}`;
}

function expireKey(expireTime: number, hash: string): string {
  return `${EXPIRE}${String(expireTime).padStart(16, '0')}_${hash}`;
}

function freezeEntry(e: TokenEntry): TokenEntry {
  Object.freeze(e.policies);
  Object.freeze(e.meta);
  Object.freeze(e.boundCidrs);
  return Object.freeze(e);
}

function isStorage(x: Storage | TokenStoreOptions): x is Storage {
  return typeof (x as Storage).get === 'function' && typeof (x as Storage).batch === 'function';
}

/** Issues and tracks tokens; see the module comment for the storage layout. */
export class TokenStore {
  private readonly storage: Storage;
  private readonly clock: () => number;
  private readonly defaultTTL: number;
  private readonly maxTTL: number;
  private readonly cache: AgingLru<TokenEntry>;
  /** Cache lookups of this node (for sys/metrics); reads that must go to storage are not counted. */
  readonly cacheStats = { hits: 0, misses: 0 };
  private readonly locks = new KeyedMutex();
  private readonly hooks: RevokeHook[] = [];
  private readonly saltKey: StoredKey;
  private readonly batch: BatchTokenCodec;

  /**
   * `new TokenStore({ storage, now, ... })`, or the short form `new TokenStore(storage, now)`.
   */
  constructor(storageOrOptions: Storage | TokenStoreOptions, now?: () => number, extra: Omit<TokenStoreOptions, 'storage' | 'now'> = {}) {
    const options: TokenStoreOptions = isStorage(storageOrOptions)
      ? { ...extra, storage: storageOrOptions, now: now ?? (() => Date.now()) }
      : storageOrOptions;
    this.storage = options.storage;
    this.saltKey = new StoredKey(this.storage, SALT);
    this.batch = new BatchTokenCodec(this.storage);
    this.clock = options.now;
    this.defaultTTL = options.defaultTTL ?? SYSTEM_DEFAULT_TTL;
    this.maxTTL = options.maxTTL ?? SYSTEM_MAX_TTL;
    this.cache = new AgingLru<TokenEntry>(options.cacheSize ?? 10_000);
  }

  /** Current time in Unix ms, from the store's clock. */
  now(): number {
    return this.clock();
  }

  /** Registers a hook run for every revoked token (children first). Returns an unsubscribe function. */
  onRevoke(cb: RevokeHook): () => void {
    this.hooks.push(cb);
    return () => {
      const i = this.hooks.indexOf(cb);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  // ---------------------------------------------------------------- hashing

  /** The salt as an HMAC key object, imported once (per-request hashing skips the key import). */
  private hmacKey: KeyObject | undefined;

  private async loadHmacKey(): Promise<KeyObject> {
    this.hmacKey ??= createSecretKey(await this.saltKey.get());
    return this.hmacKey;
  }

  /** The storage id of a token: `"h" + hex(HMAC-SHA256(salt, token))`. Core uses it as RequestAuth.tokenId. */
  async hashToken(token: string): Promise<string> {
    return 'h' + createHmac('sha256', this.hmacKey ?? (await this.loadHmacKey())).update(token, 'utf8').digest('hex');
  }

  private async hashAccessor(accessor: string): Promise<string> {
    const salt = this.hmacKey ?? (await this.loadHmacKey());
    // Domain-separated from token hashes, so a custom token id equal to some accessor cannot collide.
    return createHmac('sha256', salt).update('accessor\0' + accessor, 'utf8').digest('hex');
  }

  /**
   * The accessor index keys an accessor may be stored under: first `accessor/<creation second>_<hash>`
   * (accessors carry their creation second, see newAccessor: entries written together sit together),
   * then the key of accessors from before that, `accessor/<hash>`. The hash alone identifies the
   * accessor, so neither key can belong to another accessor.
   */
  private async accessorKeys(accessor: string): Promise<string[]> {
    const hash = await this.hashAccessor(accessor);
    const seconds = accessorSeconds(accessor);
    return seconds === undefined ? [ACCESSOR + hash] : [timedAccessorKey(seconds, hash), ACCESSOR + hash];
  }

  // ---------------------------------------------------------------- reads

  /** Reads an entry by hash, whatever its state (pending or expired included); `fresh` skips the cache. */
  private async load(hash: string, fresh = false): Promise<TokenEntry | undefined> {
    // A read-modify-write must read storage: inside a transaction that read is what the commit
    // checks, so two nodes taking the last use (or renewing) cannot both win from their caches.
    const cached = fresh ? undefined : this.cache.get(hash);
    if (cached) {
      this.cacheStats.hits++;
      return cached;
    }
    if (!fresh) this.cacheStats.misses++;
    const generation = this.generation;
    const raw = await this.storage.get(ID + hash);
    if (!raw) return undefined;
    const entry = freezeEntry(JSON.parse(dec.decode(raw)) as TokenEntry);
    // A read that raced an invalidation may hold the old value: do not cache it.
    if (generation === this.generation) this.cache.set(hash, entry);
    return entry;
  }

  /** Bumped by every invalidation, so a load that started before one does not cache what it read. */
  private generation = 0;

  /**
   * Another node (or a discarded transaction) changed `key` of this store's view: drop what
   * this process derived from it. Keys outside `id/` and `salt` carry nothing cached.
   */
  invalidate(key: string): void {
    if (key.startsWith(ID)) {
      this.generation++;
      this.cache.delete(key.slice(ID.length));
    } else if (key === 'salt') {
      this.generation++;
      this.clearCache();
    }
  }

  private isValid(entry: TokenEntry, includePending: boolean): boolean {
    if (entry.expireTime > 0 && this.clock() >= entry.expireTime) return false;
    if (entry.numUses === REVOCATION_PENDING && !includePending) return false;
    return true;
  }

  /**
   * The entry for a raw token, or undefined when it is unknown, expired (now ≥ expireTime) or
   * used up (its last use is in progress). This is the per-request hot path.
   */
  lookup(token: string): Promise<TokenEntry | undefined> {
    // The hot path (salt loaded, entry cached) answers without an async step of its own: each
    // one costs promise-hook work per request. Same checks and cache accounting as load().
    const key = this.hmacKey;
    if (key !== undefined && typeof token === 'string' && token !== '' && !isBatchToken(token)) {
      const hash = 'h' + createHmac('sha256', key).update(token, 'utf8').digest('hex');
      const cached = this.cache.get(hash);
      if (cached !== undefined) {
        this.cacheStats.hits++;
        return Promise.resolve(this.validFor(cached, hash));
      }
    }
    return this.lookupSlow(token);
  }

  private async lookupSlow(token: string): Promise<TokenEntry | undefined> {
    if (typeof token !== 'string' || token === '') return undefined;
    if (isBatchToken(token)) return this.lookupBatch(token);
    const hash = await this.hashToken(token);
    const entry = await this.load(hash);
    return entry ? this.validFor(entry, hash) : undefined;
  }

  /** `entry` when it is stored under `hash` and valid now (not expired, not in its last use). */
  private validFor(entry: TokenEntry, hash: string): TokenEntry | undefined {
    // The key already matched; comparing the stored id as well guards against a misfiled value.
    const a = Buffer.from(entry.id);
    const b = Buffer.from(hash);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return undefined;
    return this.isValid(entry, false) ? entry : undefined;
  }

  /**
   * The entry a batch token carries, or undefined when it is not genuine, has expired, or its
   * parent is no longer valid (a batch token dies with its parent, as in Vault).
   */
  private async lookupBatch(token: string): Promise<TokenEntry | undefined> {
    const p = await this.batch.decode(token);
    if (!p) return undefined;
    const expireTime = p.issueTime + p.ttl * 1000;
    if (this.clock() >= expireTime) return undefined;
    if (p.parent !== '') {
      const parent = await this.load(p.parent);
      if (!parent || !this.isValid(parent, false)) return undefined;
    }
    return freezeEntry({
      id: await this.hashToken(token),
      accessor: '',
      policies: p.policies,
      meta: p.meta,
      displayName: p.displayName,
      numUses: 0,
      creationTime: Math.floor(p.issueTime / 1000),
      issueTime: p.issueTime,
      lastRenewalTime: 0,
      creationTTL: p.ttl,
      ttl: p.ttl,
      explicitMaxTTL: 0,
      maxTTL: p.maxTTL,
      period: 0,
      renewable: false,
      path: p.path,
      parent: p.parent,
      orphan: p.parent === '',
      type: 'batch',
      boundCidrs: p.boundCidrs,
      expireTime,
      entityId: p.entityId,
      role: p.role,
      pendingSince: 0,
    });
  }

  /**
   * The entry for a hash (RequestAuth.tokenId). `includePending` also returns a token whose
   * last use is the current request (handlers of that request still see their own token).
   */
  async lookupByHash(hash: string, opts: { includePending?: boolean } = {}): Promise<TokenEntry | undefined> {
    if (!/^h[0-9a-f]{64}$/.test(hash)) return undefined;
    const entry = await this.load(hash);
    if (!entry) return undefined;
    return this.isValid(entry, opts.includePending ?? false) ? entry : undefined;
  }

  /** The token hash an accessor points to, or undefined when the accessor is unknown. */
  async hashForAccessor(accessor: string): Promise<string | undefined> {
    if (typeof accessor !== 'string' || accessor === '') return undefined;
    for (const key of await this.accessorKeys(accessor)) {
      const raw = await this.storage.get(key);
      if (raw) return (JSON.parse(dec.decode(raw)) as { accessor: string; hash: string }).hash;
    }
    return undefined;
  }

  /** The valid entry behind an accessor, or undefined (unknown accessor, expired or used-up token). */
  async lookupByAccessor(accessor: string, opts: { includePending?: boolean } = {}): Promise<TokenEntry | undefined> {
    const hash = await this.hashForAccessor(accessor);
    return hash ? this.lookupByHash(hash, opts) : undefined;
  }

  /** Every accessor in the store (for `LIST auth/token/accessors`), sorted. */
  async listAccessors(): Promise<string[]> {
    const out: string[] = [];
    for (const key of await this.listAll(ACCESSOR)) {
      const raw = await this.storage.get(ACCESSOR + key);
      if (!raw) continue;
      out.push((JSON.parse(dec.decode(raw)) as { accessor: string }).accessor);
    }
    return out.sort();
  }

  /** How many tokens are stored (Vault's `service_tokens` counter; batch tokens are never stored). */
  async count(): Promise<number> {
    return (await this.listAll(ID)).length;
  }

  /** Hashes of the direct children of a token. */
  async listChildren(hash: string): Promise<string[]> {
    return (await this.listAll(`${PARENT}${hash}/`)).filter((k) => !k.endsWith('/'));
  }

  private async listAll(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.storage.list(prefix, { after, limit: PAGE });
      out.push(...page);
      if (page.length < PAGE) return out;
      after = page[page.length - 1];
    }
  }

  // ---------------------------------------------------------------- create

  /**
   * Issues a token. Policy rules (subset of parent, `default`) are the caller's job; this
   * applies the TTL rules: ttl = requested or the mount/system default, capped by the max TTL
   * and `explicitMaxTTL`; periodic tokens get `period`; a token holding the `root` policy with
   * no TTL, period or explicit max never expires (and is not renewable).
   * Throws 400 for a bad custom id, a duplicate id, or a missing parent.
   */
  async create(params: CreateTokenParams): Promise<CreateTokenResult> {
    if (params.id !== undefined) {
      if (typeof params.id !== 'string' || params.id === '') throw badRequest('token id must be a non-empty string');
      if (params.id.includes('.')) throw badRequest('custom token id cannot contain "."');
    }
    if (params.type === 'batch') {
      // The routes check these with Vault's messages; this guards every other caller.
      if (params.id !== undefined) throw badRequest('batch tokens cannot have a custom id');
      if ((params.numUses ?? 0) !== 0) throw badRequest('batch tokens cannot have "num_uses" set');
      if ((params.period ?? 0) !== 0) throw badRequest('batch tokens cannot have "period" set');
    }
    const parentHash = params.orphan ? '' : params.parent ?? '';
    if (parentHash === '') return this.createUnderParent(params, undefined);
    return this.locks.run(parentHash, async () => {
      const parent = await this.load(parentHash, true);
      // A parent in its last use or being revoked cannot take children.
      if (!parent || !this.isValid(parent, false)) throw badRequest('parent token lookup failed: no parent found');
      return this.createUnderParent(params, parent);
    });
  }

  private async createUnderParent(params: CreateTokenParams, parent: TokenEntry | undefined): Promise<CreateTokenResult> {
    const now = this.clock();
    const policies = sanitizePolicies(params.policies, !params.noDefaultPolicy);
    const explicitMaxTTL = params.explicitMaxTTL ?? 0;
    const period = params.period ?? 0;
    const requested = params.ttl ?? 0;
    const sysMax = params.mountMaxTTL && params.mountMaxTTL > 0 ? params.mountMaxTTL : this.maxTTL;
    const sysDefault = params.mountDefaultTTL && params.mountDefaultTTL > 0 ? params.mountDefaultTTL : this.defaultTTL;
    const backendMax = params.maxTTL ?? 0;
    const warnings: string[] = [];

    let ttl = requested;
    // Like Vault: compute a TTL unless this is a root token that asked for none.
    if (period > 0 || requested > 0 || !policies.includes('root')) {
      const r = calculateTTL({
        increment: 0, backendTTL: requested, period, backendMaxTTL: backendMax, explicitMaxTTL,
        defaultTTL: sysDefault, maxTTL: sysMax, startTime: now, now,
      });
      ttl = r.ttl;
      warnings.push(...r.warnings);
    }
    // Root tokens are still bound by an explicit max.
    if (ttl === 0 && explicitMaxTTL > 0) ttl = explicitMaxTTL;
    let renewable = params.renewable ?? true;
    let boundCidrs = [...(params.boundCidrs ?? [])];
    if (ttl === 0) {
      if (parent && parent.ttl !== 0) throw badRequest('expiring root tokens cannot create non-expiring root tokens');
      renewable = false;
      boundCidrs = [];
    }
    const effectiveMax = backendMax > 0 && backendMax < sysMax ? backendMax : sysMax;
    if (params.type === 'batch') {
      if (policies.includes('root') || ttl === 0) throw badRequest('batch tokens cannot be root tokens');
      const payload: BatchPayload = {
        policies, meta: { ...(params.meta ?? {}) }, displayName: params.displayName ?? 'token', path: params.path,
        parent: parent ? parent.id : '', issueTime: now, ttl, maxTTL: effectiveMax, boundCidrs, role: params.role ?? '', entityId: '',
      };
      const token = await this.batch.encode(payload);
      const entry = await this.lookupBatch(token);
      if (!entry) throw new Error('a new batch token did not decode');
      return { token, entry, warnings };
    }

    const token = params.id ?? newServiceToken();
    const hash = await this.hashToken(token);
    const accessor = newAccessor(now);
    const accessorKey = timedAccessorKey(accessorSeconds(accessor)!, await this.hashAccessor(accessor));
    const entry = freezeEntry({
      id: hash,
      accessor,
      policies,
      meta: { ...(params.meta ?? {}) },
      displayName: params.displayName ?? 'token',
      numUses: params.numUses ?? 0,
      creationTime: Math.floor(now / 1000),
      issueTime: now,
      lastRenewalTime: 0,
      creationTTL: ttl,
      ttl,
      explicitMaxTTL,
      maxTTL: effectiveMax,
      period,
      renewable,
      path: params.path,
      parent: parent ? parent.id : '',
      orphan: !parent,
      type: 'service',
      boundCidrs,
      expireTime: ttl > 0 ? now + ttl * 1000 : 0,
      entityId: '',
      role: params.role ?? '',
      pendingSince: 0,
    });

    const write = async (): Promise<void> => {
      const ops: BatchOp[] = [
        { type: 'put', key: ID + hash, value: enc.encode(JSON.stringify(entry)) },
        { type: 'put', key: accessorKey, value: enc.encode(JSON.stringify({ accessor, hash })) },
      ];
      if (parent) ops.push({ type: 'put', key: `${PARENT}${parent.id}/${hash}`, value: EMPTY });
      if (entry.expireTime > 0) ops.push({ type: 'put', key: expireKey(entry.expireTime, hash), value: EMPTY });
      await this.storage.batch(ops);
      this.cache.set(hash, entry);
    };
    if (params.id === undefined) {
      // A fresh random token (190 bits) is never taken, so there is nothing to check or lock
      // (every login creates one: no lock and its promises on that path).
      await write();
    } else {
      await this.locks.run(hash, async () => {
        if (await this.storage.get(ID + hash)) throw badRequest('cannot create a token with a duplicate ID');
        await write();
      });
    }
    return { token, entry, warnings };
  }

  // ---------------------------------------------------------------- use and renew

  private async write(entry: TokenEntry, prev: TokenEntry, extra: BatchOp[] = []): Promise<TokenEntry> {
    const frozen = freezeEntry(entry);
    const ops: BatchOp[] = [{ type: 'put', key: ID + frozen.id, value: enc.encode(JSON.stringify(frozen)) }];
    if (prev.expireTime !== frozen.expireTime) {
      if (prev.expireTime > 0) ops.push({ type: 'delete', key: expireKey(prev.expireTime, frozen.id) });
      if (frozen.expireTime > 0) ops.push({ type: 'put', key: expireKey(frozen.expireTime, frozen.id), value: EMPTY });
    }
    ops.push(...extra);
    await this.storage.batch(ops);
    this.cache.set(frozen.id, frozen);
    return frozen;
  }

  /**
   * Counts one use of a token; core calls it once per authenticated request, after the ACL
   * check and before the handler. Unlimited tokens (numUses 0) cost nothing.
   *
   * When this request takes the last use, the entry is stored with numUses = -1 and an expiry
   * index entry at "now": from that moment `lookup` rejects the token for every other request,
   * while this request's handler still sees it through `lookupByHash(hash, {includePending:true})`.
   * The result then has `revokeAfterRequest: true` and core must call `revoke(hash)` as soon as
   * the handler has produced its response (before sending it, as Vault does). Should core die
   * in between, `sweepExpired` revokes the token.
   *
   * Returns undefined when the token is no longer valid (revoked, expired or used up meanwhile):
   * core must then deny the request.
   */
  async useToken(entry: TokenEntry): Promise<UseResult | undefined> {
    if (entry.numUses === 0) return { entry, revokeAfterRequest: false };
    return this.locks.run(entry.id, async () => {
      const cur = await this.load(entry.id, true);
      if (!cur || !this.isValid(cur, false)) return undefined;
      if (cur.numUses === 0) return { entry: cur, revokeAfterRequest: false };
      const left = cur.numUses - 1;
      if (left > 0) return { entry: await this.write({ ...cur, numUses: left }, cur), revokeAfterRequest: false };
      return { entry: await this.markPending(cur), revokeAfterRequest: true };
    });
  }

  /**
   * Marks a token unusable (numUses -1) and indexes it in the expiry index at "now", so the
   * sweeper revokes it if whoever should revoke it (core after the last use, or a revocation
   * whose hook failed) never finishes.
   */
  private async markPending(cur: TokenEntry): Promise<TokenEntry> {
    if (cur.numUses === REVOCATION_PENDING) return cur;
    const now = this.clock();
    return this.write({ ...cur, numUses: REVOCATION_PENDING, pendingSince: now }, cur,
      [{ type: 'put', key: expireKey(now, cur.id), value: EMPTY }]);
  }

  /**
   * Renews a token. The new TTL is `increment` (seconds; when 0 or absent: the TTL it was
   * created with), capped so that the token never outlives `issue time + min(max TTL,
   * explicit max TTL)`; a capped TTL comes with Vault's warning. Periodic tokens renew to their
   * period (capped only by the explicit max). Throws 400 `lease is not renewable` for
   * non-renewable and non-expiring tokens, 400 `token not found` when it is gone, and 400
   * `past the max TTL, cannot renew` after the max.
   */
  async renew(entry: TokenEntry, increment = 0): Promise<RenewResult> {
    return this.locks.run(entry.id, async () => {
      const cur = await this.load(entry.id, true);
      if (!cur || !this.isValid(cur, true)) throw badRequest('token not found');
      if (!cur.renewable || cur.expireTime === 0) throw badRequest('lease is not renewable');
      const now = this.clock();
      const r = calculateTTL({
        increment: Math.max(0, Math.floor(increment)),
        backendTTL: cur.creationTTL,
        period: cur.period,
        backendMaxTTL: 0,
        explicitMaxTTL: cur.explicitMaxTTL,
        defaultTTL: this.defaultTTL,
        maxTTL: cur.maxTTL > 0 ? cur.maxTTL : this.maxTTL,
        startTime: cur.issueTime,
        now,
      });
      const next = await this.write({ ...cur, ttl: r.ttl, expireTime: now + r.ttl * 1000, lastRenewalTime: now }, cur);
      return { entry: next, ttl: r.ttl, warnings: r.warnings };
    });
  }

  // ---------------------------------------------------------------- revoke

  /**
   * Revokes a token and, recursively, all its descendants (children first). Each revoked
   * token runs the onRevoke hooks, then disappears with all its index keys in one batch.
   * Unknown hashes are a no-op.
   */
  async revoke(hash: string): Promise<void> {
    const stack = [hash];
    const seen = new Set<string>([hash]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const children: string[] = [];
      for (const c of await this.listChildren(top)) {
        if (!seen.has(c)) { children.push(c); continue; }
        // Already handled (a stale index key of a vanished token, or a cycle): drop the key.
        await this.storage.delete(`${PARENT}${top}/${c}`);
      }
      if (children.length > 0) {
        for (const c of children) { seen.add(c); stack.push(c); }
        continue;
      }
      // revokeOne re-checks under the lock that no child appeared meanwhile.
      if (await this.revokeOne(top)) stack.pop();
    }
  }

  /**
   * Revokes one token but keeps its children, which become orphans (`revoke-orphan`).
   */
  async revokeOrphan(hash: string): Promise<void> {
    for (;;) {
      for (const child of await this.listChildren(hash)) {
        await this.locks.run(child, async () => {
          const cur = await this.load(child, true);
          const drop: BatchOp = { type: 'delete', key: `${PARENT}${hash}/${child}` };
          if (!cur) { await this.storage.batch([drop]); return; }
          await this.write({ ...cur, parent: '', orphan: true }, cur, [drop]);
        });
      }
      if (await this.revokeOne(hash)) return;
    }
  }

  /**
   * Revokes (recursively) every token whose creation path starts with `prefix`, e.g.
   * `auth/approle/` when that auth mount is disabled. Scans all entries: an admin operation.
   * Returns how many tokens matched.
   */
  async revokeByPathPrefix(prefix: string): Promise<number> {
    let count = 0;
    for (const hash of await this.listAll(ID)) {
      const entry = await this.load(hash);
      if (!entry || !entry.path.startsWith(prefix)) continue;
      await this.revoke(hash);
      count++;
    }
    return count;
  }

  /** Revokes the token behind an accessor (recursively). Returns false when the accessor is unknown. */
  async revokeByAccessor(accessor: string): Promise<boolean> {
    const hash = await this.hashForAccessor(accessor);
    if (!hash) return false;
    await this.revoke(hash);
    return true;
  }

  /**
   * Removes a single token. Returns false (doing nothing) when it has children again, so the
   * caller walks them first. Stale index keys of an already-missing token are cleaned up.
   */
  private async revokeOne(hash: string): Promise<boolean> {
    return this.locks.run(hash, async () => {
      if ((await this.listChildren(hash)).length > 0) return false;
      let cur = await this.load(hash, true);
      if (!cur) return true;
      // First make it unusable and sweepable, so a failing hook leaves a dead token the sweeper retries.
      cur = await this.markPending(cur);
      for (const hook of [...this.hooks]) await hook(hash, cur);
      const ops: BatchOp[] = [
        { type: 'delete', key: ID + hash },
        // Whichever of its keys the accessor has (a delete of an absent key does nothing).
        ...(await this.accessorKeys(cur.accessor)).map((key): BatchOp => ({ type: 'delete', key })),
      ];
      if (cur.parent) ops.push({ type: 'delete', key: `${PARENT}${cur.parent}/${hash}` });
      if (cur.expireTime > 0) ops.push({ type: 'delete', key: expireKey(cur.expireTime, hash) });
      if (cur.pendingSince > 0 && cur.pendingSince !== cur.expireTime) ops.push({ type: 'delete', key: expireKey(cur.pendingSince, hash) });
      await this.storage.batch(ops);
      this.cache.delete(hash);
      return true;
    });
  }

  /**
   * Revokes every token whose expiry has passed, and every token left in the middle of its
   * last use or of a revocation for longer than PENDING_GRACE_MS. Reads only the due part of the sorted expiry index, so the
   * cost is proportional to the work. State lives in storage, so it also catches up after a
   * restart. Returns how many tokens it revoked (descendants not counted); errors of single
   * tokens do not stop the pass, the first one is rethrown at its end.
   */
  async sweepExpired(): Promise<number> {
    const now = this.clock();
    let revoked = 0;
    let after: string | undefined;
    let firstError: unknown;
    for (;;) {
      const page = await this.storage.list(EXPIRE, { after, limit: PAGE });
      if (page.length === 0) break;
      for (const key of page) {
        after = key;
        const sep = key.indexOf('_');
        const at = Number(key.slice(0, sep));
        if (!(at <= now)) return this.finishSweep(revoked, firstError);
        const hash = key.slice(sep + 1);
        try {
          const entry = await this.load(hash);
          const expired = entry !== undefined && entry.expireTime > 0 && entry.expireTime <= now;
          const pending = entry !== undefined && entry.numUses === REVOCATION_PENDING;
          if (!entry) {
            await this.storage.delete(EXPIRE + key); // stale index entry
          } else if (expired || (pending && entry.pendingSince + PENDING_GRACE_MS <= now)) {
            await this.revoke(hash);
            revoked++;
          } else if (pending) {
            // Its last request may still be running; core revokes it when that ends.
          } else {
            // Renewed since this key was written and the old key survived: drop the stale key.
            if (expireKey(entry.expireTime, hash) !== EXPIRE + key) await this.storage.delete(EXPIRE + key);
          }
        } catch (err) {
          firstError ??= err;
        }
      }
      if (page.length < PAGE) break;
    }
    return this.finishSweep(revoked, firstError);
  }

  private finishSweep(revoked: number, err: unknown): number {
    if (err !== undefined) throw err;
    return revoked;
  }

  /**
   * Runs `sweepExpired` every `intervalMs` (unref'd, so it never keeps the process alive).
   * `onError` receives failures (never containing tokens). Returns a stop function.
   */
  startSweeper(intervalMs: number, onError?: (err: unknown) => void): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.sweepExpired().catch((err: unknown) => onError?.(err)).finally(() => { running = false; });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Drops the in-memory cache and salt (e.g. on seal: nothing derived from storage stays in memory). */
  clearCache(): void {
    this.generation++;
    this.cache.clear();
    this.saltKey.clear();
    this.batch.clear();
    this.hmacKey = undefined;
  }
}
