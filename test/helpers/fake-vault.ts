/**
 * An in-process stand-in for a Coffer server that records every request the CLI sends and
 * answers from a handler: for tests of exactly what goes on the wire.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as received. */
export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: any;
}

/** The handler's answer: a status and an optional JSON body. */
export type Reply = { status: number; body?: unknown };

/** Decides the answer to one request. */
export type Handler = (req: Recorded) => Reply;

/** Starts the recorder on a random loopback port; it stops after the test. */
export async function fakeVault(t: { after(fn: () => Promise<void> | void): void }, handler: Handler) {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const text = Buffer.concat(chunks).toString('utf8');
      const rec: Recorded = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, text, body: text ? JSON.parse(text) : undefined };
      requests.push(rec);
      const reply = handler(rec);
      if (reply.body === undefined) res.writeHead(reply.status).end();
      else res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, requests };
}
