/**
 * The expiration manager for leases on dynamic secrets. A backend that hands out something
 * revocable (a database user, a cloud credential) returns `lease` in its response; core
 * registers it here, gives the client a lease id, and revokes it through the backend's
 * `revokeLease` hook when it expires, also after a restart (the state is in storage, with an
 * expiry index so the sweeper only reads what is due).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Storage } from '../../storage/types.js';
import { badRequest } from '../errors.js';
import type { MountTable } from '../mount-table.js';

/** A lease as stored. */
export interface LeaseEntry {
  id: string;
  /** The mount that issued it (its backend revokes and renews it). */
  mountPath: string;
  /** The request path that created it. */
  path: string;
  /** Unix ms. */
  issueTime: number;
  lastRenewal: number;
  expireTime: number;
  /** Unix ms after which it cannot be renewed (0 = the system max applies). */
  maxExpireTime: number;
  renewable: boolean;
  /** Backend data needed to revoke or renew (never shown to clients). */
  internal: Record<string, unknown>;
}

/** What a backend asks for when it returns a lease. */
export interface LeaseRequest {
  ttl: number;
  maxTTL?: number;
  renewable: boolean;
  internal: Record<string, unknown>;
}

const ID = 'id/';
const EXP = 'exp/';

function indexKey(expireTime: number, id: string): string {
  return `${EXP}${String(expireTime).padStart(16, '0')}_${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}

/** Registers, renews, revokes and expires leases. */
export class LeaseManager {
  constructor(
    private readonly storage: Storage,
    private readonly mounts: MountTable,
    private readonly now: () => number,
    private readonly systemMaxTTL: number,
  ) {}

  /** Records a new lease for a response of `mountPath` at `requestPath`; returns the entry. */
  async register(mountPath: string, requestPath: string, lease: LeaseRequest): Promise<LeaseEntry> {
    const now = this.now();
    const maxTTL = Math.min(lease.maxTTL || this.systemMaxTTL, this.systemMaxTTL);
    const entry: LeaseEntry = {
      id: `${requestPath.replace(/\/+$/, '')}/${randomBytes(18).toString('base64url')}`,
      mountPath,
      path: requestPath,
      issueTime: now,
      lastRenewal: 0,
      expireTime: now + Math.min(lease.ttl, maxTTL) * 1000,
      maxExpireTime: now + maxTTL * 1000,
      renewable: lease.renewable,
      internal: lease.internal,
    };
    await this.storage.batch([
      { type: 'put', key: ID + entry.id, value: Buffer.from(JSON.stringify(entry)) },
      { type: 'put', key: indexKey(entry.expireTime, entry.id), value: Buffer.from(entry.id) },
    ]);
    return entry;
  }

  /** The lease with `id`, or undefined. */
  async get(id: string): Promise<LeaseEntry | undefined> {
    if (!id || id.includes('\0')) return undefined;
    const raw = await this.storage.get(ID + id);
    return raw ? (JSON.parse(Buffer.from(raw).toString('utf8')) as LeaseEntry) : undefined;
  }

  /** Lease ids (and sub-folders) one level below `prefix`. */
  async list(prefix: string): Promise<string[]> {
    return this.storage.list(ID + prefix);
  }

  /** Extends a lease by `increment` seconds (or its original TTL), capped by its max TTL. */
  async renew(id: string, increment?: number): Promise<{ entry: LeaseEntry; ttl: number; warnings: string[] }> {
    const entry = await this.require(id);
    if (!entry.renewable) throw badRequest('lease is not renewable');
    const now = this.now();
    const mounted = this.mounts.get(entry.mountPath);
    const requested = increment && increment > 0 ? increment : Math.round((entry.expireTime - (entry.lastRenewal || entry.issueTime)) / 1000);
    const warnings: string[] = [];
    let ttl = requested;
    const remainingMax = Math.floor((entry.maxExpireTime - now) / 1000);
    if (ttl > remainingMax) {
      ttl = Math.max(0, remainingMax);
      warnings.push(`TTL of "${requested}s" exceeded the effective max_ttl of "${ttl}s"; TTL value is capped accordingly`);
    }
    if (mounted?.backend.renewLease) ttl = Math.min(ttl, (await mounted.backend.renewLease(entry.internal, ttl)).ttl);
    const updated: LeaseEntry = { ...entry, lastRenewal: now, expireTime: now + ttl * 1000 };
    await this.storage.batch([
      { type: 'delete', key: indexKey(entry.expireTime, entry.id) },
      { type: 'put', key: indexKey(updated.expireTime, updated.id), value: Buffer.from(updated.id) },
      { type: 'put', key: ID + updated.id, value: Buffer.from(JSON.stringify(updated)) },
    ]);
    return { entry: updated, ttl, warnings };
  }

  /** Revokes a lease through its backend, then forgets it. `force` forgets it even if the backend fails. */
  async revoke(id: string, opts: { force?: boolean } = {}): Promise<boolean> {
    const entry = await this.get(id);
    if (!entry) return false;
    const mounted = this.mounts.get(entry.mountPath);
    try {
      await mounted?.backend.revokeLease?.(entry.internal);
    } catch (err) {
      if (!opts.force) throw err;
    }
    await this.storage.batch([
      { type: 'delete', key: ID + entry.id },
      { type: 'delete', key: indexKey(entry.expireTime, entry.id) },
    ]);
    return true;
  }

  /** Revokes every lease whose id starts with `prefix`; returns how many. */
  async revokePrefix(prefix: string, opts: { force?: boolean } = {}): Promise<number> {
    let count = 0;
    const walk = async (folder: string): Promise<void> => {
      for (const name of await this.storage.list(ID + folder)) {
        if (name.endsWith('/')) await walk(folder + name);
        else if ((folder + name).startsWith(prefix) && (await this.revoke(folder + name, opts))) count++;
      }
    };
    // Start at the folder that contains the prefix, then filter by the full prefix.
    await walk(prefix.slice(0, prefix.lastIndexOf('/') + 1));
    return count;
  }

  /** Leases not yet revoked: a key listing of the expiry index, one page at a time (for sys/metrics). */
  async count(): Promise<number> {
    let n = 0;
    let after: string | undefined;
    for (;;) {
      const page = await this.storage.list(EXP, { after, limit: 1000 });
      n += page.length;
      if (page.length < 1000) return n;
      after = page[page.length - 1];
    }
  }

  /** Revokes every lease that is due; called by core's ticker. Returns how many. */
  async sweep(limit = 500): Promise<number> {
    const now = this.now();
    const due = await this.storage.list(EXP, { limit });
    let count = 0;
    for (const key of due) {
      const expireTime = Number(key.slice(0, 16));
      if (expireTime > now) break;
      const raw = await this.storage.get(EXP + key);
      const id = raw ? Buffer.from(raw).toString('utf8') : undefined;
      try {
        if (id && (await this.revoke(id))) count++;
        else await this.storage.delete(EXP + key);
      } catch {
        // The backend could not revoke yet (e.g. its database is down): keep it for the next sweep.
      }
    }
    return count;
  }

  private async require(id: string): Promise<LeaseEntry> {
    const entry = await this.get(id);
    if (!entry) throw badRequest('invalid lease ID: no lease with that ID exists (it may have expired or been revoked)');
    return entry;
  }
}
