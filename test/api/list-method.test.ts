import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import {
  LIST_ALIAS_METHOD,
  ListMethodRewriter,
  MAX_HEAD_BYTES,
  installListMethodSupport,
  isListRequest,
} from '../../src/api/http/list-method.js';

const TIMEOUT = { timeout: 10_000 };

interface Echo {
  method: string;
  url: string;
  body: string;
  list: boolean;
}

interface Response {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The test handler: echoes method, url, body (latin1) and whether it was a LIST. */
function echoHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (d: Buffer) => parts.push(d));
  req.on('end', () => {
    const echo: Echo = {
      method: req.method ?? '',
      url: req.url ?? '',
      body: Buffer.concat(parts).toString('latin1'),
      list: isListRequest(req),
    };
    const out = JSON.stringify(echo);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
    res.end(out);
  });
}

/** A server under test plus a count of the bytes (and reads) the latest connection received. */
class Harness {
  received = 0;
  reads = 0;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  private onConnection: (() => void) | null = null;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly server: http.Server | https.Server,
    readonly port: number,
  ) {}

  /** Counts bytes as the server's socket delivers them (registered after the rewriter's listener). */
  track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    this.received = 0;
    this.reads = 0;
    this.onConnection?.();
    this.onConnection = null;
    socket.on('data', (d: Buffer) => {
      this.received += d.length;
      this.reads++;
      this.waiters = this.waiters.filter((w) => {
        if (this.received < w.n) return true;
        w.resolve();
        return false;
      });
    });
  }

  /** Resolves when the server has set up its next connection. */
  nextConnection(): Promise<void> {
    return new Promise((resolve) => (this.onConnection = resolve));
  }

  /** Resolves once the latest connection has received `n` bytes in total. */
  waitReceived(n: number): Promise<void> {
    if (this.received >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  /** Closes the server and every connection it accepted (upgraded ones included), even after a failed test. */
  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

async function listen(server: http.Server | https.Server): Promise<Harness> {
  installListMethodSupport(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const harness = new Harness(server, (server.address() as net.AddressInfo).port);
  const event = server instanceof tls.Server ? 'secureConnection' : 'connection';
  server.on(event, (socket: net.Socket) => harness.track(socket));
  return harness;
}

/** A raw HTTP/1.1 client over one socket: write bytes, read responses in order. */
class RawClient {
  private buf = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;
  sent = 0;

  constructor(readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  /** Connects to `h` and waits until the server side of the connection is set up. */
  static async connect(h: Harness | number): Promise<RawClient> {
    const seen = typeof h === 'number' ? Promise.resolve() : h.nextConnection();
    const port = typeof h === 'number' ? h : h.port;
    const client = await new Promise<RawClient>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
    await seen;
    return client;
  }

  static async connectTls(h: Harness, ca: Buffer): Promise<RawClient> {
    const seen = h.nextConnection();
    const client = await new Promise<RawClient>((resolve, reject) => {
      const s = tls.connect({ port: h.port, host: '127.0.0.1', servername: 'localhost', ca }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
    await seen;
    return client;
  }

  write(data: string | Buffer): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.sent += b.length;
    this.socket.write(b);
  }

  /** Writes `data` and waits until the server has read all bytes sent so far, so the next write is a separate read. */
  async writeSeparately(h: Harness, data: string | Buffer): Promise<void> {
    this.write(data);
    await h.waitReceived(this.sent);
  }

  private async more(): Promise<void> {
    if (this.ended) throw new Error(`connection closed; unparsed: ${JSON.stringify(this.buf.toString('latin1'))}`);
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = null;
  }

  /** Reads the next response (a 1xx interim response counts as one). */
  async read(): Promise<Response> {
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const [statusLine, ...lines] = this.buf.subarray(0, end).toString('latin1').split('\r\n');
        const status = Number(statusLine!.split(' ')[1]);
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const c = l.indexOf(':');
          headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim();
        }
        const start = end + 4;
        if (status < 200) {
          this.buf = this.buf.subarray(start);
          return { status, headers, body: '' };
        }
        if (headers['content-length'] !== undefined) {
          const n = Number(headers['content-length']);
          while (this.buf.length < start + n) await this.more();
          const body = this.buf.subarray(start, start + n).toString('latin1');
          this.buf = this.buf.subarray(start + n);
          return { status, headers, body };
        }
        if (headers['transfer-encoding'] === 'chunked') {
          // Only what Node sends for its own empty answers (e.g. 417): a lone last chunk.
          while (this.buf.indexOf('0\r\n\r\n', start) < 0) await this.more();
          const stop = this.buf.indexOf('0\r\n\r\n', start);
          const body = this.buf.subarray(start, stop).toString('latin1');
          this.buf = this.buf.subarray(stop + 5);
          return { status, headers, body };
        }
        // Node's own error responses: no length, connection closes.
        while (!this.ended) await this.more();
        const body = this.buf.subarray(start).toString('latin1');
        this.buf = Buffer.alloc(0);
        return { status, headers, body };
      }
      await this.more();
    }
  }

  /** Reads exactly `n` raw bytes (after an upgrade). */
  async readRaw(n: number): Promise<string> {
    while (this.buf.length < n) await this.more();
    const out = this.buf.subarray(0, n).toString('latin1');
    this.buf = this.buf.subarray(n);
    return out;
  }

  async readEcho(): Promise<Echo> {
    const r = await this.read();
    assert.equal(r.status, 200, `expected 200, got ${r.status}: ${r.body}`);
    return JSON.parse(r.body) as Echo;
  }

  /** Resolves when the server closed the connection. */
  async closed(): Promise<void> {
    while (!this.ended) await this.more();
  }

  close(): void {
    this.socket.destroy();
  }
}

function req(method: string, path: string, body?: string, extra = ''): string {
  const len = body === undefined ? '' : `Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n`;
  return `${method} ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}${len}\r\n${body ?? ''}`;
}

function chunked(path: string, chunks: string[], trailer = ''): string {
  let out = `POST ${path} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n`;
  for (const c of chunks) out += `${Buffer.byteLength(c, 'latin1').toString(16)}\r\n${c}\r\n`;
  return `${out}0\r\n${trailer}\r\n`;
}

/** Body bytes that look like a request line at a request boundary. */
const TRAP = '\r\n\r\nLIST /v1/x HTTP/1.1\r\n';

describe('installListMethodSupport over plain HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await listen(http.createServer(echoHandler));
  });
  after(() => h.close());

  test('a plain server really rejects LIST (baseline)', TIMEOUT, async () => {
    const plain = http.createServer(echoHandler);
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    try {
      const c = await RawClient.connect((plain.address() as net.AddressInfo).port);
      c.write(req('LIST', '/v1/secret/'));
      assert.equal((await c.read()).status, 400);
      c.close();
    } finally {
      plain.closeAllConnections();
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  test('a single LIST reaches the handler as the alias method, marked as a list', TIMEOUT, async () => {
    const c = await RawClient.connect(h);
    c.write(req('LIST', '/v1/secret/metadata/'));
    const e = await c.readEcho();
    assert.deepEqual(e, { method: LIST_ALIAS_METHOD, url: '/v1/secret/metadata/', body: '', list: true });
    c.close();
  });

  test('LIST on a keep-alive connection after a POST with a body', TIMEOUT, async () => {
    const c = await RawClient.connect(h);
    c.write(req('POST', '/v1/secret/data/a', '{"data":{"k":"LIST /v1/x HTTP/1.1"}}'));
    assert.deepEqual(await c.readEcho(), {
      method: 'POST',
      url: '/v1/secret/data/a',
      body: '{"data":{"k":"LIST /v1/x HTTP/1.1"}}',
      list: false,
    });
    c.write(req('LIST', '/v1/secret/metadata/'));
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/secret/metadata/', body: '', list: true });
    c.close();
  });

  test('pipelined GET + LIST + POST in one write', TIMEOUT, async () => {
    const c = await RawClient.connect(h);
    c.write(req('GET', '/v1/a') + req('LIST', '/v1/b', 'LIST ') + req('POST', '/v1/c', 'LIST /v1/d HTTP/1.1\r\n\r\n'));
    assert.deepEqual(await c.readEcho(), { method: 'GET', url: '/v1/a', body: '', list: false });
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/b', body: 'LIST ', list: true });
    assert.deepEqual(await c.readEcho(), { method: 'POST', url: '/v1/c', body: 'LIST /v1/d HTTP/1.1\r\n\r\n', list: false });
    c.close();
  });

  test('a LIST request split byte by byte across writes', TIMEOUT, async () => {
    const c = await RawClient.connect(h);
    // A GET first, so the LIST is not at the very start of the connection.
    c.write(req('GET', '/v1/first'));
    await c.readEcho();
    const raw = `\r\n${req('LIST', '/v1/secret/metadata/x/', 'ab')}`;
    const readsBefore = h.reads;
    for (const ch of raw) await c.writeSeparately(h, ch);
    assert.equal(h.reads - readsBefore, raw.length, 'every byte must reach the server as its own read');
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/secret/metadata/x/', body: 'ab', list: true });
    c.close();
  });

  test('a chunked POST whose body holds a request line arrives unchanged', TIMEOUT, async () => {
    const c = await RawClient.connect(h);
    const body = [TRAP, 'LIST ', `x${TRAP}`];
    c.write(chunked('/v1/c', body, 'X-Trailer: LIST\r\n'));
    assert.deepEqual(await c.readEcho(), { method: 'POST', url: '/v1/c', body: body.join(''), list: false });
    // Chunk extensions, upper-case hex sizes, and the same body split at awkward places.
    const raw =
      'POST /v1/d HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n' +
      `${(TRAP.length + 4).toString(16).toUpperCase()};name=value;q="LIST a"\r\n${TRAP}LIST\r\n` +
      `0;end\r\nX-A: 1\r\nX-B: LIST /v1/y HTTP/1.1\r\n\r\n`;
    for (const piece of [raw.slice(0, 80), raw.slice(80, 95), raw.slice(95, 100), raw.slice(100)]) {
      await c.writeSeparately(h, piece);
    }
    assert.deepEqual(await c.readEcho(), { method: 'POST', url: '/v1/d', body: `${TRAP}LIST`, list: false });
    // The connection is still framed correctly: a LIST right after works.
    c.write(req('LIST', '/v1/e/'));
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/e/', body: '', list: true });
    c.close();
  });

  test('a Content-Length body with "LIST " at a chunk boundary arrives unchanged', TIMEOUT, async () => {
    const c = await RawClient.connect(h);
    const first = 'abc\r\n\r\n';
    const second = 'LIST /v1/x HTTP/1.1\r\nHost: y\r\n\r\n';
    const head = `PUT /v1/kv HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${first.length + second.length}\r\n\r\n`;
    await c.writeSeparately(h, head + first);
    await c.writeSeparately(h, second);
    assert.deepEqual(await c.readEcho(), { method: 'PUT', url: '/v1/kv', body: first + second, list: false });
    // A body that starts exactly at a read boundary with "LIST ".
    await c.writeSeparately(h, `POST /v1/kv2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${second.length}\r\n\r\n`);
    await c.writeSeparately(h, second);
    assert.deepEqual(await c.readEcho(), { method: 'POST', url: '/v1/kv2', body: second, list: false });
    c.write(req('LIST', '/v1/after/'));
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/after/', body: '', list: true });
    c.close();
  });

  test('Expect: 100-continue, then a body that looks like a LIST, then a LIST', TIMEOUT, async () => {
    const c = await RawClient.connect(h);
    const body = 'LIST /v1/x HTTP/1.1\r\n\r\n';
    c.write(`POST /v1/up HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
    assert.equal((await c.read()).status, 100);
    c.write(body);
    assert.deepEqual(await c.readEcho(), { method: 'POST', url: '/v1/up', body, list: false });
    c.write(req('LIST', '/v1/l/', undefined, 'Expect: 100-continue\r\n'));
    const r = await c.read(); // a LIST with Expect and no body still gets the interim response first
    assert.equal(r.status, 100);
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/l/', body: '', list: true });
    c.close();
  });

  test('GET ?list=true and a genuine LINK are left alone', TIMEOUT, async () => {
    const c = await RawClient.connect(h);
    c.write(req('GET', '/v1/secret/metadata/?list=true') + req('LINK', '/v1/secret/metadata/'));
    assert.deepEqual(await c.readEcho(), { method: 'GET', url: '/v1/secret/metadata/?list=true', body: '', list: false });
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/secret/metadata/', body: '', list: false });
    c.close();
  });

  test('a request Node answers itself (417) does not shift the LIST marks', TIMEOUT, async () => {
    const c = await RawClient.connect(h);
    c.write(req('LIST', '/v1/a/', undefined, 'Expect: something-else\r\n') + req('LINK', '/v1/b/') + req('LIST', '/v1/c/'));
    const r = await c.read();
    assert.equal(r.status, 417);
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/b/', body: '', list: false });
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/c/', body: '', list: true });
    c.close();
  });

  test('malformed input gets the normal 400 and the server stays up', TIMEOUT, async () => {
    const bad = [
      'LIST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab',
      'POST /v1/x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'HELLO WORLD\r\n\r\n',
      'LIST /v1/x HTTP/1.1\nHost: a\n\n',
      `POST /v1/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nhi\r\n0\r\n\r\n${req('LIST', '/v1/y')}`,
      'LISK /v1/x HTTP/1.1\r\nHost: a\r\n\r\n',
    ];
    for (const raw of bad) {
      const c = await RawClient.connect(h);
      c.write(raw);
      const r = await c.read();
      assert.equal(r.status, 400, `expected 400 for ${JSON.stringify(raw)}`);
      await c.closed();
    }
    // Split so that "LIS" is rewritten before the "K" arrives: must still be an invalid method.
    const c = await RawClient.connect(h);
    await c.writeSeparately(h, 'LIS');
    c.write('K /v1/x HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.equal((await c.read()).status, 400);
    const ok = await RawClient.connect(h);
    ok.write(req('LIST', '/v1/still-up/'));
    assert.deepEqual(await ok.readEcho(), { method: 'LINK', url: '/v1/still-up/', body: '', list: true });
    ok.close();
  });

  test('a header section larger than the cap is passed through to the real parser', TIMEOUT, async () => {
    const c = await RawClient.connect(h);
    c.write(`LIST /v1/x HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES + 10)}\r\n\r\n`);
    assert.equal((await c.read()).status, 431); // Node's own limit (16 KiB) answers first
    c.close();
  });
});

describe('installListMethodSupport with an upgraded connection', () => {
  test('bytes after an Upgrade are passed through untouched', TIMEOUT, async () => {
    const server = http.createServer(echoHandler);
    server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n');
      if (head.length > 0) socket.write(head);
      socket.on('data', (d: Buffer) => socket.write(d));
      socket.on('end', () => socket.end()); // upgraded sockets are half-open; close with the client
    });
    const h = await listen(server);
    try {
      const c = await RawClient.connect(h);
      c.write('GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nLIST /v1/a HTTP/1.1\r\n\r\n');
      assert.equal((await c.read()).status, 101);
      await c.writeSeparately(h, 'LIST /v1/b HTTP/1.1\r\n\r\n');
      const want = 'LIST /v1/a HTTP/1.1\r\n\r\nLIST /v1/b HTTP/1.1\r\n\r\n';
      assert.equal(await c.readRaw(want.length), want);
      c.close();
    } finally {
      await h.close();
    }
  });
});

describe('installListMethodSupport over HTTPS', () => {
  let dir: string;
  let h: Harness;
  let cert: Buffer;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coffer-list-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'));
    h = await listen(https.createServer({ cert, key: readFileSync(join(dir, 'key.pem')) }, echoHandler));
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('LIST over TLS, pipelined and split, with bodies left alone', TIMEOUT, async () => {
    const c = await RawClient.connectTls(h, cert);
    c.write(req('LIST', '/v1/secret/metadata/') + chunked('/v1/c', [TRAP]));
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/secret/metadata/', body: '', list: true });
    assert.deepEqual(await c.readEcho(), { method: 'POST', url: '/v1/c', body: TRAP, list: false });
    await c.writeSeparately(h, 'LI');
    await c.writeSeparately(h, 'S');
    c.write('T /v1/t/ HTTP/1.1\r\nHost: localhost\r\n\r\n');
    assert.deepEqual(await c.readEcho(), { method: 'LINK', url: '/v1/t/', body: '', list: true });
    c.close();
  });

  test('a client through https.request gets a real answer to LIST', TIMEOUT, async () => {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const r = https.request(
        { host: '127.0.0.1', port: h.port, servername: 'localhost', ca: cert, method: 'LIST', path: '/v1/auth/token/accessors' },
        (resp) => {
          let body = '';
          resp.setEncoding('utf8');
          resp.on('data', (d: string) => (body += d));
          resp.on('end', () => resolve({ status: resp.statusCode ?? 0, body }));
        },
      );
      r.on('error', reject);
      r.end();
    });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { method: 'LINK', url: '/v1/auth/token/accessors', body: '', list: true });
  });
});

describe('ListMethodRewriter (framing state machine)', () => {
  /** Feeds `input` in pieces cut at `cuts`; returns the bytes the parser would see. */
  function run(input: string, cuts: number[] = []): { out: string; rw: ListMethodRewriter } {
    const buf = Buffer.from(input, 'latin1');
    const rw = new ListMethodRewriter();
    let prev = 0;
    for (const cut of [...cuts, buf.length]) {
      rw.feed(buf.subarray(prev, cut));
      prev = cut;
    }
    return { out: buf.toString('latin1'), rw };
  }

  const stream =
    '\r\n' +
    req('LIST', '/v1/a/') +
    req('POST', '/v1/b', `${TRAP}LIST `) +
    chunked('/v1/c', ['LIST ', TRAP, 'x'], 'T: LIST /\r\n') +
    '\r\n' +
    req('LINK', '/v1/d') +
    req('GET', '/v1/e?list=true') +
    'POST /v1/f HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: ChUnKeD\r\n\r\n5;a="b c"\r\nLIST \r\n0\r\n\r\n' +
    'LIST  /v1/g/  HTTP/1.0\r\ncontent-length:\t 3 \r\n\r\nLIS' +
    req('LIST', '/v1/h/');
  const expected = stream
    .replace('LIST /v1/a/', 'LINK /v1/a/')
    .replace('LIST  /v1/g/', 'LINK  /v1/g/')
    .replace('LIST /v1/h/', 'LINK /v1/h/');

  test('rewrites only request methods in a pipelined stream', () => {
    const { out, rw } = run(stream);
    assert.equal(out, expected);
    assert.equal(rw.passThrough, false);
    // Marks for the requests whose method reads LINK, in order.
    assert.deepEqual([rw.takeAliasMark(), rw.takeAliasMark(), rw.takeAliasMark(), rw.takeAliasMark()], [true, false, true, true]);
    assert.equal(rw.takeAliasMark(), false);
  });

  test('gives the same result however the stream is split', () => {
    const len = Buffer.byteLength(stream, 'latin1');
    for (let cut = 1; cut < len; cut++) assert.equal(run(stream, [cut]).out, expected, `one cut at ${cut}`);
    assert.equal(run(stream, Array.from({ length: len - 1 }, (_, i) => i + 1)).out, expected, 'byte by byte');
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let round = 0; round < 300; round++) {
      const cuts = [...new Set(Array.from({ length: 1 + rand(12) }, () => 1 + rand(len - 1)))].sort((a, b) => a - b);
      assert.equal(run(stream, cuts).out, expected, `cuts ${cuts.join(',')}`);
    }
  });

  test('anything unusual switches the connection to pass-through', () => {
    const after = req('LIST', '/v1/z/');
    const unusual: Record<string, string> = {
      'duplicate Content-Length': 'POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx',
      'Content-Length and Transfer-Encoding': 'POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'a coding list': 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n',
      'bad Content-Length': 'POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx',
      'empty Content-Length': 'POST / HTTP/1.1\r\nContent-Length:\r\n\r\n',
      'obs-fold': 'GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n',
      'bare LF': 'GET / HTTP/1.1\nHost: x\n\n',
      'bare LF in a value': 'GET / HTTP/1.1\r\nHost: x\nY: z\r\n\r\n',
      'space before the colon': 'GET / HTTP/1.1\r\nContent-Length : 1\r\n\r\nx',
      'Upgrade': 'GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n',
      'CONNECT': 'CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n',
      'HTTP/0.9': 'GET /\r\n',
      'HTTP/2 preface': 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
      'lower-case method': 'get / HTTP/1.1\r\n\r\n',
      'space in a chunk size': 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1 \r\nx\r\n0\r\n\r\n',
      'no CRLF after chunk data': 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n0\r\n\r\n',
      'huge chunk size': 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n',
      'bare LF in trailers': 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT: v\n\r\n',
      'oversized head': `GET / HTTP/1.1\r\nX: ${'a'.repeat(MAX_HEAD_BYTES)}`,
    };
    for (const [name, raw] of Object.entries(unusual)) {
      const { out, rw } = run(raw + after, [Math.floor(raw.length / 2)]);
      assert.equal(rw.passThrough, true, name);
      assert.ok(out.endsWith(after), `${name}: nothing is rewritten after pass-through`);
    }
  });

  test('a head still open after MAX_HEAD_BYTES switches to pass-through at once', () => {
    const rw = new ListMethodRewriter();
    rw.feed(Buffer.from('GET / HTTP/1.1\r\nX-A: '));
    rw.feed(Buffer.alloc(MAX_HEAD_BYTES / 2, 'a'));
    assert.equal(rw.passThrough, false);
    rw.feed(Buffer.alloc(MAX_HEAD_BYTES / 2, 'a'));
    assert.equal(rw.passThrough, true);
  });

  test('a split "LIS" + "K" does not become a valid LINK', () => {
    assert.equal(run('LISK / HTTP/1.1\r\n\r\n', [3]).out, 'LINS / HTTP/1.1\r\n\r\n');
    assert.equal(run('LISK / HTTP/1.1\r\n\r\n').out, 'LINS / HTTP/1.1\r\n\r\n');
    assert.equal(run('LISTS / HTTP/1.1\r\n\r\n').out.slice(0, 5), 'LINKS'); // invalid before and after
  });
});
