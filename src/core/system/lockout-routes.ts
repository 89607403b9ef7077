/**
 * sys/locked-users (list aliases locked out of their auth mounts) and
 * sys/locked-users/:mount_accessor/unlock/:alias (let one back in before the lockout ends).
 */
import type { Route } from '../backend.js';
import type { Core } from '../core.js';
import { badRequest } from '../errors.js';

/** Builds the lockout routes (both need sudo, like Vault's). */
export function lockoutRoutes(core: Core): Route[] {
  return [
    {
      pattern: /^locked-users\/?$/,
      fields: [],
      sudo: true,
      operations: {
        read: async () => {
          const perMount = await Promise.all(core.mounts.list('auth').map(async (m) => ({ mount_accessor: m.entry.accessor, alias_identifiers: await core.lockout.locked(m.entry) })));
          const mountAccessors = perMount
            .filter((m) => m.alias_identifiers.length > 0)
            .map((m) => ({ ...m, counts: m.alias_identifiers.length }));
          const total = mountAccessors.reduce((n, m) => n + m.counts, 0);
          return {
            data: {
              by_namespace: total ? [{ namespace_id: 'root', namespace_path: '', counts: total, mount_accessors: mountAccessors }] : [],
              total,
            },
          };
        },
      },
    },
    {
      pattern: /^locked-users\/(?<accessor>[^/]+)\/unlock\/(?<alias>.+)$/,
      // Vault's names for the two path parameters.
      fields: ['mount_accessor', 'alias_identifier'],
      sudo: true,
      operations: {
        update: async (req) => {
          const accessor = req.params.accessor!;
          if (!core.mounts.list('auth').some((m) => m.entry.accessor === accessor)) {
            throw badRequest(`no auth method has the mount accessor "${accessor.slice(0, 64)}" (see coffer auth list -format=json)`);
          }
          await core.lockout.unlock(accessor, req.params.alias!);
          return null;
        },
      },
    },
  ];
}
