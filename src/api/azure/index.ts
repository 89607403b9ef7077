/**
 * The Azure Key Vault wire front (docs/dev/AZURE.md, specs/azure-keyvault-api.md). It shares the
 * fastify app with the Vault front and owns no authentication or authorization: each Key Vault
 * call becomes one LogicalRequest on the vault's `keyvault/<v>/` mount, handled by core's one
 * door, which refuses bad tokens and audits every request, refused or not.
 *
 * Requests whose Host is `<v>.<base-domain>[:port]` are Key Vault calls (except `/v1/*`, which
 * stays the Vault API on any host). For each one, in this order:
 *   1. plain HTTP → 403 (the API is HTTPS-only) unless the listener sits behind a TLS proxy
 *      (`azure_allow_plaintext`); sealed → 503;
 *   2. no bearer at all → the 401 challenge, in an onRequest hook, i.e. before the body is read
 *      (the SDK's first request is an empty-bodied probe that expects exactly this); a recognised
 *      call is still handed to core first, without a token, so the refusal is audited;
 *   3. the call is translated and handed to core with the bearer's token (an unusable JWT as it
 *      is, which core refuses); core's answer is rendered. Only a caller core accepted can learn
 *      that a vault does not exist (404 VaultNotFound); everyone else gets the same challenge.
 * The identity endpoints under `/adfs/` are served on any host (identity.ts).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.js';
import { errorSummary } from '../../core/core.js';
import type { LogicalRequest } from '../../core/logical.js';
import { requiredAccess } from '../../features/keyvault/index.js';
import { JsonBodyError, parseJsonBounded } from '../http/json.js';
import { resolveBearer } from './auth.js';
import { MISSING_BEARER, renderCallError } from './errors.js';
import { baseResource, configuredIssuer, normalizeBaseDomain, requestOrigin, vaultHostPattern, vaultLabel } from './host.js';
import { registerIdentityRoutes } from './identity.js';
import { renderAzureError, renderSuccess, type AzureRendered } from './render.js';
import { fallbackPermission, translateCall, type AzureCall, type Unrecognised } from './translate.js';

export { DEFAULT_BASE_DOMAIN, configuredIssuer, normalizeBaseDomain } from './host.js';

/** Settings of the Azure front. */
export interface AzureFrontOptions {
  core: Core;
  /** Vaults are served at `<v>.<baseDomain>`; validated with normalizeBaseDomain. */
  baseDomain: string;
  /** The azure-ad auth mount the identity endpoints use (default `auth/azure/`). */
  identityMount?: string;
  /**
   * The configured token issuer (see configuredIssuer); by default
   * `https://<baseDomain>:<listening port>/adfs`.
   */
  issuer?: () => string;
  /**
   * Serve the Key Vault API on a plain-HTTP listener: only behind a TLS-terminating proxy
   * (listener `azure_allow_plaintext = true`). Otherwise plain-HTTP calls get a 403 saying to use https.
   */
  allowPlaintext?: boolean;
}

/** What the onRequest hook learnt about a request. */
interface CallState {
  vault: string;
  call: AzureCall | Unrecognised;
  query: URLSearchParams;
  /** The token core gets ('' for none). */
  token: string;
  /** Why the bearer cannot be used (core will refuse it), for the 401 message. */
  bearerProblem?: string;
}

/**
 * What the front reads of a request: the part of a FastifyRequest that the fastify routes and
 * the bodiless fast path (KeyVaultFront.serveFast) both provide.
 */
interface FrontRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string };
  protocol: 'http' | 'https';
  body?: unknown;
}

/** A rendered answer plus the per-call headers (x-ms-request-id, x-ms-client-request-id). */
interface Answer {
  rendered: AzureRendered;
  headers?: Record<string, string>;
}

/**
 * The Key Vault front's bodiless fast path, for the listener (src/api/server.ts): answers a
 * GET to a vault host directly on node:http and returns true, or returns false and leaves the
 * request to fastify untouched.
 */
export type KeyVaultFastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const VAULT_MOUNT_PREFIX = 'keyvault/';
const METHODS = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'] as const;
const SEALED = 'The Coffer server is sealed; an operator must unseal it.';

