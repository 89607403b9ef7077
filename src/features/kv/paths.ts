/**
 * Validation of the secret paths a KV request names (the part after `data/`, `metadata/`, ...
 * or the whole relative path on a v1 mount). Storage keys are built from these paths, so a
 * path must never be able to address another key family or escape its prefix.
 */
import { assertSafePath } from '../../core/paths.js';
import { badRequest, CofferError } from '../../core/errors.js';

/** Longest path shown back in an error message. */
const SHOWN = 80;

function shown(path: string): string {
  return path.length > SHOWN ? `${path.slice(0, SHOWN)}…` : path;
}

/**
 * Checks a path that names one secret and returns it.
 * - empty → 400 `missing path` (or a plain 404 with `emptyIsNotFound`, for reads);
 * - NUL bytes, control characters, lone surrogates, `.` / `..` segments and empty segments
 *   (`a//b`, a leading or trailing `/`) → 400 saying which;
 * - a path ending in `.` → 404 (Vault documents such paths as unsupported).
 */
export function secretPath(raw: string | undefined, opts: { emptyIsNotFound?: boolean } = {}): string {
  const path = raw ?? '';
  if (path === '') {
    if (opts.emptyIsNotFound) throw new CofferError('not_found', []);
    throw badRequest('missing path');
  }
  checkSegments(path);
  return path;
}

/**
 * Checks the folder of a LIST request (`''` for the root, else `a/b` or `a/b/`) and returns
 * the storage-list prefix relative to the family root: `''` or `a/b/`.
 */
export function listPrefix(raw: string | undefined): string {
  const dir = (raw ?? '').replace(/\/$/, '');
  if (dir === '') return '';
  checkSegments(dir);
  return `${dir}/`;
}

/** True when `raw` would pass `secretPath` (for existence checks, which must not throw on bad input). */
export function isValidSecretPath(raw: string | undefined): boolean {
  try {
    secretPath(raw);
    return true;
  } catch {
    return false;
  }
}

/** A high surrogate not followed by a low one, or a low one without a high one (no UTF-8 form). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` can be stored as a key (storage refuses lone surrogates). */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function checkSegments(path: string): void {
  assertSafePath(path);
  if (!isWellFormed(path)) throw badRequest('invalid path: it must be well-formed Unicode (it contains a lone surrogate)');
  if (path.split('/').some((segment) => segment === '')) {
    throw badRequest(`invalid path "${shown(path)}": empty path segments ("//", or a leading or trailing "/") are not allowed`);
  }
  if (path.endsWith('.')) {
    throw new CofferError('not_found', `paths ending in "." are not supported: "${shown(path)}"`);
  }
}
