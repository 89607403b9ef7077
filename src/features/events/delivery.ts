/**
 * The delivery worker, run on the cluster leader's tick: fans queued events out to the matching
 * subscriptions, then POSTs the due deliveries, signed, with a bounded timeout each and in
 * parallel, so a slow or dead receiver costs one timeout per tick and never slows requests (they
 * only write to the outbox). A failure is retried with exponential backoff; after the
 * subscription's last attempt the delivery goes to the dead-letter list.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { BatchOp, Storage } from '../../storage/types.js';
import type { BackendServices } from '../../core/backend.js';
import {
  DEAD, OUTBOX, QUEUE, SUB, del, keyTime, putJson, readJson, timedKey, type Delivery, type OutboxEntry, type Subscription,
} from './store.js';
import { MAX_SUBSCRIPTIONS } from './subscriptions.js';

/** Events fanned out (pages of FAN_OUT_PAGE) and deliveries attempted per tick: the worker's work per tick is bounded. */
const FAN_OUT_PAGE = 500;
const FAN_OUT_PAGES = 10;
const DELIVERIES_PER_TICK = 32;
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

/** One worker pass: fan-out, then the due deliveries. */
export async function runDeliveries(storage: Storage, services: { now(): number; logger: BackendServices['logger'] }): Promise<void> {
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
        ops.push(putJson(timedKey(QUEUE, now, id), d));
      }
    }
    await storage.batch(ops);
    if (keys.length < FAN_OUT_PAGE) return;
  }
}

async function deliverDue(storage: Storage, services: { now(): number; logger: BackendServices['logger'] }): Promise<void> {
  const now = services.now();
  const keys = (await storage.list(QUEUE, { limit: DELIVERIES_PER_TICK })).filter((k) => keyTime(k) <= now);
  await Promise.all(keys.map((key) => deliverOne(storage, services, key)));
}

async function deliverOne(storage: Storage, services: { now(): number; logger: BackendServices['logger'] }, key: string): Promise<void> {
  const d = await readJson<Delivery>(storage, QUEUE + key);
  if (!d) return;
  const sub = await readJson<Subscription>(storage, SUB + d.subscription);
  // The subscription was deleted: its pending deliveries go with it.
  if (!sub) return storage.batch([del(QUEUE + key)]);
  const error = await post(sub, JSON.stringify([d.event]));
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
async function post(sub: Subscription, body: string): Promise<string | undefined> {
  try {
    const res = await fetch(sub.url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-coffer-signature': sign(sub.secret, body), 'aeg-event-type': 'Notification' },
      // A redirect is a failure: following it would send signed events somewhere not configured.
      redirect: 'manual',
      signal: AbortSignal.timeout(sub.timeoutMs),
    });
    // The body is not needed; drop it so the connection is released.
    await res.body?.cancel().catch(() => undefined);
    return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${sub.timeoutMs / 1000} s`;
    return `connection failed${e.cause?.code ? ` (${e.cause.code})` : ''}`;
  }
}
