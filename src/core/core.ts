/**
 * Core: the one door every request goes through. It owns the seal state, the mount
 * table, tokens, policies and the audit broker, and runs every request through the same
 * steps: seal check → routing → authentication → create/update resolution → ACL →
 * audit (fail closed) → backend → response wrapping → audit.
 */
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { Barrier, SealedError } from '../barrier/barrier.js';
import { DecryptError } from '../barrier/aead.js';
import { SealError, SealManager } from '../barrier/seal.js';
import type { ClusterCoordinator, NamedStorage, Storage } from '../storage/types.js';
import { PrefixedStorage } from '../storage/prefixed.js';
import { ReadOnlyStorage } from '../storage/read-only.js';
import { TransactionalStorage } from '../storage/transaction.js';
import { DEFAULT_MAX_OPERATIONS } from '../barrier/keyring.js';
import { Transactions } from './transactions.js';
import { ClusterView } from './cluster.js';
import { AuditBroker } from './audit/broker.js';
import type { AuditDeviceConfig, AuditLogContext } from './audit/types.js';
import type { Backend, BackendFactory, BackendRequest, BackendServices, IssueTokenParams, MountEntry, RequestAuth, Route, SystemService, SystemServiceFactory } from './backend.js';
import { systemClock, type Clock } from './clock.js';
import { CofferError, isCofferError, notFound, permissionDenied, sealedError } from './errors.js';
import type { AuthResponse, LogicalRequest, LogicalResponse, Operation } from './logical.js';
import { MountTable, type Mounted } from './mount-table.js';
import { PolicyStore } from './policy-store.js';
import { TokenStore } from './tokens/store.js';
import { createTokenBackend } from './tokens/routes.js';
import { authResponse } from './tokens/format.js';
import { resolveTokenType } from './tokens/batch.js';
import { buildRefusedRequestEntry, buildRequestEntry, buildResponseEntry, buildTestProbeEntry } from './audit-entries.js';
import { createSystemBackend } from './system/index.js';
import { mountHelp, routeHelp } from './system/help.js';
import { isInCidrs } from './cidr.js';
import { LoginLockout } from './lockout.js';
import { withUnrecognizedFieldsWarning } from './fields.js';
import { assertSafePath } from './paths.js';
import { ResponseWrapper } from './wrapping.js';
import { LeaseManager } from './leases/manager.js';
import { Envelope } from './envelope.js';
import type { ACL } from './acl/acl.js';
import { BoundedCount } from './metrics/bounded-count.js';
import { CofferMetrics, successStatus, type TelemetryOptions } from './metrics/metrics.js';
import { InstrumentedStorage } from './metrics/storage.js';

/** Paths that work while sealed (and without a token). */
const SEALED_OK = new Set(['sys/init', 'sys/seal-status', 'sys/unseal', 'sys/health', 'sys/leader']);
/** Paths never written to the audit log (as in Vault). */
const NOT_AUDITED = new Set(['sys/init', 'sys/seal-status', 'sys/unseal', 'sys/health', 'sys/leader', 'sys/seal']);
const AUDIT_TABLE_KEY = 'core/audit';
/** Physical keys whose change means a reload (see invalidate). */
const KEYRING_KEY = 'seal/keyring';
const ENVELOPE_KEY = 'core/envelope-key';
/** The directory of a file-backed storage (SQLite's `path`), for the disk-space gauge. */
function storageDirOf(storage: { type: string }): string | undefined {
  const path = (storage as { path?: unknown }).path;
  return storage.type === 'sqlite' && typeof path === 'string' && path !== ':memory:' ? dirname(path) : undefined;
}

/** Written by a node asked to step down that is not the leader; the leader reads it on its tick. */
const STEP_DOWN_KEY = 'core/step-down';
const TICK_MS = 1000;

/** System-wide lease TTL defaults (Vault's 768h). */
export const SYSTEM_DEFAULT_TTL = 768 * 3600;
export const SYSTEM_MAX_TTL = 768 * 3600;

/** What the server wiring gives core. */
export interface CoreOptions {
  /** Physical (untrusted) storage. */
  storage: NamedStorage;
  /** Features that can be mounted (secret engines and auth methods). */
  features: BackendFactory[];
  /** A 32-byte key-encryption key for the static seal (auto-unseal); Shamir when absent. */
  staticSealKey?: Buffer;
  clock?: Clock;
  logger: Logger;
  /** Reported in sys/health and seal-status. */
  version: string;
  clusterName?: string;
  /** Several nodes share the storage (PostgreSQL with ha_enabled): leadership and membership. */
  cluster?: ClusterCoordinator;
  /** The address clients (and other nodes) are told to use for this node. */
  apiAddr?: string;
  /** The server config's `telemetry { ... }` block (sys/metrics). */
  telemetry?: TelemetryOptions;
  /**
   * Runs after every unseal, once requests are served (the server's declarative bootstrap). A
   * failure seals the core again and is thrown to whoever unsealed it.
   */
  afterUnseal?: (core: Core) => Promise<void>;
  /** Server-wide services with routes under `sys/` and leader-side background work (e.g. events). */
  systemServices?: SystemServiceFactory[];
}

/** The logging surface core needs (pino-compatible). Never pass a secret value or a token. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The result of routing a path. */
interface Resolved {
  mounted?: Mounted;
  route?: Route;
  relPath: string;
  params: Record<string, string>;
}

/** What is known about a request so far: a refusal is audited with it. */
interface Seen {
  operation: Operation;
  auth?: RequestAuth;
  mount?: MountEntry;
}

