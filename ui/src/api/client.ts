/**
 * A typed fetch wrapper for the public Vault API under `/v1/` — the same API the CLI uses; the UI
 * has no private endpoints. The token travels only in the `X-Vault-Token` header, never in a URL.
 */

/** What a call did, for error messages ("read on secret/data/x was refused"). */
export type Operation = 'read' | 'list' | 'write' | 'delete';

/** A Vault API answer (the fields the UI uses; `data` is typed by the caller). */
export interface VaultResponse<T = Record<string, unknown>> {
  request_id?: string;
  lease_id?: string;
  lease_duration?: number;
  renewable?: boolean;
  data: T;
  wrap_info?: WrapInfo | null;
  warnings?: string[] | null;
  auth?: Record<string, unknown> | null;
}

/** The wrap_info of a response-wrapped answer. */
export interface WrapInfo {
  token: string;
  accessor?: string;
  ttl: number;
  creation_time: string;
  creation_path: string;
}

/** Options of a single call. */
export interface CallOptions {
  /** Response wrapping: sends `X-Vault-Wrap-TTL` (e.g. "5m"); the answer then carries `wrap_info`. */
  wrapTTL?: string;
  /** Extra query parameters. */
  query?: Record<string, string>;
  signal?: AbortSignal;
  /** Overrides the client's token for this call (e.g. login checks a token before keeping it). */
  token?: string | null;
}

/** A failed call: the HTTP status, Vault's `errors` strings, and what was attempted on which path. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: string[],
    readonly path: string,
    readonly operation: Operation,
  ) {
    super(errors.length ? errors.join('; ') : `${operation} on ${path} failed with HTTP ${status}`);
    this.name = 'ApiError';
  }
}

/** True for an ApiError (also across module copies, by shape). */
export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError || (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'ApiError');
}

/** The API client: read/list/write/del on `/v1/<path>` with the current token. */
export interface ApiClient {
  /** GET. Throws ApiError (404 included) on failure. */
  read<T = Record<string, unknown>>(path: string, opts?: CallOptions): Promise<VaultResponse<T>>;
  /** GET, returning the JSON body as is: for the sys/ endpoints that answer without a `data` wrapper (sys/seal-status, sys/health, sys/leader). */
  readRaw<T>(path: string, opts?: CallOptions): Promise<T>;
  /** GET `?list=true`. A 404 (nothing under the path) is an empty list, as the CLI shows it. */
  list(path: string, opts?: CallOptions): Promise<string[]>;
  /** POST with a JSON body. Resolves null on 204. */
  write<T = Record<string, unknown>>(path: string, body?: unknown, opts?: CallOptions): Promise<VaultResponse<T> | null>;
  /** DELETE. Resolves null on 204. */
  del<T = Record<string, unknown>>(path: string, opts?: CallOptions): Promise<VaultResponse<T> | null>;
}

/** Strips leading slashes and a leading `v1/`, so `/v1/sys/health`, `sys/health` and `/sys/health` are alike. */
export function normalizePath(path: string): string {
  return path.replace(/^\/+/, '').replace(/^v1\//, '');
}

/** Creates a client; `getToken` is read at each call so a login/logout takes effect at once. */
export function createApiClient(getToken: () => string | null, base = '/v1/', fetchImpl: typeof fetch = (...a) => fetch(...a)): ApiClient {
  async function call<T>(method: string, operation: Operation, rawPath: string, body: unknown, opts: CallOptions = {}): Promise<VaultResponse<T> | null> {
    const path = normalizePath(rawPath);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = opts.token === undefined ? getToken() : opts.token;
    if (token) headers['X-Vault-Token'] = token;
    if (opts.wrapTTL) headers['X-Vault-Wrap-TTL'] = opts.wrapTTL;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const query = opts.query && Object.keys(opts.query).length ? `?${new URLSearchParams(opts.query).toString()}` : '';
    const url = base + path.split('/').map(encodeURIComponent).join('/') + query;
    let res: Response;
    try {
      res = await fetchImpl(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: opts.signal, credentials: 'omit', cache: 'no-store' });
    } catch (err) {
      if ((err as { name?: string }).name === 'AbortError') throw err;
      throw new ApiError(0, [`the Coffer server could not be reached (${(err as Error).message})`], path, operation);
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      // Vault's shape is {"errors": [...]}, possibly empty (a 404 of a path with nothing there).
      const vaultErrors = (parsed as { errors?: unknown })?.errors;
      const errors = Array.isArray(vaultErrors) ? vaultErrors.map(String) : text ? [text.slice(0, 300)] : [];
      throw new ApiError(res.status, errors, path, operation);
    }
    if (res.status === 204 || parsed === undefined) return null;
    return parsed as VaultResponse<T>;
  }

  return {
    read: async <T>(path: string, opts?: CallOptions) => {
      const res = await call<T>('GET', 'read', path, undefined, opts);
      if (!res) throw new ApiError(204, ['the server answered with no data'], normalizePath(path), 'read');
      return res;
    },
    readRaw: async <T>(path: string, opts?: CallOptions) => (await call<never>('GET', 'read', path, undefined, opts)) as unknown as T,
    list: async (path: string, opts?: CallOptions) => {
      try {
        const res = await call<{ keys?: string[] }>('GET', 'list', path, undefined, { ...opts, query: { ...opts?.query, list: 'true' } });
        return res?.data?.keys ?? [];
      } catch (err) {
        if (isApiError(err) && err.status === 404 && err.errors.length === 0) return [];
        throw err;
      }
    },
    write: <T>(path: string, body?: unknown, opts?: CallOptions) => call<T>('POST', 'write', path, body ?? {}, opts),
    del: <T>(path: string, opts?: CallOptions) => call<T>('DELETE', 'delete', path, undefined, opts),
  };
}
