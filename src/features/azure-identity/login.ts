/**
 * The two unauthenticated logins of an `azure-ad` mount:
 *
 * - `oauth2/token` — the client-credentials grant a service principal uses
 *   (EnvironmentCredential / ClientSecretCredential with `AZURE_TENANT_ID=adfs`).
 * - `identity/login` — a managed identity's session secret (what the local MSI endpoint of
 *   `coffer run --identity` presents) for an access token.
 *
 * Failures answer in Entra ID's OAuth error shape (see oauthError). Lockout comes first, and
 * every credential failure (unknown client, wrong secret) gets the same answer, so nothing
 * tells an unknown client_id from a wrong secret.
 */
import type { BackendServices, Handler } from '../../core/backend.js';
import { optString } from '../../core/fields.js';
import type { SigningKeys } from './signing-key.js';
import { sameDigest, type AzureIdentityStore } from './store.js';
import { audienceOf, issueAccessToken, oauthError, type TokenSubject } from './token.js';

/** What the login handlers need. */
export interface LoginDeps {
  store: AzureIdentityStore;
  services: BackendServices;
  keys: SigningKeys;
  /** The configured issuer (server configuration; never taken from a request). */
  issuer: () => string;
}

/** OpenID scopes MSAL may add next to the resource scope; they name no audience. */
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

function field(data: Record<string, unknown>, name: string): string {
  try {
    return (optString(data, name) ?? '').trim();
  } catch {
    throw oauthError(400, 'invalid_request', `AADSTS900144: The request body has an invalid '${name}' parameter (expected a string).`, [900144]);
  }
}

function lockedOut(): never {
  throw oauthError(401, 'invalid_client', 'AADSTS50053: Sign-in is temporarily locked after repeated failures; try again later or ask an operator to unlock it (sys/locked-users).', [50053]);
}

/** The audience named by an OAuth `scope` value (exactly one resource, ending in `/.default`). */
function audienceFromScope(scope: string): string {
  const resources = scope.split(/\s+/).filter((s) => s !== '' && !OIDC_SCOPES.has(s.toLowerCase()));
  if (resources.length !== 1 || !/\/\.default$/i.test(resources[0]!)) {
    throw oauthError(400, 'invalid_scope', "AADSTS1002012: The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier, e.g. 'https://vault.localhost:8443/.default'.", [1002012]);
  }
  return validAudience(audienceOf(resources[0]!));
}

function validAudience(audience: string): string {
  let ok = false;
  try {
    ok = audience.length <= 500 && new URL(audience).host !== '';
  } catch {
    ok = false;
  }
  if (!ok) throw oauthError(400, 'invalid_resource', `AADSTS500011: The resource must be an absolute URL such as 'https://vault.localhost:8443'.`, [500011]);
  return audience;
}

/** `POST oauth2/token` {grant_type, client_id, client_secret, scope}. */
export function oauth2TokenHandler(deps: LoginDeps): Handler {
  const { store, services } = deps;
  return async (req) => {
    const grantType = field(req.data, 'grant_type');
    if (grantType === '') throw oauthError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'grant_type'.", [900144]);
    if (grantType !== 'client_credentials') {
      throw oauthError(400, 'unsupported_grant_type', `AADSTS70003: The grant type '${grantType.slice(0, 60)}' is not supported; Coffer issues tokens for 'client_credentials' only.`, [70003]);
    }
    const clientId = field(req.data, 'client_id').toLowerCase();
    if (clientId === '') throw oauthError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'client_id'.", [900144]);
    const secret = field(req.data, 'client_secret');
    if (secret === '') {
      if (field(req.data, 'client_assertion') !== '') {
        throw oauthError(400, 'invalid_request', 'AADSTS700024: Client assertions (workload identity federation) are not supported by Coffer; use a client secret (AZURE_CLIENT_SECRET).', [700024]);
      }
      throw oauthError(401, 'invalid_client', "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.", [7000216]);
    }
    const audience = audienceFromScope(field(req.data, 'scope'));

    if (await services.lockout.isLocked(req.mount, clientId)) lockedOut();
    const sp = await store.getSp(clientId);
    const digest = await store.digest('client-secret', secret);
    // Compute the digest either way so an unknown client costs the same as a wrong secret.
    if (!sp || !sameDigest(sp.secretHmac, digest)) {
      await services.lockout.failed(req.mount, clientId);
      throw oauthError(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value of app '${clientId.slice(0, 64)}'.`, [7000215]);
    }
    await services.lockout.succeeded(req.mount, clientId);

    const subject: TokenSubject = { kind: 'sp', objectId: sp.objectId, appId: sp.appId, displayName: sp.displayName, policies: sp.policies };
    const issued = await issueAccessToken(deps, req, subject, audience);
    return {
      data: {
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        ext_expires_in: issued.expiresIn,
        access_token: issued.accessToken,
      },
    };
  };
}

/** `POST identity/login` {name, session_secret, resource}. */
export function identityLoginHandler(deps: LoginDeps): Handler {
  const { store, services } = deps;
  return async (req) => {
    const name = field(req.data, 'name').toLowerCase();
    if (name === '') throw oauthError(400, 'invalid_request', "The request must contain the parameter 'name' (the managed identity).");
    const secret = field(req.data, 'session_secret');
    if (secret === '') throw oauthError(400, 'invalid_request', "The request must contain the parameter 'session_secret'.");
    const resource = field(req.data, 'resource');
    if (resource === '') throw oauthError(400, 'invalid_request', "The request must contain the parameter 'resource', e.g. 'https://vault.localhost:8443'.");
    const audience = validAudience(audienceOf(resource));

    const alias = `identity/${name.slice(0, 256)}`;
    if (await services.lockout.isLocked(req.mount, alias)) lockedOut();
    const invalid = async () => {
      await services.lockout.failed(req.mount, alias);
      return oauthError(401, 'invalid_client', 'The managed identity does not exist or the session secret is invalid or expired.');
    };
    const digest = await store.digest('session', secret);
    const mi = /^[\w.@-]+$/.test(name) ? await store.getMi(name) : undefined;
    if (!mi) throw await invalid();
    const session = await store.getSession(mi.name, digest);
    if (!session) throw await invalid();
    if (session.expiresAt <= services.now()) {
      await store.deleteSession(mi.name, digest);
      throw await invalid();
    }
    await services.lockout.succeeded(req.mount, alias);

    const subject: TokenSubject = { kind: 'mi', objectId: mi.principalId, appId: mi.clientId, displayName: mi.name, policies: mi.policies };
    const issued = await issueAccessToken(deps, req, subject, audience);
    return {
      data: {
        access_token: issued.accessToken,
        expires_on: issued.expiresOn,
        expires_in: issued.expiresIn,
        resource,
        token_type: 'Bearer',
        client_id: mi.clientId,
        principal_id: mi.principalId,
      },
    };
  };
}
