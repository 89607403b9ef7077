/**
 * `GET sys/audit-log/<device>`: reads a `file` audit device's log back, newest first, with
 * filters and a cursor (see audit-log.ts). Sudo, like the other audit routes; the read itself
 * goes through core, so it is audited like any request.
 */
import type { Route } from '../backend.js';
import type { Core } from '../core.js';
import { badRequest } from '../errors.js';
import { optInt, optString } from '../fields.js';
import { normalizeMountPath } from '../paths.js';
import { parseFileDeviceOptions } from '../audit/file-device.js';
import { DEFAULT_LIMIT, MAX_LIMIT, parseTime, readAuditLog, type AuditLogQuery } from './audit-log.js';

const HMAC_PREFIX = 'hmac-sha256:';

/** Builds the audit log route. */
export function auditLogRoutes(core: Core): Route[] {
  return [
    {
      pattern: /^audit-log\/(?<device>.+)$/,
      fields: ['since', 'until', 'path', 'operation', 'accessor', 'status', 'type', 'limit', 'cursor'],
      sudo: true,
      operations: {
        read: async (req) => {
          const device = normalizeMountPath(req.params.device!);
          const config = core.audit.list().find((d) => d.path === device);
          if (!config) throw badRequest(`no audit device is enabled at "${device}" (see sys/audit)`);
          if (config.type !== 'file') throw badRequest(`audit device "${device}" is of type "${config.type}": only file devices can be read back`);
          const settings = parseFileDeviceOptions(config.options);
          if (settings.filePath === 'stdout' || settings.filePath === 'discard') {
            throw badRequest(`audit device "${device}" writes to ${settings.filePath}: there is no file to read back`);
          }

          const d = req.data;
          const query: AuditLogQuery = { limit: optInt(d, 'limit', { min: 1, max: MAX_LIMIT }) ?? DEFAULT_LIMIT };
          const since = optString(d, 'since');
          const until = optString(d, 'until');
          if (since) query.since = parseTime(since, 'since');
          if (until) query.until = parseTime(until, 'until');
          if (query.since !== undefined && query.until !== undefined && query.until < query.since) throw badRequest('"until" is before "since"');
          const pathPrefix = optString(d, 'path');
          if (pathPrefix) query.pathPrefix = pathPrefix.replace(/^\/+/, '');
          const operation = optString(d, 'operation');
          if (operation) {
            if (!['create', 'read', 'update', 'delete', 'list', 'patch', 'scan', 'help', 'alias-lookahead', 'header', 'rollback', 'renew', 'revoke', 'resolve-role'].includes(operation)) {
              throw badRequest(`invalid "operation" "${operation.slice(0, 30)}": use create, read, update, delete, list or patch (as in the log's request.operation)`);
            }
            query.operation = operation;
          }
          const status = optString(d, 'status');
          if (status) {
            if (status !== 'error' && status !== 'ok') throw badRequest(`invalid "status" "${status.slice(0, 30)}": use "error" (entries with an error) or "ok" (the log records no HTTP status)`);
            query.status = status;
          }
          const type = optString(d, 'type');
          if (type) {
            if (type !== 'request' && type !== 'response') throw badRequest(`invalid "type" "${type.slice(0, 30)}": use "request" or "response"`);
            query.type = type;
          }
          const accessor = optString(d, 'accessor');
          if (accessor) {
            // A plain accessor also matches its HMAC under this device's salt, so the caller
            // need not call sys/audit-hash first; an hmac-sha256 value is matched as is.
            const hashed = accessor.startsWith(HMAC_PREFIX) || settings.logRaw || !settings.hmacAccessor ? [] : [core.audit.hash(device, accessor)];
            query.accessors = [accessor, ...hashed];
          }
          const cursor = optString(d, 'cursor');
          if (cursor) query.cursor = cursor;

          const page = await readAuditLog(settings.filePath, settings.prefix, query);
          return { data: { ...page } };
        },
      },
    },
  ];
}
