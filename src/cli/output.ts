/**
 * Printing for people (tables like the vault CLI) and for scripts (`-format=json` prints the
 * raw response JSON, `-field=NAME` prints one value raw).
 */

import type { Io } from './context.js';
import { CliError } from './context.js';

/** Output formats the CLI accepts with `-format`. */
export const FORMATS = ['table', 'json'] as const;
/** One of FORMATS. */
export type Format = (typeof FORMATS)[number];

/** Format a value the way the Go CLI prints it in tables (`[a b]`, `map[k:v]`, `<nil>`). */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, v]) => `${k}:${formatValue(v)}`).join(' ')}]`;
  }
  return String(value);
}

/**
 * Columns separated by four spaces, every column but the last padded to its widest cell,
 * with an optional header row underlined by dashes. Empty cells show `n/a`, as in vault.
 */
export function formatTable(rows: readonly (readonly string[])[], header?: readonly string[]): string {
  const all: string[][] = [];
  if (header) {
    all.push([...header]);
    all.push(header.map((h) => '-'.repeat(h.length)));
  }
  for (const row of rows) all.push(row.map((cell) => (cell === '' ? 'n/a' : cell)));
  const widths: number[] = [];
  for (const row of all) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('    ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** A two-column Key/Value table. */
export function formatKeyValueTable(rows: readonly (readonly [string, unknown])[]): string {
  return formatTable(
    rows.map(([k, v]) => [k, formatValue(v)]),
    ['Key', 'Value'],
  );
}

/** Sorted [key, value] rows of an object. */
export function sortedEntries(obj: Record<string, unknown> | null | undefined): [string, unknown][] {
  return Object.entries(obj ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A section title padded with `=` to `width`, like vault's `====== Metadata ======`. */
export function sectionHeader(title: string, width: number): string {
  const total = Math.max(width, title.length + 2);
  const left = Math.floor((total - title.length - 2) / 2);
  const right = total - title.length - 2 - left;
  return `${'='.repeat(Math.max(left, 1))} ${title} ${'='.repeat(Math.max(right, 1))}`;
}

/** The width of the widest line of a block of text. */
export function blockWidth(text: string): number {
  return Math.max(0, ...text.split('\n').map((l) => l.length));
}

/**
 * A duration in seconds as vault shows it (`768h`, `1h30m`, `45s`); `∞` for 0 when
 * `zeroIsInfinite` (tokens that never expire).
 */
export function humanDuration(seconds: number, zeroIsInfinite = false): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds === 0) return zeroIsInfinite ? '∞' : '0s';
  const neg = seconds < 0;
  let s = Math.abs(Math.round(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  let out = '';
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  out += `${s}s`;
  // Go's Duration.String then vault's trim of trailing zero units.
  if (out.endsWith('m0s')) out = out.slice(0, -2);
  if (out.endsWith('h0m')) out = out.slice(0, -2);
  return (neg ? '-' : '') + out;
}

/** Pretty JSON, as `-format=json` prints it. */
export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value ?? null, null, 2)}\n`);
}

/** Print one value raw (for `-field`): strings as they are, other values as JSON. */
export function printRawField(io: Io, value: unknown): void {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // Like vault: a trailing newline only on a terminal, so `$(...)` and redirects get the exact value.
  io.out(io.stdoutIsTTY ? `${text}\n` : text);
}

/** Print warnings returned by the server (to stderr, so they do not mix with data). */
export function printWarnings(io: Io, body: unknown): void {
  const warnings = (body as { warnings?: unknown } | null)?.warnings;
  if (!Array.isArray(warnings) || warnings.length === 0) return;
  io.err(`WARNING! The following warnings were returned from the server:\n\n`);
  for (const w of warnings) io.err(`  * ${String(w)}\n\n`);
}

/**
 * The rows vault prints for a response envelope: lease information, the `auth` block (as
 * token, token_accessor, ...), then the data keys sorted.
 */
