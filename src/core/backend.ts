/**
 * The contract between core and the features (secret engines and auth methods).
 *
 * A feature is a folder under `features/` that exports a BackendFactory. Its routes are
 * data: a pattern, the operations it handles, an optional existence check (which lets the
 * ACL tell `create` from `update`) and flags for unauthenticated and sudo paths. Core owns
 * authentication, the ACL and audit; a backend only sees requests that passed them.
 */
import type { Storage } from '../storage/types.js';
import type { LogicalResponse, Operation } from './logical.js';

/** The mount-table entry a backend is mounted at. */
export interface MountEntry {
  /** Mount path with a trailing slash, e.g. `secret/` or `auth/approle/`. */
  path: string;
  type: string;
  description: string;
  uuid: string;
  accessor: string;
  /** `secret` engines live at the top level, `auth` methods under `auth/`. */
  kind: 'secret' | 'auth';
  config: MountConfig;
  options: Record<string, string>;
  local: boolean;
  sealWrap: boolean;
  /** Unix milliseconds. */
  createdAt: number;
}

/** Tunable mount settings. TTLs are seconds; 0 means "system default". */
export interface MountConfig {
  defaultLeaseTTL: number;
  maxLeaseTTL: number;
  forceNoCache: boolean;
  listingVisibility?: string;
  auditNonHmacRequestKeys?: string[];
  auditNonHmacResponseKeys?: string[];
  tokenType?: string;
  /** Feature-specific extra settings (e.g. user_lockout_config). */
  extra?: Record<string, unknown>;
}

/** Who is calling, as resolved by core from the token. Never contains the raw token except `clientToken`. */
export interface RequestAuth {
  /** The raw token (needed by token routes such as lookup-self); never log it. */
  clientToken: string;
  accessor: string;
  policies: string[];
  displayName: string;
  metadata: Record<string, string>;
  /** The token's storage id (salted hash), for per-token storage such as cubbyhole. */
  tokenId: string;
  isRoot: boolean;
  /** Entity id (empty until identities exist). */
  entityId: string;
}

/** Parameters for issuing a token from an auth method's login. */
export interface IssueTokenParams {
  policies: string[];
  /** Seconds; 0 means the mount/system default. */
  ttl?: number;
  maxTTL?: number;
  explicitMaxTTL?: number;
  period?: number;
  numUses?: number;
  renewable?: boolean;
  noDefaultPolicy?: boolean;
  displayName?: string;
  metadata?: Record<string, string>;
  boundCidrs?: string[];
  /** The role's token_type; the mount's `token_type` tune setting has the last word (see resolveTokenType). */
  type?: 'default' | 'service' | 'batch' | 'default-service' | 'default-batch';
}

/** Services core offers to backends. */
export interface BackendServices {
  /** Current time in ms (a controllable clock in tests). */
  now(): number;
  /** Issue a login token for this auth mount; returns the auth block for the response. */
  issueToken(mount: MountEntry, params: IssueTokenParams): Promise<LogicalResponse['auth'] & object>;
  /** Failed-login accounting shared by every auth method (Vault's user lockout). */
  lockout: {
    isLocked(mount: MountEntry, alias: string): Promise<boolean>;
    /** Records the failure even though the request is refused; true when it locked the alias. */
    failed(mount: MountEntry, alias: string): Promise<boolean>;
    succeeded(mount: MountEntry, alias: string): Promise<void>;
  };
  /**
   * Authenticated encryption under a server-wide key kept in the barrier, for blobs that leave
   * the server (Key Vault backups): only a Coffer holding the same key can open them. `purpose`
   * is bound into the ciphertext so a blob made for one use cannot be opened for another.
   */
  envelope: {
    seal(purpose: string, plaintext: Uint8Array): Promise<Buffer>;
    /** Throws a 400 CofferError when the blob was not made by this server for `purpose` or was altered. */
    open(purpose: string, blob: Uint8Array): Promise<Buffer>;
  };
  /** Application log (never pass a secret value or a token). */
  logger: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  /**
   * Change events (webhooks): an engine reports a new secret version here, inside the request's
   * transaction, so the event is queued exactly when the write commits. Absent when no event
   * service is wired (tests that build a core by hand).
   */
  events?: EventSink;
}

/** The event types a secret can raise (Key Vault's names, without the `Microsoft.KeyVault.` namespace). */
export type SecretEventType = 'SecretNewVersionCreated' | 'SecretNearExpiry' | 'SecretExpired';

/** A change to one secret version, as an engine reports it (never its value). */
export interface SecretEvent {
  type: SecretEventType;
  /** `Microsoft.KeyVault` for the Key Vault engine, `Coffer.KV` for KV v2. */
  namespace: string;
  /** The mount path with its trailing slash (`secret/`, `keyvault/main/`). */
  mount: string;
  /** The Key Vault vault name, or the KV mount path. */
  vaultName: string;
  objectName: string;
  version: string;
  /** The object's id: its API path on this server. */
  id: string;
  /** The path a token must be able to `read` to be told of this event (`sys/events/wait`). */
  readPath: string;
  /** Unix seconds. */
  nbf?: number;
  /** Unix seconds; a version with one is watched for near-expiry and expiry. */
  exp?: number;
}

/** The narrow interface engines emit events through (see BackendServices.events). */
export interface EventSink {
  emit(event: SecretEvent): Promise<void>;
  /**
   * Sets the expiry watch of one object (`key` names it within `event.mount`): SecretNearExpiry
   * fires 30 days before `event.exp` and SecretExpired at it. Without `exp` it clears the watch
   * (the expiry was removed, or the object deleted). Runs in the caller's transaction.
   */
  watchExpiry(key: string, event: Omit<SecretEvent, 'type'>): Promise<void>;
}

