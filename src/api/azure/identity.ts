/**
 * The ADFS-style identity endpoints MSAL talks to when `AZURE_TENANT_ID=adfs` and
 * `AZURE_AUTHORITY_HOST=https://<coffer>` (spec §4a). They are served on any Host, because the
 * authority host is usually `localhost:<port>` while vaults live under the base domain:
 *
 *   GET  /adfs/.well-known/openid-configuration   built from the configured issuer
 *   POST /adfs/oauth2/token                        → update auth/<mount>/oauth2/token
 *   GET  /adfs/discovery/keys                      → read auth/<mount>/keys (JWKS)
 *
 * The issuer must have exactly the scheme, host and port of AZURE_AUTHORITY_HOST, or MSAL
 * refuses the metadata. It comes from configuration (api_addr or the base domain), never from the
 * Host header: a forged Host must not make the server advertise, or sign tokens for, another issuer.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.js';
import { errorSummary } from '../../core/core.js';
import { isCofferError } from '../../core/errors.js';

/** Form fields passed on to the token route (MSAL's telemetry fields are dropped). */
const TOKEN_FIELDS = ['grant_type', 'client_id', 'client_secret', 'scope', 'client_assertion', 'client_assertion_type'];

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).headers({ 'content-type': 'application/json; charset=utf-8', ...NO_STORE }).send(JSON.stringify(body));
}

function oauthBody(error: string, description: string, codes: number[] = []): Record<string, unknown> {
  return { error, error_description: description, error_codes: codes, timestamp: new Date().toISOString().replace('T', ' ').slice(0, 19) + 'Z', trace_id: randomUUID(), correlation_id: randomUUID() };
}

/** Parses a token request body: form-encoded (what MSAL sends) or JSON. */
function parseTokenBody(body: unknown, contentType: string | undefined): Record<string, string> | undefined {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  const out: Record<string, string> = {};
  if (text.trimStart().startsWith('{') && !contentType?.startsWith('application/x-www-form-urlencoded')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
    return out;
  }
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

/**
 * Registers the identity endpoints. `mountPath` is the azure-ad mount, e.g. `auth/azure/`;
 * `issuer` the configured issuer (`https://host[:port]/adfs`).
 */
export function registerIdentityRoutes(app: FastifyInstance, opts: { core: Core; mountPath: string; issuer: () => string }): void {
  const { core, mountPath, issuer } = opts;
  const notEnabled = `the azure-ad auth method is not enabled at ${mountPath}; enable it with: coffer auth enable -path=${mountPath.replace(/^auth\//, '').replace(/\/$/, '')} azure-ad`;

  app.get('/adfs/.well-known/openid-configuration', async (_request, reply) => {
    const base = issuer();
    return sendJson(reply, 200, {
      issuer: base,
      authorization_endpoint: `${base}/oauth2/authorize`,
      token_endpoint: `${base}/oauth2/token`,
      jwks_uri: `${base}/discovery/keys`,
      response_types_supported: ['token'],
      grant_types_supported: ['client_credentials'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['ES256'],
      token_endpoint_auth_methods_supported: ['client_secret_post'],
      scopes_supported: ['openid'],
      access_token_issuer: base,
    });
  });

  // Without the mount core would answer a bare 403 (no route is unauthenticated there); say what is missing.
  const enabled = () => core.mounts.get(mountPath)?.entry.type === 'azure-ad';

  app.post('/adfs/oauth2/token', async (request, reply) => {
    if (!core.sealed && !enabled()) return sendJson(reply, 400, oauthBody('invalid_request', `AADSTS90002: Tenant 'adfs' not found: ${notEnabled}.`, [90002]));
    const form = parseTokenBody(request.body, request.headers['content-type']);
    if (!form) return sendJson(reply, 400, oauthBody('invalid_request', 'AADSTS900144: The request body must be form-encoded (application/x-www-form-urlencoded).', [900144]));
    const data: Record<string, unknown> = {};
    for (const key of TOKEN_FIELDS) if (form[key] !== undefined) data[key] = form[key];
    try {
      const res = await core.handle({ id: randomUUID(), operation: 'update', path: `${mountPath}oauth2/token`, data, clientAddress: request.socket.remoteAddress, via: 'azure' });
      const d = res.data ?? {};
      return sendJson(reply, 200, { token_type: d.token_type, expires_in: d.expires_in, ext_expires_in: d.ext_expires_in, access_token: d.access_token });
    } catch (err) {
      if (isCofferError(err)) {
        const e = err.data;
        if (e && typeof e.error === 'string') {
          const codes = Array.isArray(e.error_codes) ? (e.error_codes as number[]) : [];
          return sendJson(reply, err.status, oauthBody(e.error, String(e.error_description ?? ''), codes));
        }
        if (err.code === 'sealed') return sendJson(reply, 503, oauthBody('temporarily_unavailable', 'The Coffer server is sealed; an operator must unseal it.'));
        if (err.status < 500) return sendJson(reply, 400, oauthBody('invalid_request', err.messages.join('; ').slice(0, 500)));
      }
      core.logger.error({ err: errorSummary(err) }, 'token endpoint failed');
      return sendJson(reply, 500, oauthBody('server_error', 'Internal error.'));
    }
  });

  const keys = async (_request: FastifyRequest, reply: FastifyReply) => {
    if (!core.sealed && !enabled()) return sendJson(reply, 404, { error: 'not_found', error_description: notEnabled });
    try {
      const res = await core.handle({ id: randomUUID(), operation: 'read', path: `${mountPath}keys`, data: {}, via: 'azure' });
      return sendJson(reply, 200, res.data ?? { keys: [] });
    } catch (err) {
      if (isCofferError(err) && err.code === 'sealed') return sendJson(reply, 503, { error: 'temporarily_unavailable' });
      core.logger.error({ err: errorSummary(err) }, 'jwks endpoint failed');
      return sendJson(reply, 500, { error: 'server_error' });
    }
  };
  app.get('/adfs/discovery/keys', keys);
  app.get('/adfs/keys', keys);
}
