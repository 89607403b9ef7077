/**
 * Makes a server match its bootstrap block, at init and at every unseal.
 *
 * - Idempotent: an item whose settings are unchanged since it was last applied (a digest of them is
 *   kept at `core/bootstrap`) and whose object still exists is left alone, so a restart writes nothing.
 * - A diff: a new item is created, a changed one updated (mount/auth tune, policy rewrite, role
 *   update, vault config; an audit device is disabled and enabled again). Items removed from the
 *   file are left in place (removing a mount would destroy its data): remove them through the API.
 * - Audited: every read and change goes through `Core.handle` with a short-lived root token named
 *   `bootstrap`, so the audit log records who changed what.
 * - Whole or nothing: everything runs in one storage transaction; the first failure discards it
 *   and is reported with the item's file and line.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Core } from '../../core/core.js';
import type { LogicalRequest, LogicalResponse, Operation } from '../../core/logical.js';
import { badRequest } from '../../core/errors.js';
import type { BootstrapItem, BootstrapSpec } from './spec.js';

/** Where the digests of the applied items are kept (inside the barrier, like core's own records). */
export const BOOTSTRAP_STATE_KEY = 'core/bootstrap';

/** What one application did, for the server log and tests. */
export interface BootstrapResult {
  /** `kind "name"` of every item created or changed. */
  changed: string[];
}

type Call = (operation: Operation, path: string, data?: Record<string, unknown>) => Promise<LogicalResponse>;

/** Applies `spec` to an unsealed core. Throws a 400 CofferError naming the item's line (nothing applied) on the first failing item. */
export async function applyBootstrap(core: Core, spec: BootstrapSpec): Promise<BootstrapResult> {
  // A transaction of its own: at init or unseal we run inside that request's transaction, whose
  // commit would then conflict with the init it read around.
  return core.transactions.detached(async () => {
    const { token, entry } = await core.tokens.create({ policies: ['root'], noDefaultPolicy: true, orphan: true, ttl: 300, displayName: 'bootstrap', path: 'auth/token/create' });
    try {
      const call: Call = (operation, path, data = {}) => {
        const req: LogicalRequest = { id: randomUUID(), operation, path, data, token, via: 'internal', clientAddress: '127.0.0.1' };
        return core.handle(req);
      };
      const stored = await readState(core);
      // The mount table as this transaction reads it, not this node's copy: another node that
      // applied the same item a moment ago may not have reached it yet (see MountTable.refresh).
      await core.mounts.refresh();
      await core.refreshAuditTable();
      const next: Record<string, string> = { ...stored };
      const changed: string[] = [];
      const mounts = (await call('read', 'sys/mounts')).data ?? {};
      const auths = (await call('read', 'sys/auth')).data ?? {};
      const audits = (await call('read', 'sys/audit')).data ?? {};
      for (const item of spec.items) {
        const id = `${item.kind} "${item.name}"`;
        const digest = digestOf(item);
        try {
          const did = await applyItem(item, call, { mounts, auths, audits, unchanged: stored[id] === digest });
          if (did) changed.push(id);
        } catch (err) {
          // A 400 for whoever unsealed: the operator fixes the file at this line.
          throw badRequest(`bootstrap not applied (nothing was changed): ${item.where}: ${id}: ${(err as Error).message}`);
        }
        next[id] = digest;
      }
      if (JSON.stringify(next) !== JSON.stringify(stored)) await core.barrier.put(BOOTSTRAP_STATE_KEY, Buffer.from(JSON.stringify(next)));
      return { changed };
    } finally {
      await core.tokens.revoke(entry.id);
    }
  });
}

async function readState(core: Core): Promise<Record<string, string>> {
  const raw = await core.barrier.get(BOOTSTRAP_STATE_KEY);
  return raw ? (JSON.parse(Buffer.from(raw).toString('utf8')) as Record<string, string>) : {};
}

function digestOf(item: BootstrapItem): string {
  return createHash('sha256').update(JSON.stringify(sorted(item.fields))).digest('hex');
}

