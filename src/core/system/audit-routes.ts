/**
 * Audit device routes (`sys/audit`, `sys/audit/:path`, `sys/audit-hash/:path`); all sudo.
 */
import { randomBytes } from 'node:crypto';
import type { Route } from '../backend.js';
import type { Core } from '../core.js';
import { badRequest } from '../errors.js';
import { optBool, optString } from '../fields.js';
import { normalizeMountPath } from '../paths.js';

/** Builds the audit routes. */
export function auditRoutes(core: Core): Route[] {
  return [
    {
      pattern: /^audit\/?$/,
      fields: [],
      sudo: true,
      operations: {
        read: async () => {
          const data: Record<string, unknown> = {};
          for (const d of core.audit.list()) {
            data[d.path] = { type: d.type, description: d.description, options: d.options, local: d.local, path: d.path };
          }
          return { data, injectData: true };
        },
      },
    },
    {
      pattern: /^audit\/(?<path>.+)$/,
      fields: ['type', 'description', 'options', 'local'],
      sudo: true,
      operations: {
        update: async (req) => {
          const path = normalizeMountPath(req.params.path!);
          const type = optString(req.data, 'type');
          if (!type) throw badRequest('missing "type": Coffer supports the "file" audit device');
          if (type !== 'file') throw badRequest(`unsupported audit device type "${type}": Coffer supports "file"`);
          await core.refreshAuditTable(); // decide on the table this transaction reads
          if (core.audit.has(path)) throw badRequest(`path already in use: ${path}`);
          const rawOptions = req.data.options ?? {};
          if (typeof rawOptions !== 'object' || rawOptions === null || Array.isArray(rawOptions)) throw badRequest('invalid value for "options": expected an object');
          const options: Record<string, string> = {};
          for (const [k, v] of Object.entries(rawOptions as Record<string, unknown>)) options[k] = String(v);
          await core.enableAudit({
            path,
            type,
            description: optString(req.data, 'description') ?? '',
            options,
            local: optBool(req.data, 'local') ?? false,
            // A fresh salt per device: re-enabling a device gives new hashes (as in Vault).
            salt: randomBytes(32).toString('hex'),
          });
          return null;
        },
        delete: async (req) => {
          await core.disableAudit(normalizeMountPath(req.params.path!));
          return null;
        },
      },
    },
    {
      pattern: /^audit-hash\/(?<path>.+)$/,
      fields: ['input'],
      operations: {
        update: async (req) => {
          const path = normalizeMountPath(req.params.path!);
          const input = optString(req.data, 'input');
          if (input === undefined) throw badRequest('missing "input"');
          if (!core.audit.has(path)) throw badRequest(`unknown audit backend ${path}`);
          return { data: { hash: core.audit.hash(path, input) }, injectData: true };
        },
      },
    },
  ];
}
