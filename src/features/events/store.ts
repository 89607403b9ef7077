/**
 * The events service's storage layout (its own view through the barrier, `sys/events/`):
 *
 * - `sub/<name>`: a subscription (its signing secret stays here, encrypted by the barrier);
 * - `outbox/<time>-<id>`: an event an engine emitted inside a request's transaction;
 * - `queue/<due>-<id>`: one delivery to one subscription, waiting for its (next) attempt;
 * - `dead/<time>-<id>`: a delivery that failed every attempt (`sys/events/dead-letters`);
 * - `log/<time>-<id>`: the recent-events log that `sys/events/wait` reads, written only while a
 *   waiting client is watching (see emitOps);
 * - `subscribed`: whether any subscription exists and until when a waiting client is watching
 *   (see subscribedState).
 *
 * Times are zero-padded milliseconds, so the one-level, byte-ordered listing is time-ordered and
 * the worker reads only the head of each list.
 */
import { randomUUID } from 'node:crypto';
import { decodeJson, encodeJson } from '../../core/codec.js';
import type { SecretEvent, SecretEventType } from '../../core/backend.js';
import type { Storage } from '../../storage/types.js';
import { gridEvent, type GridEvent } from './schema.js';

/** A webhook subscription as stored. */
export interface Subscription {
  name: string;
  url: string;
  /** HMAC-SHA256 key of the signature header; never returned or logged. */
  secret: string;
  /** Empty: every type. */
  eventTypes: SecretEventType[];
  /** Mount paths with a trailing slash; empty: every mount. */
  mounts: string[];
  maxAttempts: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /**
   * SecretNearExpiry is delivered this long before the expiry (at most NEAR_EXPIRY_MS, the time
   * the event is raised; a shorter window delays the delivery). Absent in older records: 30 days.
   */
  nearExpiryMs?: number;
  /** `eventgrid`: the endpoint passed Event Grid's validation handshake when written (handshake.ts). Absent: a plain webhook. */
  endpointType?: 'eventgrid';
  createdAt: number;
}

/** The expiry watch an event came from (SecretNearExpiry): a delayed delivery is dropped if it changed. */
export interface WatchRef {
  hash: string;
  nearKey: string;
}

/** An event waiting for fan-out, with what the filters need. */
export interface OutboxEntry {
  type: SecretEventType;
  mount: string;
  event: GridEvent;
  watch?: WatchRef;
}

/** One delivery of one event to one subscription. */
export interface Delivery {
  id: string;
  subscription: string;
  event: GridEvent;
  type: SecretEventType;
  mount: string;
  /** Attempts made so far. */
  attempts: number;
  lastError?: string;
  /** Set in the dead-letter list. */
  failedAt?: number;
  /** For a SecretNearExpiry delivered later than raised: the watch that must still be current. */
  watch?: WatchRef;
}

export const SUB = 'sub/';
export const OUTBOX = 'outbox/';
export const QUEUE = 'queue/';
export const DEAD = 'dead/';
/** Dead letters are kept a week, then dropped by the tick. */
export const DEAD_KEEP_MS = 7 * 86_400_000;
/** `watch/<hash>`: an object's expiry watch; `near/<time>-<hash>` and `expire/<time>-<hash>`: its two due times. */
export const WATCH = 'watch/';
export const NEAR = 'near/';
export const EXPIRE = 'expire/';
/** `log/<time>-<id>`: recent events for `sys/events/wait`, kept LOG_KEEP_MS. */
export const LOG = 'log/';
export const LOG_KEEP_MS = 10 * 60_000;

/** An entry of the recent-events log. */
export interface LogEntry {
  type: SecretEventType;
  mount: string;
  readPath: string;
  event: GridEvent;
}

/** A time-ordered key under `prefix`. */
export function timedKey(prefix: string, ms: number, id: string = randomUUID()): string {
  return `${prefix}${String(Math.max(0, Math.floor(ms))).padStart(15, '0')}-${id}`;
}

/** The time encoded in a timed key's last segment. */
export function keyTime(key: string): number {
  return Number(key.slice(0, 15));
}

/** Reads a JSON record, or undefined. */
export function readJson<T>(storage: Storage, key: string): Promise<T | undefined> {
  return storage.get(key).then((raw) => (raw ? decodeJson<T>(raw) : undefined));
}

/** A batch `put` of a JSON record. */
export function putJson(key: string, value: unknown) {
  return { type: 'put' as const, key, value: encodeJson(value) };
}

/** A batch `delete`. */
export function del(key: string) {
  return { type: 'delete' as const, key };
}

/**
 * The batch ops that record `e` (raised at `now`): queued for fan-out to webhooks unless `outbox`
 * is false (no subscription exists), and in the recent-events log unless `log` is false (nobody
 * is watching: see emitOps).
 */