/** A request that passed authentication and the ACL, ready for audit and dispatch. */
interface Admitted {
  resolved: Resolved;
  unauthenticated: boolean;
  tokenEntry: Awaited<ReturnType<TokenStore['lookup']>>;
  auth?: RequestAuth;
  breq: BackendRequest;
  operation: Operation;
  /** A root/sudo token changing an audit device: may proceed when no device can write (see isAuditDeviceChange). */
  auditRecovery: boolean;
}

/** The secrets-manager core. */
export class Core {
  readonly barrier: Barrier;
  readonly seal: SealManager;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly version: string;
  readonly storageType: string;
  readonly clusterName: string;
  clusterId = '';
  readonly apiAddr: string | undefined;
  /** When this node last became the leader of background work (ms), for sys/leader's active_time. */
  leaderSince: number | undefined;
  readonly mounts: MountTable;
  readonly policies: PolicyStore;
  readonly tokens: TokenStore;
  readonly audit: AuditBroker;
  readonly lockout: LoginLockout;
  readonly wrapper: ResponseWrapper;
  readonly leases: LeaseManager;
  readonly envelope: Envelope;
  /** Each request's storage transaction (retried on conflict) and the ones that commit on their own. */
  readonly transactions: Transactions;
  /** This node's place in a cluster (a single node is its own leader). */
  readonly cluster: ClusterView;
  /** Request, audit and storage metrics of this node (sys/metrics). */
  readonly metrics: CofferMetrics;
  /** Stored tokens and leases, counted with a bounded cost per scrape (see bounded-count.ts). */
  readonly counts: { readonly tokens: BoundedCount; readonly leases: BoundedCount };
  private readonly systemBackend: Backend;
  private readonly systemServices: SystemService[];
  private readonly tokenBackend: Backend;
  private ticker: NodeJS.Timeout | undefined;
  private unsealing: Promise<void> | undefined;

  constructor(private readonly options: CoreOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    this.version = options.version;
    this.storageType = options.storage.type;
    this.clusterName = options.clusterName ?? 'coffer-cluster';
    this.apiAddr = options.apiAddr;
    const now = () => this.clock.now();
    this.counts = { tokens: new BoundedCount(() => this.tokens.count(), now), leases: new BoundedCount(() => this.leases.count(), now) };
    // Every storage access below goes through the transaction layer: inside a request it joins the
    // request's transaction, so nothing a request does rests on an in-process lock or cache.
    this.metrics = new CofferMetrics(
      { sealed: () => this.sealed, clustered: options.cluster !== undefined, isLeader: () => this.cluster.isLeader(), isCurrent: () => this.cluster.isCurrent(),
        activeTokens: () => this.counts.tokens.get(),
        activeLeases: () => this.counts.leases.get(),
        cacheStats: () => ({ token: this.tokens.cacheStats, acl: this.policies.aclCacheStats }),
        loginStats: () => this.lockout.stats,
        auditDiskSpace: () => this.audit.diskSpace(),
        storageDir: storageDirOf(options.storage) },
      options.telemetry,
    );
    const storage = new TransactionalStorage(new InstrumentedStorage(options.storage, this.metrics));
    this.transactions = new Transactions(storage);
    this.cluster = new ClusterView(options.cluster, options.storage.changes);
    this.audit = new AuditBroker({
      now,
      onDeviceError: (path, err) =>
        this.logger.error({ device: path, err: errorSummary(err) }, 'audit device failing: requests are refused (fail closed) unless another device writes; a root or sudo token can disable or replace it'),
      onDeviceRecovered: (path) => this.logger.info({ device: path }, 'audit device writing again'),
      metrics: this.metrics,
      onDiskSpace: (path, space) =>
        space.low
          ? this.logger.warn({ device: path, freeBytes: space.freeBytes, minFreeBytes: space.minFreeBytes }, 'audit device: the disk is nearly full; when it fills, audit fails and every request is refused (free space, rotate or move the file)')
          : this.logger.info({ device: path, freeBytes: space.freeBytes }, 'audit device: free disk space back over min_free_space'),
    });
    this.barrier = new Barrier(storage, now, DEFAULT_MAX_OPERATIONS, (fn) => this.transactions.detached(fn));
    this.lockout = new LoginLockout(new PrefixedStorage(this.barrier, 'sys/lockout/'), now, (fn) => this.transactions.detached(fn));
    this.envelope = new Envelope(this.barrier);
    this.seal = new SealManager(storage, this.barrier, options.staticSealKey);
    this.policies = new PolicyStore(new PrefixedStorage(this.barrier, 'sys/policy/'), now);
    this.tokens = new TokenStore(new PrefixedStorage(this.barrier, 'sys/token/'), now);
    this.tokens.onRevoke((tokenId) => this.afterTokenRevoked(tokenId));
    this.systemServices = (options.systemServices ?? []).map((f) => f.create({
      storage: new PrefixedStorage(this.barrier, `sys/${f.name}/`), now, logger: this.logger,
      mayRead: async (auth, path) => auth.isRoot || (await this.policies.acl(auth.policies)).check({ operation: 'read', path }).allowed,
      detached: (fn) => this.transactions.detached(fn),
    }));
    this.systemBackend = createSystemBackend(this, this.systemServices.flatMap((s) => s.routes));
    this.tokenBackend = createTokenBackend({
      store: this.tokens,
      policyExists: (name) => this.policies.exists(name),
      now,
      hasSudo: async (auth, path) => auth.isRoot || (await this.policies.acl(auth.policies)).check({ operation: 'update', path }).sudo,
    });
    const builtins: BackendFactory[] = [
      { type: 'system', kind: 'secret', create: () => this.systemBackend },
      { type: 'token', kind: 'auth', create: () => this.tokenBackend },
    ];
    this.mounts = new MountTable(this.barrier, [...builtins, ...options.features], this.services(), now, () => this.transactions.outside(() => this.invalidate([MountTable.tableKey])));
    this.wrapper = new ResponseWrapper(this.tokens, this.mounts, now);
    this.leases = new LeaseManager(new PrefixedStorage(this.barrier, 'sys/expire/'), this.mounts, now, SYSTEM_MAX_TTL);
    // What a discarded transaction wrote, or another node committed, may sit in a cache here.
    storage.onDiscard((keys) => this.invalidate(keys));
    options.storage.changes?.subscribe((keys) => this.invalidate(keys));
    // The mount and audit tables are also re-read after this node's own commits of them: a reload
    // started by another node's change may finish after a local change and put back an older
    // table; the reload queued by the commit comes after it and reads the table as committed.
    storage.onCommit((keys) => {
      const tables = keys.filter((k) => k === MountTable.tableKey || k === AUDIT_TABLE_KEY);
      if (tables.length > 0) this.transactions.outside(() => this.invalidate(tables));
    });
  }

