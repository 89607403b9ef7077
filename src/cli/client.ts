/**
 * A small HTTP client of the Vault API, on node:http / node:https (not global fetch, so a
 * custom CA and skip-verify can be set per request). It speaks like the Go CLI: it sends
 * `X-Vault-Token` and `X-Vault-Request: true`, and lists with `GET ?list=true`.
 * Errors it throws are one-line, actionable and never contain a token.
 */

import http from 'node:http';
import https from 'node:https';
import { CliError } from './context.js';
import type { TlsSettings } from './config.js';

/** A decoded response: `body` is the parsed JSON, or null when there was none. */
export interface ApiResponse {
  status: number;
  // The API's JSON is loosely typed by nature; commands pick fields they know.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
  /** The body's bytes (binary answers such as a snapshot). */
  bytes?: Buffer;
}

/** Options of one request. */
export interface RequestOptions {
  /** Query parameters (undefined values are left out). */
  query?: Record<string, string | number | boolean | undefined>;
  /** JSON body; undefined sends no body, null sends `null` (like `vault write -f`). */
  body?: unknown;
  /** Defaults to application/json when there is a body. */
  contentType?: string;
  /** How errors describe the call, e.g. `reading secret/data/foo` (default: from method and path). */
  action?: string;
  /** Return a 404 response instead of throwing (reads that may find nothing). */
  allowNotFound?: boolean;
  /** Use this token instead of the client's (null: send none). */
  token?: string | null;
  /** A binary body sent as-is (Content-Type application/octet-stream unless `contentType`); replaces `body`. */
  rawBody?: Buffer;
  /** Called with the running count of body bytes received (progress of a large download). */
  onBytes?: (received: number) => void;
  /**
   * Receives a successful (status < 400) answer's body chunk by chunk instead of buffering it
   * (a snapshot download); the returned `bytes` is then empty. Error answers are buffered as usual.
   */
  onChunk?: (chunk: Buffer) => void;
  /** A binary body streamed from `open()` (`length` bytes, a file being uploaded); replaces `body` and `rawBody`. */
  upload?: { length: number; open: () => NodeJS.ReadableStream; onSent?: (sent: number) => void };
  /** Aborts the request (a long poll the caller no longer needs). */
  signal?: AbortSignal;
  /** Ask the server to wrap the response (`X-Vault-Wrap-TTL`, e.g. `5m`); unset or empty: no wrapping. */
  wrapTtl?: string;
}

/** A streamed request body (see RequestOptions.upload). */
type Upload = NonNullable<RequestOptions['upload']>;

/** Options of a client. */
export interface ClientOptions {
  address: string;
  token?: string;
  tls?: TlsSettings;
  /** Per-request timeout; 60 s like the Go client. */
  timeoutMs?: number;
}

