/**
 * Bearer tokens on the Key Vault front.
 *
 * - A JWT from the `azure-ad` auth method: its payload is decoded WITHOUT trusting it; the only
 *   thing relied on is the `ctk` claim, opened with core's envelope key (authenticated
 *   encryption: only this Coffer can make one). Its content {t, aud, exp} must name an audience
 *   under our base domain and must not have expired; `t` then becomes the request's Coffer token,
 *   and core checks it like any other (revoked, expired, ACL).
 * - Anything else (`hvs.…`, a dev root token id) is taken as a Coffer token as it is.
 */
import { decodeJwt } from 'jose';
import { isCofferError } from '../../core/errors.js';
import { ACCESS_TOKEN_PURPOSE, type AccessTokenContent } from '../../features/azure-identity/index.js';
import { splitHost } from './host.js';

/** What a bearer resolved to. */
export type BearerResult =
  | { ok: true; token: string; kind: 'jwt' | 'coffer'; issuer?: string }
  | { ok: false; missing: boolean; message: string };

/** The opener core offers (core.envelope). */
export interface EnvelopeOpener {
  open(purpose: string, blob: Uint8Array): Promise<Buffer>;
}

const MISSING = 'AKV10000: Request is missing a Bearer or PoP token.';
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The bearer value of an Authorization header, if it has one. */
export function bearerOf(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : undefined;
}

function invalid(message: string): BearerResult {
  return { ok: false, missing: false, message };
}

/** A short, safe-to-echo issuer from an unverified claim (used in messages only). */
function issuerClaim(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 200 && /^https?:\/\/[A-Za-z0-9.\-:[\]]+\/adfs$/.test(value) ? value : undefined;
}

/**
 * Resolves the Authorization header of a Key Vault request to a Coffer token.
 * `nowMs` is core's clock. A sealed or failing envelope propagates its error.
 */
export async function resolveBearer(
  header: string | string[] | undefined,
  opts: { envelope: EnvelopeOpener; baseDomain: string; nowMs: number },
): Promise<BearerResult> {
  const bearer = bearerOf(header);
  if (!bearer) return { ok: false, missing: true, message: MISSING };
  if (!JWT_SHAPE.test(bearer)) return { ok: true, token: bearer, kind: 'coffer' };

  let payload: Record<string, unknown>;
  try {
    payload = decodeJwt(bearer) as Record<string, unknown>;
  } catch {
    return invalid('AKV10001: The access token is malformed; get a new one from the token endpoint.');
  }
  if (typeof payload.ctk !== 'string' || !/^[A-Za-z0-9_-]+$/.test(payload.ctk)) {
    return invalid('AKV10032: The access token was not issued by this Coffer server (use AZURE_AUTHORITY_HOST pointing at it, tenant adfs).');
  }
  let content: AccessTokenContent;
  try {
    const plain = await opts.envelope.open(ACCESS_TOKEN_PURPOSE, Buffer.from(payload.ctk, 'base64url'));
    content = JSON.parse(plain.toString('utf8')) as AccessTokenContent;
  } catch (err) {
    // The envelope answers 400 for foreign or altered blobs; anything else (sealed) is not ours to hide.
    if (isCofferError(err) && err.status === 400) {
      return invalid('AKV10032: The access token was not issued by this Coffer server or was altered.');
    }
    if (err instanceof SyntaxError) return invalid('AKV10032: The access token was not issued by this Coffer server.');
    throw err;
  }
  if (typeof content?.t !== 'string' || typeof content.aud !== 'string' || typeof content.exp !== 'number') {
    return invalid('AKV10032: The access token was not issued by this Coffer server.');
  }
  if (content.exp * 1000 <= opts.nowMs) return invalid('AKV10013: The access token has expired; get a new one.');
  if (!audienceMatches(content.aud, opts.baseDomain)) {
    return invalid(`AKV10022: Invalid audience: the token is for ${JSON.stringify(content.aud.slice(0, 100))}, not for the vaults under ${opts.baseDomain}.`);
  }
  return { ok: true, token: content.t, kind: 'jwt', issuer: issuerClaim(payload.iss) };
}

/** True when `aud` names the base domain (any port; `https://<base-domain>[:port][/]`). */
export function audienceMatches(aud: string, baseDomain: string): boolean {
  let url: URL;
  try {
    url = new URL(aud);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  if (url.pathname !== '/' && url.pathname !== '') return false;
  return splitHost(url.host).hostname === baseDomain;
}
