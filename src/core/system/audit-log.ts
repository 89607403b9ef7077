/**
 * Reading a `file` audit device's log back, newest first, with filters and a cursor
 * (`GET sys/audit-log/<device>`; the reader behind the web UI's viewer and `coffer audit log`).
 *
 * Bounded work per request: the files are read backwards in CHUNK_BYTES chunks, never whole,
 * and one request scans at most MAX_SCAN_BYTES; when the budget runs out before `limit`
 * entries matched, the answer carries what matched so far and a cursor to go on from.
 * The files read are the device's current file, then its rotated files (`<file>.<stamp>`),
 * newest first.
 *
 * The cursor names a file (its base name) and a byte offset in it: the next page reads the
 * bytes before that offset. A page cursor into the current file stays valid as long as the
 * file is only appended to; after a rotation it points into a file whose name changed, and
 * the next page starts again from that name's new contents (documented limitation).
 */
import { promises as fsp } from 'node:fs';
import * as nodePath from 'node:path';
import { badRequest } from '../errors.js';
import { listRotated } from '../audit/file-device.js';

/** Bytes read per backwards step. */
export const CHUNK_BYTES = 64 * 1024;
/** Bytes one request may scan at most (across files). */
export const MAX_SCAN_BYTES = 16 * 1024 * 1024;
/** A single line longer than this is skipped (counted in `skipped`), so memory stays bounded. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;
/** Largest `limit`. */
export const MAX_LIMIT = 1000;
/** Default `limit`. */
export const DEFAULT_LIMIT = 100;
/**
 * Lines are appended roughly in time order (a batch may mix entries a little): scanning stops
 * at the first entry this much older than `since`, not at the first one older than `since`.
 */
const SINCE_SLACK_MS = 60_000;

/** The filters of one query (all optional; all must match). */
export interface AuditLogFilter {
  /** Entries at or after this time (ms). */
  since?: number;
  /** Entries at or before this time (ms). */
  until?: number;
  /** request.path starts with this. */
  pathPrefix?: string;
  /** request.operation equals this. */
  operation?: string;
  /** auth.accessor equals one of these (the value as written in the log, hashed or not). */
  accessors?: string[];
  /** `error`: entries carrying an error; `ok`: entries without. */
  status?: 'error' | 'ok';
  /** `request` or `response`. */
  type?: 'request' | 'response';
}

/** One query. */
export interface AuditLogQuery extends AuditLogFilter {
  limit: number;
  cursor?: string;
}

/** One page of results. */
export interface AuditLogPage {
  /** Matching entries, newest first (the JSON objects as written). */
  entries: Record<string, unknown>[];
  /** Pass as `cursor` for the next (older) page; null when the whole log was read. */
  next_cursor: string | null;
  /** Bytes read by this request. */
  scanned_bytes: number;
  /** Lines that were not JSON (a torn last line, a foreign line) or too long. */
  skipped: number;
  /** True when the scan budget (not `limit`) ended this page. */
  budget_exhausted: boolean;
}

interface Cursor {
  /** Base name of the file. */
  f: string;
  /** Read the bytes before this offset. */
  o: number;
}

/** Encodes a cursor as base64url JSON (opaque to clients). */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

/** Decodes a cursor; a 400 when it is not one of ours. */
export function decodeCursor(text: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.f === 'string' && c.f.length > 0 && !c.f.includes('/') && !c.f.includes('\\') && Number.isSafeInteger(c.o) && c.o >= 0) return c;
  } catch {
    // fall through
  }
  throw badRequest('invalid "cursor": pass the next_cursor value of a previous answer unchanged');
}

/** Parses an RFC 3339 time for `since`/`until`; a 400 naming the field otherwise. */
export function parseTime(value: string, field: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) throw badRequest(`invalid "${field}": expected an RFC 3339 time such as 2026-01-02T15:04:05Z`);
  return ms;
}

/** True when `entry` passes `f` (time is checked by the caller). */
export function matches(entry: Record<string, unknown>, f: AuditLogFilter, timeMs: number): boolean {
  if (f.since !== undefined && !(timeMs >= f.since)) return false;
  if (f.until !== undefined && !(timeMs <= f.until)) return false;
  if (f.type && entry.type !== f.type) return false;
  const request = (entry.request ?? {}) as Record<string, unknown>;
  if (f.pathPrefix !== undefined && !(typeof request.path === 'string' && request.path.startsWith(f.pathPrefix))) return false;
  if (f.operation && request.operation !== f.operation) return false;
  if (f.accessors) {
    const accessor = ((entry.auth ?? {}) as Record<string, unknown>).accessor;
    if (typeof accessor !== 'string' || !f.accessors.includes(accessor)) return false;
  }
  if (f.status) {
    const failed = typeof entry.error === 'string' && entry.error !== '';
    if ((f.status === 'error') !== failed) return false;
  }
  return true;
}