  // ---------------------------------------------------------------- cache invalidation

  private reloading: Promise<void> | undefined;

  /**
   * Drops or reloads whatever this node derived from `keys` (physical keys; `'all'` when changes may
   * have been missed). Runs synchronously for the caches, so no request started after this call
   * can use a dropped entry; tables that must be re-read (mounts, audit devices, keyring) reload
   * in the background and requests wait for them (see {@link handle}).
   */
  invalidate(keys: readonly string[] | 'all'): void {
    if (this.barrier.sealed) return;
    const all = keys === 'all';
    if (all) {
      this.tokens.clearCache();
      this.policies.clear();
      this.envelope.clear();
    }
    let reloadMounts = all;
    let reloadAudit = all;
    let reloadKeyring = all;
    for (const key of all ? [] : keys) {
      if (key.startsWith('sys/token/')) this.tokens.invalidate(key.slice('sys/token/'.length));
      else if (key.startsWith('sys/policy/')) this.policies.invalidate(key.slice('sys/policy/'.length));
      else if (key === MountTable.tableKey) reloadMounts = true;
      else if (key === AUDIT_TABLE_KEY) reloadAudit = true;
      else if (key === KEYRING_KEY) reloadKeyring = true;
      else if (key === ENVELOPE_KEY) this.envelope.clear();
      else if (key === SealManager.configKey) this.seal.forgetConfig(); // a rekey (here, discarded, or on another node)
      else if (key === STEP_DOWN_KEY) void this.stepDownIfAsked().catch((err) => this.logger.warn({ err: errorSummary(err) }, 'step-down failed'));
      else {
        const owner = this.mounts.ownerOf(key);
        owner?.mounted.backend.invalidate?.(owner.relKey);
      }
    }
    if (reloadMounts || reloadAudit || reloadKeyring) {
      const previous = this.reloading ?? Promise.resolve();
      const run = previous.then(async () => {
        if (this.barrier.sealed) return;
        if (reloadKeyring) await this.barrier.reloadKeyring();
        if (reloadMounts) await this.mounts.load();
        if (reloadAudit) await this.reloadAuditDevices();
      });
      const tracked: Promise<void> = run.catch((err) => {
        this.logger.error({ err: errorSummary(err) }, 'reloading shared state after a change failed; dropping every cache');
        this.tokens.clearCache();
        this.policies.clear();
      }).finally(() => {
        if (this.reloading === tracked) this.reloading = undefined;
      });
      this.reloading = tracked;
    }
  }

  /** Auto-unseals a static-seal server that is already initialized. Call once at start. */
  async start(): Promise<void> {
    if (this.seal.type !== 'static') return;
    if (await this.seal.config()) {
      await this.seal.unsealWithStaticKey();
      await this.postUnseal();
    } else if (this.cluster.enabled) {
      // A cluster node started before `operator init` ran (on any node) unseals itself once it has.
      this.initWatch = setInterval(() => void this.unsealWhenInitialized(), TICK_MS);
      this.initWatch.unref();
    }
  }

  private initWatch: NodeJS.Timeout | undefined;

  private async unsealWhenInitialized(): Promise<void> {
    if (!this.barrier.sealed || this.unsealing) return this.stopInitWatch();
    try {
      if (!(await this.seal.config())) return;
      this.stopInitWatch();
      await this.seal.unsealWithStaticKey();
      await this.postUnseal();
    } catch (err) {
      this.logger.error({ err: errorSummary(err) }, 'auto-unseal after the cluster was initialized failed');
    }
  }

  private stopInitWatch(): void {
    if (this.initWatch) clearInterval(this.initWatch);
    this.initWatch = undefined;
  }

  /** Whether init has run. */
  async initialized(): Promise<boolean> {
    return (await this.seal.config()) !== undefined;
  }

  /** True while sealed. */
  get sealed(): boolean {
    return this.barrier.sealed || this.unsealing !== undefined;
  }

  /** The physical (untrusted, encrypted) storage, for whole-store snapshots (sys/storage/snapshot). */
  get physicalStorage(): NamedStorage {
    return this.options.storage;
  }

  /**
   * Initializes storage: keys, default mounts and policies, and the root token. A Shamir
   * server is sealed again afterwards; a static-seal server stays unsealed.
   */
  async initialize(params: { shares: number; threshold: number; rootTokenId?: string; devMounts?: boolean; noRootToken?: boolean }): Promise<{ keys: Buffer[]; rootToken: string }> {
    // One transaction: on a cluster, two nodes initializing at once conflict on the seal config
    // (both read it absent); exactly one commits, the other is told the cluster is initialized.
    let result: { keys: Buffer[]; rootToken: string };
    try {
      result = await this.transactions.detached(() => this.writeInitialState(params), { retry: false });
    } catch (err) {
      this.mounts.clear();
      this.barrier.forget();
      this.seal.forgetConfig();
      if (this.transactions.isConflict(err)) throw new SealError('Vault is already initialized (another node initialized this storage first)');
      throw err;
    }
    if (this.seal.type === 'shamir') {
      this.mounts.clear();
      await this.barrier.seal();
    } else {
      // Init has committed: its keys and root token must reach the caller even when the bootstrap
      // fails. The core then stays sealed (the log says why); a restart with the fixed config unseals it.
      await this.postUnseal({ afterUnsealFailureSeals: true });
    }
    this.logger.info({ shares: params.shares, threshold: params.threshold, seal: this.seal.type }, 'core initialized');
    return result;
  }

