/**
 * The due-date index of automatic key rotation: `rotate/<due date>/<name>` for every live key
 * whose rotation policy has a Rotate action, so the engine's tidy (run every second) reads only
 * the entries that are due, never every key. The key remembers its entry's date
 * (`attributes.rotationDue`) so any change (new version, new expiry, new policy, delete) can move
 * or drop it. Like the purge index, a stale entry is harmless: tidy drops it.
 */
import type { NamedKey } from '../keys-core/index.js';
import type { Storage } from '../../storage/types.js';
import { encodeJson } from './codec.js';
import { keyProps, latestOf, versionProps } from './key-model.js';
import { purgeDateSegment } from './store.js';

/** Prefix of the rotation index. */
export const ROTATION_INDEX = 'rotate/';

const DURATION = /^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** Seconds in an ISO 8601 duration (`P90D`, `P1Y`, `PT12H`; a year is 365 days, a month 30), or NaN when it is not one. */
export function isoDurationSeconds(text: string): number {
  const m = DURATION.exec(text.trim().toUpperCase());
  if (!m) return NaN;
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((x) => Number(x ?? 0));
  return ((((y! * 365 + mo! * 30 + w! * 7 + d!) * 24 + h!) * 60 + mi!) * 60) + s!;
}

/** When the key's Rotate action is due for its latest version (unix seconds), if it has one. */
export function rotationDueDate(key: NamedKey): number | undefined {
  const rotate = keyProps(key).rotationPolicy?.lifetimeActions.find((a) => a.action.type === 'Rotate');
  if (!rotate) return undefined;
  const latest = versionProps(latestOf(key));
  if (rotate.trigger.timeAfterCreate) return latest.created + isoDurationSeconds(rotate.trigger.timeAfterCreate);
  if (rotate.trigger.timeBeforeExpiry && latest.exp !== undefined) return latest.exp - isoDurationSeconds(rotate.trigger.timeBeforeExpiry);
  return undefined;
}

function entryKey(date: number, name: string): string {
  return `${ROTATION_INDEX}${purgeDateSegment(date)}/${name}`;
}

/** Drops the key's index entry (delete, purge); the caller stores the key. */
export async function unindexRotation(storage: Storage, key: NamedKey): Promise<void> {
  const kp = keyProps(key);
  if (kp.rotationDue !== undefined) await storage.delete(entryKey(kp.rotationDue, key.name));
  delete kp.rotationDue;
}

/** Moves the key's index entry to its current due date (after any change to it); the caller stores the key. */
export async function reindexRotation(storage: Storage, key: NamedKey): Promise<void> {
  const due = rotationDueDate(key);
  const kp = keyProps(key);
  if (due === kp.rotationDue) return;
  await unindexRotation(storage, key);
  if (due === undefined) return;
  await storage.put(entryKey(due, key.name), encodeJson(key.name));
  kp.rotationDue = due;
}

/**
 * Calls `rotate(name, date)` for every index entry due at `now`, oldest first, then drops the
 * entry (`rotate` re-indexes the key under its next due date).
 */
export async function forEachDueRotation(storage: Storage, now: number, rotate: (name: string, date: number) => Promise<void>): Promise<void> {
  let after: string | undefined;
  for (;;) {
    const folders = await storage.list(ROTATION_INDEX, { after, limit: 64 });
    for (const folder of folders) {
      const date = Number(folder.slice(0, -1));
      if (!folder.endsWith('/') || !Number.isFinite(date)) continue;
      if (date > now) return;
      for (const name of await storage.list(ROTATION_INDEX + folder)) {
        await storage.delete(ROTATION_INDEX + folder + name);
        await rotate(name, date);
      }
    }
    if (folders.length < 64) return;
    after = folders[folders.length - 1];
  }
}
