/**
 * The local managed-identity endpoint of `coffer run --identity APP`: a tiny HTTP server on
 * 127.0.0.1 (random port) that the child process's Azure SDK asks for tokens, the way it asks
 * App Service's endpoint (spec §4b). Each token comes from Coffer's
 * `POST /v1/auth/azure/identity/login` with the session secret of this run.
 *
 * Supported request shapes (every one needs the per-process secret header):
 *   - App Service 2019: `GET /msi/token?api-version=2019-08-01&resource=…[&client_id=…]`,
 *     header `x-identity-header` (env IDENTITY_ENDPOINT + IDENTITY_HEADER).
 *   - 2017 MSI: `GET /msi/token[/]?api-version=2017-09-01&resource=…[&clientid=…]`, header
 *     `secret` (env MSI_ENDPOINT + MSI_SECRET; also the legacy `azure-keyvault` v3 SDK).
 *
 * Every failure is answered with 400 `{"error":"invalid_request",...}` and fast: the SDK treats a
 * 400 as "no managed identity here" at once, while a 5xx, a 404 or a hang costs the user 18-20 s
 * of retries or blocks DefaultAzureCredential forever. Upstream calls therefore time out after
 * 5 s. This module is CLI layer: it speaks HTTP to Coffer only (never imports core).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The call to Coffer's Vault API the endpoint needs (CofferClient.request fits). */
export type CofferRequestFn = (
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null },
) => Promise<{ status: number; body: unknown }>;

/** Options of startMsiEndpoint. */
export interface MsiEndpointOptions {
  /** Sends a request to the Coffer server (e.g. `(m, p, o) => client.request(m, p, o)`). */
  request: CofferRequestFn;
  /** The managed identity this run acts as. */
  identityName: string;
  /** The session secret from `auth/<mount>/identity/<name>/session`. */
  sessionSecret: string;
  /** The azure-ad mount path (default `auth/azure`). */
  mountPath?: string;
  /** The `iss` claim to ask for, `<coffer address>/adfs` (default: the server's own default). */
  issuer?: string;
  /** Upstream timeout in ms (default 5000). */
  timeoutMs?: number;
  /** Reuse a token while it has at least this many seconds left (default 300). */
  minRemainingSeconds?: number;
  /** Tests: unix ms. */
  now?: () => number;
}

/** A running endpoint. */
export interface MsiEndpoint {
  /** `http://127.0.0.1:<port>/msi/token`: the value of IDENTITY_ENDPOINT and MSI_ENDPOINT. */
  endpoint: string;
  /** The per-process secret: the value of IDENTITY_HEADER and MSI_SECRET. */
  header: string;
  /** The environment variables a child process needs. */
  env: Record<'IDENTITY_ENDPOINT' | 'IDENTITY_HEADER' | 'MSI_ENDPOINT' | 'MSI_SECRET', string>;
  close(): Promise<void>;
}

interface CachedToken {
  accessToken: string;
  expiresOn: number;
  resource: string;
  clientId: string;
  principalId?: string;
}

/** A failure shown to the SDK as a 400 (the message must never contain a secret). */
class MsiError extends Error {}

const TOKEN_PATHS = new Set(['/msi/token', '/msi/token/']);

