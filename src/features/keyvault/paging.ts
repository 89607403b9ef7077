/**
 * Paging of the secret, version and deleted-secret listings, Key Vault style: `maxresults`
 * (default and maximum 25) and an opaque `skiptoken` (base64url of the last key of the
 * previous page). One `storage.list` per page, asking for one extra key to know whether a
 * next page exists.
 */
import type { Storage } from '../../storage/types.js';
import { badParameter } from './azure-errors.js';

/** Key Vault's page size when `maxresults` is absent. */
export const DEFAULT_PAGE_SIZE = 25;
/** Largest page served; a larger `maxresults` is served as this. */
export const MAX_PAGE_SIZE = 25;

/** Where a page starts and how long it is. */
export interface PageRequest {
  /** The last key of the previous page. */
  after?: string;
  limit: number;
}

/** One page of storage keys and the token for the next page (absent on the last page). */
export interface Page {
  keys: string[];
  nextSkipToken?: string;
}

/** The skiptoken for a page that ended at `lastKey`. */
export function encodeSkipToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/**
 * Reads `maxresults` and `skiptoken` (also `$skiptoken`, as it appears in Key Vault URLs).
 * `isKey` says whether a decoded token can be a key of this listing; anything else is a 400.
 * A `maxresults` above 25 is served as 25, as Key Vault does.
 */
export function parsePageRequest(data: Record<string, unknown>, isKey: (key: string) => boolean): PageRequest {
  let limit = DEFAULT_PAGE_SIZE;
  const max = data.maxresults;
  if (max !== undefined && max !== null && max !== '') {
    const n = typeof max === 'number' ? max : typeof max === 'string' && /^\d+$/.test(max.trim()) ? Number(max.trim()) : NaN;
    if (!Number.isInteger(n) || n < 1) throw badParameter(`Invalid maxresults: must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    limit = Math.min(n, MAX_PAGE_SIZE);
  }
  const raw = data.skiptoken ?? data.$skiptoken;
  if (raw === undefined || raw === null || raw === '') return { limit };
  const decoded = typeof raw === 'string' && /^[A-Za-z0-9_-]+$/.test(raw) ? Buffer.from(raw, 'base64url').toString('utf8') : '';
  if (!isKey(decoded) || encodeSkipToken(decoded) !== raw) {
    throw badParameter('Invalid skiptoken: use the value from the previous page\'s nextLink unchanged');
  }
  return { after: decoded, limit };
}

/** Lists one page of the keys under `prefix`. */
export async function listPage(storage: Storage, prefix: string, page: PageRequest): Promise<Page> {
  const keys = await storage.list(prefix, { after: page.after, limit: page.limit + 1 });
  if (keys.length <= page.limit) return { keys };
  const shown = keys.slice(0, page.limit);
  return { keys: shown, nextSkipToken: encodeSkipToken(shown[shown.length - 1]!) };
}
