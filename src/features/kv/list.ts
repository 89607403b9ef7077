/**
 * LIST for both KV versions: one paginated `storage.list` of a folder, 404 when it is empty
 * (Vault's HTTP layer answers an empty listing with 404, and the Go client turns that into nil).
 */
import type { Storage } from '../../storage/types.js';
import { badRequest, notFound } from '../../core/errors.js';
import { optInt, optString } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { isWellFormed } from './paths.js';

/** Lists `prefix` with the request's `after` / `limit` (OpenBao's pagination parameters). */
export async function listKeys(storage: Storage, prefix: string, data: Record<string, unknown>): Promise<LogicalResponse> {
  const after = optString(data, 'after') ?? '';
  if (after.includes('\0') || !isWellFormed(after)) throw badRequest('invalid value for "after": must be a key name from a previous page');
  const limit = optInt(data, 'limit', { min: 0 }) ?? 0;
  const keys = await storage.list(prefix, { after: after || undefined, limit: limit || undefined });
  if (keys.length === 0) throw notFound();
  return { data: { keys } };
}