/**
 * A server-wide service outside the mount table that serves routes under `sys/` and does
 * background work on the leader's tick (e.g. the event subscriptions and their delivery worker).
 * Core gets the factories from the server wiring, like features, and never imports one.
 */
export interface SystemService {
  /** Routes relative to `sys/`. */
  routes: Route[];
  /** Background work, run on the cluster leader only; must bound its own work per call. */
  tick?(): Promise<void>;
  /** Set by the service that queues change events. */
  events?: EventSink;
}

/** Builds a SystemService; `storage` is its own view through the barrier (`sys/<name>/`). */
export interface SystemServiceFactory {
  name: string;
  create(ctx: {
    storage: Storage;
    now(): number;
    logger: BackendServices['logger'];
    /** Whether `auth`'s policies grant `read` on `path` (for answers that must only name what the caller may see). */
    mayRead(auth: RequestAuth, path: string): Promise<boolean>;
    /** Runs `fn` as a transaction of its own, committed when it resolves (run again on conflict), even inside a request's. */
    detached<T>(fn: () => Promise<T>): Promise<T>;
  }): SystemService;
}

/** What a handler receives. */
export interface BackendRequest {
  operation: Operation;
  /** The path relative to the mount (no leading slash). */
  path: string;
  /** Named groups of the route pattern. */
  params: Record<string, string>;
  data: Record<string, unknown>;
  /** The mount's own storage view; reads outside it are impossible. */
  storage: Storage;
  mount: MountEntry;
  /** Undefined on unauthenticated routes. */
  auth?: RequestAuth;
  clientAddress?: string;
  requestId: string;
  /** The full API path (for messages). */
  fullPath: string;
  /** An `application/octet-stream` request body (see LogicalRequest.rawBody). */
  rawBody?: Buffer;
  /** A streamed request body (see LogicalRequest.bodyStream). */
  bodyStream?: AsyncIterable<Buffer>;
  /**
   * SCAN only: whether the caller may see `key` (relative to the scanned path), i.e. holds
   * `list` on the folder that contains it. A scanning handler uses it to fill its pages; core
   * filters the answer's `keys` with it again, so a handler that forgets cannot leak names.
   */
  scanVisible?: (key: string) => boolean;
}

/** A route handler; `null` means 204 No Content. */
export type Handler = (req: BackendRequest) => Promise<LogicalResponse | null>;

/** One route of a backend, matched against the path relative to the mount. */
export interface Route {
  /** Anchored regular expression; named groups become `params`. */
  pattern: RegExp;
  operations: Partial<Record<Operation, Handler>>;
  /**
   * Whether the target exists, so a write is checked as `create` (absent) or `update`
   * (present). Routes without one always need `update`.
   */
  existenceCheck?: (req: BackendRequest) => Promise<boolean>;
  /** Operations that need no token (e.g. login). */
  unauthenticated?: Operation[];
  /** The route is a root path: the caller also needs `sudo`. */
  sudo?: boolean;
  /**
   * Operations whose handler only reads: core runs them outside a storage transaction (the
   * read path's biggest saving: no async context to carry) and gives them a read-only
   * `req.storage`, so a write through it throws instead of landing outside the transaction.
   * Such a handler must not write through other means either (services, other views); an
   * answer that needs writes (a lease, response wrapping) is run again inside a transaction.
   */
  readOnly?: readonly Operation[];
  /**
   * The body fields a write understands; the pattern's named groups count as known too. A
   * write carrying other keys still runs, and the answer carries Vault's "Endpoint ignored
   * these unrecognized parameters" warning, so a typo such as `token_max_tll` does not pass
   * silently. `'*'`: the route takes arbitrary keys (KV data, cubbyhole). Absent: not declared
   * yet, nothing is checked.
   */
  fields?: readonly string[] | '*';
  /** Extra ACL-free check for the handler to run: set for routes that authorize themselves. */
  help?: string;
}

/** A mounted instance of a feature. */
export interface Backend {
  routes: Route[];
  /** Called once after mount or unseal. */
  initialize?(): Promise<void>;
  /** Called when the mount is disabled, before its storage is wiped. */
  cleanup?(): Promise<void>;
  /** Called when a token issued by this auth mount is revoked. */
  onTokenRevoked?(tokenId: string): Promise<void>;
  /** Periodic housekeeping (expiry of secret-ids, purges); called by core's ticker (on the cluster's leader only). */
  tidy?(): Promise<void>;
  /**
   * `key` (relative to the mount's storage view) was changed by another node, or by a transaction
   * that was discarded: drop anything held in memory that was derived from it. Backends that keep
   * no state outside storage need not implement it.
   */
  invalidate?(key: string): void;
  /** Revokes what a lease stands for (the `internal` data the backend returned with it). */
  revokeLease?(internal: Record<string, unknown>): Promise<void>;
  /** Extends what a lease stands for; may grant less than asked. */
  renewLease?(internal: Record<string, unknown>, ttl: number): Promise<{ ttl: number }>;
}

/** Everything a factory gets to build a backend for one mount. */
export interface BackendContext {
  mount: MountEntry;
  storage: Storage;
  services: BackendServices;
}

/** A feature: a secret engine or auth method type that can be mounted. */
export interface BackendFactory {
  /** The mount `type`, e.g. `kv`, `approle`. */
  type: string;
  kind: 'secret' | 'auth';
  /** Other type names that map to this one (and the options they imply), e.g. `kv-v2`. */
  aliases?: Record<string, Record<string, string>>;
  /**
   * Normalise and validate mount options at enable time and at tune time (then `previous` holds
   * the current options). Throw a CofferError on bad ones.
   */
  validateOptions?(options: Record<string, string>, previous?: Record<string, string>): Record<string, string>;
  create(ctx: BackendContext): Backend;
}