export function secretRows(body: Record<string, unknown> | null | undefined): [string, unknown][] {
  if (!body) return [];
  const rows: [string, unknown][] = [];
  const leaseDuration = Number(body.lease_duration ?? 0);
  if (leaseDuration > 0) {
    if (body.lease_id) {
      rows.push(['lease_id', body.lease_id], ['lease_duration', humanDuration(leaseDuration)], ['lease_renewable', body.renewable ?? false]);
    } else {
      rows.push(['refresh_interval', humanDuration(leaseDuration)]);
    }
  }
  const auth = body.auth as Record<string, unknown> | null | undefined;
  if (auth && typeof auth === 'object') rows.push(...authRows(auth));
  const wrap = wrapInfoOf(body);
  if (wrap) rows.push(...wrapRows(wrap));
  const data = body.data;
  if (data && typeof data === 'object' && !Array.isArray(data)) rows.push(...sortedEntries(data as Record<string, unknown>));
  // Raw JSON (sys/health, sys/metrics): its top-level fields are what there is to show.
  if (isRawBody(body)) rows.push(...sortedEntries(body));
  return rows;
}

/**
 * True for an answer that is not a response envelope (no `data`, `auth` or `wrap_info`): raw JSON
 * such as sys/health or sys/metrics, whose fields are at the top level.
 */
export function isRawBody(body: unknown): body is Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  return !('data' in b) && !('auth' in b) && !('wrap_info' in b) && !('request_id' in b);
}

/** One series of sys/metrics' JSON (Vault's go-metrics shape). */
interface MetricSeries {
  Name?: unknown;
  Labels?: Record<string, unknown>;
  Value?: unknown;
  Count?: unknown;
  Sum?: unknown;
  Mean?: unknown;
}

/** True for sys/metrics' JSON answer (`Gauges`, `Counters`, `Samples` lists). */
export function isMetricsBody(body: unknown): body is { Timestamp?: unknown; Gauges: MetricSeries[]; Counters: MetricSeries[]; Samples: MetricSeries[] } {
  const b = body as Record<string, unknown> | null;
  return !!b && typeof b === 'object' && Array.isArray(b.Gauges) && Array.isArray(b.Counters) && Array.isArray(b.Samples);
}

/**
 * sys/metrics as a table: one row per series, `Type Name Labels Value`; a counter's value is its
 * count, a sample (histogram) shows `count=N mean=Xs`.
 */
export function formatMetricsTable(body: { Timestamp?: unknown; Gauges: MetricSeries[]; Counters: MetricSeries[]; Samples: MetricSeries[] }): string {
  const labels = (m: MetricSeries) =>
    Object.entries(m.Labels ?? {})
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',');
  const num = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)).toString() : String(v ?? ''));
  const rows: string[][] = [];
  for (const m of body.Gauges) rows.push(['gauge', String(m.Name ?? ''), labels(m), num(m.Value)]);
  for (const m of body.Counters) rows.push(['counter', String(m.Name ?? ''), labels(m), num(m.Count)]);
  for (const m of body.Samples) rows.push(['sample', String(m.Name ?? ''), labels(m), `count=${num(m.Count)} mean=${num(m.Mean)}s`]);
  rows.sort((a, b) => (a[1]! + a[2]! < b[1]! + b[2]! ? -1 : a[1]! + a[2]! > b[1]! + b[2]! ? 1 : 0));
  const when = typeof body.Timestamp === 'string' ? `Timestamp: ${body.Timestamp}\n\n` : '';
  return when + formatTable(rows, ['Type', 'Name', 'Labels', 'Value']);
}

/** The rows of an `auth` block, in vault's order. */
export function authRows(auth: Record<string, unknown>): [string, unknown][] {
  const rows: [string, unknown][] = [];
  rows.push(['token', auth.client_token ?? '']);
  rows.push(['token_accessor', auth.accessor ?? '']);
  rows.push(['token_duration', humanDuration(Number(auth.lease_duration ?? 0), true)]);
  rows.push(['token_renewable', auth.renewable ?? false]);
  rows.push(['token_policies', auth.token_policies ?? auth.policies ?? []]);
  rows.push(['identity_policies', auth.identity_policies ?? []]);
  rows.push(['policies', auth.policies ?? []]);
  const meta = auth.metadata;
  if (meta && typeof meta === 'object') {
    for (const [k, v] of sortedEntries(meta as Record<string, unknown>)) rows.push([`token_meta_${k}`, v]);
  }
  return rows;
}

