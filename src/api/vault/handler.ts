/**
 * The Vault front as a plain node:http request handler. `/v1/...` requests are the hot path
 * (every secret read), so they are served here directly rather than through fastify's router,
 * hooks and reply objects (measured: fastify's per-request work was a large share of a KV
 * read). Everything else (the Key Vault front, identity endpoints, 404s) stays on fastify.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Core } from '../../core/core.js';
import { errorSummary } from '../../core/core.js';
import { CofferError, isCofferError } from '../../core/errors.js';
import { exemptFromRequestTimeout } from '../http/limits.js';
import { renderError, renderResponse, type Rendered } from './render.js';
import { streamedBody } from './streamed-body.js';
import { toLogicalRequest } from './translate.js';

const ALLOW = 'GET, HEAD, POST, PUT, PATCH, DELETE, LIST, OPTIONS';

/** Writes a rendered answer with Vault's headers. */
function write(req: IncomingMessage, res: ServerResponse, rendered: Rendered): void {
  if (res.headersSent) return;
  const headers: Record<string, string | number> = { 'content-type': rendered.contentType ?? 'application/json', 'cache-control': 'no-store' };
  if (rendered.body === undefined || req.method === 'HEAD') {
    res.writeHead(rendered.status, headers);
    res.end();
    return;
  }
  headers['content-length'] = Buffer.byteLength(rendered.body);
  res.writeHead(rendered.status, headers);
  res.end(rendered.body);
}

/**
 * Streams a binary answer. A failure after the headers went out destroys the connection, so the
 * client sees a short body (which a snapshot restore refuses) rather than a complete-looking one.
 */
async function writeStream(req: IncomingMessage, res: ServerResponse, stream: { contentType: string; chunks: () => AsyncIterable<Uint8Array> }): Promise<void> {
  res.writeHead(200, { 'content-type': stream.contentType, 'cache-control': 'no-store' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(Readable.from(stream.chunks()), res).catch(() => res.destroy());
}

/** True when the request declares no body (no content-length or 0, not chunked): readBody would resolve to undefined. */
function hasNoBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length === undefined || Number(length) === 0) && req.headers['transfer-encoding'] === undefined;
}

/** Reads the request body, refusing more than `limit` bytes (413) without buffering them. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length'] ?? 0);
  const tooLarge = () => new CofferError('payload_too_large', `request body too large: the limit is ${limit / 1024 / 1024} MiB`);
  if (declared > limit) {
    req.resume(); // discard, so the connection can answer
    return Promise.reject(tooLarge());
  }
  if (declared === 0 && req.headers['transfer-encoding'] === undefined) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

/** Maps any thrown value to a client-safe CofferError; unknown errors become a generic 500 (logged without request data). */
export function toCofferError(err: unknown, core: Core): CofferError {
  if (isCofferError(err)) return err;
  core.logger.error({ err: errorSummary(err) }, 'internal error while handling a request');
  return new CofferError('internal', 'internal error');
}

/**
 * The one route whose body is streamed instead of buffered: a snapshot restore may be far larger
 * than the body limit and take longer than the request timeout to upload.
 */
const STREAMED_ROUTE = /^\/v1\/sys\/storage\/snapshot\/?(?:\?|$)/;

/** Serves a snapshot restore: the body reaches the route as a stream (idle-timed), never held whole. */
async function serveStreamed(core: Core, req: IncomingMessage, res: ServerResponse, idleMs: number): Promise<void> {
  const release = exemptFromRequestTimeout(req.socket);
  res.once('close', release);
  try {
    const logical = toLogicalRequest({ method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body: undefined, remoteAddress: req.socket.remoteAddress });
    delete logical.rawBody;
    logical.bodyStream = streamedBody(req, idleMs);
    const response = await core.handle(logical);
    finishStreamed(req, res);
    write(req, res, renderResponse(logical.id, response));
  } catch (err) {
    finishStreamed(req, res);
    write(req, res, renderError(toCofferError(err, core)));
  }
}

/** A refused upload is not read to its end: the answer closes the connection instead. */
function finishStreamed(req: IncomingMessage, res: ServerResponse): void {
  if (!req.readableEnded && !res.headersSent) res.setHeader('connection', 'close');
}

/** Options of {@link createVaultHandler}. */
export interface VaultHandlerOptions {
  /** A streamed upload (snapshot restore) fails after this long without a byte (default 30 s). */
  uploadIdleMs?: number;
}

/** Builds the `/v1/...` handler for `core`. */
export function createVaultHandler(core: Core, bodyLimit: number, options: VaultHandlerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const idleMs = options.uploadIdleMs ?? 30_000;
  return (req, res) => {
    // A prefix check first: this runs for every request on the hot path. Other spellings of the
    // path (percent-encoded, doubled slashes) are buffered like any body: restore still works, under the limit.
    if (req.url?.startsWith('/v1/sys/storage/snapshot') && (req.method === 'POST' || req.method === 'PUT') && STREAMED_ROUTE.test(req.url)) {
      void serveStreamed(core, req, res, idleMs);
      return;
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { allow: ALLOW, 'cache-control': 'no-store' });
      res.end();
      req.resume();
      return;
    }
    void (async () => {
      try {
        // Most requests (every read) have no body: no await for one (each costs promise-hook work).
        const body = hasNoBody(req) ? (req.resume(), undefined) : await readBody(req, bodyLimit);
        const logical = toLogicalRequest({
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          body,
          remoteAddress: req.socket.remoteAddress,
        });
        const response = await core.handle(logical);
        if (response.stream) return await writeStream(req, res, response.stream);
        write(req, res, renderResponse(logical.id, response));
      } catch (err) {
        write(req, res, renderError(toCofferError(err, core)));
      }
    })();
  };
}
