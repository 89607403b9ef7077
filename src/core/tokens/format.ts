/**
 * Renders token entries the way Vault does: the `auth` block of create/login/renew responses
 * (spec §1.1) and the `data` of the lookup routes (spec §2.6).
 */
import { rfc3339Nano } from '../clock.js';
import type { AuthResponse } from '../logical.js';
import type { TokenEntry } from './store.js';

/**
 * The `auth` block for a token. `clientToken` is the raw token when the caller may see it,
 * '' otherwise (renew-accessor). `leaseDuration` overrides the entry's TTL (after a renewal).
 */
export function authResponse(entry: TokenEntry, clientToken: string, leaseDuration = entry.ttl): AuthResponse {
  const metadata = Object.keys(entry.meta).length > 0 ? { ...entry.meta } : null;
  return {
    client_token: clientToken,
    accessor: entry.accessor,
    policies: [...entry.policies],
    token_policies: [...entry.policies],
    metadata,
    lease_duration: leaseDuration,
    renewable: entry.renewable && entry.expireTime > 0,
    entity_id: entry.entityId,
    token_type: entry.type,
    orphan: entry.parent === '',
    mfa_requirement: null,
    num_uses: Math.max(0, entry.numUses),
  };
}

/**
 * The `data` of lookup, lookup-self and lookup-accessor. `id` is the raw token for the first
 * two and '' for lookup-accessor; the parent is never shown (it would allow escalation).
 */
export function lookupData(entry: TokenEntry, id: string, now: number): Record<string, unknown> {
  const expires = entry.expireTime > 0;
  const data: Record<string, unknown> = {
    accessor: entry.accessor,
    creation_time: entry.creationTime,
    creation_ttl: entry.creationTTL,
    display_name: entry.displayName,
    entity_id: entry.entityId,
    expire_time: expires ? rfc3339Nano(entry.expireTime) : null,
    explicit_max_ttl: entry.explicitMaxTTL,
    id,
    issue_time: rfc3339Nano(entry.issueTime),
    meta: Object.keys(entry.meta).length > 0 ? { ...entry.meta } : null,
    num_uses: Math.max(0, entry.numUses),
    orphan: entry.parent === '',
    path: entry.path,
    policies: [...entry.policies],
    renewable: entry.renewable && expires,
    ttl: expires ? Math.max(0, Math.floor((entry.expireTime - now) / 1000)) : 0,
    type: entry.type,
  };
  if (entry.role) data.role = entry.role;
  if (entry.period > 0) data.period = entry.period;
  if (entry.boundCidrs.length > 0) data.bound_cidrs = [...entry.boundCidrs];
  if (entry.lastRenewalTime > 0) {
    data.last_renewal_time = Math.floor(entry.lastRenewalTime / 1000);
    data.last_renewal = rfc3339Nano(entry.lastRenewalTime);
  }
  return data;
}