export function eventOps(e: SecretEvent, now: number, watch?: WatchRef, outbox = true, log = true) {
  if (!outbox && !log) return [];
  const event = gridEvent(e, now);
  const ops: ReturnType<typeof putJson>[] = [];
  if (outbox) {
    const entry: OutboxEntry = { type: e.type, mount: e.mount, event, ...(watch ? { watch } : {}) };
    ops.push(putJson(timedKey(OUTBOX, now, event.id), entry));
  }
  if (log) {
    const entry: LogEntry = { type: e.type, mount: e.mount, readPath: e.readPath, event };
    ops.push(putJson(timedKey(LOG, now, event.id), entry));
  }
  return ops;
}

/** `subscribed`: whether a subscription exists, whether a waiting client watches, and a counter bumped by every write of it. */
export const SUBSCRIBED = 'subscribed';

/** The value at SUBSCRIBED. */
export interface SubscribedState {
  any: boolean;
  /** Bumped on every write, so two writers of the same `any` still change the stored value. */
  epoch: number;
  /**
   * Until when (core clock, ms) a `sys/events/wait` client counts as watching: requests write
   * the recent-events log only until then. Absent (older records): nobody watches.
   */
  watchedUntil?: number;
  /** When the current unbroken watch began (see keepWatched). */
  watchedSince?: number;
}

/**
 * Whether any subscription exists and until when a client watches, read inside the caller's
 * transaction (the read is a commit condition). Absent (a store from before this key, or no
 * event yet) it is worked out from the subscriptions and written in the same transaction.
 *
 * Invariant (no event is lost to a new subscription or a new watcher): SUBSCRIBED is written only
 * by transactions that read it first (this, every subscription write and delete:
 * setSubscribedOp, and the watch lease: keepWatched), and each of them rewrites it. So a request
 * that emits after a subscription's creation, or after a watch lease, committed either reads it
 * or conflicts at its commit and runs again (test/events/outbox-skip.test.ts).
 */
export function subscribedState(storage: Storage): Promise<SubscribedState> {
  // Every emitting write reads it: one promise step when it exists.
  return readJson<SubscribedState>(storage, SUBSCRIBED).then((state) => state ?? freshSubscribedState(storage));
}

/** subscribedState when the record is absent: worked out from the subscriptions and written. */
async function freshSubscribedState(storage: Storage): Promise<SubscribedState> {
  const fresh = { any: (await storage.list(SUB, { limit: 1 })).length > 0, epoch: 0 };
  await storage.batch([putJson(SUBSCRIBED, fresh)]);
  return fresh;
}

/** The batch op that records `any` (after reading the state in the same transaction: see subscribedState). */
export async function setSubscribedOp(storage: Storage, any: boolean) {
  const state = await subscribedState(storage);
  return putJson(SUBSCRIBED, { ...state, any, epoch: state.epoch + 1 } satisfies SubscribedState);
}

/** A watch lease lasts as long as the log keeps an event: a client away longer has lost events anyway. */
export const WATCH_LEASE_MS = LOG_KEEP_MS;
/** A wait renews the lease once less than this is left of it: at most one write a minute while clients wait. */
const WATCH_RENEW_BELOW_MS = WATCH_LEASE_MS - 60_000;

/**
 * Inside a transaction of its own (committed before the wait reads the log): makes sure the
 * watch lease runs at least WATCH_RENEW_BELOW_MS past `now`, and returns since when the log has
 * been written without a break. A lease that had lapsed starts a new watch at `now`.
 */
export async function keepWatched(storage: Storage, now: number): Promise<number> {
  const state = await subscribedState(storage);
  const until = state.watchedUntil ?? 0;
  const live = until > now;
  const since = live ? (state.watchedSince ?? now) : now;
  if (until - now < WATCH_RENEW_BELOW_MS) {
    await storage.batch([putJson(SUBSCRIBED, { ...state, epoch: state.epoch + 1, watchedUntil: now + WATCH_LEASE_MS, watchedSince: since } satisfies SubscribedState)]);
  }
  return since;
}

/**
 * The ops that record `e` emitted by a request: no outbox entry while no subscription exists,
 * and no log entry while no client waits on `sys/events/wait` (most servers have neither: the
 * two entries were about a fifth of a KV write's CPU).
 */
export function emitOps(storage: Storage, e: SecretEvent, now: number) {
  return subscribedState(storage).then((state) => eventOps(e, now, undefined, state.any, (state.watchedUntil ?? 0) > now));
}

/** Entries dropped per prefix and tick by trimOld. */
const TRIM_PER_TICK = 5000;

/** Drops log entries older than LOG_KEEP_MS and dead letters older than DEAD_KEEP_MS (a bounded number per tick). */
export async function trimOld(storage: Storage, now: number): Promise<void> {
  for (const [prefix, keep] of [[LOG, LOG_KEEP_MS], [DEAD, DEAD_KEEP_MS]] as const) {
    const old = (await storage.list(prefix, { limit: TRIM_PER_TICK })).filter((k) => keyTime(k) < now - keep);
    if (old.length > 0) await storage.batch(old.map((k) => del(prefix + k)));
  }
}