  private async writeInitialState(params: { shares: number; threshold: number; rootTokenId?: string; devMounts?: boolean; noRootToken?: boolean }): Promise<{ keys: Buffer[]; rootToken: string }> {
    const keys = await this.seal.initialize(params.shares, params.threshold);
    await this.mounts.load();
    await this.mounts.mount({ path: 'sys/', type: 'system', kind: 'secret', description: 'system endpoints used for control, policy and debugging' }, { internal: true });
    await this.mounts.mount({ path: 'cubbyhole/', type: 'cubbyhole', kind: 'secret', description: 'per-token private secret storage', local: true }, { internal: true });
    await this.mounts.mount({ path: 'token/', type: 'token', kind: 'auth', description: 'token based credentials' }, { internal: true });
    if (params.devMounts) {
      await this.mounts.mount({ path: 'secret/', type: 'kv', kind: 'secret', description: 'key/value secret storage', options: { version: '2' } });
      if (this.options.features.some((f) => f.kind === 'auth' && f.type === 'azure-ad')) await this.mounts.mount({ path: 'azure/', type: 'azure-ad', kind: 'auth', description: 'Azure AD look-alike for the Key Vault front (service principals, managed identities)' });
    }
    await this.policies.ensureDefaults();
    await this.barrier.put('core/cluster', Buffer.from(JSON.stringify({ id: randomUUID(), name: this.clusterName })));
    // The first admin comes from the server's bootstrap instead (e.g. an AppRole role bound to a CIDR).
    if (params.noRootToken) return { keys, rootToken: '' };
    const { token } = await this.tokens.create({
      id: params.rootTokenId,
      policies: ['root'],
      ttl: 0,
      path: 'auth/token/root',
      displayName: 'root',
      orphan: true,
      noDefaultPolicy: true,
    });
    return { keys, rootToken: token };
  }

  /** Submits one unseal key share; loads state when the threshold is reached. */
  async submitUnsealKey(share: Buffer) {
    const progress = await this.seal.submitShare(share);
    if (!progress.sealed && !this.ticker && !this.unsealing) await this.postUnseal();
    return progress;
  }

  /** Seals: stops background work, closes audit devices and drops every key from memory. */
  async sealCore(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    await this.audit.close();
    this.mounts.clear();
    this.policies.clear();
    this.tokens.clearCache();
    this.counts.tokens.reset();
    this.counts.leases.reset();
    this.envelope.clear();
    await this.barrier.seal();
    this.logger.info({}, 'core sealed');
  }

  /** Releases everything (server shutdown). */
  async close(): Promise<void> {
    this.stopInitWatch();
    if (!this.barrier.sealed) await this.sealCore();
    await this.options.storage.close();
  }

  /** Loads state after unseal, then runs afterUnseal; `afterUnsealFailureSeals`: its failure seals but is not thrown. */
  private async postUnseal(opts: { afterUnsealFailureSeals?: boolean } = {}): Promise<void> {
    const run = async () => {
      const cluster = await this.barrier.get('core/cluster');
      if (cluster) this.clusterId = (JSON.parse(Buffer.from(cluster).toString('utf8')) as { id: string }).id;
      await this.mounts.load();
      await this.policies.ensureDefaults();
      await this.loadAuditDevices();
      // Outside the transaction of the request that unsealed (sys/unseal): each tick must run on its own.
      this.ticker = this.transactions.outside(() => setInterval(() => this.backgroundTick(), TICK_MS));
      this.ticker.unref();
    };
    this.unsealing = run();
    try {
      await this.unsealing;
    } catch (err) {
      this.logger.error({ err: errorSummary(err) }, 'post-unseal setup failed; sealing again');
      await this.barrier.seal();
      throw err;
    } finally {
      this.unsealing = undefined;
    }
    if (this.options.afterUnseal) {
      try {
        this.settling = this.options.afterUnseal(this);
        await this.settling;
      } catch (err) {
        this.logger.error({ err: errorSummary(err) }, 'after-unseal step (bootstrap) failed; sealing again');
        await this.sealCore();
        if (opts.afterUnsealFailureSeals) return;
        throw err;
      } finally {
        this.settling = undefined;
      }
    }
    this.logger.info({}, 'core unsealed');
  }

  /** True when the server applies a bootstrap after unseal (so init may skip the root token). */
  get hasAfterUnseal(): boolean {
    return this.options.afterUnseal !== undefined;
  }

  /** The after-unseal step (bootstrap) in progress: client requests wait for it, so none sees a half-bootstrapped server. */
  private settling: Promise<void> | undefined;

  private ticking: Promise<void> | undefined;

  /** Periodic housekeeping (expire tokens and leases, let backends tidy), now (after the one in progress, if any). */
  async tick(): Promise<void> {
    while (this.ticking) await this.ticking;
    this.ticking = this.tickOnce().finally(() => (this.ticking = undefined));
    await this.ticking;
  }

  /** The timer's tick: skipped while one is running, so a slow sweep (a database failover) does not pile them up. */
  private backgroundTick(): void {
    if (!this.ticking) void this.tick();
  }

