/**
 * Typed errors with a stable code and an HTTP status. Each wire front renders them in
 * its own format. Messages must never contain a secret value or a token.
 */

/** Stable, machine-readable error codes. */
export type ErrorCode =
  | 'invalid_request'
  | 'permission_denied'
  | 'not_found'
  | 'unsupported_operation'
  | 'unsupported_path'
  | 'sealed'
  | 'not_initialized'
  | 'already_initialized'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'conflict'
  | 'rate_limited'
  | 'audit_failed'
  | 'unavailable'
  | 'internal';

const STATUS: Record<ErrorCode, number> = {
  invalid_request: 400,
  permission_denied: 403,
  not_found: 404,
  unsupported_operation: 405,
  unsupported_path: 404,
  sealed: 503,
  not_initialized: 503,
  already_initialized: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  conflict: 409,
  rate_limited: 429,
  audit_failed: 500,
  unavailable: 503,
  internal: 500,
};

/** An error a client caused or may act on; `messages` go to the client verbatim. */
export class CofferError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** The messages shown to the client (Vault renders them as `errors: [...]`). */
  readonly messages: string[];
  /** Optional data returned alongside the errors (Vault's `{"errors":[],"data":{}}`). */
  readonly data?: Record<string, unknown>;
  /**
   * A protocol-specific code for fronts that have their own error vocabulary (Azure Key Vault's
   * `{"error":{"code":"SecretNotFound","innererror":{"code":...}}}`). The Vault front ignores it.
   */
  readonly detail?: { code: string; inner?: string };

  constructor(
    code: ErrorCode,
    messages: string | string[],
    options?: { status?: number; data?: Record<string, unknown>; detail?: { code: string; inner?: string } },
  ) {
    const list = Array.isArray(messages) ? messages : [messages];
    super(list.join('; ') || code);
    this.name = 'CofferError';
    this.code = code;
    this.status = options?.status ?? STATUS[code];
    this.messages = list;
    this.data = options?.data;
    this.detail = options?.detail;
  }
}

/** 400 with a message that tells the caller how to fix the request. */
export function badRequest(message: string): CofferError {
  return new CofferError('invalid_request', message);
}

/** Vault's ACL denial text, which clients match on (`permission denied`). */
export const PERMISSION_DENIED_TEXT = '1 error occurred:\n\t* permission denied\n\n';

/** 403 permission denied, with an optional hint that is safe to show (never a token). */
export function permissionDenied(hint?: string): CofferError {
  const messages = hint ? [PERMISSION_DENIED_TEXT, hint] : [PERMISSION_DENIED_TEXT];
  return new CofferError('permission_denied', messages);
}

/** 404 with Vault's empty error list (a missing item). */
export function notFound(): CofferError {
  return new CofferError('not_found', []);
}

/** 503 while the barrier is sealed. */
export function sealedError(): CofferError {
  return new CofferError('sealed', 'Vault is sealed');
}

/** True when `err` is a CofferError. */
export function isCofferError(err: unknown): err is CofferError {
  return err instanceof CofferError;
}
