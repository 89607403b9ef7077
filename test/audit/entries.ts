/**
 * Audit entry fixtures for the audit tests: a KV v2 write with a secret, its response, and
 * the raw values that must never appear in a log line.
 */
import type { AuditAuth, AuditRequest, AuditRequestEntry, AuditResponseEntry } from '../../src/core/audit/types.js';

/** Raw values that must be hashed in every log line. */
export const SECRETS = {
  token: 'hvs.CAESIJrawclienttoken0123456789abcdef',
  accessor: 'accessorRAW0123456789abcdefg',
  password: 'correct-horse-battery-staple-1234',
  apiKey: 'AKIARAWAPIKEY00000000',
  nested: 'nested-secret-value-xyz',
  listed: 'listed-secret-in-array-9876',
  issuedToken: 'hvs.ISSUEDtokenNEVERinLOG',
  issuedAccessor: 'issuedAccessorNEVERinLOG',
  wrapToken: 'hvs.WRAPtokenNEVERinLOG',
} as const;

/** The auth block of a root-token request. */
export function auth(): AuditAuth {
  return {
    client_token: SECRETS.token,
    accessor: SECRETS.accessor,
    display_name: 'root',
    policies: ['root'],
    token_policies: ['root'],
    metadata: null,
    entity_id: '',
    token_type: 'service',
    token_ttl: 0,
  };
}

/** A KV v2 write request block. */
export function request(id = 'req-1', data: Record<string, unknown> | null = kvData()): AuditRequest {
  return {
    id,
    operation: 'update',
    mount_type: 'kv',
    mount_accessor: 'kv_1234abcd',
    mount_point: 'secret/',
    client_token: SECRETS.token,
    client_token_accessor: SECRETS.accessor,
    namespace: { id: 'root' },
    path: 'secret/data/app',
    data,
    remote_address: '127.0.0.1',
  };
}

/** KV v2 write data with secrets at several depths. */
export function kvData(): Record<string, unknown> {
  return {
    data: { password: SECRETS.password, api_key: SECRETS.apiKey, port: 5432, enabled: true, deep: { list: [SECRETS.listed, 7, null], s: SECRETS.nested } },
    options: { cas: 0 },
  };
}

/** A request entry. */
export function requestEntry(id = 'req-1', data?: Record<string, unknown> | null): AuditRequestEntry {
  return { time: '2026-01-02T03:04:05.678000000Z', type: 'request', auth: auth(), request: request(id, data === undefined ? kvData() : data) };
}

/** A typical KV v2 read response entry (the shape benchmarked in the report). */
export function kvReadResponseEntry(id = 'req-1'): AuditResponseEntry {
  const req = request(id, null);
  req.operation = 'read';
  return {
    time: '2026-01-02T03:04:05.679000000Z',
    type: 'response',
    auth: auth(),
    request: req,
    response: {
      mount_type: 'kv',
      mount_accessor: 'kv_1234abcd',
      mount_point: 'secret/',
      data: {
        data: { username: 'app', password: SECRETS.password, api_key: SECRETS.apiKey, port: 5432 },
        metadata: { created_time: '2026-01-02T03:04:05.123Z', custom_metadata: null, deletion_time: '', destroyed: false, version: 3 },
      },
    },
  };
}