function send(reply: FastifyReply, rendered: AzureRendered): FastifyReply {
  reply.code(rendered.status).headers({ 'cache-control': 'no-cache', ...(rendered.headers ?? {}) });
  if (rendered.body === undefined) return reply.send();
  return reply.header('content-type', 'application/json; charset=utf-8').send(rendered.body);
}

/**
 * Writes an answer on node:http with the headers fastify's `send` gives it (cache-control,
 * the rendered and per-call headers, JSON content type, content-length).
 */
function writeFast(res: ServerResponse, answer: Answer): void {
  const { rendered } = answer;
  const headers: Record<string, string | number> = { ...(answer.headers ?? {}), 'cache-control': 'no-cache', ...(rendered.headers ?? {}) };
  if (rendered.body === undefined) {
    if (rendered.status !== 204 && rendered.status !== 304) headers['content-length'] = 0;
    res.writeHead(rendered.status, headers);
    res.end();
    return;
  }
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = Buffer.byteLength(rendered.body);
  res.writeHead(rendered.status, headers);
  res.end(rendered.body);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Parses the JSON body of a write (nesting bounded, see api/http/json.ts); an empty body is `{}`. */
function parseJsonBody(body: unknown): { ok: true; data: Record<string, unknown> } | { ok: false; rendered: AzureRendered } {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  if (text.trim() === '') return { ok: true, data: {} };
  let parsed: unknown;
  try {
    parsed = parseJsonBounded(text);
  } catch (err) {
    const why = err instanceof JsonBodyError && err.reason === 'depth' ? `The request body is invalid: ${err.message}.` : 'The request body is not valid JSON.';
    return { ok: false, rendered: renderAzureError(400, 'BadParameter', why) };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, rendered: renderAzureError(400, 'BadParameter', 'The request body must be a JSON object.') };
  }
  return { ok: true, data: parsed as Record<string, unknown> };
}

