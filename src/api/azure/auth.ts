/**
 * Bearer tokens on the Key Vault front: turns the Authorization header into the token of the
 * request's LogicalRequest. It authenticates nothing and refuses nothing itself — core does, at
 * its one door, where every refusal is audited.
 *
 * - A JWT from the `azure-ad` auth method: its payload is decoded WITHOUT trusting it; the only
 *   thing relied on is the `ctk` claim, opened with core's envelope key (authenticated
 *   encryption: only this Coffer can make one). Its content {t, aud, exp, iss} must name an
 *   audience under our base domain and the configured issuer, and must not have expired; `t` is
 *   then the request's Coffer token, and core checks it like any other (revoked, expired, ACL).
 * - A JWT that fails any of that is passed on as it is: no Coffer token has that form, so core
 *   refuses it (and audits the refusal); `reason` keeps the precise cause for the 401 message.
 * - Anything else (`hvs.…`, a dev root token id) is taken as a Coffer token as it is.
 */
import { isCofferError } from '../../core/errors.js';
import { ACCESS_TOKEN_PURPOSE, type AccessTokenContent } from '../../features/azure-identity/index.js';
import { splitHost } from './host.js';

/** What a bearer resolved to: the token for core, or nothing (no bearer at all). */
export type BearerResult =
  | { kind: 'missing' }
  | { kind: 'jwt' | 'coffer'; token: string }
  | { kind: 'unusable'; token: string; reason: string };

/** The opener core offers (core.envelope). */
export interface EnvelopeOpener {
  open(purpose: string, blob: Uint8Array): Promise<Buffer>;
}

const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The bearer value of an Authorization header, if it has one. */
export function bearerOf(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : undefined;
}

/**
 * Resolves the Authorization header of a Key Vault request to the token core gets.
 * `nowMs` is core's clock, `issuer` the configured one. A sealed or failing envelope
 * propagates its error.
 */
export async function resolveBearer(
  header: string | string[] | undefined,
  opts: { envelope: EnvelopeOpener; baseDomain: string; issuer: string; nowMs: number },
): Promise<BearerResult> {
  const bearer = bearerOf(header);
  if (!bearer) return { kind: 'missing' };
  if (!JWT_SHAPE.test(bearer)) return { kind: 'coffer', token: bearer };
  const unusable = (reason: string): BearerResult => ({ kind: 'unusable', token: bearer, reason });

  const payload = decodePayload(bearer);
  if (!payload) return unusable('AKV10001: The access token is malformed; get a new one from the token endpoint.');
  if (typeof payload.ctk !== 'string' || !/^[A-Za-z0-9_-]+$/.test(payload.ctk)) {
    return unusable('AKV10032: The access token was not issued by this Coffer server (use AZURE_AUTHORITY_HOST pointing at it, tenant adfs).');
  }
  let content: AccessTokenContent;
  try {
    const plain = await opts.envelope.open(ACCESS_TOKEN_PURPOSE, Buffer.from(payload.ctk, 'base64url'));
    content = JSON.parse(plain.toString('utf8')) as AccessTokenContent;
  } catch (err) {
    // The envelope answers 400 for foreign or altered blobs; anything else (sealed) is not ours to hide.
    if (isCofferError(err) && err.status === 400) return unusable('AKV10032: The access token was not issued by this Coffer server or was altered.');
    if (err instanceof SyntaxError) return unusable('AKV10032: The access token was not issued by this Coffer server.');
    throw err;
  }
  if (typeof content?.t !== 'string' || typeof content.aud !== 'string' || typeof content.exp !== 'number') {
    return unusable('AKV10032: The access token was not issued by this Coffer server.');
  }
  if (content.exp * 1000 <= opts.nowMs) return unusable('AKV10013: The access token has expired; get a new one.');
  if (content.iss !== opts.issuer) {
    // `iss` sits inside the authenticated envelope, so it is ours to show.
    const was = typeof content.iss === 'string' ? ` ${JSON.stringify(content.iss.slice(0, 200))}` : ' an earlier configuration';
    return unusable(`AKV10032: Invalid issuer: the access token was issued by${was}, this server issues tokens as ${JSON.stringify(opts.issuer)}; get a new one (AZURE_AUTHORITY_HOST=${opts.issuer.replace(/\/adfs$/, '')}).`);
  }
  if (!audienceMatchesMemo(content.aud, opts.baseDomain)) {
    return unusable(`AKV10022: Invalid audience: the token is for ${JSON.stringify(content.aud.slice(0, 100))}, not for the vaults under ${opts.baseDomain}.`);
  }
  return { kind: 'jwt', token: content.t };
}

/**
 * The payload of a JWS-shaped bearer (JWT_SHAPE already checked), or undefined when it is not
 * base64url of a JSON object. Nothing in it is trusted (see the module comment); this replaces
 * jose's decodeJwt on the Key Vault hot path with one Buffer decode and one JSON.parse. A
 * segment length no base64url encoder produces (1 mod 4) is malformed, as decodeJwt has it.
 */
function decodePayload(bearer: string): Record<string, unknown> | undefined {
  const first = bearer.indexOf('.');
  const second = bearer.indexOf('.', first + 1);
  const part = bearer.slice(first + 1, second);
  if (part.length === 0 || part.length % 4 === 1) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return payload !== null && typeof payload === 'object' && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Results of audienceMatches for the audiences seen lately. An audience comes from the
 * authenticated envelope of a token this server issued, so there are only a few; the memo is
 * bounded anyway (cleared when full) and keyed by base domain too.
 */
const audienceMemo = new Map<string, boolean>();
const AUDIENCE_MEMO_MAX = 256;

/** audienceMatches, remembered (it parses a URL, once per request otherwise). */
function audienceMatchesMemo(aud: string, baseDomain: string): boolean {
  const key = `${baseDomain} ${aud}`;
  let ok = audienceMemo.get(key);
  if (ok === undefined) {
    ok = audienceMatches(aud, baseDomain);
    if (audienceMemo.size >= AUDIENCE_MEMO_MAX) audienceMemo.clear();
    audienceMemo.set(key, ok);
  }
  return ok;
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
