/**
 * The Azure Key Vault wire front (docs/dev/AZURE.md, specs/azure-keyvault-api.md). It shares the
 * fastify app with the Vault front and owns no authorization logic: each Key Vault call becomes
 * one LogicalRequest on the vault's `keyvault/<v>/` mount, handled by core's one door.
 *
 * Requests whose Host is `<v>.<base-domain>[:port]` are Key Vault calls (except `/v1/*`, which
 * stays the Vault API on any host). For each one, in this order:
 *   1. sealed → 503;
 *   2. the 401 challenge when there is no usable bearer — in an onRequest hook, i.e. before the
 *      body is read (the SDK's first request is an empty-bodied probe that expects exactly this);
 *   3. the vault must exist (404 VaultNotFound), then the call is translated, handled, rendered.
 * The identity endpoints under `/adfs/` are served on any host (identity.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core } from '../../core/core.js';
import { errorSummary } from '../../core/core.js';
import type { LogicalRequest } from '../../core/logical.js';
import { requiredPermission } from '../../features/keyvault/index.js';
import { JsonBodyError, parseJsonBounded } from '../http/json.js';
import { resolveBearer } from './auth.js';
import { renderCallError } from './errors.js';
import { baseResource, normalizeBaseDomain, requestOrigin, vaultHostPattern, vaultLabel } from './host.js';
import { registerIdentityRoutes } from './identity.js';
import { renderAzureError, renderSuccess, type AzureRendered } from './render.js';
import { fallbackPermission, translateCall } from './translate.js';

export { DEFAULT_BASE_DOMAIN, normalizeBaseDomain } from './host.js';

/** Settings of the Azure front. */
export interface AzureFrontOptions {
  core: Core;
  /** Vaults are served at `<v>.<baseDomain>`; validated with normalizeBaseDomain. */
  baseDomain: string;
  /** The azure-ad auth mount the identity endpoints use (default `auth/azure/`). */
  identityMount?: string;
}

/** What the onRequest hook learnt about a request. */
interface CallState {
  vault: string;
  token: string;
  kind: 'jwt' | 'coffer';
  issuer?: string;
}

const VAULT_MOUNT_PREFIX = 'keyvault/';
const METHODS = ['GET', 'PUT', 'POST', 'PATCH', 'DELETE'] as const;

