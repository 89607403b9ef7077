/**
 * Host-name rules of the Key Vault front: a vault `v` is served at `<v>.<base-domain>[:port]`
 * (the port is ignored when matching, as lowkey-vault's "relaxed ports"), and URLs we hand back
 * (`id`, `nextLink`, the challenge) are built from the request's own scheme, host and port.
 */

import { isIP } from 'node:net';

/** The base domain when none is configured. */
export const DEFAULT_BASE_DOMAIN = 'vault.localhost';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Validates and normalises a base domain: lower case, no trailing dot, at least two labels
 * (Node refuses a `*.localhost` wildcard certificate, and a challenge resource of one label
 * cannot pass the SDK's resource check for an IP or single-label host). Throws an Error whose
 * message says what is wrong.
 */
export function normalizeBaseDomain(raw: string): string {
  const d = raw.trim().toLowerCase().replace(/\.$/, '');
  if (d === '') throw new Error('the Key Vault base domain is empty: use a name of two or more labels, e.g. vault.localhost');
  if (isIP(d) !== 0) throw new Error(`the Key Vault base domain "${raw.slice(0, 80)}" is an IP address: use a DNS name of two or more labels, e.g. vault.localhost`);
  const labels = d.split('.');
  if (d.length > 253 || labels.some((l) => !LABEL.test(l)) || /^\d+$/.test(labels[labels.length - 1]!)) {
    throw new Error(`the Key Vault base domain "${raw.slice(0, 80)}" is not a valid DNS name (labels of a-z, 0-9 and "-"), e.g. vault.localhost`);
  }
  if (labels.length < 2) {
    throw new Error(
      `the Key Vault base domain "${raw.slice(0, 80)}" has one label: use two or more, e.g. vault.${d} ` +
        `(TLS clients reject a wildcard certificate for *.${d}, and vault URLs are <vault>.<base domain>)`,
    );
  }
  return d;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Matches a Host header of the form `<label>.<base-domain>[.][:port]` (case-insensitive). */
export function vaultHostPattern(baseDomain: string): RegExp {
  return new RegExp(`^[^.:/\\s]+\\.${escapeRegExp(baseDomain)}\\.?(?::\\d+)?$`, 'i');
}

/** Splits a Host header into name and port (IPv6 literals in brackets). */
export function splitHost(host: string): { hostname: string; port?: number } {
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(host.trim());
  if (!m) return { hostname: host.trim().toLowerCase() };
  return { hostname: m[1]!.toLowerCase().replace(/\.$/, ''), port: m[2] !== undefined ? Number(m[2]) : undefined };
}

/** The vault label of a Host header under `baseDomain`, lower-cased; undefined when it is not one. */
export function vaultLabel(host: string, baseDomain: string): string | undefined {
  const { hostname } = splitHost(host);
  const suffix = `.${baseDomain}`;
  if (!hostname.endsWith(suffix)) return undefined;
  const label = hostname.slice(0, -suffix.length);
  return label !== '' && !label.includes('.') ? label : undefined;
}

/**
 * `https://host[:port]` exactly as the client addressed us. Always https: the Key Vault API is
 * HTTPS-only, and a plain-HTTP listener serves it only behind a TLS-terminating proxy
 * (`azure_allow_plaintext`), where the client's URL is https too.
 */
export function requestOrigin(host: string): string {
  return `https://${host.trim()}`;
}

/**
 * The resource (token audience) of every vault under the base domain:
 * `https://<base-domain>[:port]`, the port being the request's when it is not 443.
 */
export function baseResource(host: string, baseDomain: string): string {
  const { port } = splitHost(host);
  return `https://${baseDomain}${port !== undefined && port !== 443 ? `:${port}` : ''}`;
}

/**
 * The issuer of access tokens and of the OpenID configuration, from configuration only (never
 * from a request's Host header): `<origin of api_addr>/adfs` when api_addr is set, else
 * `https://<base-domain>[:port]/adfs` with the listener's port. Clients set AZURE_AUTHORITY_HOST
 * to the same origin (MSAL refuses metadata whose issuer has another scheme, host or port).
 * Throws an Error naming the problem when api_addr is not an http(s) URL.
 */
export function configuredIssuer(options: { apiAddr?: string; baseDomain: string; port: number }): string {
  if (options.apiAddr !== undefined && options.apiAddr.trim() !== '') {
    let url: URL | undefined;
    try {
      url = new URL(options.apiAddr.trim());
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
      throw new Error(`api_addr "${options.apiAddr.slice(0, 100)}" is not a URL: use the address clients reach this server at, e.g. https://coffer.example.com:8200`);
    }
    return `${url.origin}/adfs`;
  }
  return `https://${options.baseDomain}${options.port !== 443 ? `:${options.port}` : ''}/adfs`;
}
