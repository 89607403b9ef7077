/**
 * CofferErrors in Key Vault's vocabulary. An engine error carries its Key Vault code in
 * `detail` (SecretNotFound, Conflict, Forbidden + inner code, ...); core's own errors are
 * mapped here: an ACL denial becomes Key Vault's 403 that names the missing permission and the
 * principal, an unknown or expired token a 401 with the challenge.
 */
import { isCofferError, type CofferError } from '../../core/errors.js';
import { renderAzureError, type AzureRendered } from './render.js';

/** Key Vault's help link for access denials. */
export const ACCESS_HELP = 'For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287';

/** What a 403 or 401 message needs to know about the request. */
export interface ErrorContext {
  /** The vault (lower-cased label). */
  vault: string;
  /** The Key Vault permission the call needs (`get`, `set`, `sign`, ...). */
  permission: string;
  /** Whether that is a `secrets` or a `keys` permission (default secrets). */
  permissionKind?: 'secrets' | 'keys';
  /** Lazily describes the caller for a 403 (`appid=…;oid=…;iss=…`). */
  principal: () => Promise<string>;
  /** The WWW-Authenticate challenge for a 401. */
  challenge: string;
  /** Why the bearer cannot be used (none sent; an expired, foreign or altered JWT), for core's 401. */
  bearerProblem?: string;
  /** Whether the vault exists; asked only once core has accepted the caller's token. */
  vaultExists: () => boolean;
}

/** The 401 message of a request without a bearer token (the SDK's first, challenge-seeking request). */
export const MISSING_BEARER = 'AKV10000: Request is missing a Bearer or PoP token.';

/** Core's messages for a token that is unknown, expired or used up. */
function isInvalidToken(err: CofferError): boolean {
  return err.code === 'permission_denied' && err.messages.some((m) => m === 'invalid token');
}

/** Key Vault's 403 text for an ACL denial. */
export function accessDeniedMessage(principal: string, permission: string, vault: string, kind: 'secrets' | 'keys' = 'secrets'): string {
  return `The user, group or application '${principal}' does not have ${kind} ${permission} permission on key vault '${vault};location=coffer'. ${ACCESS_HELP}`;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'BadParameter',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  429: 'Throttled',
  503: 'ServiceUnavailable',
};

/**
 * Renders any error of a Key Vault call. Returns undefined for an error that is not a
 * CofferError (the caller logs it and answers a generic 500).
 */
export async function renderCallError(err: unknown, ctx: ErrorContext): Promise<AzureRendered | undefined> {
  if (!isCofferError(err)) return undefined;
  const message = err.messages.filter((m) => m.trim() !== '').join('; ');
  if (err.detail) return renderAzureError(err.status, err.detail.code, message || err.detail.code, err.detail.inner);
  // Core refused the token: every vault host answers the same challenge, so nobody without
  // credentials learns which vaults exist.
  if (err.code === 'permission_denied' && (ctx.bearerProblem !== undefined || isInvalidToken(err))) {
    return renderAzureError(401, 'Unauthorized', ctx.bearerProblem ?? 'AKV10013: The access token is invalid, expired or revoked; get a new one.', undefined, { 'www-authenticate': ctx.challenge });
  }
  // From here on the caller is authenticated: it may learn that a vault does not exist.
  if (err.code === 'permission_denied') {
    if (!ctx.vaultExists()) return vaultNotFound(ctx.vault);
    return renderAzureError(403, 'Forbidden', accessDeniedMessage(await ctx.principal(), ctx.permission, ctx.vault, ctx.permissionKind), 'AccessDenied');
  }
  if (err.code === 'sealed') return renderAzureError(503, 'ServiceUnavailable', 'The Coffer server is sealed; an operator must unseal it.');
  if (err.code === 'unsupported_path') return vaultNotFound(ctx.vault);
  if (err.status >= 500) return renderAzureError(err.status, 'InternalServerError', 'Internal error.');
  return renderAzureError(err.status, CODE_BY_STATUS[err.status] ?? 'BadParameter', message || 'The request failed.');
}

function vaultNotFound(vault: string): AzureRendered {
  const v = vault.slice(0, 63);
  return renderAzureError(404, 'VaultNotFound', `The vault '${v}' does not exist on this server (an operator creates it with: coffer keyvault create --name ${v}).`);
}
