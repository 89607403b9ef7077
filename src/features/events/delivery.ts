/**
 * The delivery worker, run on the cluster leader's tick: fans queued events out to the matching
 * subscriptions, then POSTs the due deliveries, signed, with a bounded timeout each and in
 * parallel, so a slow or dead receiver costs one timeout per tick and never slows requests (they
 * only write to the outbox). At most MAX_IN_FLIGHT_PER_SUBSCRIPTION deliveries of one subscription
 * are in flight at once, so a slow receiver neither gets a pile of connections nor takes the
 * tick's whole budget from the others. A failure is retried with exponential backoff; after the
 * subscription's last attempt the delivery goes to the dead-letter list. The destination is
 * checked against the server's policy on the address actually connected to (destination.ts).
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { BatchOp, Storage } from '../../storage/types.js';
import type { BackendServices } from '../../core/backend.js';
import {
  DEAD, OUTBOX, QUEUE, SUB, WATCH, del, keyTime, putJson, readJson, timedKey, type Delivery, type OutboxEntry, type Subscription,
} from './store.js';
import { MAX_SUBSCRIPTIONS } from './subscriptions.js';
import type { DestinationPolicy } from './destination.js';
import { failureReason, postJson } from './post.js';

/** Events fanned out (pages of FAN_OUT_PAGE) and deliveries attempted per tick: the worker's work per tick is bounded. */
const FAN_OUT_PAGE = 500;
const FAN_OUT_PAGES = 10;
const DELIVERIES_PER_TICK = 32;
/** Deliveries of one subscription sent at once (the rest of its due deliveries wait for a later tick). */
export const MAX_IN_FLIGHT_PER_SUBSCRIPTION = 4;
/** Due queue entries looked at per tick to fill DELIVERIES_PER_TICK under the per-subscription cap. */
const DUE_SCAN = 256;
/** First retry after 10 s, doubling, at most an hour apart. */
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 3_600_000;

/** The signature header value: `sha256=<hex HMAC-SHA256 of the body under the subscription's secret>`. */
export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Delay before attempt `attempts + 1` after `attempts` failures. */
export function backoffMs(attempts: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

function matches(sub: Subscription, entry: { type: string; mount: string }): boolean {
  return (sub.eventTypes.length === 0 || sub.eventTypes.includes(entry.type as Subscription['eventTypes'][number])) &&
    (sub.mounts.length === 0 || sub.mounts.includes(entry.mount));
}

/** What the worker needs from the service. */
export interface DeliveryServices {
  now(): number;
  logger: BackendServices['logger'];
  policy: DestinationPolicy;
}

/** One worker pass: fan-out, then the due deliveries. */
export async function runDeliveries(storage: Storage, services: DeliveryServices): Promise<void> {
  await fanOut(storage, services.now());
  await deliverDue(storage, services);
}

async function fanOut(storage: Storage, now: number): Promise<void> {
  let subs: Subscription[] | undefined;
  for (let page = 0; page < FAN_OUT_PAGES; page++) {
    const keys = await storage.list(OUTBOX, { limit: FAN_OUT_PAGE });
    if (keys.length === 0) return;
    if (!subs) {
      subs = [];
      for (const name of await storage.list(SUB, { limit: MAX_SUBSCRIPTIONS })) {
        const s = await readJson<Subscription>(storage, SUB + name);
        if (s) subs.push(s);
      }
    }
    // A page of events leaves the outbox together with its deliveries (one batch), so none is lost or doubled.
    const ops: BatchOp[] = [];
    for (const key of keys) {
      ops.push(del(OUTBOX + key));
      const entry = subs.length ? await readJson<OutboxEntry>(storage, OUTBOX + key) : undefined;
      for (const sub of entry ? subs.filter((s) => matches(s, entry)) : []) {
        const id = randomUUID();
        const d: Delivery = { id, subscription: sub.name, event: entry!.event, type: entry!.type, mount: entry!.mount, attempts: 0 };
        const due = dueTime(sub, entry!, now);
        if (due > now && entry!.watch) d.watch = entry!.watch;
        ops.push(putJson(timedKey(QUEUE, due, id), d));
      }
    }
    await storage.batch(ops);
    if (keys.length < FAN_OUT_PAGE) return;
  }
}

/** When a delivery is due: now, except SecretNearExpiry for a subscription with a shorter window than the 30 days it is raised at. */
function dueTime(sub: Subscription, entry: OutboxEntry, now: number): number {
  const exp = entry.event.data.EXP;
  if (entry.type !== 'SecretNearExpiry' || sub.nearExpiryMs === undefined || exp === null) return now;
  return Math.max(now, exp * 1000 - sub.nearExpiryMs);
}

async function deliverDue(storage: Storage, services: DeliveryServices): Promise<void> {
  const now = services.now();
  const keys = (await storage.list(QUEUE, { limit: DUE_SCAN })).filter((k) => keyTime(k) <= now);
  const picked: { key: string; d: Delivery }[] = [];
  const perSub = new Map<string, number>();
  for (const key of keys) {
    if (picked.length >= DELIVERIES_PER_TICK) break;
    const d = await readJson<Delivery>(storage, QUEUE + key);
    if (!d) continue;
    const n = perSub.get(d.subscription) ?? 0;
    if (n >= MAX_IN_FLIGHT_PER_SUBSCRIPTION) continue;
    perSub.set(d.subscription, n + 1);
    picked.push({ key, d });
  }
  await Promise.all(picked.map(({ key, d }) => deliverOne(storage, services, key, d)));
}

async function deliverOne(storage: Storage, services: DeliveryServices, key: string, d: Delivery): Promise<void> {
  const sub = await readJson<Subscription>(storage, SUB + d.subscription);
  // The subscription was deleted: its pending deliveries go with it.
  if (!sub) return storage.batch([del(QUEUE + key)]);
  // A delayed SecretNearExpiry whose expiry was changed, cleared or deleted since: no longer true.
  if (d.watch && (await readJson<{ nearKey: string }>(storage, WATCH + d.watch.hash))?.nearKey !== d.watch.nearKey) {
    return storage.batch([del(QUEUE + key)]);
  }
  const error = await post(sub, JSON.stringify([d.event]), services.policy);
  d.attempts += 1;
  if (error === undefined) return storage.batch([del(QUEUE + key)]);
  d.lastError = error;
  const now = services.now();
  if (d.attempts >= sub.maxAttempts) {
    d.failedAt = now;
    services.logger.warn({ subscription: sub.name, eventType: d.event.eventType, attempts: d.attempts, error }, 'event delivery failed every attempt; moved to sys/events/dead-letters');
    return storage.batch([del(QUEUE + key), putJson(timedKey(DEAD, now, d.id), d)]);
  }
  await storage.batch([del(QUEUE + key), putJson(timedKey(QUEUE, now + backoffMs(d.attempts), d.id), d)]);
}

/** POSTs one delivery; undefined on a 2xx answer, else why it failed (no body, no secret). */
async function post(sub: Subscription, body: string, policy: DestinationPolicy): Promise<string | undefined> {
  try {
    const headers = { 'content-type': 'application/json', 'x-coffer-signature': sign(sub.secret, body), 'aeg-event-type': 'Notification' };
    const res = await postJson(sub.url, body, headers, sub.timeoutMs, policy);
    return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
  } catch (err) {
    return failureReason(err, sub.timeoutMs);
  }
}
