/**
 * Path validation shared by core and the features. A path is `/`-separated, without a
 * leading slash; `..` segments, empty segments, NUL bytes and control characters are refused
 * so that no request can address storage outside its mount.
 */
import { badRequest } from './errors.js';

/** Throws a 400 naming the problem when `path` is not a safe logical path. */
export function assertSafePath(path: string, what = 'path'): void {
  if (path.includes('\0')) throw badRequest(`invalid ${what}: NUL bytes are not allowed`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) throw badRequest(`invalid ${what}: control characters are not allowed`);
  for (const segment of path.split('/')) {
    if (segment === '..' || segment === '.') throw badRequest(`invalid ${what}: "." and ".." segments are not allowed`);
  }
  // An empty segment would reach a backend as a key or prefix starting with "/", which storage
  // refuses (a 500 once: LIST cubbyhole//). Vault's router cleans these with a redirect; refuse them.
  if (path.startsWith('/') || path.includes('//')) throw badRequest(`invalid ${what}: empty path segments ("//") are not allowed; remove the extra "/"`);
}

/** Normalises a mount path: trims slashes, validates, and adds one trailing slash. */
export function normalizeMountPath(raw: string): string {
  const trimmed = raw.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') throw badRequest('mount path cannot be empty');
  assertSafePath(trimmed, 'mount path');
  if (trimmed.split('/').some((s) => s === '')) throw badRequest('invalid mount path: empty segments ("//") are not allowed');
  if (!/^[\w.@:+-]+(\/[\w.@:+-]+)*$/u.test(trimmed)) {
    throw badRequest('invalid mount path: use letters, digits and . _ - @ : + separated by /');
  }
  return `${trimmed}/`;
}
