/**
 * The one door: every request from any wire front, the CLI or the UI becomes a
 * LogicalRequest handled by core, which authenticates, checks the ACL and audits it
 * once, then routes it to the mounted backend.
 */

/** What a request does. POST/PUT arrive as `update`; core turns them into `create` when the target does not exist. */
export type Operation = 'read' | 'create' | 'update' | 'patch' | 'delete' | 'list' | 'scan' | 'help';

/** A request as core sees it, independent of the wire protocol. */
export interface LogicalRequest {
  /** Unique id (a UUID), echoed as `request_id`. */
  id: string;
  operation: Operation;
  /** The API path without `/v1/` and without a leading slash; LIST paths end in `/`. */
  path: string;
  /** Body fields, or query parameters for read/list/delete. */
  data: Record<string, unknown>;
  /** The raw client token; never logged, only hashed. */
  token?: string;
  /** The client's IP address (for CIDR bindings). */
  clientAddress?: string;
  /** Requested response-wrapping TTL in seconds (X-Vault-Wrap-TTL). */
  wrapTTL?: number;
  /** Which front the request came through (for the audit log). */
  via?: 'vault' | 'azure' | 'internal';
  /**
   * The request is only for a mount of this type (the Key Vault front's `keyvault`): on any
   * other mount core answers unsupported_path after authentication, ACL and audit, so a front
   * never has to look the mount up before core's door.
   */
  mountType?: string;
  /** An `application/octet-stream` body, kept as bytes (`data` is then empty): sys/storage/snapshot restores. */
  rawBody?: Buffer;
  /**
   * A body the front did not buffer (sys/storage/snapshot restores only): read once, by the
   * route, after core's door (token, ACL, audit) let the request through.
   */
  bodyStream?: AsyncIterable<Buffer>;
}

/** The authentication block of a login or token-create response. */
export interface AuthResponse {
  client_token: string;
  accessor: string;
  policies: string[];
  token_policies: string[];
  metadata: Record<string, string> | null;
  lease_duration: number;
  renewable: boolean;
  entity_id: string;
  token_type: string;
  orphan: boolean;
  mfa_requirement: null;
  num_uses: number;
}

/** The wrap_info block of a wrapped response. */
export interface WrapInfo {
  token: string;
  accessor: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
  wrapped_accessor?: string;
}

/** A backend's answer. `null` from a handler means "nothing to return" (204). */
export interface LogicalResponse {
  data?: Record<string, unknown> | null;
  auth?: AuthResponse | null;
  warnings?: string[];
  wrapInfo?: WrapInfo | null;
  leaseId?: string;
  leaseDuration?: number;
  renewable?: boolean;
  /** Override the HTTP status (e.g. KV v2's 404 for a deleted version, which still carries the envelope). */
  status?: number;
  /** Render `body` as plain JSON instead of the envelope (sys/init, sys/health, ...). */
  raw?: { status: number; body: unknown; /** Send `body` (a string) as is with this content type instead of as JSON. */ contentType?: string };
  /**
   * A binary body streamed to the client instead of JSON (sys/storage/snapshot). The chunks are
   * produced lazily: nothing is read until the front starts sending.
   */
  stream?: { contentType: string; chunks: () => AsyncIterable<Uint8Array> };
  /** Copy `data` keys to the top level as well (Vault's "sys injector"). */
  injectData?: boolean;
  /** A dynamic secret: core registers a lease and fills leaseId/leaseDuration/renewable. */
  lease?: { ttl: number; maxTTL?: number; renewable: boolean; internal: Record<string, unknown> };
  /** Wrap this response with this TTL (seconds) unless the request asked for another one (sys/wrapping/wrap). */
  wrapTTL?: number;
  /** The type of the mount that answered (Vault ≥1.12 reports it as `mount_type`). */
  mountType?: string;
  /**
   * For auth responses: the accessor of a secret-id or similar that a wrapped response should
   * expose as `wrapped_accessor`.
   */
  wrappedAccessor?: string;
}