  private async tickOnce(): Promise<void> {
    // In a cluster one node (the leader) does the background work, so nothing expires twice.
    const leading = this.cluster.isLeader();
    if (!leading) this.leaderSince = undefined;
    if (this.sealed || !leading) return;
    this.leaderSince ??= this.clock.now();
    try {
      if (await this.stepDownIfAsked()) return;
      await this.tokens.sweepExpired();
      await this.leases.sweep();
      await this.lockout.tidy();
      for (const m of this.mounts.all()) await m.backend.tidy?.();
      for (const s of this.systemServices) await s.tick?.();
    } catch (err) {
      if (!(err instanceof SealedError)) this.logger.warn({ err: errorSummary(err) }, 'housekeeping failed');
    }
  }

  /**
   * `sys/step-down`: the leader gives up leadership at once; another node asks the leader to, through
   * a storage key it reads on its next tick (at most a second later).
   */
  async requestStepDown(): Promise<void> {
    if (!this.cluster.enabled) return;
    if (this.cluster.isLeader()) await this.stepDown();
    else await this.barrier.put(STEP_DOWN_KEY, Buffer.from(JSON.stringify({ requestedBy: this.cluster.membership!.nodeId, at: this.clock.now() })));
  }

  /** On the leader: steps down when another node asked it to (see requestStepDown). */
  private async stepDownIfAsked(): Promise<boolean> {
    if (!this.cluster.enabled || !this.cluster.isLeader() || !(await this.barrier.get(STEP_DOWN_KEY))) return false;
    await this.barrier.delete(STEP_DOWN_KEY);
    await this.stepDown();
    return true;
  }

  private async stepDown(): Promise<void> {
    this.leaderSince = undefined;
    this.logger.info({}, 'stepping down as leader of background work');
    await this.cluster.membership!.stepDown();
  }

  private async afterTokenRevoked(tokenId: string): Promise<void> {
    for (const m of this.mounts.all()) await m.backend.onTokenRevoked?.(tokenId);
  }

  // ---------------------------------------------------------------- audit devices

  /**
   * Enables an audit device and persists the audit table. The device first writes Vault's
   * test probe: one that cannot write is refused with a 400 and nothing is saved.
   */
  async enableAudit(config: AuditDeviceConfig): Promise<void> {
    await this.audit.enable(config, { probe: buildTestProbeEntry(randomUUID(), this.clock.now()) });
    try {
      await this.persistAuditTable();
    } catch (err) {
      await this.audit.disable(config.path);
      throw err;
    }
  }

  /** Disables an audit device and persists the audit table. */
  async disableAudit(path: string): Promise<void> {
    await this.refreshAuditTable();
    await this.audit.disable(path);
    await this.persistAuditTable();
  }

  private async persistAuditTable(): Promise<void> {
    await this.barrier.put(AUDIT_TABLE_KEY, Buffer.from(JSON.stringify(this.audit.list())));
  }

  private async storedAuditTable(): Promise<AuditDeviceConfig[]> {
    const raw = await this.barrier.get(AUDIT_TABLE_KEY);
    return raw ? (JSON.parse(Buffer.from(raw).toString('utf8')) as AuditDeviceConfig[]) : [];
  }

  /**
   * Brings the enabled devices level with the audit table as the current transaction reads it,
   * before a change is decided (same invariant as MountTable.refresh: the read joins the
   * transaction, so another node's concurrent change conflicts instead of being overwritten).
   */
  async refreshAuditTable(): Promise<void> {
    // A background reload (another node's change, or this node's discarded attempt) opens and
    // closes devices too: let it finish so the two do not open the same path at once.
    while (this.reloading) await this.reloading;
    const stored = await this.storedAuditTable();
    if (JSON.stringify(stored) === JSON.stringify(this.audit.list())) return;
    await this.reloadAuditDevices(stored);
    // As MountTable.refresh: the committed table is read again after this transaction's view
    // (outside it: the reload must not read or join this request's transaction).
    this.transactions.outside(() => this.invalidate([AUDIT_TABLE_KEY]));
  }

  /** Brings the enabled devices in line with the stored audit table (another node changed it). */
  private async reloadAuditDevices(read?: AuditDeviceConfig[]): Promise<void> {
    const stored = read ?? (await this.storedAuditTable());
    const wanted = new Set(stored.map((c) => c.path));
    for (const current of this.audit.list()) if (!wanted.has(current.path)) await this.audit.disable(current.path);
    await this.openAuditDevices(stored.filter((c) => !this.audit.has(c.path)));
  }

  private async loadAuditDevices(): Promise<void> {
    await this.openAuditDevices(await this.storedAuditTable());
  }

  private async openAuditDevices(configs: AuditDeviceConfig[]): Promise<void> {
    for (const config of configs) {
      try {
        await this.audit.enable(config);
      } catch (err) {
        // The device stays in the table; with no writable device requests fail closed.
        this.logger.error({ device: config.path, err: errorSummary(err) }, 'audit device could not be opened');
        this.audit.markFailed?.(config);
      }
    }
  }

  // ---------------------------------------------------------------- tokens for logins

  private services(): BackendServices {
    return {
      now: () => this.clock.now(),
      issueToken: (mount, params) => this.issueLoginToken(mount, params),
      lockout: this.lockout,
      envelope: this.envelope,
      logger: this.logger,
      events: this.systemServices.find((s) => s.events)?.events,
    };
  }

