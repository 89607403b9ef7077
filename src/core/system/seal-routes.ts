/**
 * sys/init, sys/seal-status, sys/unseal, sys/seal, sys/health, sys/leader: the routes that
 * work while sealed. They answer plain JSON (no envelope), as Vault clients expect.
 */
import type { Route } from '../backend.js';
import type { Core } from '../core.js';
import { SealError } from '../../barrier/seal.js';
import { badRequest, CofferError } from '../errors.js';
import { optBool, optInt, parseBool } from '../fields.js';

/** What `sys/init` accepts (Vault's InitRequest; the recovery and stored-share options belong to auto-unseal). */
const INIT_FIELDS = [
  'secret_shares', 'secret_threshold', 'pgp_keys', 'root_token_pgp_key', 'stored_shares',
  'recovery_shares', 'recovery_threshold', 'recovery_pgp_keys',
  // Coffer's own: `false` creates no root token (the server's bootstrap makes the first admin).
  'root_token',
] as const;

/** The query parameters of `sys/health`. */
const HEALTH_FIELDS = [
  'standbyok', 'perfstandbyok', 'activecode', 'standbycode', 'drsecondarycode', 'haunhealthycode',
  'performancestandbycode', 'removedcode', 'sealedcode', 'uninitcode',
] as const;

/** Builds the seal-related routes. */
export function sealRoutes(core: Core): Route[] {
  return [
    {
      pattern: /^init$/,
      fields: INIT_FIELDS,
      unauthenticated: ['read', 'update', 'create'],
      operations: {
        read: async () => raw(200, { initialized: await core.initialized() }),
        update: async (req) => {
          const shares = optInt(req.data, 'secret_shares') ?? optInt(req.data, 'recovery_shares') ?? 5;
          const threshold = optInt(req.data, 'secret_threshold') ?? optInt(req.data, 'recovery_threshold') ?? 3;
          if (Array.isArray(req.data.pgp_keys) && req.data.pgp_keys.length > 0) {
            throw badRequest('pgp_keys are not supported by Coffer; omit them and distribute the shares over a secure channel');
          }
          const wantRoot = optBool(req.data, 'root_token') ?? true;
          if (!wantRoot && !core.hasAfterUnseal) {
            throw badRequest('root_token=false needs a bootstrap block in the server config that creates the first admin (for example an approle_role with an admin policy); without one nobody could administer this server');
          }
          if (await core.initialized()) throw badRequest('Vault is already initialized');
          try {
            const { keys, rootToken } = await core.initialize({ shares, threshold, noRootToken: !wantRoot });
            return raw(200, {
              keys: keys.map((k) => k.toString('hex')),
              keys_base64: keys.map((k) => k.toString('base64')),
              root_token: rootToken,
            });
          } catch (err) {
            if (err instanceof SealError) throw badRequest(err.message);
            throw err;
          }
        },
      },
      help: 'Initializes a new server: returns the unseal key shares and the initial root token, once (none with root_token=false, when the server config has a bootstrap block that creates the first admin).',
    },
    {
      pattern: /^seal-status$/,
      fields: [],
      unauthenticated: ['read'],
      operations: { read: async () => raw(200, await sealStatus(core)) },
    },
    {
      pattern: /^unseal$/,
      // `migrate` belongs to seal migration, which Coffer does not do; accepted so clients that always send it work.
      fields: ['key', 'reset', 'migrate'],
      unauthenticated: ['update', 'create'],
      operations: {
        update: async (req) => {
          if (!(await core.initialized())) throw badRequest('Vault is not initialized');
          if (optBool(req.data, 'reset')) {
            if (!core.sealed) throw badRequest('vault is unsealed');
            core.seal.resetProgress();
            return raw(200, await sealStatus(core));
          }
          const key = req.data.key;
          if (typeof key !== 'string' || key === '') {
            throw badRequest("'key' must be specified in request body as JSON, or 'reset' set to true");
          }
          const cfg = await core.seal.config();
          const share = decodeKey(key, cfg?.secretShares === 1 ? 32 : 33);
          try {
            await core.submitUnsealKey(share);
          } catch (err) {
            if (err instanceof SealError) throw badRequest(err.message);
            throw err;
          } finally {
            share.fill(0);
          }
          return raw(200, await sealStatus(core));
        },
      },
    },
    {
      pattern: /^seal$/,
      fields: [],
      sudo: true,
      operations: {
        update: async () => {
          await core.sealCore();
          return null;
        },
      },
      help: 'Seals the server: every key leaves memory until it is unsealed again.',
    },
    {
      pattern: /^health$/,
      fields: HEALTH_FIELDS,
      unauthenticated: ['read'],
      operations: { read: async (req) => health(core, req.data) },
    },
  ];
}

