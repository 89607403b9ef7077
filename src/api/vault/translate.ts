/**
 * Vault wire front, inbound: turns an HTTP request into a LogicalRequest following the
 * conventions in specs/vault-http-api.md §1 (methods, `?list=`, query-as-data for reads,
 * lenient bodies, token headers, X-Vault-Wrap-TTL, X-Vault-Namespace).
 */
import { randomUUID } from 'node:crypto';
import { CofferError, badRequest } from '../../core/errors.js';
import { parseBool, parseDuration } from '../../core/fields.js';
import type { LogicalRequest, Operation } from '../../core/logical.js';
import { JsonBodyError, parseJsonBounded } from '../http/json.js';
import { LIST_ALIAS_METHOD, SCAN_ALIAS_METHOD } from '../http/list-method.js';

/** The parts of an HTTP request the translation needs. */
export interface HttpRequestParts {
  method: string;
  /** Raw URL path and query, e.g. `/v1/secret/data/foo?version=2`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer | undefined;
  remoteAddress?: string;
}

function header(headers: HttpRequestParts['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Extracts the client token: X-Vault-Token first, else the first `Authorization: Bearer` value. */
export function tokenFrom(headers: HttpRequestParts['headers']): string | undefined {
  const direct = header(headers, 'x-vault-token');
  if (direct) return direct.trim();
  const authz = headers.authorization;
  for (const value of Array.isArray(authz) ? authz : authz ? [authz] : []) {
    if (value.startsWith('Bearer ')) return value.slice(7).trim();
  }
  return undefined;
}

/** Parses a request body leniently: empty, `null` and `{}` are all an empty object. Nesting is bounded (MAX_JSON_DEPTH). */
export function parseBody(body: Buffer | undefined, contentType: string | undefined): Record<string, unknown> {
  if (!body || body.length === 0) return {};
  const text = body.toString('utf8');
  const trimmed = text.trimStart();
  if (contentType?.startsWith('application/x-www-form-urlencoded') && !trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(text)) out[k] = v;
    return out;
  }
  if (trimmed === '') return {};
  let parsed: unknown;
  try {
    parsed = parseJsonBounded(text);
  } catch (err) {
    throw badRequest(`error parsing JSON body: ${err instanceof JsonBodyError ? err.message : 'invalid JSON'}`);
  }
  if (parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('error parsing JSON body: the body must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** Builds the LogicalRequest for a `/v1/...` HTTP request. */
export function toLogicalRequest(http: HttpRequestParts): LogicalRequest {
  const q = http.url.indexOf('?');
  const rawPath = (q < 0 ? http.url : http.url.slice(0, q)).slice('/v1/'.length);
  const query = new URLSearchParams(q < 0 ? '' : http.url.slice(q + 1));
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw badRequest('malformed percent-encoding in the request path');
  }
  path = path.replace(/^\/+/, '');

  const namespace = header(http.headers, 'x-vault-namespace');
  if (namespace !== undefined && !['', 'root', 'root/'].includes(namespace.trim())) {
    throw badRequest(`namespaces are not supported: Coffer has only the root namespace (got X-Vault-Namespace "${namespace.slice(0, 64)}")`);
  }

  const method = http.method.toUpperCase();
  let operation: Operation;
  const listParam = query.get('list');
  let isList = method === 'LIST' || method === LIST_ALIAS_METHOD;
  if (!isList && method === 'GET' && listParam !== null) {
    const b = parseBool(listParam);
    if (b === undefined) throw badRequest(`invalid value for "list": "${listParam.slice(0, 20)}" is not a boolean`);
    isList = b;
  }
  // OpenBao's recursive listing: the SCAN verb, or GET with ?scan=true for clients without custom verbs.
  let isScan = method === 'SCAN' || method === SCAN_ALIAS_METHOD;
  const scanParam = query.get('scan');
  if (!isList && !isScan && method === 'GET' && scanParam !== null) {
    const b = parseBool(scanParam);
    if (b === undefined) throw badRequest(`invalid value for "scan": "${scanParam.slice(0, 20)}" is not a boolean`);
    isScan = b;
  }
  if (isScan) operation = 'scan';
  else if (isList) operation = 'list';
  else if (method === 'GET' || method === 'HEAD') operation = 'read';
  else if (method === 'POST' || method === 'PUT') operation = 'update';
  else if (method === 'PATCH') operation = 'patch';
  else if (method === 'DELETE') operation = 'delete';
  else throw new CofferError('unsupported_operation', `unsupported method ${method}`);

  const helpParam = query.get('help');
  if (helpParam !== null && parseBool(helpParam)) operation = 'help';
  if ((operation === 'list' || operation === 'scan') && !path.endsWith('/')) path += '/';

  let data: Record<string, unknown>;
  let rawBody: Buffer | undefined;
  if (operation === 'update' || operation === 'patch') {
    const contentType = header(http.headers, 'content-type');
    if (operation === 'patch' && !contentType?.toLowerCase().startsWith('application/merge-patch+json')) {
      throw new CofferError('unsupported_media_type', 'PATCH requires Content-Type: application/merge-patch+json');
    }
    if (operation === 'update' && contentType?.toLowerCase().startsWith('application/octet-stream')) {
      rawBody = http.body ?? Buffer.alloc(0);
      // Clients that label JSON as octet-stream keep working; binary bodies (snapshots) stay raw.
      data = rawBody.subarray(0, 64).toString('latin1').trimStart().startsWith('{') ? parseBody(rawBody, 'application/json') : {};
    } else {
      data = parseBody(http.body, contentType);
    }
  } else {
    data = {};
    for (const [k, v] of query) if (k !== 'help' && k !== 'list' && k !== 'scan') data[k] = v;
  }

  let wrapTTL: number | undefined;
  const wrapHeader = header(http.headers, 'x-vault-wrap-ttl');
  if (wrapHeader !== undefined && wrapHeader !== '') {
    try {
      wrapTTL = parseDuration(wrapHeader, 'X-Vault-Wrap-TTL');
    } catch {
      throw badRequest('error parsing X-Vault-Wrap-TTL header: use a duration such as "60s" or "5m"');
    }
    if (wrapTTL === 0) wrapTTL = undefined;
  }

  return {
    id: randomUUID(),
    operation,
    path,
    data,
    token: tokenFrom(http.headers),
    clientAddress: http.remoteAddress,
    wrapTTL,
    via: 'vault',
    ...(rawBody !== undefined ? { rawBody } : {}),
  };
}
