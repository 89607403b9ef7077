/**
 * The HTTP(S) listener serves every wire front: the Vault API under `/v1/` (a plain node
 * handler, the hot path) and, through fastify, the Azure Key Vault front (by Host), the identity
 * endpoints, the web UI at `/ui/` and everything else.
 */
import http from 'node:http';
import https from 'node:https';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { Core } from '../core/core.js';
import { CofferError, isCofferError } from '../core/errors.js';
import { DEFAULT_LISTENER_LIMITS, applyConnectionLimits, installRequestTimeoutExemption, serverOptions, type ListenerLimits } from './http/limits.js';
import { installListMethodSupport } from './http/list-method.js';
import { renderError, type Rendered } from './vault/render.js';
import { createVaultHandler, toCofferError } from './vault/handler.js';
import { DEFAULT_BASE_DOMAIN, createAzureFront, type KeyVaultFastPath } from './azure/index.js';
import { registerUi } from './ui/index.js';

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
  /** Key Vault front: the configured token issuer (default `https://<base domain>:<port>/adfs`). */
  azureIssuer?: () => string;
  /** Key Vault front: answer on plain HTTP (only behind a TLS-terminating proxy). */
  azureAllowPlaintext?: boolean;
  /** Timeouts and connection caps (default DEFAULT_LISTENER_LIMITS). */
  limits?: ListenerLimits;
  /** The built web UI served at /ui/ (default `<package root>/dist/ui`). */
  uiDir?: string;
}

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };

function send(reply: FastifyReply, rendered: Rendered): FastifyReply {
  reply.code(rendered.status).headers(JSON_HEADERS);
  return rendered.body === undefined ? reply.send() : reply.send(rendered.body);
}

/** Builds the fastify app (not yet listening). */
export function createApi(options: ApiOptions): FastifyInstance {
  const { core } = options;
  // Set once the Key Vault front is registered (below); the listener asks it before fastify.
  let keyVaultFast: KeyVaultFastPath | undefined;
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
    serverFactory: (fastifyHandler) => {
      const limits = options.limits ?? DEFAULT_LISTENER_LIMITS;
      // A snapshot upload is exempt from http_read_timeout; it gets the same time between two chunks instead.
      const vault = createVaultHandler(core, options.bodyLimit ?? MAX_BODY_BYTES, { uploadIdleMs: limits.requestTimeoutMs });
      const handler: http.RequestListener = (req, res) => {
        // Shutting down (close() stopped the listener): answer, then drop the connection, so a
        // client that keeps its keep-alive connection busy (a UI polling) cannot hold close() open.
        if (!server.listening) res.setHeader('connection', 'close');
        if (req.url?.startsWith('/v1/')) return vault(req, res);
        if (keyVaultFast?.(req, res)) return;
        fastifyHandler(req, res);
      };
      const timeouts = serverOptions(limits);
      const server: http.Server = options.tls
        ? https.createServer({ cert: options.tls.cert, key: options.tls.key, ...timeouts }, handler)
        : http.createServer(timeouts, handler);
      applyConnectionLimits(server, limits);
      installRequestTimeoutExemption(server);
      installListMethodSupport(server);
      return server as http.Server;
    },
  });

  // Bodies stay raw; each front parses them itself (leniently, as its clients expect).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // The Key Vault front: requests to `<vault>.<base-domain>` hosts, plus the /adfs identity endpoints.
  keyVaultFast = createAzureFront(app, { core, baseDomain: options.azureBaseDomain ?? DEFAULT_BASE_DOMAIN, issuer: options.azureIssuer, allowPlaintext: options.azureAllowPlaintext });

  // The web UI (static files of a client of /v1/) at /ui/, and `/` redirects there as Vault's does.
  registerUi(app, { dir: options.uiDir });

  app.setNotFoundHandler(async (request, reply) => {
    const message = request.url.startsWith('/v1') ? [] : [`no Coffer API at ${request.url.split('?')[0]!.slice(0, 200)}: the Vault API is under /v1/`];
    return send(reply, { status: 404, body: JSON.stringify({ errors: message }) });
  });
  app.setErrorHandler(async (error, _request, reply) => send(reply, renderError(fastifyError(error, core))));
  return app;
}

/** Maps fastify's own errors (body limits, content length) and anything else to a client-safe CofferError. */
function fastifyError(err: unknown, core: Core): CofferError {
  const code = (err as { code?: string })?.code;
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new CofferError('payload_too_large', `request body too large: the limit is ${MAX_BODY_BYTES / 1024 / 1024} MiB`);
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new CofferError('unsupported_media_type', 'unsupported Content-Type');
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || code === 'FST_ERR_CTP_INVALID_CONTENT_LENGTH') return new CofferError('invalid_request', 'invalid request body');
  const status = (err as { statusCode?: number })?.statusCode;
  if (!isCofferError(err) && typeof status === 'number' && status >= 400 && status < 500) return new CofferError('invalid_request', 'invalid request');
  return toCofferError(err, core);
}
