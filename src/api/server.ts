/**
 * The HTTP(S) listener: one fastify instance serves every wire front. Today that is the
 * Vault API under `/v1/`; the Azure Key Vault front attaches to the same server by Host.
 */
import http from 'node:http';
import https from 'node:https';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Core } from '../core/core.js';
import { errorSummary } from '../core/core.js';
import { CofferError, isCofferError } from '../core/errors.js';
import { LIST_ALIAS_METHOD, installListMethodSupport } from './http/list-method.js';
import { renderError, renderResponse, type Rendered } from './vault/render.js';
import { toLogicalRequest } from './vault/translate.js';
import { DEFAULT_BASE_DOMAIN, createAzureFront } from './azure/index.js';

/** Vault's request body limit. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** Listener settings. */
export interface ApiOptions {
  core: Core;
  /** PEM certificate and key: when given the listener speaks HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
  bodyLimit?: number;
  /** Key Vault front: vaults are served at `<v>.<azureBaseDomain>` (default `vault.localhost`). */
  azureBaseDomain?: string;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function send(reply: FastifyReply, rendered: Rendered): FastifyReply {
  reply.code(rendered.status).headers(JSON_HEADERS);
  return rendered.body === undefined ? reply.send() : reply.send(rendered.body);
}

/** Builds the fastify app (not yet listening). */
export function createApi(options: ApiOptions): FastifyInstance {
  const { core } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: options.bodyLimit ?? MAX_BODY_BYTES,
    exposeHeadRoutes: false,
    // Vault paths may hold any characters; fastify must not reject long or odd URLs itself.
    routerOptions: { maxParamLength: 8192, ignoreDuplicateSlashes: false },
    // Errors fastify raises before routing (bad URL encoding, bad content length) in Vault's shape.
    frameworkErrors: (error, _request, reply) => {
      const code = (error as { code?: string }).code;
      const message = code === 'FST_ERR_BAD_URL' ? 'malformed percent-encoding in the request path' : 'invalid request';
      void send(reply, renderError(new CofferError('invalid_request', message)));
    },
    serverFactory: (handler) => {
      const server = options.tls
        ? https.createServer({ cert: options.tls.cert, key: options.tls.key }, handler)
        : http.createServer(handler);
      installListMethodSupport(server);
      return server as http.Server;
    },
  });
  app.addHttpMethod(LIST_ALIAS_METHOD, { hasBody: true });

  // Bodies stay raw; the Vault front parses them leniently (no content type, form, null).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const vaultHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    let requestId = '';
    try {
      const logical = toLogicalRequest({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: request.body as Buffer | undefined,
        remoteAddress: request.socket.remoteAddress,
      });
      requestId = logical.id;
      const response = await core.handle(logical);
      return send(reply, renderResponse(requestId, response));
    } catch (err) {
      return send(reply, renderError(toCofferError(err, core)));
    }
  };
  app.route({
    method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', LIST_ALIAS_METHOD],
    url: '/v1/*',
    handler: vaultHandler,
  });
  app.route({ method: 'OPTIONS', url: '/v1/*', handler: async (_req, reply) => reply.code(204).headers({ allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, LIST, OPTIONS' }).send() });

  // The Key Vault front: requests to `<vault>.<base-domain>` hosts, plus the /adfs identity endpoints.
  createAzureFront(app, { core, baseDomain: options.azureBaseDomain ?? DEFAULT_BASE_DOMAIN });

  app.setNotFoundHandler(async (request, reply) => {
    const message = request.url.startsWith('/v1') ? [] : [`no Coffer API at ${request.url.split('?')[0]!.slice(0, 200)}: the Vault API is under /v1/`];
    return send(reply, { status: 404, body: JSON.stringify({ errors: message }) });
  });
  app.setErrorHandler(async (error, _request, reply) => send(reply, renderError(toCofferError(error, core))));
  return app;
}

/** Maps any thrown value to a client-safe CofferError (unknown errors become a generic 500). */
function toCofferError(err: unknown, core: Core): CofferError {
  if (isCofferError(err)) return err;
  const code = (err as { code?: string })?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new CofferError('payload_too_large', `request body too large: the limit is ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new CofferError('unsupported_media_type', 'unsupported Content-Type');
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return new CofferError('invalid_request', 'invalid request body');
  const status = (err as { statusCode?: number })?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return new CofferError('invalid_request', 'invalid request');
  core.logger.error({ err: errorSummary(err) }, 'internal error while handling a request');
  return new CofferError('internal', 'internal error');
}