/** The API answered with an error status. */
export class ApiError extends CliError {
  constructor(
    message: string,
    readonly status: number,
    readonly errors: string[],
    readonly response: ApiResponse,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The server could not be reached (refused, DNS, TLS, timeout). */
export class ConnectionError extends CliError {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

const TLS_TRUST_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** A readable reason for a socket-level failure code. */
function connectionReason(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return code;
  }
}

/** Turn Go multierror text ("1 error occurred:\n\t* permission denied\n\n") into plain text. */
export function cleanServerMessage(message: string): string {
  const m = /^\d+ errors? occurred:\s*([\s\S]*)$/.exec(message.trim());
  if (!m) return message.trim();
  const items = m[1]!
    .split('\n')
    .map((line) => line.replace(/^\s*\*\s?/, '').trim())
    .filter((line) => line !== '');
  return items.join('; ');
}

/** The capability an operation needs, for the 403 hint. */
function capabilityFor(method: string): string {
  switch (method) {
    case 'GET':
      return '"read"';
    case 'LIST':
      return '"list"';
    case 'DELETE':
      return '"delete"';
    case 'PATCH':
      return '"patch"';
    default:
      return '"create" or "update"';
  }
}

function verbFor(method: string): string {
  switch (method) {
    case 'GET':
      return 'reading';
    case 'LIST':
      return 'listing';
    case 'DELETE':
      return 'deleting';
    case 'PATCH':
      return 'patching';
    default:
      return 'writing';
  }
}

/** Strip user:password from an address before it appears in a message. */
function displayAddress(address: string): string {
  try {
    const url = new URL(address);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return address;
  }
}

/** An HTTP client bound to one server address and (optionally) one token. */
export class CofferClient {
  readonly address: string;
  private token: string | undefined;
  private readonly tls: TlsSettings;
  private readonly timeoutMs: number;
  // Values that must never be echoed in an error (the token, tokens sent in bodies).
  private readonly secrets = new Set<string>();

  constructor(options: ClientOptions) {
    this.address = options.address.replace(/\/+$/, '');
    this.token = options.token;
    if (options.token) this.secrets.add(options.token);
    this.tls = options.tls ?? { skipVerify: false };
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  /** Whether a token will be sent. */
  get hasToken(): boolean {
    return this.token !== undefined && this.token !== '';
  }

  /** Use another token from now on (e.g. after login). */
  setToken(token: string | undefined): void {
    this.token = token;
    if (token) this.secrets.add(token);
  }

  /** Remember a value that must be redacted from error messages (a token sent in a body). */
  addSecret(value: string | undefined): void {
    if (value) this.secrets.add(value);
  }

  /** Replace every known secret in `text` with `<redacted>`. */
  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) if (s.length >= 4) out = out.split(s).join('<redacted>');
    return out;
  }

  /**
   * Send one request to `/v1/<path>`. `method` may be `LIST` (sent as `GET ?list=true`).
   * Throws ApiError for status >= 400 (except 404 with `allowNotFound`) and ConnectionError
   * when the server cannot be reached.
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const apiPath = path.replace(/^\/+/, '').replace(/^v1\//, '');
    const action = options.action ?? `${verbFor(method)} ${apiPath}`;
    const base = new URL(this.address);
    const basePath = base.pathname.replace(/\/+$/, '');
    const encoded = apiPath
      .split('/')
      .map((seg) => encodeURIComponent(seg))
      .join('/');
    const url = new URL(`${basePath}/v1/${encoded}`, base);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined) url.searchParams.set(k, String(v));
    }
    let httpMethod = method;
    if (method === 'LIST') {
      httpMethod = 'GET';
      url.searchParams.set('list', 'true');
    }

    const headers: Record<string, string> = { 'X-Vault-Request': 'true', Accept: 'application/json' };
    const token = options.token === undefined ? this.token : (options.token ?? undefined);
    if (token) {
      headers['X-Vault-Token'] = token;
      this.secrets.add(token);
    }
    if (options.wrapTtl) headers['X-Vault-Wrap-TTL'] = options.wrapTtl;
    let payload: Buffer | Upload | undefined;
    if (options.upload !== undefined) {
      payload = options.upload;
      headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
      headers['Content-Length'] = String(options.upload.length);
    } else if (options.rawBody !== undefined) {
      payload = options.rawBody;
      headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
      headers['Content-Length'] = String(payload.length);
    } else if (options.body !== undefined) {
      payload = Buffer.from(JSON.stringify(options.body), 'utf8');
      headers['Content-Type'] = options.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }

    const response = await this.send(url, httpMethod, headers, payload, action, options.onBytes, options.signal, options.onChunk);
    if (response.status >= 400 && !(response.status === 404 && options.allowNotFound)) {
      throw this.apiError(response, method, apiPath, action, token !== undefined);
    }
    return response;
  }

  /** GET a path; null on 404. */
  async read(path: string, options: RequestOptions = {}): Promise<ApiResponse | null> {
    const res = await this.request('GET', path, { ...options, allowNotFound: true });
    return res.status === 404 ? null : res;
  }

  /** PUT a JSON body to a path (POST and PUT are the same to the API). */
  async write(path: string, body: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    return this.request('PUT', path, { ...options, body });
  }

  /** LIST a path; the keys, or null when there are none (the API answers 404). */
  async list(path: string, options: RequestOptions = {}): Promise<string[] | null> {
    const res = await this.request('LIST', path, { ...options, allowNotFound: true });
    if (res.status === 404) return null;
    const keys = res.body?.data?.keys;
    return Array.isArray(keys) ? keys.map(String) : null;
  }

  /** DELETE a path. */
  async delete(path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    return this.request('DELETE', path, options);
  }

  private send(
    url: URL,
    method: string,
    headers: Record<string, string>,
    payload: Buffer | Upload | undefined,
    action: string,
    onBytes?: (received: number) => void,
    signal?: AbortSignal,
    onChunk?: (chunk: Buffer) => void,
  ): Promise<ApiResponse> {
    const isHttps = url.protocol === 'https:';
    const transport = isHttps ? https : http;
    const tlsOptions: https.RequestOptions = isHttps
      ? { ca: this.tls.ca, rejectUnauthorized: !this.tls.skipVerify }
      : {};
    return new Promise<ApiResponse>((resolve, reject) => {
      const req = transport.request(url, { method, headers, agent: false, signal, ...tlsOptions }, (res) => {
        const chunks: Buffer[] = [];
        let received = 0;
        let sinkError: unknown;
        const sink = onChunk !== undefined && (res.statusCode ?? 0) < 400 ? onChunk : undefined;
        res.on('data', (c: Buffer) => {
          if (sink) {
            try {
              sink(c);
            } catch (err) {
              sinkError = err;
              res.destroy(err as Error);
              return;
            }
          } else chunks.push(c);
          received += c.length;
          onBytes?.(received);
        });
        // A failing sink (the caller's own error, e.g. a bad snapshot) is reported as itself.
        res.on('error', (err) => reject(sinkError ?? this.connectionError(err, action)));
        res.on('end', () => {
          const bytes = Buffer.concat(chunks);
          const text = bytes.toString('utf8');
          let body: unknown = null;
          if (text.trim() !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              body = null;
            }
          }
          resolve({ status: res.statusCode ?? 0, body, text, bytes });
        });
      });
      req.setTimeout(this.timeoutMs, () => {
        req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' }));
      });
      req.on('error', (err) => reject(this.connectionError(err, action)));
      if (payload === undefined || Buffer.isBuffer(payload)) {
        req.end(payload);
        return;
      }
      const source = payload.open();
      let sent = 0;
      source.on('data', (c: Buffer) => {
        sent += c.length;
        payload.onSent?.(sent);
      });
      source.on('error', (err: Error) => req.destroy(err));
      source.pipe(req);
    });
  }

