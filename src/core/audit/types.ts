/**
 * Audit entry and device types, shaped like Vault's JSON audit log so existing log tooling
 * (and people who know Vault's format) can read Coffer's. Core builds entries with raw
 * values; the broker hashes them per device before anything is written.
 */

/** The `auth` block: who made the request. Empty strings for unauthenticated requests. */
export interface AuditAuth {
  /** Raw client token; always HMAC'd before it is written (unless the device has log_raw). */
  client_token: string;
  /** Raw token accessor; HMAC'd when the device has hmac_accessor (the default). */
  accessor: string;
  display_name: string;
  policies: string[];
  token_policies: string[];
  /** Logged in the clear, as Vault does. */
  metadata: Record<string, string> | null;
  entity_id: string;
  token_type: string;
  /** Remaining TTL of the token in seconds. */
  token_ttl?: number;
  /** RFC3339 issue time of the token. */
  token_issue_time?: string;
  /** Uses left on a limited-use token. */
  remaining_uses?: number;
}

/** The `request` block. */
export interface AuditRequest {
  /** Request id (UUID); ties the request and response entries together. */
  id: string;
  operation: string;
  mount_type: string;
  mount_accessor?: string;
  /** Mount path, e.g. `secret/`. */
  mount_point?: string;
  /** Raw client token; always HMAC'd (unless log_raw). */
  client_token: string;
  /** Raw accessor; HMAC'd with hmac_accessor. */
  client_token_accessor: string;
  namespace: { id: string };
  path: string;
  /** Request data; every string value is HMAC'd except the mount's non-HMAC request keys. */
  data: Record<string, unknown> | null;
  remote_address: string;
  remote_port?: number;
  /** Requested wrap TTL in seconds. */
  wrap_ttl?: number;
  /** Audited request headers (lower-case names); values are HMAC'd. */
  headers?: Record<string, string[]>;
}

/** The `auth` block of a response that issued a token (login, token create). */
export interface AuditResponseAuth {
  /** Raw issued token; always HMAC'd (unless log_raw). */
  client_token: string;
  /** Raw accessor of the issued token; HMAC'd with hmac_accessor. */
  accessor: string;
  display_name?: string;
  policies?: string[];
  token_policies?: string[];
  metadata?: Record<string, string> | null;
  entity_id?: string;
  token_type?: string;
  token_ttl?: number;
  num_uses?: number;
  orphan?: boolean;
  renewable?: boolean;
  lease_duration?: number;
}

/** The `wrap_info` block of a wrapped response. */
export interface AuditWrapInfo {
  /** Raw wrapping token; always HMAC'd (unless log_raw). */
  token: string;
  /** HMAC'd with hmac_accessor. */
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  /** HMAC'd with hmac_accessor. */
  wrapped_accessor?: string;
}

/** The `response` block. */
export interface AuditResponse {
  mount_type: string;
  mount_accessor?: string;
  mount_point?: string;
  /** Response data; every string value is HMAC'd except the mount's non-HMAC response keys. */
  data?: Record<string, unknown> | null;
  auth?: AuditResponseAuth;
  wrap_info?: AuditWrapInfo;
  /** Logged in the clear (they must not carry secrets). */
  warnings?: string[];
}

/** Written before the request is handled. */
export interface AuditRequestEntry {
  /** RFC3339 with nanosecond digits. */
  time: string;
  type: 'request';
  auth: AuditAuth;
  request: AuditRequest;
  /** Set when the request was refused before it reached a backend (e.g. permission denied). */
  error?: string;
}

/** Written after the request was handled (also when it failed). */
export interface AuditResponseEntry {
  time: string;
  type: 'response';
  auth: AuditAuth;
  request: AuditRequest;
  response: AuditResponse;
  /** The error returned to the client, if any (logged in the clear; it must not carry secrets). */
  error?: string;
}

/** Any audit entry. */
export type AuditEntry = AuditRequestEntry | AuditResponseEntry;