  /** Creates the token for a successful login on `mount` (login tokens are orphans). */
  async issueLoginToken(mount: MountEntry, params: IssueTokenParams): Promise<AuthResponse> {
    const { token, entry } = await this.tokens.create({
      policies: params.policies,
      noDefaultPolicy: params.noDefaultPolicy ?? false,
      ttl: params.ttl || undefined,
      maxTTL: params.maxTTL || undefined,
      explicitMaxTTL: params.explicitMaxTTL ?? 0,
      period: params.period ?? 0,
      numUses: params.numUses ?? 0,
      renewable: params.renewable ?? true,
      displayName: `${mount.path.slice(5, -1)}${params.displayName ? `-${params.displayName}` : ''}`,
      meta: params.metadata ?? {},
      path: `${mount.path}login`,
      orphan: true,
      boundCidrs: params.boundCidrs ?? [],
      mountDefaultTTL: mount.config.defaultLeaseTTL,
      mountMaxTTL: mount.config.maxLeaseTTL,
      type: resolveTokenType(mount.config.tokenType, params.type),
    });
    return authResponse(entry, token);
  }

  // ---------------------------------------------------------------- the request path

  /** Resolves the mount and route serving `path`. */
  resolve(path: string): Resolved {
    const mounted = path.startsWith('sys/') || path === 'sys' ? this.mounts.get('sys/') ?? this.sysFallback() : this.mounts.match(path);
    if (!mounted) return { relPath: path, params: {} };
    const relPath = path.slice(mounted.entry.path.length);
    for (const route of mounted.backend.routes) {
      const m = route.pattern.exec(relPath);
      if (m) return { mounted, route, relPath, params: { ...(m.groups ?? {}) } };
    }
    return { mounted, relPath, params: {} };
  }

  /** While sealed the mount table is not loaded; the system backend still answers its sealed-ok routes. */
  private sysFallback(): Mounted {
    const entry: MountEntry = {
      path: 'sys/', type: 'system', description: '', uuid: 'system', accessor: 'system', kind: 'secret',
      config: { defaultLeaseTTL: 0, maxLeaseTTL: 0, forceNoCache: false }, options: {}, local: false, sealWrap: false, createdAt: 0,
    };
    return { entry, backend: this.systemBackend, storage: new PrefixedStorage(this.barrier, 'sys/system/') };
  }

  /** Handles one logical request end to end. */
  async handle(req: LogicalRequest): Promise<LogicalResponse> {
    const startMs = performance.now();
    const seen: Seen = { operation: req.operation };
    try {
      const response = await this.handleSteps(req, seen);
      this.metrics.observeRequest(req.via, seen.operation, seen.mount?.type, successStatus(response), startMs);
      return response;
    } catch (err) {
      this.metrics.observeRequest(req.via, seen.operation, seen.mount?.type, isCofferError(err) ? err.status : 500, startMs);
      throw err;
    }
  }

  private async handleSteps(req: LogicalRequest, seen: Seen): Promise<LogicalResponse> {
    const sealedOk = SEALED_OK.has(req.path);
    // Not audited while sealed, as in Vault (no device is open then).
    if (this.sealed && !sealedOk) throw sealedError();
    if (!sealedOk) {
      // A node that cannot confirm its caches are current must not authorize from them.
      this.cluster.assertCurrent();
      if (this.reloading) await this.reloading;
      // The bootstrap's own requests come through here too ('internal'); everyone else waits for it.
      if (this.settling && req.via !== 'internal') {
        await this.settling.catch(() => undefined);
        if (this.sealed) throw sealedError();
      }
    }
    try {
      return await this.handleUnsealed(req, sealedOk, seen);
    } catch (err) {
      throw this.translateError(err);
    }
  }

  private translateError(err: unknown): unknown {
    if (isCofferError(err)) return err;
    if (err instanceof SealedError) return sealedError();
    const storageError = this.transactions.translate(err);
    if (storageError) {
      this.logger.warn({ err: errorSummary(err) }, storageError.message);
      return storageError;
    }
    if (err instanceof DecryptError) {
      this.logger.error({ err: err.message }, 'storage integrity check failed');
      return new CofferError('internal', 'internal error: a stored value failed its integrity check (storage was modified outside Coffer)');
    }
    return err;
  }

  private async handleUnsealed(req: LogicalRequest, sealedOk: boolean, seen: Seen): Promise<LogicalResponse> {
    const audited = !NOT_AUDITED.has(req.path);
    let admitted: Admitted;
    try {
      admitted = await this.admit(req, sealedOk, seen);
    } catch (err) {
      // Every refusal (bad path, missing/invalid/expired/revoked token, CIDR, ACL) is audited once.
      if (audited) await this.auditRefusal(req, seen, err);
      throw err;
    }
    const { resolved, unauthenticated, tokenEntry, auth, breq, operation, auditRecovery } = admitted;
    const { mounted } = resolved;

    const requestEntry = audited ? buildRequestEntry(req, operation, auth, mounted?.entry, this.clock.now()) : undefined;
    // The mount may ask for some top-level keys to be logged raw (audit_non_hmac_*_keys).
    const auditCtx = auditContext(mounted?.entry, auth ? tokenEntry : undefined);
    let recoveryLogged = false;
    if (requestEntry) {
      try {
        await this.audit.logRequest(requestEntry, auditCtx);
      } catch (err) {
        if (!auditRecovery) throw err; // fail closed
        recoveryLogged = this.logAuditRecovery(req, operation, auth);
      }
    }

    let response: LogicalResponse | null = null;
    let failure: unknown;
    let revokeAfterRequest = false;
    try {
      if (tokenEntry && tokenEntry.numUses !== 0 && !unauthenticated) {
        // A use is spent whether or not the request succeeds, so it commits on its own, before the
        // request; of two requests (on any nodes) racing for the last use, one commits.
        const used = await this.transactions.detached(() => this.tokens.useToken(tokenEntry!));
        if (!used) throw permissionDenied('invalid token');
        revokeAfterRequest = used.revokeAfterRequest;
      }
      // The request's storage work is one transaction: it commits whole when the backend is done
      // and is run again from here if another request (on any node) changed what it read.
      const inTransaction = () => this.transactions.request(async () => this.finish(await this.dispatch(req, breq, resolved, operation), req, breq, resolved, operation));
      if (!req.wrapTTL && resolved.route?.readOnly?.includes(operation) === true) {
        // A read-only operation (Route.readOnly) runs outside any transaction, on a read-only view.
        const answer = await this.dispatch(req, { ...breq, storage: readOnlyView(breq.storage) }, resolved, operation);
        // Finishing an answer with a lease or to be wrapped writes: then the whole request runs in a transaction.
        response = answer?.lease || answer?.wrapTTL ? await inTransaction() : await this.finish(answer, req, breq, resolved, operation);
      } else {
        response = await inTransaction();
      }
    } catch (err) {
      failure = this.translateError(err);
    }
    if (revokeAfterRequest && tokenEntry) await this.transactions.detached(() => this.tokens.revoke(tokenEntry!.id));
    if (requestEntry) {
      try {
        await this.audit.logResponse(buildResponseEntry(requestEntry, failure ? undefined : response, failure, this.clock.now()), auditCtx);
      } catch (err) {
        // A recovery request has done its change (e.g. disabled the last working device): report it, do not fail it.
        if (!auditRecovery) throw err;
        if (!recoveryLogged) this.logAuditRecovery(req, operation, auth);
      }
    }
    if (failure) throw failure;
    return response ?? {};
  }

