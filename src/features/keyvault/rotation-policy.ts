/**
 * Key rotation policies (Key Vault's KeyRotationPolicy): read and set per key, and the automatic
 * rotation tidy runs. A policy is `lifetimeActions` (a Rotate and/or a Notify action, each with a
 * trigger `timeAfterCreate` or `timeBeforeExpiry`, ISO 8601 durations) and `attributes.expiryTime`
 * (the expiry given to each new version). Notify actions are stored and shown; Coffer has no
 * Event Grid to send them to.
 */
import type { BackendRequest } from '../../core/backend.js';
import type { LogicalResponse } from '../../core/logical.js';
import type { Storage } from '../../storage/types.js';
import { badParameter } from './azure-errors.js';
import { nowSeconds, type VaultDeps } from './deps.js';
import { keyProps, liveKeys, type StoredRotationPolicy } from './key-model.js';
import { loadLiveKey, rotateNow } from './keys.js';
import { forEachDueRotation, isoDurationSeconds, reindexRotation, rotationDueDate } from './rotation-index.js';

const DAY = 86400;
/** Key Vault's shortest expiryTime, and shortest timeAfterCreate of a Rotate action. */
const MIN_EXPIRY_SECONDS = 28 * DAY;
const MIN_ROTATE_AFTER_SECONDS = 7 * DAY;

/** What a key without a policy shows (Key Vault's default: notify 30 days before expiry). */
const DEFAULT_ACTIONS: StoredRotationPolicy['lifetimeActions'] = [{ trigger: { timeBeforeExpiry: 'P30D' }, action: { type: 'Notify' } }];

function policyView(name: string, p: StoredRotationPolicy | undefined): Record<string, unknown> {
  if (!p) return { name, lifetimeActions: DEFAULT_ACTIONS, attributes: {} };
  const attributes: Record<string, unknown> = { created: p.created, updated: p.updated };
  if (p.expiryTime) attributes.expiryTime = p.expiryTime;
  return { name, lifetimeActions: p.lifetimeActions, attributes };
}

function duration(raw: unknown, field: string, min = 1): string {
  const text = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
  const seconds = isoDurationSeconds(text);
  if (!(seconds >= min)) {
    throw badParameter(`Property ${field} must be an ISO 8601 duration of at least ${Math.ceil(min / DAY) || 1} day(s), e.g. P90D or P1Y`);
  }
  return text;
}

function parsePolicy(data: Record<string, unknown>, now: number, previous?: StoredRotationPolicy): StoredRotationPolicy {
  const attrs = data.attributes;
  if (attrs !== undefined && attrs !== null && (typeof attrs !== 'object' || Array.isArray(attrs))) throw badParameter('Property attributes must be an object ({expiryTime})');
  const expiryRaw = (attrs as Record<string, unknown> | undefined)?.expiryTime;
  const expiryTime = expiryRaw === undefined || expiryRaw === null ? undefined : duration(expiryRaw, 'attributes.expiryTime', MIN_EXPIRY_SECONDS);
  const raw = data.lifetimeActions ?? [];
  if (!Array.isArray(raw) || raw.length > 2) throw badParameter('Property lifetimeActions must be an array of at most two actions (one Rotate, one Notify)');
  const actions: StoredRotationPolicy['lifetimeActions'] = [];
  for (const [i, item] of raw.entries()) {
    const a = (item ?? {}) as { trigger?: Record<string, unknown>; action?: Record<string, unknown> };
    const type = typeof a.action?.type === 'string' ? a.action.type.toLowerCase() : '';
    if (type !== 'rotate' && type !== 'notify') throw badParameter(`lifetimeActions[${i}].action.type must be Rotate or Notify`);
    if (actions.some((x) => x.action.type.toLowerCase() === type)) throw badParameter(`lifetimeActions has two ${type} actions; give at most one of each`);
    const after = a.trigger?.timeAfterCreate;
    const before = a.trigger?.timeBeforeExpiry;
    if ((after === undefined || after === null) === (before === undefined || before === null)) {
      throw badParameter(`lifetimeActions[${i}].trigger needs exactly one of timeAfterCreate or timeBeforeExpiry`);
    }
    const trigger = after !== undefined && after !== null
      ? { timeAfterCreate: duration(after, `lifetimeActions[${i}].trigger.timeAfterCreate`, type === 'rotate' ? MIN_ROTATE_AFTER_SECONDS : 1) }
      : { timeBeforeExpiry: duration(before, `lifetimeActions[${i}].trigger.timeBeforeExpiry`) };
    if (type === 'notify' && trigger.timeAfterCreate) throw badParameter('A Notify action takes a timeBeforeExpiry trigger');
    if (trigger.timeBeforeExpiry && expiryTime === undefined) throw badParameter('A timeBeforeExpiry trigger needs attributes.expiryTime (the expiry of new versions)');
    actions.push({ trigger, action: { type: type === 'rotate' ? 'Rotate' : 'Notify' } });
  }
  return { lifetimeActions: actions, ...(expiryTime ? { expiryTime } : {}), created: previous?.created ?? now, updated: now };
}

/** `read rotationpolicy/<name>`. */
export async function getRotationPolicy(req: BackendRequest): Promise<LogicalResponse> {
  const key = await loadLiveKey(req);
  const kp = keyProps(key);
  return { data: policyView(kp.displayName, kp.rotationPolicy) };
}

/** `update rotationpolicy/<name>` `{lifetimeActions, attributes:{expiryTime}}`: replaces the policy. */
export async function setRotationPolicy(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await loadLiveKey(req);
  const kp = keyProps(key);
  kp.rotationPolicy = parsePolicy(req.data, nowSeconds(deps), kp.rotationPolicy);
  await reindexRotation(req.storage, key);
  await liveKeys(req.storage).put(key);
  return { data: policyView(kp.displayName, kp.rotationPolicy) };
}

/**
 * Rotates every live key whose Rotate action is due (run by the engine's tidy, every second):
 * reads only the due part of the rotation index. Returns how many keys were rotated.
 */
export async function rotateDueKeys(deps: VaultDeps, storage: Storage): Promise<number> {
  const store = liveKeys(storage);
  const now = nowSeconds(deps);
  let rotated = 0;
  await forEachDueRotation(storage, now, async (name, date) => {
    const key = await store.get(name);
    // A key changed since the entry was written has its own, newer entry (or none).
    if (!key || keyProps(key).rotationDue !== date) return;
    delete keyProps(key).rotationDue;
    const due = rotationDueDate(key);
    if (due === undefined || due > now) return void (await store.put(key));
    rotateNow(deps, key);
    await reindexRotation(storage, key);
    await store.put(key);
    rotated++;
  });
  return rotated;
}