function sameSecret(given: string | undefined, expected: Buffer): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given, 'utf8');
  // Compare equal-length buffers only; the length of a random secret is not a secret.
  return a.length === expected.length && timingSafeEqual(a, expected);
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new MsiError(`the Coffer server did not answer within ${ms / 1000} s`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** A one-line reason from whatever the upstream call threw or answered (no secrets in it). */
function upstreamReason(err: unknown): string {
  if (err instanceof MsiError) return err.message;
  const body = (err as { response?: { body?: unknown }; body?: unknown })?.response?.body ?? (err as { body?: unknown })?.body;
  const fromBody = reasonFromBody(body);
  if (fromBody) return fromBody;
  const message = err instanceof Error ? err.message : String(err);
  return `the Coffer login failed: ${message.split('\n')[0]!.slice(0, 300)}`;
}

function reasonFromBody(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { errors?: unknown; data?: { error_description?: unknown } };
  if (typeof b.data?.error_description === 'string') return `the Coffer login failed: ${b.data.error_description.slice(0, 300)}`;
  if (Array.isArray(b.errors) && b.errors.length > 0) return `the Coffer login failed: ${b.errors.map(String).join('; ').replace(/\s+/g, ' ').slice(0, 300)}`;
  return undefined;
}

/**
 * Starts the endpoint on 127.0.0.1 with a random port and a fresh per-process secret. Close it
 * when the child exits (and revoke the session).
 */
export async function startMsiEndpoint(options: MsiEndpointOptions): Promise<MsiEndpoint> {
  const mountPath = (options.mountPath ?? 'auth/azure').replace(/^\/+|\/+$/g, '');
  const timeoutMs = options.timeoutMs ?? 5000;
  const minRemaining = options.minRemainingSeconds ?? 300;
  const now = options.now ?? (() => Date.now());
  const secret = randomBytes(32).toString('base64url');
  const secretBuf = Buffer.from(secret, 'utf8');
  const cache = new Map<string, CachedToken>();
  const inflight = new Map<string, Promise<CachedToken>>();

  const login = async (resource: string): Promise<CachedToken> => {
    const res = await withTimeout(
      options.request('POST', `${mountPath}/identity/login`, {
        body: { name: options.identityName, session_secret: options.sessionSecret, resource, ...(options.issuer ? { issuer: options.issuer } : {}) },
        token: null,
      }),
      timeoutMs,
    );
    if (res.status >= 400) throw new MsiError(reasonFromBody(res.body) ?? `the Coffer login answered HTTP ${res.status}`);
    const data = (res.body as { data?: Record<string, unknown> } | null)?.data;
    const accessToken = data?.access_token;
    const expiresOn = Number(data?.expires_on);
    if (typeof accessToken !== 'string' || accessToken === '' || !Number.isFinite(expiresOn)) {
      throw new MsiError('the Coffer login answer has no access token (is auth/azure an azure-ad mount?)');
    }
    return {
      accessToken,
      expiresOn: Math.floor(expiresOn),
      resource,
      clientId: typeof data?.client_id === 'string' ? data.client_id : '',
      principalId: typeof data?.principal_id === 'string' ? data.principal_id : undefined,
    };
  };

  /** A token for `resource`: cached while it has enough life left; one login at a time per resource. */
  const tokenFor = async (resource: string): Promise<CachedToken> => {
    const cached = cache.get(resource);
    if (cached && cached.expiresOn - now() / 1000 > minRemaining) return cached;
    let pending = inflight.get(resource);
    if (!pending) {
      pending = login(resource).finally(() => inflight.delete(resource));
      inflight.set(resource, pending);
    }
    const token = await pending;
    cache.set(resource, token);
    return token;
  };

  const answer = async (req: http.IncomingMessage): Promise<Record<string, unknown>> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET') throw new MsiError(`use GET (got ${String(req.method).slice(0, 10)})`);
    if (!TOKEN_PATHS.has(url.pathname)) throw new MsiError('unknown path: the token endpoint is /msi/token');
    const given = header(req, 'x-identity-header') ?? header(req, 'secret');
    if (!sameSecret(given, secretBuf)) throw new MsiError('missing or wrong x-identity-header (or secret) header: use the value of IDENTITY_HEADER (or MSI_SECRET)');
    const resource = (url.searchParams.get('resource') ?? '').trim();
    if (resource === '') throw new MsiError('the resource query parameter is required, e.g. resource=https://vault.localhost:8443');
    const token = await tokenFor(resource);
    // A request for a particular user-assigned identity must name this one.
    const clientId = url.searchParams.get('client_id') ?? url.searchParams.get('clientid');
    if (clientId && token.clientId && clientId.toLowerCase() !== token.clientId.toLowerCase()) {
      throw new MsiError(`identity with client_id ${clientId.slice(0, 64)} is not available to this process (it runs as "${options.identityName}")`);
    }
    const objectId = url.searchParams.get('object_id') ?? url.searchParams.get('principal_id');
    if (objectId && token.principalId && objectId.toLowerCase() !== token.principalId.toLowerCase()) {
      throw new MsiError(`identity with object_id ${objectId.slice(0, 64)} is not available to this process (it runs as "${options.identityName}")`);
    }
    const resId = url.searchParams.get('mi_res_id') ?? url.searchParams.get('msi_res_id');
    if (resId && resId.split('/').pop()?.toLowerCase() !== options.identityName.toLowerCase()) {
      throw new MsiError(`identity ${resId.slice(0, 200)} is not available to this process (it runs as "${options.identityName}")`);
    }
    return {
      access_token: token.accessToken,
      expires_on: String(token.expiresOn),
      resource,
      token_type: 'Bearer',
      client_id: token.clientId,
    };
  };

  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      res.end(text);
    };
    // Bodies are never needed; drain them so keep-alive works.
    req.resume();
    answer(req).then(
      (body) => reply(200, body),
      (err) => reply(400, { error: 'invalid_request', error_description: upstreamReason(err) }),
    );
  });
  // Slow or idle clients must not pin the process.
  server.headersTimeout = 10_000;
  server.requestTimeout = timeoutMs + 5_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}/msi/token`;
  return {
    endpoint,
    header: secret,
    env: { IDENTITY_ENDPOINT: endpoint, IDENTITY_HEADER: secret, MSI_ENDPOINT: endpoint, MSI_SECRET: secret },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
