/**
 * Differences between key/value maps (secret versions, an edit and the server's copy), and the
 * three-way merge used to re-base an edit after a check-and-set conflict.
 */

/** A value of a KV secret (JSON). */
export type KvValue = unknown;
/** A secret's data. */
export type KvMap = Record<string, KvValue>;

/** One key's change from `a` to `b`. */
export interface KeyChange {
  key: string;
  kind: 'added' | 'removed' | 'changed' | 'same';
  before?: KvValue;
  after?: KvValue;
}

/** Deep equality of JSON values (key order of objects ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ak = Object.keys(a as object);
  const bo = b as Record<string, unknown>;
  return ak.length === Object.keys(bo).length && ak.every((k) => Object.hasOwn(bo, k) && jsonEqual((a as Record<string, unknown>)[k], bo[k]));
}

/** The per-key changes from `a` to `b`, sorted by key; with `includeSame`, unchanged keys too. */
export function diffMaps(a: KvMap, b: KvMap, includeSame = false): KeyChange[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const out: KeyChange[] = [];
  for (const key of keys) {
    const inA = Object.hasOwn(a, key);
    const inB = Object.hasOwn(b, key);
    if (inA && !inB) out.push({ key, kind: 'removed', before: a[key] });
    else if (!inA && inB) out.push({ key, kind: 'added', after: b[key] });
    else if (!jsonEqual(a[key], b[key])) out.push({ key, kind: 'changed', before: a[key], after: b[key] });
    else if (includeSame) out.push({ key, kind: 'same', before: a[key], after: b[key] });
  }
  return out;
}

/** Counts of a diff, e.g. for "2 added, 1 changed". */
export function summarize(changes: readonly KeyChange[]): string {
  const n = (k: KeyChange['kind']) => changes.filter((c) => c.kind === k).length;
  const parts = [n('added') && `${n('added')} added`, n('removed') && `${n('removed')} removed`, n('changed') && `${n('changed')} changed`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no changes';
}

/**
 * Re-applies the edit `base → mine` on top of `theirs` (the server's newer copy): keys the user
 * added/changed take the user's value, keys the user removed are removed, everything else is
 * theirs. `clashes` lists keys both sides changed differently (the user's value wins; the
 * conflict view shows them so nothing is overwritten unseen).
 */
export function rebase(base: KvMap, mine: KvMap, theirs: KvMap): { result: KvMap; clashes: string[] } {
  const result: KvMap = { ...theirs };
  const clashes: string[] = [];
  for (const c of diffMaps(base, mine)) {
    const theirsChanged = !jsonEqual(base[c.key], theirs[c.key]) || Object.hasOwn(base, c.key) !== Object.hasOwn(theirs, c.key);
    if (c.kind === 'removed') {
      if (theirsChanged && Object.hasOwn(theirs, c.key)) clashes.push(c.key);
      delete result[c.key];
    } else {
      if (theirsChanged && !jsonEqual(theirs[c.key], c.after)) clashes.push(c.key);
      result[c.key] = c.after;
    }
  }
  return { result, clashes };
}

/** A value as text for display (strings as is, anything else as JSON). */
export function showValue(v: KvValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}
