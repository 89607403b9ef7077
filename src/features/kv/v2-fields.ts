/**
 * Request-field readers specific to KV v2: the `data` object, `options.cas`, version lists,
 * `custom_metadata` (with Vault's limits) and the signed `delete_version_after` of the config.
 * Each throws a 400 that names the field and says what is expected.
 */
import { badRequest, CofferError } from '../../core/errors.js';
import { parseDuration } from '../../core/fields.js';
import { isPlainObject, setOwn } from './codec.js';

/** Vault's custom_metadata limits. */
export const CUSTOM_METADATA_LIMITS = { maxKeys: 64, maxKeyBytes: 128, maxValueBytes: 512 } as const;

const CM_PREFIX = 'custom_metadata validation failed';

/** An object field that may also arrive as a JSON string (form bodies, CLI). `undefined` when absent or null. */
function objectField(data: Record<string, unknown>, field: string, example: string): Record<string, unknown> | undefined {
  let value = data[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw badRequest(`invalid value for "${field}": expected a JSON object such as ${example}`);
    }
  }
  if (!isPlainObject(value)) throw badRequest(`invalid value for "${field}": expected a JSON object such as ${example}`);
  return value;
}

/** The `data` object of a write or patch; 400 `no data provided` when missing. */
export function requireDataField(data: Record<string, unknown>): Record<string, unknown> {
  const value = objectField(data, 'data', '{"data": {"password": "..."}}');
  if (value === undefined) throw badRequest('no data provided');
  return value;
}

/** `options.cas` as an integer, or `undefined` when not given. */
export function readCas(data: Record<string, unknown>): number | undefined {
  const options = objectField(data, 'options', '{"cas": 1}');
  if (!options || !Object.hasOwn(options, 'cas')) return undefined;
  const raw = options.cas;
  if (raw === null || raw === undefined) return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n)) throw badRequest('error parsing check-and-set parameter: options.cas must be an integer version number');
  return n;
}

/**
 * Enforces check-and-set: a given `cas` must equal the current version (0 for a key that does
 * not exist yet); a missing one is refused when the mount or the key requires CAS.
 */
export function checkCas(cas: number | undefined, currentVersion: number, required: boolean): void {
  if (cas !== undefined) {
    if (cas !== currentVersion) throw badRequest('check-and-set parameter did not match the current version');
  } else if (required) {
    throw badRequest('check-and-set parameter required for this call');
  }
}

/**
 * The `versions` list of delete/undelete/destroy: a JSON array, a comma-separated string or a
 * single number. Throws `missingMessage` (Vault's wording differs per route) when empty.
 */
export function readVersions(data: Record<string, unknown>, missingMessage: string): number[] {
  const raw = data.versions;
  let items: unknown[];
  if (raw === undefined || raw === null || raw === '') items = [];
  else if (Array.isArray(raw)) items = raw;
  else if (typeof raw === 'string') items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  else items = [raw];
  const versions = items.map((item) => {
    const n = typeof item === 'number' ? item : typeof item === 'string' && /^\s*-?\d+\s*$/.test(item) ? Number(item) : NaN;
    if (!Number.isInteger(n)) throw badRequest('invalid value for "versions": expected a list of version numbers such as [1, 2]');
    return n;
  });
  if (versions.length === 0) throw badRequest(missingMessage);
  return versions;
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function printable(text: string): boolean {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u.test(text);
}

/**
 * Reads `custom_metadata` as a string map (numbers and booleans are stringified, as Vault's
 * weak decoding does). With `dropNulls` (PATCH), `null` values are kept as `null` so the merge
 * can remove those keys; otherwise a `null` value is an error. `undefined` when absent.
 */
export function readCustomMetadata(data: Record<string, unknown>, opts: { dropNulls?: boolean } = {}): Record<string, string | null> | null | undefined {
  const raw = data.custom_metadata;
  if (raw === undefined) return undefined;
  if (raw === null) return opts.dropNulls ? null : undefined;
  const obj = objectField(data, 'custom_metadata', '{"owner": "team-a"}');
  if (obj === undefined) return undefined;
  const out: Record<string, string | null> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === null && opts.dropNulls) setOwn(out, k, null);
    else if (typeof v === 'string') setOwn(out, k, v);
    else if (typeof v === 'number' || typeof v === 'boolean') setOwn(out, k, String(v));
    else throw badRequest(`${CM_PREFIX}: value for key ${JSON.stringify(k.slice(0, 128))} must be a string`);
  }
  return out;
}

/** Checks Vault's limits on a final custom_metadata map; one message per problem, as Vault lists them. */
export function validateCustomMetadata(map: Record<string, string>): void {
  const keys = Object.keys(map);
  const { maxKeys, maxKeyBytes, maxValueBytes } = CUSTOM_METADATA_LIMITS;
  if (keys.length > maxKeys) {
    throw badRequest(`${CM_PREFIX}: payload must contain at most ${maxKeys} keys, provided ${keys.length}`);
  }
  const errors: string[] = [];
  for (const key of keys) {
    const value = map[key]!;
    const shownKey = JSON.stringify(key.length > 140 ? `${key.slice(0, 140)}…` : key);
    const keyLen = Buffer.byteLength(key);
    const valueLen = Buffer.byteLength(value);
    if (keyLen === 0 || keyLen > maxKeyBytes) errors.push(`${CM_PREFIX}: length of key ${shownKey} is ${keyLen} but must be 0 < len(key) <= ${maxKeyBytes}`);
    if (valueLen === 0 || valueLen > maxValueBytes) errors.push(`${CM_PREFIX}: length of value for key ${shownKey} is ${valueLen} but must be 0 < len(value) <= ${maxValueBytes}`);
    if (!printable(key)) errors.push(`${CM_PREFIX}: key ${shownKey} contains unprintable characters`);
    if (!printable(value)) errors.push(`${CM_PREFIX}: value for key ${shownKey} contains unprintable characters`);
  }
  if (errors.length > 0) throw new CofferError('invalid_request', errors);
}

/**
 * The config's `delete_version_after`: a duration in seconds, where a negative value means
 * "disabled on every key" (stored as -1) and 0 clears the setting. `undefined` when absent.
 */
export function readSignedDuration(data: Record<string, unknown>, field: string): number | undefined {
  const raw = data[field];
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw === 'number') return raw < 0 ? -1 : parseDuration(raw, field);
  if (typeof raw === 'string' && raw.trim().startsWith('-')) {
    parseDuration(raw.trim().slice(1), field); // still has to be a well-formed duration
    return -1;
  }
  return parseDuration(raw, field);
}
