/**
 * Builds the audit entries for one request from core's view of it. Values are raw here;
 * the audit broker hashes them per device before anything is written.
 */
import { rfc3339Nano } from './clock.js';
import type { MountEntry, RequestAuth } from './backend.js';
import { PERMISSION_DENIED_TEXT, isCofferError } from './errors.js';
import type { LogicalRequest, LogicalResponse, Operation } from './logical.js';
import type { AuditAuth, AuditRequestEntry, AuditResponseEntry } from './audit/types.js';

const NO_AUTH: AuditAuth = {
  client_token: '', accessor: '', display_name: '', policies: [], token_policies: [], metadata: null, entity_id: '', token_type: '',
};

/** The request entry, written before the backend runs. */
export function buildRequestEntry(req: LogicalRequest, operation: Operation, auth: RequestAuth | undefined, mount: MountEntry | undefined, now: number): AuditRequestEntry {
  return {
    time: rfc3339Nano(now),
    type: 'request',
    auth: auth
      ? {
          client_token: auth.clientToken,
          accessor: auth.accessor,
          display_name: auth.displayName,
          policies: auth.policies,
          token_policies: auth.policies,
          metadata: Object.keys(auth.metadata).length ? auth.metadata : null,
          entity_id: auth.entityId,
          token_type: 'service',
        }
      : NO_AUTH,
    request: {
      id: req.id,
      operation,
      mount_type: mount?.type ?? '',
      mount_accessor: mount?.accessor,
      mount_point: mount?.path,
      // A refused token (bogus, expired, revoked) is still recorded; the broker HMACs it like any token.
      client_token: auth?.clientToken ?? req.token ?? '',
      client_token_accessor: auth?.accessor ?? '',
      namespace: { id: 'root' },
      path: req.path,
      data: Object.keys(req.data).length ? req.data : null,
      remote_address: req.clientAddress ?? '',
      ...(req.wrapTTL ? { wrap_ttl: req.wrapTTL } : {}),
    },
  };
}

/** The response entry, written after the backend ran (or failed). */
export function buildResponseEntry(request: AuditRequestEntry, response: LogicalResponse | null | undefined, error: unknown, now: number): AuditResponseEntry {
  const res = response ?? undefined;
  return {
    time: rfc3339Nano(now),
    type: 'response',
    auth: request.auth,
    request: request.request,
    response: {
      mount_type: request.request.mount_type,
      mount_accessor: request.request.mount_accessor,
      mount_point: request.request.mount_point,
      data: res?.raw ? null : (res?.data ?? null),
      ...(res?.auth
        ? {
            auth: {
              client_token: res.auth.client_token,
              accessor: res.auth.accessor,
              policies: res.auth.policies,
              token_policies: res.auth.token_policies,
              metadata: res.auth.metadata,
              entity_id: res.auth.entity_id,
              token_type: res.auth.token_type,
              token_ttl: res.auth.lease_duration,
              num_uses: res.auth.num_uses,
              orphan: res.auth.orphan,
              renewable: res.auth.renewable,
              lease_duration: res.auth.lease_duration,
            },
          }
        : {}),
      ...(res?.wrapInfo ? { wrap_info: { ...res.wrapInfo } } : {}),
      ...(res?.warnings?.length ? { warnings: res.warnings } : {}),
    },
    ...(error ? { error: auditErrorText(error) } : {}),
  };
}

/**
 * The request entry of a request refused before its entry was written (bad path, missing or
 * invalid token, permission denied, ...): like buildRequestEntry, with the refusal as `error`.
 */
export function buildRefusedRequestEntry(req: LogicalRequest, operation: Operation, auth: RequestAuth | undefined, mount: MountEntry | undefined, error: unknown, now: number): AuditRequestEntry {
  const entry = buildRequestEntry(req, operation, auth, mount, now);
  entry.error = auditErrorText(error);
  return entry;
}

/**
 * Vault's test probe (`update sys/audit/test`, no auth): written through a new device
 * before it is enabled, to prove it can write.
 */
export function buildTestProbeEntry(id: string, now: number): AuditRequestEntry {
  return {
    time: rfc3339Nano(now),
    type: 'request',
    auth: NO_AUTH,
    request: {
      id, operation: 'update', mount_type: '', client_token: '', client_token_accessor: '', namespace: { id: 'root' },
      path: 'sys/audit/test', data: null, remote_address: '',
    },
  };
}

/** The error as written in an entry: the client's messages ("permission denied" as Vault logs it), or "internal error". */
function auditErrorText(error: unknown): string {
  if (isCofferError(error)) return error.messages.map((m) => (m === PERMISSION_DENIED_TEXT ? 'permission denied' : m)).join('; ') || error.code;
  return 'internal error';
}
