/**
 * Lease routes: sys/leases/lookup|renew|revoke|revoke-prefix|revoke-force and the legacy
 * sys/renew, sys/revoke, sys/revoke-prefix, sys/revoke-force.
 */
import type { BackendRequest, Route } from '../backend.js';
import type { Core } from '../core.js';
import { rfc3339Nano } from '../clock.js';
import { badRequest } from '../errors.js';
import { optDuration, optString } from '../fields.js';
import type { LeaseEntry } from '../leases/manager.js';

function leaseId(req: BackendRequest): string {
  const id = optString(req.data, 'lease_id') ?? req.params.id;
  if (!id) throw badRequest('missing "lease_id"');
  return id;
}

function view(entry: LeaseEntry, now: number): Record<string, unknown> {
  return {
    id: entry.id,
    issue_time: rfc3339Nano(entry.issueTime),
    expire_time: rfc3339Nano(entry.expireTime),
    last_renewal: entry.lastRenewal ? rfc3339Nano(entry.lastRenewal) : null,
    renewable: entry.renewable,
    ttl: Math.max(0, Math.floor((entry.expireTime - now) / 1000)),
  };
}

/** Builds the lease routes. */
export function leaseRoutes(core: Core): Route[] {
  const renew = async (req: BackendRequest) => {
    const { entry, ttl, warnings } = await core.leases.renew(leaseId(req), optDuration(req.data, 'increment'));
    return { leaseId: entry.id, leaseDuration: ttl, renewable: entry.renewable, warnings, data: null };
  };
  const revoke = async (req: BackendRequest) => {
    await core.leases.revoke(leaseId(req));
    return null;
  };
  const revokePrefix = (force: boolean) => async (req: BackendRequest) => {
    const prefix = req.params.prefix ?? '';
    if (prefix === '') throw badRequest('missing prefix: e.g. sys/leases/revoke-prefix/database/creds/');
    await core.leases.revokePrefix(prefix, { force });
    return null;
  };
  return [
    {
      pattern: /^leases\/lookup\/?$/,
      fields: ['lease_id'],
      operations: {
        update: async (req) => {
          const entry = await core.leases.get(leaseId(req));
          if (!entry) throw badRequest('invalid lease');
          return { data: view(entry, core.clock.now()) };
        },
      },
    },
    {
      pattern: /^leases\/lookup\/(?<prefix>.+)$/,
      fields: [],
      sudo: true,
      operations: { list: async (req) => ({ data: { keys: await core.leases.list(req.params.prefix!) } }) },
    },
    // `url_lease_id` is Vault's name for the lease id in the path; `sync` (wait for the revocation) is what revocation here always does.
    { pattern: /^(?:leases\/)?renew(?:\/(?<id>.+))?$/, fields: ['lease_id', 'increment', 'url_lease_id'], operations: { update: renew } },
    { pattern: /^(?:leases\/)?revoke(?:\/(?<id>.+))?$/, fields: ['lease_id', 'sync', 'url_lease_id'], operations: { update: revoke } },
    { pattern: /^(?:leases\/)?revoke-prefix\/(?<prefix>.+)$/, fields: ['sync'], sudo: true, operations: { update: revokePrefix(false) } },
    { pattern: /^(?:leases\/)?revoke-force\/(?<prefix>.+)$/, fields: [], sudo: true, operations: { update: revokePrefix(true) } },
    {
      pattern: /^leases\/tidy$/,
      fields: [],
      operations: {
        update: async () => {
          await core.leases.sweep();
          return null;
        },
      },
    },
  ];
}
