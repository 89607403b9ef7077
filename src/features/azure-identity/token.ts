/**
 * Access tokens: a Coffer login token wrapped in an ES256 JWT that looks like an Entra ID /
 * ADFS access token to Azure SDKs.
 *
 * The JWT carries the usual claims (iss, aud, exp, iat, nbf, oid, appid, tid, sub) and `ctk`:
 * base64url(envelope.seal('azure-access-token', JSON {t, aud, exp})), where `t` is the Coffer
 * token. The Azure front opens `ctk` with core's envelope key — that is what makes the token
 * authentic; nobody without the server's key can make or read one — and then uses `t` as the
 * request token, so revocation, TTLs, ACL and audit work exactly as for any login token.
 */
import { SignJWT } from 'jose';
import type { BackendRequest, BackendServices } from '../../core/backend.js';
import { CofferError } from '../../core/errors.js';
import type { SigningKeys } from './signing-key.js';

/** The envelope purpose of the `ctk` claim. */
export const ACCESS_TOKEN_PURPOSE = 'azure-access-token';

/** The tenant every token names (clients use `AZURE_TENANT_ID=adfs`). */
export const TENANT = 'adfs';

/** Access-token lifetime when the mount's default lease TTL is not tuned: one hour, as Entra ID. */
export const DEFAULT_TOKEN_TTL = 3600;

/** What `ctk` holds once opened. */
export interface AccessTokenContent {
  /** The Coffer token. */
  t: string;
  /** The audience the token was issued for. */
  aud: string;
  /** Expiry, unix seconds. */
  exp: number;
  /** The issuer the server was configured with when it issued the token (checked by the front). */
  iss: string;
}

/** The principal a token is issued to. */
export interface TokenSubject {
  kind: 'sp' | 'mi';
  /** objectId of a service principal, principalId of a managed identity. */
  objectId: string;
  /** appId of a service principal, clientId of a managed identity. */
  appId: string;
  displayName: string;
  policies: string[];
}

/** An issued access token. */
export interface IssuedToken {
  accessToken: string;
  /** Seconds until expiry. */
  expiresIn: number;
  /** Expiry, unix seconds. */
  expiresOn: number;
  audience: string;
}

/**
 * An OAuth 2.0 error in the shape Entra ID answers (`{"error","error_description","error_codes"}`),
 * carried as the CofferError's `data`; the Azure front renders exactly that body with the status.
 */
export function oauthError(status: 400 | 401, error: string, description: string, codes: number[] = []): CofferError {
  return new CofferError(status === 401 ? 'permission_denied' : 'invalid_request', `${error}: ${description}`, {
    status,
    data: { error, error_description: description, error_codes: codes },
    detail: { code: error },
  });
}

/** The issuer when the server wiring configures none (embedders; `coffer server` always sets one). */
export const DEFAULT_ISSUER = 'https://vault.localhost/adfs';

/** Removes the `/.default` suffix of a scope or resource (the audience is the bare resource). */
export function audienceOf(scopeOrResource: string): string {
  return scopeOrResource.trim().replace(/\/\.default$/i, '');
}

/**
 * Issues a Coffer login token for `subject` and wraps it in a signed JWT for `audience`, with
 * the configured issuer (in `iss` and inside `ctk`, where it is authenticated).
 * The token's TTL is the mount's default lease TTL (one hour when not tuned), capped by the
 * mount's max TTL inside core; the JWT expires with the Coffer token.
 */
export async function issueAccessToken(
  deps: { services: BackendServices; keys: SigningKeys; issuer: () => string },
  req: BackendRequest,
  subject: TokenSubject,
  audience: string,
): Promise<IssuedToken> {
  const issuer = deps.issuer();
  const ttl = req.mount.config.defaultLeaseTTL > 0 ? req.mount.config.defaultLeaseTTL : DEFAULT_TOKEN_TTL;
  const auth = await deps.services.issueToken(req.mount, {
    policies: subject.policies,
    ttl,
    // The JWT's expiry is fixed inside `ctk`: renewing the Coffer token could not extend it.
    renewable: false,
    displayName: subject.displayName,
    metadata: { principal_id: subject.objectId, app_id: subject.appId, display_name: subject.displayName, kind: subject.kind },
  });
  const lifetime = auth.lease_duration > 0 ? auth.lease_duration : ttl;
  const iat = Math.floor(deps.services.now() / 1000);
  const exp = iat + lifetime;
  const content: AccessTokenContent = { t: auth.client_token, aud: audience, exp, iss: issuer };
  const ctk = (await deps.services.envelope.seal(ACCESS_TOKEN_PURPOSE, Buffer.from(JSON.stringify(content), 'utf8'))).toString('base64url');
  const key = await deps.keys.get();
  const accessToken = await new SignJWT({ oid: subject.objectId, appid: subject.appId, tid: TENANT, idtyp: 'app', ctk })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(subject.objectId)
    .setIssuedAt(iat)
    .setNotBefore(iat)
    .setExpirationTime(exp)
    .sign(key.privateKey);
  return { accessToken, expiresIn: lifetime, expiresOn: exp, audience };
}