  private connectionError(err: Error, action: string): ConnectionError {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const where = displayAddress(this.address);
    let message: string;
    if (TLS_TRUST_CODES.has(code)) {
      message =
        `Error ${action}: the TLS certificate of ${where} is not trusted (${code}). ` +
        'Set COFFER_CACERT to the CA certificate file (or COFFER_SKIP_VERIFY=true for a throwaway dev server).';
    } else if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      message = `Error ${action}: the TLS certificate of ${where} does not name this host. Use the host name the certificate was issued for in COFFER_ADDR.`;
    } else if (code === 'CERT_HAS_EXPIRED') {
      message = `Error ${action}: the TLS certificate of ${where} has expired.`;
    } else if (code === 'EPROTO' || code.startsWith('ERR_SSL')) {
      message = `Error ${action}: TLS handshake with ${where} failed (${code}). Does COFFER_ADDR use the right scheme (http:// or https://)?`;
    } else if (code === 'HPE_INVALID_CONSTANT' || code.startsWith('HPE_')) {
      message = `Error ${action}: ${where} did not answer with HTTP (${code}). Is the server using https? Check COFFER_ADDR.`;
    } else {
      message = `Error ${action}: cannot reach the Coffer server at ${where} (${connectionReason(code)}). Is it running? Set COFFER_ADDR.`;
    }
    return new ConnectionError(this.redact(message), code);
  }

  private apiError(res: ApiResponse, method: string, apiPath: string, action: string, sentToken: boolean): ApiError {
    const errors: string[] = Array.isArray(res.body?.errors)
      ? res.body.errors.map((e: unknown) => cleanServerMessage(String(e)))
      : [];
    let detail = errors.join('; ');
    if (detail === '' && res.body === null && res.text.trim() !== '') {
      detail = res.text.trim().slice(0, 200);
    }
    let message: string;
    if (res.status === 403) {
      message = `Error ${action}: ${detail || 'permission denied'} (403). `;
      message += sentToken
        ? `The server rejected the token, or its policies do not grant ${capabilityFor(method)} on "${apiPath}".`
        : 'No token is set: run "coffer login" or set COFFER_TOKEN.';
    } else if (res.status === 503 && /sealed/i.test(detail)) {
      message = `Error ${action}: Vault is sealed: run "coffer operator unseal"`;
    } else if (res.status === 404 && detail === '') {
      message = `Error ${action}: nothing found at "${apiPath}" (404)`;
    } else {
      message = `Error ${action}: ${detail || http.STATUS_CODES[res.status] || 'error'} (${res.status})`;
    }
    return new ApiError(this.redact(message), res.status, errors.map((e) => this.redact(e)), res);
  }
}
