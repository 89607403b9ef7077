/**
 * What every transit route needs: loading a key (with its due automatic rotation), and
 * Vault's `batch_input` semantics (per-item results and errors, the 400 when any item
 * failed, `partial_failure_response_code`).
 */
import type { BackendRequest } from '../../core/backend.js';
import { badRequest, isCofferError } from '../../core/errors.js';
import { optInt } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { KeyStore, rotateKey, rotationDue, type NamedKey } from '../keys-core/index.js';

/** What transit handlers get besides the request. */
export interface TransitDeps {
  /** Unix milliseconds (core's clock). */
  now(): number;
}

/** The key store of this request's mount view (Vault's own layout: `policy/<name>`). */
export function storeOf(req: BackendRequest): KeyStore {
  return new KeyStore(req.storage, 'policy/');
}

/**
 * Loads a key; when its auto-rotation period has passed, rotates it first, inside this
 * request's storage transaction. Rotating on use rather than from a timer keeps every read
 * of the key current and needs no write outside a transaction.
 */
export async function loadKey(deps: TransitDeps, req: BackendRequest, name: string): Promise<NamedKey | undefined> {
  const store = storeOf(req);
  const key = await store.get(name);
  if (key && rotationDue(key, deps.now())) {
    rotateKey(key, deps.now());
    await store.put(key);
  }
  return key;
}

/** Loads a key or answers Vault's 400 for an operation on a missing key. */
export async function requireKey(deps: TransitDeps, req: BackendRequest, name: string, message = 'encryption key not found'): Promise<NamedKey> {
  const key = await loadKey(deps, req, name);
  if (!key) throw badRequest(message);
  return key;
}

/** The `batch_input` items, or undefined for a single-item request. A JSON string (as the CLI sends it) is accepted. */
export function batchItems(data: Record<string, unknown>): Record<string, unknown>[] | undefined {
  let raw = data.batch_input;
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      throw badRequest('failed to parse batch input: batch_input must be a JSON list of objects');
    }
  }
  if (!Array.isArray(raw) || raw.some((i) => typeof i !== 'object' || i === null || Array.isArray(i))) {
    throw badRequest('failed to parse batch input: batch_input must be a list of objects');
  }
  if (raw.length === 0) throw badRequest('missing batch input to process');
  return raw as Record<string, unknown>[];
}

/**
 * Runs `fn` once for a single request (its error is the request's error), or per item of
 * `batch_input`: each result carries the item's `reference`; a failing item gets `error`
 * and the answer becomes a 400 (or `partial_failure_response_code` when some succeeded).
 */
export async function perItem(
  data: Record<string, unknown>,
  fn: (item: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>,
): Promise<LogicalResponse> {
  const items = batchItems(data);
  if (!items) return { data: await fn(data) };
  const results: Record<string, unknown>[] = [];
  let failed = false;
  let succeeded = false;
  for (const item of items) {
    const reference = typeof item.reference === 'string' ? item.reference : '';
    try {
      results.push({ ...(await fn(item)), reference });
      succeeded = true;
    } catch (err) {
      if (!isCofferError(err) || err.status >= 500) throw err;
      results.push({ error: err.messages.join('; '), reference });
      failed = true;
    }
  }
  const response: LogicalResponse = { data: { batch_results: results } };
  if (failed) {
    response.status = 400;
    const override = optInt(data, 'partial_failure_response_code');
    if (override !== undefined && succeeded) {
      if (override < 1 || override > 599) response.warnings = ['invalid HTTP response code override from partial_failure_response_code, reverting to 400'];
      else response.status = override;
    }
  }
  return response;
}
