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
import { renderError, renderResponse, type Rendered } from './render.js';
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

/** Builds the `/v1/...` handler for `core`. */
export function createVaultHandler(core: Core, bodyLimit: number): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { allow: ALLOW, 'cache-control': 'no-store' });
      res.end();
      req.resume();
      return;
    }
    void (async () => {
      try {
        const body = await readBody(req, bodyLimit);
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
