/** Helpers of the audit log viewer (pure, unit-tested). */

/** The prefix of values the audit device hashed. */
export const HMAC_PREFIX = 'hmac-sha256:';

/** True for a value the device HMAC'd. */
export function isHmac(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(HMAC_PREFIX);
}

/** One audit entry as written by the file device (the fields the viewer shows). */
export interface AuditEntry {
  time?: string;
  type?: string;
  error?: string;
  auth?: { accessor?: string; display_name?: string; policies?: string[]; client_token?: string };
  request?: { id?: string; operation?: string; path?: string; remote_address?: string; mount_type?: string };
  response?: Record<string, unknown>;
}

/** The filter form of the viewer, as strings. */
export interface LogFilter {
  since: string;
  until: string;
  path: string;
  operation: string;
  accessor: string;
  status: string;
  type: string;
  limit: string;
}

export const EMPTY_FILTER: LogFilter = { since: '', until: '', path: '', operation: '', accessor: '', status: '', type: '', limit: '50' };

/**
 * The filter → query parameters of sys/audit-log (empty fields left out). `since`/`until` come
 * from <input type="datetime-local"> (local time, no zone) and are sent as RFC 3339 UTC.
 */
export function filterToQuery(f: LogFilter, cursor?: string): Record<string, string> {
  const q: Record<string, string> = {};
  const time = (v: string) => {
    if (!v.trim()) return undefined;
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) throw new Error(`"${v}" is not a date and time`);
    return new Date(ms).toISOString();
  };
  const since = time(f.since);
  const until = time(f.until);
  if (since) q.since = since;
  if (until) q.until = until;
  for (const k of ['path', 'operation', 'accessor', 'status', 'type', 'limit'] as const) if (f[k].trim()) q[k] = f[k].trim();
  if (cursor) q.cursor = cursor;
  return q;
}