/** Per-request context the broker needs that is not written as such. */
export interface AuditLogContext {
  /** The mount's `audit_non_hmac_request_keys`: top-level request data keys logged raw. */
  nonHmacRequestKeys?: readonly string[];
  /** The mount's `audit_non_hmac_response_keys`: top-level response data keys logged raw. */
  nonHmacResponseKeys?: readonly string[];
  /**
   * The token store's entry object (as cached and shared, never a copy) that the entry's
   * `auth.client_token` resolved to. Core sets it only when the request authenticated with that
   * token, so the token and its accessor map 1:1 to this object: a device formatter remembers
   * their HMACs under it, and a request with the same token costs no HMAC for them. Never the
   * token itself; nothing of it is written.
   */
  tokenIdentity?: object;
}

/**
 * An audit device as stored in the audit table (and given to `AuditBroker.enable`).
 * `salt` is the device's own HMAC key material: a UUID (or hex) string generated when the
 * device is enabled — re-enabling creates a new one. Its UTF-8 bytes are the HMAC key,
 * like Vault's salt. It must never be shown over the API.
 */
export interface AuditDeviceConfig {
  /** Mount path of the device, e.g. `file/` (a missing trailing slash is added). */
  path: string;
  /** Device type; only `file` is supported (others are refused with a 400). */
  type: string;
  description: string;
  /** Device options as the API received them (Vault sends strings; JSON booleans/numbers are accepted too). */
  options: Record<string, string>;
  salt: string;
  local: boolean;
}

/** What `AuditBroker.list()` returns for one device: the config without its salt. */
export interface AuditDeviceInfo {
  path: string;
  type: string;
  description: string;
  options: Record<string, string>;
  local: boolean;
}

/** How a device wants entries rendered; the broker applies it before handing over a line. */
export interface AuditFormatSettings {
  /** HMAC accessors too (default true). */
  hmacAccessor: boolean;
  /** Write values raw, no hashing at all (default false; dangerous). */
  logRaw: boolean;
  /** Replace `keys` / `key_info` of list responses with their counts. */
  elideListResponses: boolean;
  /** Text written before each JSON object on its line. */
  prefix: string;
}

/** A sink for formatted audit lines. */
export interface AuditDevice {
  /** Rendering settings the broker applies before calling log(). */
  readonly format: AuditFormatSettings;
  /**
   * Writes one line (without its newline). Resolves once the line reached the file (the
   * OS), rejects when it could not be written.
   */
  log(line: string): Promise<void>;
  /** Reopens the output (after an external logrotate; Vault does this on SIGHUP). */
  reopen(): Promise<void>;
  /** Flushes pending lines and releases the output; later log() calls reject. */
  close(): Promise<void>;
  /** Free space where the device writes, when it writes to a file (last check). */
  diskSpace?(): AuditDiskSpace | undefined;
}

/** Free space at an audit device's directory, as last measured (fs.statfs). */
export interface AuditDiskSpace {
  /** Bytes available to the server's user. */
  freeBytes: number;
  /** The device's `min_free_space`; 0 disables the warning. */
  minFreeBytes: number;
  /** freeBytes < minFreeBytes: the disk is about to fill and audit (hence every request) will fail. */
  low: boolean;
}

/** Opens a device of one type; throws a 400 CofferError on bad options or an unusable output. */
export type AuditDeviceFactory = (config: AuditDeviceConfig, hooks: AuditDeviceHooks) => Promise<AuditDevice>;

/** Callbacks a device may use to report trouble that did not fail a write (e.g. a rotation that could not happen). */
export interface AuditDeviceHooks {
  onError?: (err: unknown) => void;
  /** The core's clock (ms), for time-based rotation; Date.now when absent. */
  now?: () => number;
  /** Called when the free space at the device's directory falls below, or climbs back over, its threshold. */
  onDiskSpace?: (space: AuditDiskSpace) => void;
}
