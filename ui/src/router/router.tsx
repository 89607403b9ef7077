/**
 * Hash routing (`/ui/#/status`): no server round trip per page, no router dependency, and the
 * server's SPA fallback is only a convenience. Patterns are `/a/:param/b` with an optional
 * trailing `*` (the rest, slashes included, in `params['*']`).
 */
import { useEffect, useState, type AnchorHTMLAttributes, type ComponentType } from 'react';

/** A page: what each feature's `routes` export lists. */
export interface RouteDef {
  /** Pattern, e.g. `/secrets/:mount/*`. */
  path: string;
  /** The document title of the page. */
  title: string;
  /** When set, the page is in the top navigation with this label; lower `order` comes first. */
  nav?: { label: string; order: number };
  /** True for pages usable without a token (login, status). */
  public?: boolean;
  component: ComponentType<{ params: Record<string, string> }>;
}

/** The current hash path (`/status`), without the leading `#` and without any `?query`. */
export function currentPath(): string {
  const raw = window.location.hash.replace(/^#/, '');
  return (raw.split('?')[0] || '/').replace(/\/+$/, '') || '/';
}

/** The current hash query (`#/login?next=/x` → {next: '/x'}). */
export function currentQuery(): URLSearchParams {
  const raw = window.location.hash.replace(/^#/, '');
  const i = raw.indexOf('?');
  return new URLSearchParams(i >= 0 ? raw.slice(i + 1) : '');
}

/** Goes to `path` (e.g. `/secrets/secret/app`). */
export function navigate(path: string): void {
  window.location.hash = path.startsWith('/') ? path : `/${path}`;
}

/** The hash path, re-rendering on change. */
export function useHashPath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const on = () => setPath(currentPath());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return path;
}

/** Matches `path` against `pattern`: the decoded params, or null. */
export function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const part = p[i]!;
    if (part === '*') {
      params['*'] = s.slice(i).map(decodeURIComponent).join('/');
      return params;
    }
    if (i >= s.length) return null;
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(s[i]!);
    else if (part !== s[i]) return null;
  }
  return p.length === s.length ? params : null;
}

/** The first route matching `path`. */
export function findRoute(routes: readonly RouteDef[], path: string): { route: RouteDef; params: Record<string, string> } | null {
  for (const route of routes) {
    const params = matchRoute(route.path, path);
    if (params) return { route, params };
  }
  return null;
}

/** Builds a hash href: `href('/secrets', mount, key)` encodes each dynamic part. */
export function href(base: string, ...parts: string[]): string {
  return '#' + [base.replace(/\/+$/, ''), ...parts.map(encodeURIComponent)].join('/');
}

/** A link to a hash route: `<Link to="/status">`. */
export function Link({ to, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  return <a href={`#${to}`} {...rest} />;
}