/** Registers the Key Vault front (vault hosts) and the identity endpoints on `app`. */
export function createAzureFront(app: FastifyInstance, options: AzureFrontOptions): KeyVaultFastPath {
  const { core } = options;
  const baseDomain = normalizeBaseDomain(options.baseDomain);
  const identityMount = options.identityMount ?? 'auth/azure/';
  const state = new WeakMap<FastifyRequest, CallState>();
  const issuer = options.issuer ?? (() => {
    const addr = app.server.address();
    return configuredIssuer({ baseDomain, port: typeof addr === 'object' && addr ? addr.port : 443 });
  });

  registerIdentityRoutes(app, { core, mountPath: identityMount, issuer });

  const challengeFor = (request: FrontRequest): string =>
    `Bearer authorization="${issuer()}", resource="${baseResource(request.headers.host ?? baseDomain, baseDomain)}"`;

  /** Hands one LogicalRequest to core and renders its answer or refusal. */
  const callCore = async (request: FrontRequest, requestId: string, st: CallState, azureCall: AzureCall, data: Record<string, unknown>): Promise<AzureRendered> => {
    const logical: LogicalRequest = {
      id: requestId,
      operation: azureCall.operation,
      path: `${VAULT_MOUNT_PREFIX}${st.vault}/${azureCall.path}`,
      mountType: 'keyvault',
      data,
      token: st.token || undefined,
      clientAddress: request.socket.remoteAddress,
      via: 'azure',
    };
    try {
      const response = await core.handle(logical);
      return renderSuccess(azureCall.render, response.data, {
        origin: requestOrigin(request.headers.host ?? ''),
        apiVersion: st.query.get('api-version') ?? undefined,
        maxResults: st.query.get('maxresults') ?? undefined,
        expiringWithin: st.query.get('expiring_within') ?? undefined,
        collection: azureCall.collection,
        tag: st.query.get('tag') ?? undefined,
      });
    } catch (err) {
      const access = requiredAccess(logical.operation, azureCall.path);
      const rendered = await renderCallError(err, {
        vault: st.vault,
        permission: access?.permission ?? fallbackPermission(azureCall),
        permissionKind: access?.kind ?? (/^(keys|deletedkeys|rotationpolicy|restorekey|rng)(\/|$)/.test(azureCall.path) ? 'keys' : 'secrets'),
        principal: () => describePrincipal(core, st.token, issuer()),
        challenge: challengeFor(request),
        bearerProblem: st.bearerProblem,
        vaultExists: () => core.mounts.get(`${VAULT_MOUNT_PREFIX}${st.vault}/`)?.entry.type === 'keyvault',
      });
      if (rendered) return rendered;
      core.logger.error({ err: errorSummary(err) }, 'internal error while handling a Key Vault request');
      return renderAzureError(500, 'InternalServerError', 'Internal error.');
    }
  };

  // Steps 1 and 2: before any body is read.
  const precheck = async (request: FrontRequest): Promise<AzureRendered | CallState> => {
    if (request.protocol !== 'https' && !options.allowPlaintext) {
      const host = (request.headers.host ?? '').slice(0, 300);
      return renderAzureError(403, 'Forbidden',
        `The Key Vault API is served over HTTPS only: use https://${host}${request.url.split('?')[0]!.slice(0, 300)}. ` +
        '(Operators: serve TLS on this listener, or set azure_allow_plaintext = true only behind a TLS-terminating proxy.)', 'HttpsRequired');
    }
    if (core.sealed) return renderAzureError(503, 'ServiceUnavailable', SEALED);
    const q = request.url.indexOf('?');
    const pathname = q < 0 ? request.url : request.url.slice(0, q);
    const st: CallState = {
      vault: vaultLabel(request.headers.host ?? '', baseDomain) ?? '',
      call: translateCall(request.method, pathname),
      // URLSearchParams decodes keys too: the SDK sends `api%2Dversion`.
      query: new URLSearchParams(q < 0 ? '' : request.url.slice(q + 1)),
      token: '',
    };
    let bearer;
    try {
      bearer = await resolveBearer(request.headers.authorization, { envelope: core.envelope, baseDomain, issuer: issuer(), nowMs: core.clock.now() });
    } catch (err) {
      if (core.sealed) return renderAzureError(503, 'ServiceUnavailable', SEALED);
      core.logger.error({ err: errorSummary(err) }, 'key vault token check failed');
      return renderAzureError(500, 'InternalServerError', 'Internal error.');
    }
    if (bearer.kind === 'missing') {
      // A recognised call goes through core's door without a token (refused there, and audited as
      // Vault audits a request without a token); anything else just gets the challenge.
      return 'error' in st.call
        ? renderAzureError(401, 'Unauthorized', MISSING_BEARER, undefined, { 'www-authenticate': challengeFor(request) })
        : await callCore(request, randomUUID(), { ...st, bearerProblem: MISSING_BEARER }, st.call, {});
    }
    st.token = bearer.token;
    if (bearer.kind === 'unusable') st.bearerProblem = bearer.reason;
    return st;
  };
  const isCallState = (v: AzureRendered | CallState): v is CallState => 'call' in v;

  const onRequest = async (request: FastifyRequest, reply: FastifyReply) => {
    const checked = await precheck(request);
    if (!isCallState(checked)) return send(reply, checked);
    state.set(request, checked);
    return undefined;
  };

  // Step 3.
  const answer = async (request: FrontRequest, st: CallState): Promise<Answer> => {
    const clientRequestId = firstHeader(request.headers['x-ms-client-request-id']);
    const requestId = randomUUID();
    const headers: Record<string, string> = { 'x-ms-request-id': requestId, ...(clientRequestId && /^[\w-]{1,100}$/.test(clientRequestId) ? { 'x-ms-client-request-id': clientRequestId } : {}) };

    const azureCall = st.call;
    if ('error' in azureCall) {
      const status = azureCall.error === 'not-found' ? 404 : azureCall.error === 'method' ? 405 : 400;
      const code = azureCall.error === 'not-found' ? 'NotFound' : azureCall.error === 'method' ? 'MethodNotAllowed' : 'BadParameter';
      return { rendered: renderAzureError(status, code, azureCall.message), headers };
    }

    let data: Record<string, unknown> = {};
    if (azureCall.hasBody) {
      const parsed = parseJsonBody(request.body);
      if (!parsed.ok) return { rendered: parsed.rendered, headers };
      data = parsed.data;
    }
    if (azureCall.operation === 'list') {
      const maxResults = st.query.get('maxresults');
      const skipToken = st.query.get('$skiptoken') ?? st.query.get('skiptoken');
      if (maxResults !== null) data.maxresults = maxResults;
      if (skipToken !== null) data.skiptoken = skipToken;
      // Coffer's tag filter on the secret listing (an extension: Key Vault has none).
      const tag = st.query.get('tag');
      if (tag !== null) data.tag = tag;
      // Coffer's filter of secret listings by expiry (not a Key Vault parameter).
      const within = st.query.get('expiring_within');
      if (within !== null) data.expiring_within = within;
    }
    return { rendered: await callCore(request, requestId, st, azureCall, data), headers };
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const st = state.get(request);
    if (!st) return send(reply, renderAzureError(401, 'Unauthorized', MISSING_BEARER, undefined, { 'www-authenticate': challengeFor(request) }));
    const out = await answer(request, st);
    if (out.headers) reply.headers(out.headers);
    return send(reply, out.rendered);
  };

  const hostPattern = vaultHostPattern(baseDomain);
  const constraints = { host: hostPattern };
  app.route({ method: [...METHODS], url: '/', constraints, onRequest, handler });
  app.route({ method: [...METHODS], url: '/*', constraints, onRequest, handler });

  /**
   * The fast path: a bodiless GET to a vault host (getSecret, list, ...) is served here on
   * node:http, by the same precheck/answer steps as the fastify route above, skipping fastify's
   * per-request work (routing, hooks, reply objects: about a tenth of a getSecret's CPU).
   * Invariant: it takes only requests the route above would get, and answers them the same
   * (test/azure/fast-path.test.ts compares both paths). Anything else goes to fastify:
   * other methods, a body (declared or chunked), `/adfs/` (identity endpoints, on any host), a
   * path with `%` (fastify's URL decoding and its errors), very long URLs, other hosts.
   */
  return (req, res) => {
    const url = req.url ?? '';
    if (req.method !== 'GET' || url.charCodeAt(0) !== 47 /* '/' */ || url.length > 2048 || url.startsWith('/adfs/')) return false;
    const host = req.headers.host;
    if (host === undefined || !hostPattern.test(host)) return false;
    const q = url.indexOf('?');
    if ((q < 0 ? url : url.slice(0, q)).includes('%')) return false;
    const length = req.headers['content-length'];
    if ((length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined) return false;
    const request: FrontRequest = {
      method: 'GET',
      url,
      headers: req.headers,
      socket: req.socket,
      protocol: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
    };
    req.resume();
    void (async () => {
      let out: Answer;
      try {
        const checked = await precheck(request);
        out = isCallState(checked) ? await answer(request, checked) : { rendered: checked };
      } catch (err) {
        core.logger.error({ err: errorSummary(err) }, 'internal error while handling a Key Vault request');
        out = { rendered: renderAzureError(500, 'InternalServerError', 'Internal error.') };
      }
      if (!res.headersSent) writeFast(res, out);
    })();
    return true;
  };
}

/**
 * How Key Vault names the caller in a 403: `appid=…;oid=…;iss=…` for an azure-ad token (from
 * the token's own metadata, which core wrote at login), the display name and accessor for other
 * Coffer tokens. Never the token. Asked only after core refused an accepted token.
 */
async function describePrincipal(core: Core, token: string, issuer: string): Promise<string> {
  let entry;
  try {
    entry = token ? await core.tokens.lookup(token) : undefined;
  } catch {
    entry = undefined;
  }
  const meta = entry?.meta ?? {};
  const clean = (s: string) => s.replace(/[^\w.@:/-]/g, '').slice(0, 100);
  if (meta.app_id || meta.principal_id) {
    return `appid=${clean(meta.app_id ?? '')};oid=${clean(meta.principal_id ?? '')};iss=${issuer}`;
  }
  if (entry) return `name=${clean(entry.displayName)};accessor=${clean(entry.accessor)}`;
  return 'unknown';
}