function raw(status: number, body: unknown) {
  return { raw: { status, body } };
}

/** The body of sys/seal-status (and of sys/unseal). */
export async function sealStatus(core: Core): Promise<Record<string, unknown>> {
  const cfg = await core.seal.config();
  const progress = core.seal.progress();
  const out: Record<string, unknown> = {
    type: cfg?.type ?? core.seal.type,
    initialized: cfg !== undefined,
    sealed: core.sealed,
    t: cfg?.secretThreshold ?? 0,
    n: cfg?.secretShares ?? 0,
    progress: progress.progress,
    nonce: progress.nonce,
    version: core.version,
    build_date: '',
    migration: false,
    recovery_seal: false,
    storage_type: core.storageType,
    ha_enabled: core.cluster.enabled,
  };
  if (!core.sealed) {
    out.cluster_name = core.clusterName;
    out.cluster_id = core.clusterId;
  }
  return out;
}

async function health(core: Core, query: Record<string, unknown>) {
  const code = (name: string, fallback: number): number => {
    const v = query[name];
    if (v === undefined || v === '') return fallback;
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isInteger(n) || n < 100 || n > 599) throw badRequest(`invalid value for "${name}": must be an HTTP status code`);
    return n;
  };
  const initialized = await core.initialized();
  const sealed = core.sealed;
  let status = code('activecode', 200);
  if (!initialized) status = code('uninitcode', 501);
  else if (sealed) status = code('sealedcode', 503);
  // A node whose change feed is down refuses requests (fail closed): a load balancer should skip it.
  else if (!core.cluster.isCurrent()) status = 503;
  for (const flag of ['standbyok', 'perfstandbyok']) {
    const v = query[flag];
    if (typeof v === 'string' && v !== '' && parseBool(v) === undefined) throw badRequest(`invalid value for "${flag}": expected true or false`);
  }
  const body: Record<string, unknown> = {
    initialized,
    sealed,
    standby: false,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(core.clock.now() / 1000),
    version: core.version,
  };
  if (!sealed) {
    body.cluster_name = core.clusterName;
    body.cluster_id = core.clusterId;
    // Coffer's own, only when it applies: an audit disk about to fill (then every request fails).
    // A flag, not the device paths: sys/health answers without a token.
    if (core.audit.diskSpace().some((d) => d.low)) body.audit_disk_low = true;
  }
  return raw(status, body);
}

/** Decodes an unseal key share: hex when it has the expected length, else base64. */
export function decodeKey(key: string, expectedBytes: number): Buffer {
  const trimmed = key.trim();
  if (/^[0-9a-fA-F]+$/.test(trimmed) && (trimmed.length === expectedBytes * 2 || trimmed.length === 64 || trimmed.length === 66)) {
    return Buffer.from(trimmed, 'hex');
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) {
    const buf = Buffer.from(trimmed, 'base64');
    if (buf.length === 32 || buf.length === 33) return buf;
  }
  throw new CofferError('invalid_request', "'key' must be a valid hex or base64 string");
}