function send(reply: FastifyReply, rendered: AzureRendered): FastifyReply {
  reply.code(rendered.status).headers({ 'cache-control': 'no-cache', ...(rendered.headers ?? {}) });
  if (rendered.body === undefined) return reply.send();
  return reply.header('content-type', 'application/json; charset=utf-8').send(rendered.body);
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
export function createAzureFront(app: FastifyInstance, options: AzureFrontOptions): void {
  const { core } = options;
  const baseDomain = normalizeBaseDomain(options.baseDomain);
  const identityMount = options.identityMount ?? 'auth/azure/';
  const state = new WeakMap<FastifyRequest, CallState>();

  registerIdentityRoutes(app, { core, mountPath: identityMount });

  const challengeFor = (request: FastifyRequest): string => {
    const resource = baseResource(request.protocol, request.headers.host ?? baseDomain, baseDomain);
    return `Bearer authorization="${resource}/adfs", resource="${resource}"`;
  };

  // Steps 1 and 2: before any body is read.
  const onRequest = async (request: FastifyRequest, reply: FastifyReply) => {
    if (core.sealed) return send(reply, renderAzureError(503, 'ServiceUnavailable', 'The Coffer server is sealed; an operator must unseal it.'));
    const vault = vaultLabel(request.headers.host ?? '', baseDomain) ?? '';
    let result;
    try {
      result = await resolveBearer(request.headers.authorization, { envelope: core.envelope, baseDomain, nowMs: core.clock.now() });
    } catch (err) {
      if (core.sealed) return send(reply, renderAzureError(503, 'ServiceUnavailable', 'The Coffer server is sealed; an operator must unseal it.'));
      core.logger.error({ err: errorSummary(err) }, 'key vault token check failed');
      return send(reply, renderAzureError(500, 'InternalServerError', 'Internal error.'));
    }
    if (!result.ok) {
      return send(reply, renderAzureError(401, 'Unauthorized', result.message, undefined, { 'www-authenticate': challengeFor(request) }));
    }
    state.set(request, { vault, token: result.token, kind: result.kind, issuer: result.issuer });
    return undefined;
  };

  // Step 3.
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const call = state.get(request);
    if (!call) return send(reply, renderAzureError(401, 'Unauthorized', 'AKV10000: Request is missing a Bearer or PoP token.', undefined, { 'www-authenticate': challengeFor(request) }));
    const requestId = randomUUID();
    const clientRequestId = firstHeader(request.headers['x-ms-client-request-id']);
    reply.headers({ 'x-ms-request-id': requestId, ...(clientRequestId && /^[\w-]{1,100}$/.test(clientRequestId) ? { 'x-ms-client-request-id': clientRequestId } : {}) });

    const mount = /^[a-z0-9-]+$/.test(call.vault) ? core.mounts.get(`${VAULT_MOUNT_PREFIX}${call.vault}/`) : undefined;
    if (!mount || mount.entry.type !== 'keyvault') {
      return send(reply, renderAzureError(404, 'VaultNotFound', `The vault '${call.vault.slice(0, 63)}' does not exist on this server (an operator creates it with: coffer keyvault create --name ${call.vault.slice(0, 63)}).`));
    }

    const q = request.url.indexOf('?');
    const pathname = q < 0 ? request.url : request.url.slice(0, q);
    // URLSearchParams decodes keys too: the SDK sends `api%2Dversion`.
    const query = new URLSearchParams(q < 0 ? '' : request.url.slice(q + 1));
    const azureCall = translateCall(request.method, pathname);
    if ('error' in azureCall) {
      const status = azureCall.error === 'not-found' ? 404 : azureCall.error === 'method' ? 405 : 400;
      const code = azureCall.error === 'not-found' ? 'NotFound' : azureCall.error === 'method' ? 'MethodNotAllowed' : 'BadParameter';
      return send(reply, renderAzureError(status, code, azureCall.message));
    }

    let data: Record<string, unknown> = {};
    if (azureCall.hasBody) {
      const parsed = parseJsonBody(request.body);
      if (!parsed.ok) return send(reply, parsed.rendered);
      data = parsed.data;
    }
    const maxResults = query.get('maxresults') ?? undefined;
    if (azureCall.operation === 'list') {
      const skipToken = query.get('$skiptoken') ?? query.get('skiptoken');
      if (maxResults !== undefined) data.maxresults = maxResults;
      if (skipToken !== null) data.skiptoken = skipToken;
    }

    const logical: LogicalRequest = {
      id: requestId,
      operation: azureCall.operation,
      path: `${mount.entry.path}${azureCall.path}`,
      data,
      token: call.token,
      clientAddress: request.socket.remoteAddress,
      via: 'azure',
    };
    try {
      const response = await core.handle(logical);
      return send(reply, renderSuccess(azureCall.render, response.data, {
        origin: requestOrigin(request.protocol, request.headers.host ?? ''),
        apiVersion: query.get('api-version') ?? undefined,
        maxResults,
        collection: azureCall.collection,
      }));
    } catch (err) {
      const rendered = await renderCallError(err, {
        vault: call.vault,
        permission: requiredPermission(logical.operation, azureCall.path) ?? fallbackPermission(azureCall),
        principal: () => describePrincipal(core, call, baseResource(request.protocol, request.headers.host ?? baseDomain, baseDomain)),
        challenge: challengeFor(request),
      });
      if (rendered) return send(reply, rendered);
      core.logger.error({ err: errorSummary(err) }, 'internal error while handling a Key Vault request');
      return send(reply, renderAzureError(500, 'InternalServerError', 'Internal error.'));
    }
  };

  const constraints = { host: vaultHostPattern(baseDomain) };
  app.route({ method: [...METHODS], url: '/', constraints, onRequest, handler });
  app.route({ method: [...METHODS], url: '/*', constraints, onRequest, handler });
}

/**
 * How Key Vault names the caller in a 403: `appid=…;oid=…;iss=…` for an azure-ad token (from
 * the token's own metadata, which core wrote at login), the display name and accessor for other
 * Coffer tokens. Never the token.
 */
async function describePrincipal(core: Core, call: CallState, resource: string): Promise<string> {
  let entry;
  try {
    entry = await core.tokens.lookup(call.token);
  } catch {
    entry = undefined;
  }
  const meta = entry?.meta ?? {};
  const clean = (s: string) => s.replace(/[^\w.@:/-]/g, '').slice(0, 100);
  if (meta.app_id || meta.principal_id) {
    return `appid=${clean(meta.app_id ?? '')};oid=${clean(meta.principal_id ?? '')};iss=${call.issuer ?? `${resource}/adfs`}`;
  }
  if (entry) return `name=${clean(entry.displayName)};accessor=${clean(entry.accessor)}`;
  return 'unknown';
}