function sorted(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sorted);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Record<string, unknown>)[k])]));
}

interface Current {
  mounts: Record<string, unknown>;
  auths: Record<string, unknown>;
  audits: Record<string, unknown>;
  /** The item's settings are those applied last time. */
  unchanged: boolean;
}

/** Makes one item true; returns whether it wrote anything. */
async function applyItem(item: BootstrapItem, call: Call, cur: Current): Promise<boolean> {
  const f = item.fields;
  switch (item.kind) {
    case 'mount':
    case 'vault': {
      const path = item.kind === 'vault' ? `keyvault/${item.name}` : item.name;
      const type = item.kind === 'vault' ? 'keyvault' : (f.type as string);
      const existing = cur.mounts[`${path}/`] as { type?: string } | undefined;
      if (existing && existing.type !== type) throw new Error(`a "${existing.type}" mount already exists at ${path}/; the bootstrap wants "${type}" (disable or move it first)`);
      if (existing && cur.unchanged) return false;
      if (item.kind === 'vault') {
        const settings = pick(f, ['soft_delete_retention_days', 'purge_protection', 'enforce_validity_window']);
        if (!existing) {
          const options = Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, String(v)]));
          await call('update', `sys/mounts/${path}`, { type, description: f.description ?? `Key Vault ${item.name}`, options });
        } else {
          await call('update', `${path}/config`, settings);
          if (f.description !== undefined) await call('update', `sys/mounts/${path}/tune`, { description: f.description });
        }
        return true;
      }
      if (!existing) {
        await call('update', `sys/mounts/${path}`, pick(f, ['type', 'description', 'options', 'config', 'local', 'seal_wrap']));
      } else {
        await call('update', `sys/mounts/${path}/tune`, { ...(f.config as object | undefined), ...pick(f, ['description', 'options']) });
      }
      return true;
    }
    case 'auth': {
      const existing = cur.auths[`${item.name}/`] as { type?: string } | undefined;
      if (existing && existing.type !== f.type) throw new Error(`a "${existing.type}" auth method already exists at ${item.name}/; the bootstrap wants "${String(f.type)}" (disable it first)`);
      if (existing && cur.unchanged) return false;
      if (!existing) await call('update', `sys/auth/${item.name}`, pick(f, ['type', 'description', 'options', 'config', 'local']));
      else await call('update', `sys/auth/${item.name}/tune`, { ...(f.config as object | undefined), ...pick(f, ['description', 'options']) });
      return true;
    }
    case 'audit': {
      const existing = cur.audits[`${item.name}/`] as { type?: string; options?: Record<string, string> } | undefined;
      if (existing && cur.unchanged) return false;
      if (existing) {
        const wanted = Object.fromEntries(Object.entries((f.options ?? {}) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
        if (existing.type === f.type && JSON.stringify(sorted(existing.options ?? {})) === JSON.stringify(sorted(wanted))) return false;
        // An audit device cannot be changed in place (as in Vault): replace it.
        await call('delete', `sys/audit/${item.name}`);
      }
      await call('update', `sys/audit/${item.name}`, pick(f, ['type', 'description', 'options', 'local']));
      return true;
    }
    case 'policy': {
      const res = await readOrUndefined(call, `sys/policies/acl/${item.name}`);
      if (res?.data?.policy === f.policy) return false;
      await call('update', `sys/policies/acl/${item.name}`, { policy: f.policy });
      return true;
    }
    case 'approle_role': {
      const mount = String(f.mount ?? 'approle').replace(/^\/+|\/+$/g, '');
      const rolePath = `auth/${mount}/role/${item.name}`;
      const exists = (await readOrUndefined(call, rolePath)) !== undefined;
      if (exists && cur.unchanged) return false;
      const { mount: _mount, ...fields } = f;
      await call('update', rolePath, fields);
      return true;
    }
  }
}

async function readOrUndefined(call: Call, path: string): Promise<LogicalResponse | undefined> {
  try {
    return await call('read', path);
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

function pick(f: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (f[k] !== undefined) out[k] = f[k];
  return out;
}
