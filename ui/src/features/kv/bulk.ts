/**
 * Bulk edit of a folder as one `.env` text. The mapping (documented in docs/ui/kv.md):
 *
 *   <secret>__<key>=<value>
 *
 * for every secret directly in the folder (sub-folders are not included) and every key of it.
 * The FIRST `__` splits the line's name, so a secret name must not contain `__` (keys may); names
 * and keys must be valid `.env` keys (no whitespace, `=`, `#`, quotes). Only string values can be
 * edited this way. Secrets that do not fit are listed as skipped and left alone; lines naming
 * them are errors. A secret whose lines are all removed is left unchanged (bulk edit never
 * deletes a secret); removing some of its lines removes those keys.
 */
import { diffMaps, type KeyChange, type KvMap } from './diff';
import { envKeyProblem, parseEnv, serializeEnv, type EnvError } from './env';

/** The separator between secret name and key. */
export const SEP = '__';

/** A secret of the folder as loaded: its data and the version it was read at (0 = none; v1: no versions). */
export interface LoadedSecret {
  name: string;
  version: number;
  data: KvMap;
}

/** Why a secret cannot take part in the bulk edit, or undefined. */
export function bulkProblem(s: LoadedSecret): string | undefined {
  if (s.name.includes(SEP)) return `its name contains "${SEP}"`;
  if (envKeyProblem(s.name)) return 'its name is not a valid .env key (whitespace, "=", "#" or quotes)';
  for (const [k, v] of Object.entries(s.data)) {
    if (typeof v !== 'string') return `key "${k}" is not a string (edit it in the JSON view)`;
    if (envKeyProblem(k)) return `key "${k}" contains whitespace, "=", "#" or a quote`;
  }
  return undefined;
}

/** The folder as `.env` text (editable secrets only, sorted by secret then key). */
export function folderToEnv(secrets: readonly LoadedSecret[]): string {
  const entries: [string, string][] = [];
  for (const s of [...secrets].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (bulkProblem(s)) continue;
    for (const k of Object.keys(s.data).sort()) entries.push([`${s.name}${SEP}${k}`, s.data[k] as string]);
  }
  return serializeEnv(entries);
}

/** One secret's planned change. */
export interface SecretPlan {
  name: string;
  /** 'create' (new secret), 'update' (changed), 'unchanged'. */
  action: 'create' | 'update' | 'unchanged';
  /** The version the edit is based on (the CAS value to send). */
  cas: number;
  before: KvMap;
  after: KvMap;
  changes: KeyChange[];
}

/** The preview of a bulk edit. */
export interface BulkPlan {
  plans: SecretPlan[];
  /** Parse errors and lines that cannot be applied. */
  errors: EnvError[];
  /** Secrets left out, with the reason. */
  skipped: { name: string; reason: string }[];
}

/** Compares the edited text with the loaded folder: what would be written. */
export function planBulk(secrets: readonly LoadedSecret[], text: string): BulkPlan {
  const { entries, errors } = parseEnv(text);
  const skipped: { name: string; reason: string }[] = [];
  const editable = new Map<string, LoadedSecret>();
  for (const s of secrets) {
    const problem = bulkProblem(s);
    if (problem) skipped.push({ name: s.name, reason: problem });
    else editable.set(s.name, s);
  }
  const blocked = new Set(skipped.map((s) => s.name));
  const edited = new Map<string, KvMap>();
  const lineOf = new Map(parseLineNumbers(text));
  for (const [name, value] of entries) {
    const at = name.indexOf(SEP);
    const line = lineOf.get(name) ?? 0;
    if (at <= 0 || at + SEP.length >= name.length) {
      errors.push({ line, message: `"${name}" is not <secret>${SEP}<key>` });
      continue;
    }
    const secret = name.slice(0, at);
    const key = name.slice(at + SEP.length);
    if (blocked.has(secret)) {
      errors.push({ line, message: `secret "${secret}" cannot be bulk-edited (${skipped.find((s) => s.name === secret)!.reason})` });
      continue;
    }
    const m = edited.get(secret) ?? {};
    m[key] = value;
    edited.set(secret, m);
  }
  const plans: SecretPlan[] = [];
  for (const name of [...new Set([...editable.keys(), ...edited.keys()])].sort()) {
    const loaded = editable.get(name);
    const after = edited.get(name);
    if (!after) {
      // No lines left for this secret: left alone (bulk edit never deletes secrets).
      plans.push({ name, action: 'unchanged', cas: loaded!.version, before: loaded!.data, after: loaded!.data, changes: [] });
      continue;
    }
    const before = loaded?.data ?? {};
    const changes = diffMaps(before, after);
    plans.push({ name, action: !loaded ? 'create' : changes.length ? 'update' : 'unchanged', cas: loaded?.version ?? 0, before, after, changes });
  }
  return { plans, errors, skipped };
}

/** key → line number of each `KEY=` line (for messages about entries parseEnv accepted). */
function parseLineNumbers(text: string): [string, number][] {
  const out: [string, number][] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = /^\s*(?:export\s+)?([^\s=#'"]+)\s*=/.exec(raw);
    if (m) out.push([m[1]!, i + 1]);
  });
  return out;
}