  /**
   * Everything before the request entry: path check, routing, authentication, create/update
   * resolution and the ACL. Throws the refusal; `seen` tells the caller what was learnt.
   */
  private async admit(req: LogicalRequest, sealedOk: boolean, seen: Seen): Promise<Admitted> {
    // One check for every route: no `..`, NUL or control characters can reach a backend.
    assertSafePath(req.path);
    let resolved = this.resolve(req.path);
    if (!resolved.mounted && this.cluster.enabled) {
      // Read-after-write for mounts across nodes: another node may have mounted this path an
      // instant ago, before its change notice arrived. A miss re-reads the mount table once.
      await this.mounts.load();
      resolved = this.resolve(req.path);
    }
    const { mounted, route } = resolved;
    seen.mount = mounted?.entry;
    const unauthenticated = route?.unauthenticated?.includes(req.operation) ?? false;

    // Authentication: unauthenticated routes skip it; everything else needs a live token.
    // Unauthenticated routes still see a valid token when one is sent (the UI-mounts
    // preflight authorizes itself with it); a bad one is simply ignored there.
    let auth: RequestAuth | undefined;
    let tokenEntry: Awaited<ReturnType<TokenStore['lookup']>>;
    if (!sealedOk && (req.token || !unauthenticated)) {
      tokenEntry = req.token ? await this.tokens.lookup(req.token) : undefined;
      if (tokenEntry?.boundCidrs?.length && !isInCidrs(req.clientAddress, tokenEntry.boundCidrs)) tokenEntry = undefined;
      if (!tokenEntry && !unauthenticated) throw permissionDenied(req.token ? 'invalid token' : undefined);
    }
    if (tokenEntry) {
      auth = {
        clientToken: req.token!,
        accessor: tokenEntry.accessor,
        policies: tokenEntry.policies,
        displayName: tokenEntry.displayName,
        metadata: tokenEntry.meta ?? {},
        tokenId: tokenEntry.id,
        isRoot: tokenEntry.policies.includes('root'),
        entityId: '',
      };
      seen.auth = auth;
    }

    const breq: BackendRequest = {
      operation: req.operation,
      path: resolved.relPath,
      params: resolved.params,
      data: req.data,
      storage: mounted?.storage as BackendRequest['storage'],
      mount: mounted?.entry as MountEntry,
      auth,
      clientAddress: req.clientAddress,
      requestId: req.id,
      fullPath: req.path,
      ...(req.rawBody !== undefined ? { rawBody: req.rawBody } : {}),
      ...(req.bodyStream !== undefined ? { bodyStream: req.bodyStream } : {}),
    };

    // POST/PUT become create when the route can tell the target does not exist yet.
    let operation: Operation = req.operation;
    if (operation === 'update' && route?.existenceCheck && mounted) {
      operation = (await route.existenceCheck(breq)) ? 'update' : 'create';
      breq.operation = operation;
      seen.operation = operation;
    }

    let sudo = false;
    if (auth && !unauthenticated) {
      const acl: ACL = await this.policies.acl(auth.policies);
      const verdict = acl.check({ operation, path: req.path, data: req.data, wrapTTL: req.wrapTTL });
      sudo = auth.isRoot || verdict.sudo;
      if (!verdict.allowed || (route?.sudo === true && !sudo)) throw permissionDenied();
      if (operation === 'scan') breq.scanVisible = scanVisibility(acl, req.path);
    }
    const auditRecovery = sudo && !unauthenticated && isAuditDeviceChange(req, resolved, operation);
    return { resolved, unauthenticated, tokenEntry, auth, breq, operation, auditRecovery };
  }

  /**
   * Audits a request refused before its request entry was written: one request entry (with
   * the error) and one response entry. The refusal stands whether or not a device could
   * write it, as in Vault: nothing was done, and the broker has logged a failing device.
   */
  private async auditRefusal(req: LogicalRequest, seen: Seen, err: unknown): Promise<void> {
    const ctx = auditContext(seen.mount);
    const entry = buildRefusedRequestEntry(req, seen.operation, seen.auth, seen.mount, err, this.clock.now());
    try {
      await this.audit.logRequest(entry, ctx);
      await this.audit.logResponse(buildResponseEntry(entry, undefined, err, this.clock.now()), ctx);
    } catch {
      // see above
    }
  }

