/**
 * Expiry watches: an object with an expiry gets two time-ordered index entries, one at
 * `exp - 30 days` (SecretNearExpiry, Key Vault's default) and one at `exp` (SecretExpired). A
 * subscription with a shorter `near_expiry` gets its SecretNearExpiry delivery queued for
 * `exp - near_expiry` (delivery.ts), and dropped then if the watch has changed meanwhile. The
 * leader's tick reads only the due head of each index, a bounded number per tick, so the scan
 * costs the same however many secrets exist. Changing or clearing an expiry replaces the entries
 * (the watch remembers them), so a moved date never fires twice or at the old time.
 */
import { createHash } from 'node:crypto';
import type { SecretEvent } from '../../core/backend.js';
import type { BatchOp, Storage } from '../../storage/types.js';
import { EXPIRE, NEAR, WATCH, del, keyTime, eventOps, putJson, readJson, timedKey } from './store.js';

/** Key Vault raises SecretNearExpiry 30 days before the expiry date. */
export const NEAR_EXPIRY_MS = 30 * 86_400_000;
/** Index entries handled per tick and per index. */
const EXPIRY_PER_TICK = 100;

interface Watch {
  event: Omit<SecretEvent, 'type'>;
  nearKey: string;
  expireKey: string;
}

/** Sets or clears the watch of `key` on `event.mount` (see EventSink.watchExpiry). */
export async function watchExpiry(storage: Storage, key: string, event: Omit<SecretEvent, 'type'>): Promise<void> {
  const hash = createHash('sha256').update(`${event.mount}\0${key}`).digest('hex').slice(0, 40);
  const previous = await readJson<Watch>(storage, WATCH + hash);
  if (!previous && event.exp === undefined) return;
  const ops: BatchOp[] = previous ? [del(NEAR + previous.nearKey), del(EXPIRE + previous.expireKey)] : [];
  if (event.exp === undefined) {
    ops.push(del(WATCH + hash));
  } else {
    const expMs = event.exp * 1000;
    const watch: Watch = { event, nearKey: timedKey('', expMs - NEAR_EXPIRY_MS, hash), expireKey: timedKey('', expMs, hash) };
    ops.push(putJson(WATCH + hash, watch), putJson(NEAR + watch.nearKey, hash), putJson(EXPIRE + watch.expireKey, hash));
  }
  await storage.batch(ops);
}

/** Raises the due NearExpiry and Expired events (into the outbox), at most EXPIRY_PER_TICK of each. */
export async function scanExpiry(storage: Storage, now: number): Promise<void> {
  for (const [index, type] of [[NEAR, 'SecretNearExpiry'], [EXPIRE, 'SecretExpired']] as const) {
    const due = (await storage.list(index, { limit: EXPIRY_PER_TICK })).filter((k) => keyTime(k) <= now);
    for (const key of due) {
      const hash = key.slice(16);
      const watch = await readJson<Watch>(storage, WATCH + hash);
      const ops: BatchOp[] = [del(index + key)];
      const current = watch && (index === NEAR ? watch.nearKey : watch.expireKey) === key;
      if (current) ops.push(...eventOps({ ...watch.event, type }, now, index === NEAR ? { hash, nearKey: key } : undefined));
      // After SecretExpired nothing more is due: the watch ends.
      if (current && index === EXPIRE) ops.push(del(WATCH + hash));
      await storage.batch(ops);
    }
  }
}