/** The `wrap_info` of a response the server wrapped (X-Vault-Wrap-TTL), else undefined. */
export function wrapInfoOf(body: unknown): Record<string, unknown> | undefined {
  const info = (body as { wrap_info?: unknown } | null | undefined)?.wrap_info;
  if (!info || typeof info !== 'object' || Array.isArray(info)) return undefined;
  return typeof (info as { token?: unknown }).token === 'string' ? (info as Record<string, unknown>) : undefined;
}

/**
 * The rows of a `wrap_info` block, in vault's order. The wrapping token is shown: the user
 * asked for a wrapped response precisely to hand that token on.
 */
export function wrapRows(info: Record<string, unknown>): [string, unknown][] {
  const rows: [string, unknown][] = [
    ['wrapping_token', info.token ?? ''],
    ['wrapping_accessor', info.accessor ?? ''],
    ['wrapping_token_ttl', humanDuration(Number(info.ttl ?? 0))],
    ['wrapping_token_creation_time', info.creation_time ?? ''],
    ['wrapping_token_creation_path', info.creation_path ?? ''],
  ];
  if (info.wrapped_accessor) rows.push(['wrapped_accessor', info.wrapped_accessor]);
  return rows;
}

/**
 * Print a wrapped response (wrap info table, raw JSON, or one field such as `wrapping_token`)
 * and return true; return false without printing when the response was not wrapped.
 */
export function printIfWrapped(io: Io, body: Record<string, unknown> | null | undefined, opts: PrintOptions): boolean {
  if (!body || !wrapInfoOf(body)) return false;
  printSecret(io, body, opts);
  return true;
}

/** Find `field` among rows; a CliError naming the field (never its neighbours' values) when absent. */
export function pickField(rows: readonly (readonly [string, unknown])[], field: string): unknown {
  const hit = rows.find(([k]) => k === field);
  if (!hit) throw new CliError(`Field "${field}" not present in the response`);
  return hit[1];
}

/** Options shared by commands that print a response. */
export interface PrintOptions {
  format: Format;
  field?: string;
}

/**
 * Print a response envelope: raw JSON, one field raw, or a Key/Value table.
 * `rows` defaults to secretRows(body).
 */
export function printSecret(io: Io, body: Record<string, unknown> | null, opts: PrintOptions, rows?: [string, unknown][]): void {
  const r = rows ?? secretRows(body);
  if (opts.field !== undefined) {
    printRawField(io, pickField(r, opts.field));
    return;
  }
  if (opts.format === 'json') {
    printJson(io, body);
    return;
  }
  printWarnings(io, body);
  if (rows === undefined && isMetricsBody(body)) {
    io.out(formatMetricsTable(body));
    return;
  }
  if (r.length > 0) io.out(formatKeyValueTable(r));
}

/** Print a plain (unenveloped) answer: one field of `body` raw, `body` as JSON, or `rows` as a Key/Value table. */
export function printPlainBody(io: Io, body: Record<string, unknown>, opts: PrintOptions, rows: readonly (readonly [string, unknown])[]): void {
  if (opts.field !== undefined) return printRawField(io, pickField(Object.entries(body), opts.field));
  if (opts.format === 'json') return printJson(io, body);
  io.out(formatKeyValueTable(rows));
}

/** Print a list of keys: one per line in table format, a JSON array with -format=json. */
export function printKeys(io: Io, keys: readonly string[], format: Format): void {
  if (format === 'json') {
    printJson(io, keys);
    return;
  }
  for (const k of keys) io.out(`${k}\n`);
}