  /**
   * The operator's escape hatch, written to the server log (no token, no request data) when
   * no audit device could record a recovery request. Returns true (logged).
   */
  private logAuditRecovery(req: LogicalRequest, operation: Operation, auth: RequestAuth | undefined): true {
    this.logger.warn(
      { requestId: req.id, operation, path: req.path, remoteAddress: req.clientAddress, displayName: auth?.displayName, policies: auth?.policies },
      'no audit device could record this request; allowed anyway because a root or sudo token is disabling or enabling an audit device (operator recovery)',
    );
    return true;
  }

  /** After the handler: lease registration, scan filtering, Vault's empty-list 404 and response wrapping (the last two write). */
  private async finish(answer: LogicalResponse | null, req: LogicalRequest, breq: BackendRequest, resolved: Resolved, operation: Operation): Promise<LogicalResponse | null> {
    const { mounted } = resolved;
    if (answer && mounted) answer.mountType ??= mounted.entry.type;
    if (answer?.lease && mounted) {
      const lease = await this.leases.register(mounted.entry.path, req.path, answer.lease);
      answer.leaseId = lease.id;
      answer.leaseDuration = Math.round((lease.expireTime - lease.issueTime) / 1000);
      answer.renewable = lease.renewable;
      delete answer.lease;
    }
    if (operation === 'scan' && breq.scanVisible && Array.isArray(answer?.data?.keys)) {
      answer!.data!.keys = (answer!.data!.keys as unknown[]).filter((k) => typeof k === 'string' && breq.scanVisible!(k));
    }
    // Vault answers an empty LIST with 404 (the Go client turns it into nil); SCAN likewise.
    if ((operation === 'list' || (operation === 'scan' && answer?.data?.next_after === undefined)) && Array.isArray(answer?.data?.keys) && (answer!.data!.keys as unknown[]).length === 0) throw notFound();
    const wrapTTL = req.wrapTTL ?? answer?.wrapTTL;
    if (wrapTTL && answer && !answer.raw && !answer.wrapInfo && (answer.data || answer.auth)) {
      return this.wrapper.wrap(answer, wrapTTL, req.path, req.id);
    }
    return answer;
  }

  private async dispatch(req: LogicalRequest, breq: BackendRequest, resolved: Resolved, operation: Operation): Promise<LogicalResponse | null> {
    const { mounted, route } = resolved;
    if (!mounted || (req.mountType !== undefined && mounted.entry.type !== req.mountType)) {
      throw new CofferError('unsupported_path', `no handler for route "${req.path}". route entry not found.`);
    }
    if (operation === 'help') {
      // As in Vault, help on a mount's root describes the whole backend.
      if (resolved.relPath === '') return mountHelp(mounted.entry, mounted.backend, this.version);
      if (route) return routeHelp(mounted.entry, route, resolved.relPath, this.version);
    }
    if (!route) {
      throw new CofferError('unsupported_path', `unsupported path: no route for "${req.path}" on the ${mounted.entry.type} mount at ${mounted.entry.path}`);
    }
    const ops = route.operations;
    const handler = ops[operation] ?? (operation === 'create' ? ops.update : operation === 'update' ? ops.create : undefined);
    if (!handler) throw new CofferError('unsupported_operation', `unsupported operation: ${operation} is not supported on ${req.path}`);
    return withUnrecognizedFieldsWarning(route, operation, req.data, await handler(breq));
  }
}

/**
 * True for the only requests that may proceed when no audit device can write (together
 * with a root or sudo token): enabling or disabling an audit device at `sys/audit/<path>`,
 * so an operator can always recover from a failing device without editing storage. Never
 * with response wrapping (that would create a token unaudited).
 */
function isAuditDeviceChange(req: LogicalRequest, resolved: Resolved, operation: Operation): boolean {
  return resolved.mounted?.entry.type === 'system' && /^audit\/.+/.test(resolved.relPath) && !req.wrapTTL &&
    (operation === 'delete' || operation === 'update' || operation === 'create');
}

/**
 * SCAN's per-key filter: a key (relative to the scanned path, which ends in `/`) is visible when
 * the ACL grants `list` on the folder holding it, so a scan shows exactly the names that LISTs
 * of each folder would. One ACL check per distinct folder.
 */
function scanVisibility(acl: ACL, scanPath: string): (key: string) => boolean {
  const folders = new Map<string, boolean>();
  return (key) => {
    const folder = scanPath + key.slice(0, key.lastIndexOf('/') + 1);
    let ok = folders.get(folder);
    if (ok === undefined) {
      ok = acl.check({ operation: 'list', path: folder }).allowed;
      if (folders.size >= 10_000) folders.clear(); // a memo, bounded whatever the layout
      folders.set(folder, ok);
    }
    return ok;
  };
}

/**
 * The mount's non-HMAC keys for the broker (audit_non_hmac_*_keys), and the token entry the
 * request's token resolved to (`tokenIdentity`: only when `auth` was built from it, see AuditLogContext).
 */
function auditContext(mount: MountEntry | undefined, tokenIdentity?: object): AuditLogContext | undefined {
  if (!mount) return tokenIdentity ? { tokenIdentity } : undefined;
  return { nonHmacRequestKeys: mount.config.auditNonHmacRequestKeys, nonHmacResponseKeys: mount.config.auditNonHmacResponseKeys, tokenIdentity };
}

/** A loggable summary of an error that never includes request data. */
export function errorSummary(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

/** One read-only view per storage view (mount storages live as long as their mount). */
const readOnlyViews = new WeakMap<Storage, ReadOnlyStorage>();

/** The read-only view of a mount's storage that Route.readOnly operations get. */
function readOnlyView(storage: Storage): Storage {
  let view = readOnlyViews.get(storage);
  if (view === undefined) readOnlyViews.set(storage, (view = new ReadOnlyStorage(storage)));
  return view;
}