/**
 * Reads the log at `filePath` (and its rotated files) backwards and returns one page.
 * `prefix` is the device's `prefix` option, stripped before parsing each line.
 */
export async function readAuditLog(filePath: string, prefix: string, q: AuditLogQuery): Promise<AuditLogPage> {
  const current = nodePath.basename(filePath);
  const dir = nodePath.dirname(filePath);
  // Newest first: the current file, then the rotated ones.
  const files = [current, ...(await listRotated(filePath).catch(() => [] as string[])).reverse().map((p) => nodePath.basename(p))];
  let index = 0;
  let offset: number | undefined;
  if (q.cursor) {
    const c = decodeCursor(q.cursor);
    index = files.indexOf(c.f);
    // The file was pruned since: nothing older is left to read.
    if (index < 0) return { entries: [], next_cursor: null, scanned_bytes: 0, skipped: 0, budget_exhausted: false };
    offset = c.o;
  }

  const page: AuditLogPage = { entries: [], next_cursor: null, scanned_bytes: 0, skipped: 0, budget_exhausted: false };
  for (; index < files.length; index++, offset = undefined) {
    const name = files[index]!;
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(nodePath.join(dir, name), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // pruned or not created yet
      throw badRequest(`cannot read audit file "${nodePath.join(dir, name)}": ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    try {
      const size = (await fh.stat()).size;
      const end = Math.min(offset ?? size, size);
      const stop = await scanBackward(fh, end, prefix, q, page);
      if (stop.kind === 'page') {
        page.next_cursor = encodeCursor({ f: name, o: stop.at });
        return page;
      }
      if (stop.kind === 'done') return page;
    } finally {
      await fh.close();
    }
  }
  return page;
}

type Stop = { kind: 'page'; at: number } | { kind: 'done' } | { kind: 'file' };

/**
 * Walks the lines of one file from `end` towards its start, adding matches to `page`.
 * Returns where a full page (or the budget) stopped, 'done' when `since` was passed, or
 * 'file' when the file's start was reached.
 */
async function scanBackward(fh: fsp.FileHandle, end: number, prefix: string, q: AuditLogQuery, page: AuditLogPage): Promise<Stop> {
  let pos = end;
  // The bytes after the last newline seen, i.e. the start of a line whose beginning is further back.
  let tail: Buffer = Buffer.alloc(0);
  let skippingLong = false;
  const buf = Buffer.alloc(CHUNK_BYTES);

  /** Handles the complete line that starts at byte `start`; returns a Stop to end the scan. */
  const onLine = (line: Buffer, start: number): Stop | undefined => {
    if (line.length === 0) return undefined;
    let text = line.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (prefix && text.startsWith(prefix)) text = text.slice(prefix.length);
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(text) as Record<string, unknown>;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error('not an object');
    } catch {
      page.skipped++;
      return undefined;
    }
    const timeMs = typeof entry.time === 'string' ? Date.parse(entry.time) : NaN;
    if (q.since !== undefined && timeMs < q.since - SINCE_SLACK_MS) return { kind: 'done' };
    if (matches(entry, q, timeMs)) {
      page.entries.push(entry);
      if (page.entries.length >= q.limit) return { kind: 'page', at: start };
    }
    return undefined;
  };

  while (pos > 0) {
    if (page.scanned_bytes >= MAX_SCAN_BYTES) {
      page.budget_exhausted = true;
      // Resume at the start of the partial line held in `tail` (its bytes are read again).
      return { kind: 'page', at: pos + tail.length };
    }
    const len = Math.min(CHUNK_BYTES, pos);
    const from = pos - len;
    const { bytesRead } = await fh.read(buf, 0, len, from);
    if (bytesRead !== len) throw badRequest('the audit file changed while it was read (truncated?); try again');
    page.scanned_bytes += len;
    const chunk = buf.subarray(0, len);
    // Lines inside this chunk, from the last newline backwards.
    let right = len; // end (exclusive) of the piece of this chunk still to join with `tail`
    for (let i = len - 1; i >= 0; i--) {
      if (chunk[i] !== 0x0a) continue;
      const piece = chunk.subarray(i + 1, right);
      const lineStart = from + i + 1;
      if (skippingLong || piece.length + tail.length > MAX_LINE_BYTES) {
        page.skipped++;
        skippingLong = false;
      } else {
        const stop = onLine(tail.length ? Buffer.concat([piece, tail]) : piece, lineStart);
        if (stop) return stop;
      }
      tail = Buffer.alloc(0);
      right = i;
    }
    if (!skippingLong) {
      tail = Buffer.concat([chunk.subarray(0, right), tail]);
      if (tail.length > MAX_LINE_BYTES) {
        skippingLong = true;
        tail = Buffer.alloc(0);
      }
    }
    pos = from;
  }
  // The file's first line.
  if (skippingLong || tail.length > MAX_LINE_BYTES) {
    page.skipped++;
    return { kind: 'file' };
  }
  return onLine(tail, 0) ?? { kind: 'file' };
}
