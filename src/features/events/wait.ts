/**
 * `sys/events/wait?after=<cursor>&mounts=secret/,keyvault/main/&timeout=30s`: a long poll on the
 * recent-events log, for `coffer run --watch` and other clients that cannot take a webhook.
 *
 * It answers as soon as an event after the cursor exists (or at the timeout, at most 60 s) with
 * `{events, cursor}`; the next call passes `cursor` back. Without `after` it answers at once with
 * the current cursor. It only names objects the caller's token may read. The log is read from
 * storage (a listing, which sees other nodes' commits), so it works on any node of a cluster and
 * holds no lock; an event commits a few milliseconds after its timestamp, so a client should also
 * re-check its secrets when a wait times out.
 *
 * Requests write the log only while a client watches (store.ts emitOps): every wait first renews
 * the watch lease in a transaction of its own (keepWatched), and only then takes its cursor or
 * reads the log. A write that did not log its event therefore committed before the lease did
 * (it read the lease as a commit condition), i.e. before any cursor handed out since. A cursor
 * older than the current watch (the lease had lapsed: no client waited for LOG_KEEP_MS) may miss
 * events in between: such a wait answers at once, with the events the log has and a fresh
 * cursor, and the client re-checks its secrets as after any answer.
 */
import type { Route, RequestAuth } from '../../core/backend.js';
import { badRequest } from '../../core/errors.js';
import { optDuration, optString, optStringList } from '../../core/fields.js';
import type { Storage } from '../../storage/types.js';
import { LOG, keepWatched, keyTime, readJson, type LogEntry } from './store.js';

/** `<time>` or `<time>.<id>,<id>...`: the newest millisecond seen and the events of it already returned. */
const CURSOR = /^\d{15}(\.[0-9a-f-]{36}(,[0-9a-f-]{36})*)?$/;
const MAX_CURSOR_IDS = 50;
const MAX_WAIT_S = 60;
/** Below the Vault front's 30 s request timeout and the CLI's 60 s. */
const DEFAULT_WAIT_S = 25;
const POLL_MS = 200;
const PAGE = 200;

/**
 * Where a wait resumes. Log keys are `<time>-<random id>`, so two events of one millisecond do
 * not sort in the order they were written: the cursor keeps the ids of its newest millisecond
 * already returned, and the next sweep starts at that millisecond and skips them.
 */
interface Cursor {
  time: number;
  seen: Set<string>;
}

const pad = (ms: number) => String(ms).padStart(15, '0');

function parseCursor(raw: string): Cursor {
  if (raw.length > 16 + MAX_CURSOR_IDS * 37 || !CURSOR.test(raw)) throw badRequest('invalid value for "after": pass the "cursor" of a previous answer (or leave it out to get the current one)');
  const [time, ids] = raw.split('.');
  return { time: Number(time), seen: new Set(ids ? ids.split(',') : []) };
}

function formatCursor(c: Cursor): string {
  // A burst of events in one millisecond: move past it rather than grow the cursor (the client re-checks on every answer).
  if (c.seen.size > MAX_CURSOR_IDS) return pad(c.time + 1);
  return c.seen.size ? `${pad(c.time)}.${[...c.seen].join(',')}` : pad(c.time);
}

/** The route (relative to `sys/`). */
export function waitRoute(
  storage: Storage, now: () => number, mayRead: (auth: RequestAuth, path: string) => Promise<boolean>,
  detached: <T>(fn: () => Promise<T>) => Promise<T>,
): Route {
  return {
    pattern: /^events\/wait$/,
    fields: ['after', 'mounts', 'timeout'],
    operations: {
      read: async (req) => {
        const after = optString(req.data, 'after');
        const given = after === undefined ? undefined : parseCursor(after);
        const timeout = optDuration(req.data, 'timeout') ?? DEFAULT_WAIT_S;
        if (timeout > MAX_WAIT_S) throw badRequest(`invalid value for "timeout": at most ${MAX_WAIT_S}s`);
        const mounts = (optStringList(req.data, 'mounts') ?? []).map((m) => (m.endsWith('/') ? m : `${m}/`));
        // Committed before the cursor is taken and before the log is read (see the module comment).
        const watchedSince = await detached(() => keepWatched(storage, now()));
        const fresh = (): Cursor => ({ time: now(), seen: new Set() });
        const cursor: Cursor = given ?? fresh();
        if (given === undefined) return { data: { events: [], cursor: formatCursor(cursor) } };
        // The log may lack events after the cursor: answer after one sweep, whatever it finds.
        const gap = given.time < watchedSince;
        const deadline = Date.now() + timeout * 1000;
        const events: unknown[] = [];
        for (;;) {
          // One sweep from the cursor's millisecond to the end of the log, a page at a time.
          let from = pad(cursor.time);
          for (;;) {
            const keys = await storage.list(LOG, { after: from, limit: PAGE });
            for (const key of keys) {
              const time = keyTime(key);
              const id = key.slice(16);
              if (time < cursor.time || (time === cursor.time && cursor.seen.has(id))) continue;
              if (time > cursor.time) {
                cursor.time = time;
                cursor.seen = new Set();
              }
              cursor.seen.add(id);
              const entry = await readJson<LogEntry>(storage, LOG + key);
              if (!entry || (mounts.length > 0 && !mounts.includes(entry.mount))) continue;
              if (req.auth && (await mayRead(req.auth, entry.readPath))) events.push(entry.event);
            }
            if (keys.length < PAGE) break;
            from = keys[keys.length - 1]!;
          }
          if (gap) return { data: { events, cursor: formatCursor(events.length > 0 ? cursor : fresh()) } };
          if (events.length > 0 || Date.now() >= deadline) return { data: { events, cursor: formatCursor(cursor) } };
          // Real time, not the core clock: this bounds how long the request is held.
          await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(0, deadline - Date.now()))));
        }
      },
    },
    help: 'Wait for secret events after a cursor (after, mounts, timeout): a long poll.',
  };
}
