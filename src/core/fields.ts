/**
 * Lenient field parsing, the way Vault's framework reads request data: the CLI sends
 * every value as a string (`token_ttl="1h"`, `token_policies="a,b"`, `max_versions="5"`),
 * other clients send native JSON types. Each reader throws a 400 that names the field.
 */
import type { Route } from './backend.js';
import { badRequest } from './errors.js';
import type { LogicalResponse, Operation } from './logical.js';

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Parses a duration: integer seconds (number or numeric string) or a Go duration string
 * such as `1h30m`, `90s`, `1.5h` (plus `d` for days). Returns whole seconds.
 */
export function parseDuration(value: unknown, field = 'duration'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw badRequest(`invalid value for "${field}": must be a non-negative duration`);
    return Math.floor(value);
  }
  if (typeof value !== 'string') throw badRequest(`invalid value for "${field}": expected a duration such as "1h" or 3600`);
  const text = value.trim();
  if (text === '') return 0;
  if (/^\d+$/.test(text)) return Number(text);
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    total += Number(match[1]) * UNIT_SECONDS[match[2]!]!;
    consumed = re.lastIndex;
  }
  if (consumed !== text.length || consumed === 0) {
    throw badRequest(`invalid value for "${field}": "${text.slice(0, 40)}" is not a duration (use seconds or forms like "30m", "1h30m", "2d")`);
  }
  return Math.floor(total);
}

/** Formats seconds the Go way: `0s`, `45s`, `3h25m19s`. */
export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '0s';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  let out = '';
  if (h) out += `${h}h`;
  if (h || m) out += `${m}m`;
  out += `${s}s`;
  return out;
}

/** Reads an optional duration field; `undefined` when absent. */
export function optDuration(data: Record<string, unknown>, field: string): number | undefined {
  const v = data[field];
  if (v === undefined || v === null) return undefined;
  return parseDuration(v, field);
}

/** Reads an optional integer field (number or numeric string). */
export function optInt(data: Record<string, unknown>, field: string, opts: { min?: number; max?: number } = {}): number | undefined {
  const v = data[field];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isInteger(n)) throw badRequest(`invalid value for "${field}": expected an integer`);
  if (opts.min !== undefined && n < opts.min) throw badRequest(`invalid value for "${field}": must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw badRequest(`invalid value for "${field}": must be at most ${opts.max}`);
  return n;
}

/** Reads an optional boolean (true/false, or Go ParseBool strings: 1, t, T, TRUE, true, True, 0, f, ...). */
export function optBool(data: Record<string, unknown>, field: string): boolean | undefined {
  const v = data[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number' && (v === 0 || v === 1)) return v === 1;
  if (typeof v === 'string') {
    const parsed = parseBool(v);
    if (parsed !== undefined) return parsed;
  }
  throw badRequest(`invalid value for "${field}": expected true or false`);
}

/** Go's strconv.ParseBool; undefined when not a boolean. */
export function parseBool(text: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false;
  return undefined;
}

/** Reads an optional string field. Numbers and booleans are accepted and stringified. */
export function optString(data: Record<string, unknown>, field: string): string | undefined {
  const v = data[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw badRequest(`invalid value for "${field}": expected a string`);
}

/** Reads an optional list of strings: a JSON array or a comma-separated string (trimmed, empties dropped). */
export function optStringList(data: Record<string, unknown>, field: string): string[] | undefined {
  const v = data[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (Array.isArray(v)) {
    return v.map((item) => {
      if (typeof item !== 'string' && typeof item !== 'number') throw badRequest(`invalid value for "${field}": expected a list of strings`);
      return String(item).trim();
    }).filter((s) => s !== '');
  }
  throw badRequest(`invalid value for "${field}": expected a list or a comma-separated string`);
}

/** Reads an optional map of string to string (a JSON object, or a JSON string holding one). */
export function optStringMap(data: Record<string, unknown>, field: string): Record<string, string> | undefined {
  let v = data[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') {
    try { v = JSON.parse(v); } catch { throw badRequest(`invalid value for "${field}": expected an object of string values`); }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest(`invalid value for "${field}": expected an object of string values`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== 'string') throw badRequest(`invalid value for "${field}.${k}": expected a string`);
    out[k] = val;
  }
  return out;
}

/** Requires a non-empty string field. */
export function reqString(data: Record<string, unknown>, field: string): string {
  const v = optString(data, field);
  if (v === undefined || v === '') throw badRequest(`missing ${field}`);
  return v;
}

/** The named groups of a route pattern (path parameters such as `role_name`), which Vault counts as fields. */
export function patternFields(pattern: RegExp): string[] {
  return [...pattern.source.matchAll(/\(\?<([A-Za-z_$][\w$]*)>/g)].map((m) => m[1]!);
}

/**
 * Vault's warning for the keys of a write that `route` does not declare (sorted, as
 * `[a b]`); undefined when the route declares no field list, takes arbitrary keys, or all
 * keys are known.
 */
export function unrecognizedFieldsWarning(route: Route, operation: Operation, data: Record<string, unknown>): string | undefined {
  if (operation !== 'create' && operation !== 'update' && operation !== 'patch') return undefined;
  if (route.fields === undefined || route.fields === '*') return undefined;
  const known = new Set([...route.fields, ...patternFields(route.pattern)]);
  const ignored = Object.keys(data).filter((k) => !known.has(k)).sort();
  if (ignored.length === 0) return undefined;
  // Only the names are echoed, never the values (they may be secrets).
  return `Endpoint ignored these unrecognized parameters: [${ignored.map((k) => k.slice(0, 64)).join(' ')}]`;
}

/**
 * Adds the unrecognized-parameters warning to a handler's answer. A bare 204 becomes a 200
 * carrying only the warning, as in Vault; raw answers (sys/health and the like) are left alone.
 */
export function withUnrecognizedFieldsWarning(route: Route, operation: Operation, data: Record<string, unknown>, response: LogicalResponse | null): LogicalResponse | null {
  const warning = unrecognizedFieldsWarning(route, operation, data);
  if (warning === undefined || response?.raw) return response;
  return { ...(response ?? {}), warnings: [...(response?.warnings ?? []), warning] };
}
