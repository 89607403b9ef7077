/**
 * SCAN (OpenBao's recursive LIST) for both KV versions: every secret below a folder, as paths
 * relative to it, in byte order, paginated with `after` / `limit`. Each page is filled from
 * ordered storage ranges (`storage.scan`), one range read per page when nothing is hidden.
 *
 * Names the caller may not list (core's `scanVisible`, ACL per folder) are skipped, and the
 * page is refilled from the next range, so a page is never short because of them. On KV v2
 * a Coffer extension filters by custom metadata: `filter=custom_metadata.<key>=<value>` (or
 * `filter=custom_metadata.<key>` for "has the key"). Reading metadata costs one read per
 * candidate, so a filtered page examines at most FILTER_BUDGET secrets; when it stops there it
 * returns `next_after`, the cursor to continue from (a name the caller may list anyway).
 */
import type { BackendRequest } from '../../core/backend.js';
import { badRequest, notFound } from '../../core/errors.js';
import { optInt, optString } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { isWellFormed, listPrefix } from './paths.js';

/** Names read from storage per range read when the caller gave no limit. */
const RANGE = 1000;
/** Most names returned by one unlimited SCAN page (a client pages on with `after`). */
const MAX_PAGE = 10_000;
/** Longest `after` cursor accepted (bytes, UTF-8): far beyond any real key path, short enough to bound the range query. */
export const MAX_CURSOR_BYTES = 4096;
/** Most secrets whose metadata one filtered page reads. */
export const FILTER_BUDGET = 2_000;

/** A custom-metadata filter: the key, and the value it must hold (undefined = any value). */
export interface MetadataFilter {
  key: string;
  value?: string;
}

/** Parses `filter` (`custom_metadata.<key>[=<value>]`); undefined when absent. */
export function parseMetadataFilter(data: Record<string, unknown>): MetadataFilter | undefined {
  const raw = optString(data, 'filter');
  if (raw === undefined || raw === '') return undefined;
  const m = /^custom_metadata\.([^=]+)(?:=(.*))?$/s.exec(raw);
  if (!m) throw badRequest('invalid value for "filter": use "custom_metadata.<key>=<value>" (or "custom_metadata.<key>" to match any value)');
  return m[2] === undefined ? { key: m[1]! } : { key: m[1]!, value: m[2] };
}

/**
 * Answers a SCAN of the folder `req.params.path` in the key family `family` (`''` for KV v1,
 * `meta/` for KV v2). `matches`, when given, is the custom-metadata test of one relative path.
 */
export async function scanKeys(
  req: BackendRequest,
  family: string,
  matches?: (path: string) => Promise<boolean>,
): Promise<LogicalResponse> {
  const folder = listPrefix(req.params.path);
  const after = optString(req.data, 'after') ?? '';
  if (after.includes('\0') || !isWellFormed(after)) throw badRequest('invalid value for "after": must be a key from a previous page');
  // The cursor is relative to the scanned folder (it is appended to it), so no value can move the
  // range outside the folder; a cursor past every key gives an empty page (404).
  if (Buffer.byteLength(after) > MAX_CURSOR_BYTES) throw badRequest(`invalid value for "after": at most ${MAX_CURSOR_BYTES} bytes; pass a key from a previous page`);
  const limit = optInt(req.data, 'limit', { min: 0 }) ?? 0;
  // Refused rather than clamped: a client that sees a page shorter than its limit may stop there.
  if (limit > MAX_PAGE) throw badRequest(`invalid value for "limit": at most ${MAX_PAGE} keys per SCAN page; page on with "after"`);
  const want = limit > 0 ? limit : MAX_PAGE;
  const visible = req.scanVisible ?? (() => true);

  const keys: string[] = [];
  let cursor = after;
  let budget = FILTER_BUDGET;
  let examined: string | undefined; // last visible name whose metadata was read: a cursor safe to show
  for (;;) {
    const ask = Math.min(want - keys.length, RANGE);
    const page = await req.storage.scan(family + folder, { after: cursor || undefined, limit: ask });
    for (const name of page) {
      cursor = name;
      if (!visible(name)) continue;
      if (matches) {
        if (budget-- === 0) return { data: { keys, next_after: examined } };
        examined = name;
        if (!(await matches(folder + name))) continue;
      }
      keys.push(name);
      if (keys.length >= want) return { data: { keys } };
    }
    if (page.length < ask) break;
  }
  if (keys.length === 0) throw notFound();
  return { data: { keys } };
}

