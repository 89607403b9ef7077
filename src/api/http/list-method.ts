/**
 * Lets Node's HTTP server accept Vault's `LIST` method.
 *
 * Node's parser (llhttp) does not know `LIST` and answers `400 HPE_INVALID_METHOD` before any
 * handler runs, yet node-vault, hashi-vault-js, curl examples and hvac send real `LIST` requests.
 * We rewrite the method on the socket, before the parser sees the bytes, into the same-length
 * method {@link LIST_ALIAS_METHOD} (`LINK`), which llhttp accepts. Same length means the rewrite is
 * two bytes changed in place in the chunk Node is about to parse: no copy, no re-emit.
 *
 * How the bytes are reached (Node 20, lib/_http_server.js `connectionListenerInternal`): the
 * server normally feeds the socket to the parser natively (`parser.consume(socket._handle)`), so JS
 * never sees the data. Adding a `'data'` listener goes through the socket's listener wrapper, which
 * calls `unconsume()`; from then on every chunk is emitted as a `'data'` event and Node's own
 * listener calls `parser.execute(chunk)`. We *prepend* our listener, so it edits each chunk before
 * Node's listener parses that same Buffer object.
 *
 * Only a method at the start of a request may be rewritten, never body bytes. {@link
 * ListMethodRewriter} therefore follows HTTP/1.1 framing the way llhttp does (request line,
 * headers, Content-Length and chunked bodies, trailers, keep-alive, pipelining, leading blank lines)
 * and, as soon as anything is unusual or malformed (obs-fold, bare LF, duplicate or conflicting
 * Content-Length / Transfer-Encoding, a coding other than `chunked`, `Upgrade`, `CONNECT`,
 * HTTP/0.9, a head over {@link MAX_HEAD_BYTES}), switches that connection to pass-through for good:
 * the bytes then reach llhttp untouched and it answers exactly as it would without us (a `LIST`
 * there gets Node's normal 400). `Expect: 100-continue` needs nothing special: llhttp frames the
 * body by its headers whether or not the client waited for `100 Continue`, and so do we.
 *
 * Using it with fastify: call {@link installListMethodSupport} on the server right after it is
 * created (`serverFactory`), `app.addHttpMethod(LIST_ALIAS_METHOD, { hasBody: true })` (fastify only
 * accepts methods from `http.METHODS`, so `LIST` itself cannot be registered), and treat
 * `LIST_ALIAS_METHOD` as the list operation. {@link isListRequest} tells a rewritten `LIST` from a
 * client that really sent `LINK`, for callers that care.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type http from 'node:http';
import type https from 'node:https';
import type net from 'node:net';
import tls from 'node:tls';

/** The method Vault clients send for a list operation. */
export const LIST_METHOD = 'LIST';

/**
 * What a `LIST` request's method reads as once it reaches the application (`req.method`).
 * `LINK` (RFC 2068) has the same length, shares the `LI` prefix (so a method split after `LI`
 * needs no correction), is in `http.METHODS`, and is accepted by llhttp and fastify.
 */
export const LIST_ALIAS_METHOD = 'LINK';

/**
 * What OpenBao's `SCAN` (recursive list) method reads as once it reaches the application.
 * No llhttp method starts with `S` and has four letters, so `SCAN ` is rewritten whole, and only
 * when all five bytes (method and space) arrive in one chunk (a request line split inside its
 * method is left alone and llhttp answers 400 as before; `GET ?scan=true` always works). `BIND`
 * (WebDAV) has the same length and is in `http.METHODS`; the Vault front treats it as SCAN.
 */
export const SCAN_ALIAS_METHOD = 'BIND';
const SCAN_SP = Buffer.from('SCAN ');
const SCAN_ALIAS = Buffer.from(SCAN_ALIAS_METHOD);

/** Request line + headers (and, separately, chunked trailers) larger than this: pass-through. */
export const MAX_HEAD_BYTES = 64 * 1024;

// Bytes.
const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
const COLON = 58;
const SEMICOLON = 59;
const DEL = 127;
const UPPER_L = 76;
const UPPER_I = 73;
const UPPER_S = 83;
const UPPER_T = 84;
const UPPER_N = 78;
const UPPER_K = 75;
const UPPER_C = 67;

// Parser states. Plain numbers keep the per-byte switch cheap.
const START = 0; // between requests: llhttp skips CR and LF here
const METHOD = 1;
const TARGET_SP = 2;
const TARGET = 3;
const VERSION = 4;
const REQUEST_LINE_LF = 5;
const HEADER_LINE = 6; // at the start of a header line
const HEADER_NAME = 7;
const HEADER_OWS = 8;
const HEADER_VALUE = 9;
const HEADER_LF = 10;
const HEAD_END_LF = 11;
const BODY = 12; // Content-Length body
const CHUNK_SIZE = 13;
const CHUNK_EXT = 14;
const CHUNK_SIZE_LF = 15;
const CHUNK_DATA = 16;
const CHUNK_DATA_CR = 17;
const CHUNK_DATA_LF = 18;
const TRAILER_LINE = 19;
const TRAILER_TEXT = 20;
const TRAILER_LF = 21;
const TRAILER_END_LF = 22;
const METHOD_OTHER = 24; // a method that cannot be LIST, LINK or CONNECT: skip to the space
const HEADER_OTHER = 25; // a header line we do not act on: skip to its CR
const PASS = 23;

// Header names we act on, lower-case.
const H_OTHER = 0;
const H_CONTENT_LENGTH = 1;
const H_TRANSFER_ENCODING = 2;
const H_UPGRADE = 3;
const NAME_CONTENT_LENGTH = Buffer.from('content-length');
const NAME_TRANSFER_ENCODING = Buffer.from('transfer-encoding');
const NAME_UPGRADE = Buffer.from('upgrade');
const VALUE_CHUNKED = Buffer.from('chunked');
const HTTP_1_DOT = Buffer.from('HTTP/1.');
const ALIAS = Buffer.from(LIST_ALIAS_METHOD);
const CONNECT = Buffer.from('CONNECT');
/** A chunk size this long (2^52) is past any real body; llhttp would reject an overflow anyway. */
const MAX_CHUNK_SIZE_DIGITS = 13;
/** Longest method we follow; llhttp's longest is 13 (`GET_PARAMETER`). */
const MAX_METHOD_LENGTH = 24;

function hexValue(b: number): number {
  if (b >= 48 && b <= 57) return b - 48;
  const l = b | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/**
 * The per-connection state machine: follows HTTP/1.x request framing over the chunks of one
 * connection and rewrites `LIST` at the start of each request into {@link LIST_ALIAS_METHOD}, in
 * place. Knows nothing about sockets, so it can be fed from tests and benchmarks directly.
 */
export class ListMethodRewriter {
  private state = START;
  /** Bytes of the current head (or trailer section) counted up to the chunk being fed. */
  private sectionBytes = 0;

  // Request line.
  private methodLength = 0;
  private listCandidate = false; // the method so far is `LI`
  private rewrote = false; // we turned `LIS` into `LIN` in this method
  private aliasCandidate = false; // the method so far is a prefix of `LINK` (after any rewrite)
  private connectCandidate = false;
  private isAlias = false;
  private wasList = false;
  private versionIndex = 0;

  // Headers.
  private header = H_OTHER;
  private nameCandidate: Buffer | null = null;
  private nameCandidateId = H_OTHER;
  private nameLength = 0;
  private valueDigits = 0;
  private valueNumber = 0;
  private valueIndex = 0;
  private valueTrailingWs = false;
  private contentLengthCount = 0;
  private transferEncodingCount = 0;
  private contentLength = 0;

  // Bodies.
  private remaining = 0;
  private chunkDigits = 0;

  /**
   * For every completed request head whose method reads `LINK`, in order: whether it was a
   * rewritten `LIST`. Consumed by {@link takeAliasMark}.
   */
  private readonly aliasMarks: boolean[] = [];

  /** True once the connection is in pass-through: nothing will be rewritten any more. */
  get passThrough(): boolean {
    return this.state === PASS;
  }

  /**
   * Next entry for a request whose method reads {@link LIST_ALIAS_METHOD}, in request order:
   * `true` when the client sent `LIST`, `false` when it really sent `LINK` (or nothing is queued).
   */
  takeAliasMark(): boolean {
    return this.aliasMarks.shift() ?? false;
  }

  /**
   * Feeds the next chunk received on the connection. Rewrites `LIST` request methods in `chunk`
   * in place (and turns a split, invalid `LIS` + `K` into `LINS`, so it stays invalid). Touches no
   * other byte, never a body byte, and nothing at all once {@link passThrough} is set.
   */
  feed(chunk: Uint8Array): void {
    if (this.state === PASS) return;
    try {
      this.scan(chunk);
    } catch {
      // A bug here must not take the connection (or the process) down: stop rewriting instead.
      this.state = PASS;
    }
  }

  private scan(chunk: Uint8Array): void {
    const len = chunk.length;
    let i = 0;
    // Start of the head or trailer bytes inside this chunk, for the size cap.
    let sectionStart = 0;
    while (i < len) {
      const b = chunk[i]!;
      switch (this.state) {
        case START:
          if (b === CR || b === LF) {
            i++;
            break;
          }
          this.beginRequest();
          sectionStart = i;
          this.state = METHOD;
          break; // re-read b as the method's first byte

        case METHOD_OTHER: {
          let j = i;
          let c = b;
          // llhttp methods are upper-case letters, `-` (M-SEARCH) and `_` (GET_PARAMETER).
          while ((c >= 65 && c <= 90) || c === 45 || c === 95) {
            if (++j === len) break;
            c = chunk[j]!;
          }
          this.methodLength += j - i;
          i = j;
          if (j === len) break;
          if (c !== SP || this.methodLength > MAX_METHOD_LENGTH) return this.pass();
          this.state = TARGET_SP;
          i++;
          break;
        }

        case METHOD: {
          if (this.methodLength === 0 && b === UPPER_S && i + SCAN_SP.length <= chunk.length && SCAN_SP.every((x, k) => chunk[i + k] === x)) {
            chunk.set(SCAN_ALIAS, i);
          }
          if (this.methodLength === 0 && b !== UPPER_L && b !== UPPER_C) {
            // Fast path for every other method (GET, POST, ...): llhttp validates it.
            this.state = METHOD_OTHER;
            break;
          }
          if (b === SP) {
            const n = this.methodLength;
            if (n === 0 || (this.connectCandidate && n === CONNECT.length)) return this.pass();
            this.isAlias = this.aliasCandidate && n === ALIAS.length;
            this.wasList = this.isAlias && this.rewrote;
            this.state = TARGET_SP;
            i++;
            break;
          }
          if (!((b >= 65 && b <= 90) || b === 45 || b === 95)) return this.pass();
          const p = this.methodLength;
          let c = b;
          if (p === 0) {
            this.listCandidate = c === UPPER_L;
          } else if (p === 1) {
            this.listCandidate = this.listCandidate && c === UPPER_I;
          } else if (p === 2) {
            // No llhttp method starts with `LIS`, so turning it into `LIN` now is safe even when
            // the `T` is still in the next chunk (the `LI` already went to the parser unchanged).
            if (this.listCandidate && c === UPPER_S) {
              chunk[i] = c = UPPER_N;
              this.rewrote = true;
            }
          } else if (p === 3 && this.rewrote) {
            if (c === UPPER_T) {
              chunk[i] = c = UPPER_K;
            } else {
              // `LIS?` was never a valid method; keep it from turning into a real `LINK`.
              this.rewrote = false;
              if (c === UPPER_K) chunk[i] = c = UPPER_S;
            }
          }
          this.aliasCandidate = (p === 0 || this.aliasCandidate) && p < ALIAS.length && c === ALIAS[p];
          this.connectCandidate = (p === 0 || this.connectCandidate) && p < CONNECT.length && c === CONNECT[p];
          if (++this.methodLength > MAX_METHOD_LENGTH) return this.pass();
          i++;
          break;
        }

        case TARGET_SP:
          // llhttp tolerates several spaces here.
          if (b === SP) {
            i++;
            break;
          }
          if (b < SP || b === DEL) return this.pass();
          this.state = TARGET;
          break;

        case TARGET: {
          let j = i;
          let c = b;
          while (c > SP && c !== DEL) {
            if (++j === len) break;
            c = chunk[j]!;
          }
          i = j;
          if (j === len) break;
          // A CR or LF here is an HTTP/0.9 request line (no headers): not ours to follow.
          if (c !== SP) return this.pass();
          this.state = VERSION;
          this.versionIndex = 0;
          i++;
          break;
        }

        case VERSION: {
          const v = this.versionIndex;
          if (v < HTTP_1_DOT.length) {
            if (b === HTTP_1_DOT[v]) this.versionIndex++;
            else if (!(v === 0 && b === SP)) return this.pass();
          } else if (v === HTTP_1_DOT.length) {
            if (b !== 48 && b !== 49) return this.pass(); // only HTTP/1.0 and HTTP/1.1
            this.versionIndex++;
          } else {
            if (b !== CR) return this.pass();
            this.state = REQUEST_LINE_LF;
          }
          i++;
          break;
        }

        case REQUEST_LINE_LF:
        case HEADER_LF:
          if (b !== LF) return this.pass();
          this.state = HEADER_LINE;
          i++;
          break;

        case HEADER_LINE:
          if (b === CR) {
            this.state = HEAD_END_LF;
            i++;
            break;
          }
          // Bare LF, obs-fold, an empty name or a control byte: llhttp may frame it differently.
          if (b <= SP || b === COLON || b === DEL) return this.pass();
          // Only Content-Length, Transfer-Encoding and Upgrade matter for framing.
          this.state = this.beginHeaderName(b) ? HEADER_NAME : HEADER_OTHER;
          i++;
          break;

        case HEADER_OTHER: {
          const j = lineEnd(chunk, i, len);
          const c = chunk[j];
          i = j;
          if (j === len) break;
          if (c === LF) return this.pass();
          this.state = HEADER_LF;
          i++;
          break;
        }

        case HEADER_NAME:
          if (b === COLON) {
            this.header = this.nameLength === this.nameCandidate!.length ? this.nameCandidateId : H_OTHER;
            // An upgraded connection carries another protocol: never touch its bytes.
            if (this.header === H_UPGRADE) return this.pass();
            this.valueDigits = 0;
            this.valueNumber = 0;
            this.valueIndex = 0;
            this.valueTrailingWs = false;
            this.state = HEADER_OWS;
            i++;
            break;
          }
          if (b <= SP || b === DEL) return this.pass();
          {
            const cand = this.nameCandidate!;
            const p = this.nameLength;
            if (p >= cand.length || (b | 0x20) !== cand[p]) {
              // Not a header we act on after all (Content-Type, Trailer, User-Agent...).
              this.state = HEADER_OTHER;
              break;
            }
          }
          this.nameLength++;
          i++;
          break;

        case HEADER_OWS:
          if (b === SP || b === HT) {
            i++;
            break;
          }
          this.state = HEADER_VALUE;
          break; // re-read b as the value's first byte

        case HEADER_VALUE:
          if (this.header === H_OTHER) {
            // Fast skip to the end of a value we do not care about.
            const j = lineEnd(chunk, i, len);
            const c = chunk[j];
            i = j;
            if (j === len) break;
            if (c === LF) return this.pass();
            this.state = HEADER_LF;
            i++;
            break;
          }
          if (b === CR) {
            if (!this.endValue()) return this.pass();
            this.state = HEADER_LF;
            i++;
            break;
          }
          if (!this.valueByte(b)) return this.pass();
          i++;
          break;

        case HEAD_END_LF:
          if (b !== LF) return this.pass();
          i++;
          if (this.sectionBytes + (i - sectionStart) > MAX_HEAD_BYTES || !this.endHead()) return this.pass();
          break;

        case BODY: {
          const n = Math.min(this.remaining, len - i);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = START;
          break;
        }

        case CHUNK_SIZE: {
          if (b === CR || b === SEMICOLON) {
            if (this.chunkDigits === 0) return this.pass();
            if (b === CR) {
              this.state = CHUNK_SIZE_LF;
            } else {
              // Extensions count against the size cap.
              this.state = CHUNK_EXT;
              this.sectionBytes = 0;
              sectionStart = i;
            }
            i++;
            break;
          }
          const h = hexValue(b);
          // Anything else (spaces included) is outside what llhttp accepts in strict mode.
          if (h < 0 || ++this.chunkDigits > MAX_CHUNK_SIZE_DIGITS) return this.pass();
          this.remaining = this.remaining * 16 + h;
          i++;
          break;
        }

        case CHUNK_EXT: {
          const j = lineEnd(chunk, i, len);
          const c = chunk[j];
          if (j === len) {
            i = j;
            break;
          }
          if (c === LF || this.sectionBytes + (j - sectionStart) > MAX_HEAD_BYTES) return this.pass();
          this.state = CHUNK_SIZE_LF;
          i = j + 1;
          break;
        }

        case CHUNK_SIZE_LF:
          if (b !== LF) return this.pass();
          i++;
          if (this.remaining === 0) {
            this.state = TRAILER_LINE;
            this.sectionBytes = 0;
            sectionStart = i;
          } else {
            this.state = CHUNK_DATA;
          }
          break;

        case CHUNK_DATA: {
          const n = Math.min(this.remaining, len - i);
          i += n;
          this.remaining -= n;
          if (this.remaining === 0) this.state = CHUNK_DATA_CR;
          break;
        }

        case CHUNK_DATA_CR:
          if (b !== CR) return this.pass();
          this.state = CHUNK_DATA_LF;
          i++;
          break;

        case CHUNK_DATA_LF:
          if (b !== LF) return this.pass();
          this.state = CHUNK_SIZE;
          this.chunkDigits = 0;
          this.remaining = 0;
          i++;
          break;

        case TRAILER_LINE:
          if (b === CR) {
            this.state = TRAILER_END_LF;
            i++;
            break;
          }
          if (b <= SP || b === COLON || b === DEL) return this.pass();
          this.state = TRAILER_TEXT;
          i++;
          break;

        case TRAILER_TEXT: {
          const j = lineEnd(chunk, i, len);
          const c = chunk[j];
          i = j;
          if (j === len) break;
          if (c === LF) return this.pass();
          this.state = TRAILER_LF;
          i++;
          break;
        }

        case TRAILER_LF:
          if (b !== LF) return this.pass();
          this.state = TRAILER_LINE;
          i++;
          break;

        case TRAILER_END_LF:
          if (b !== LF) return this.pass();
          i++;
          if (this.sectionBytes + (i - sectionStart) > MAX_HEAD_BYTES) return this.pass();
          this.state = START;
          break;

        default:
          return; // PASS (entered only through pass(), which returns)
      }
    }
    // The chunk ended inside a head, trailer section or chunk extension: enforce the size cap.
    const s = this.state;
    if ((s >= METHOD && s <= HEAD_END_LF) || s === METHOD_OTHER || s === HEADER_OTHER || (s >= TRAILER_LINE && s <= TRAILER_END_LF) || s === CHUNK_EXT) {
      this.sectionBytes += len - sectionStart;
      if (this.sectionBytes > MAX_HEAD_BYTES) this.pass();
    }
  }

  private pass(): void {
    this.state = PASS;
  }

  private beginRequest(): void {
    this.sectionBytes = 0;
    this.methodLength = 0;
    this.listCandidate = false;
    this.rewrote = false;
    this.aliasCandidate = false;
    this.connectCandidate = false;
    this.isAlias = false;
    this.wasList = false;
    this.contentLengthCount = 0;
    this.transferEncodingCount = 0;
    this.contentLength = 0;
  }

  /** Starts matching a header name; false when it cannot be one we act on. */
  private beginHeaderName(first: number): boolean {
    this.nameLength = 1;
    // The names we act on start with different letters, so one candidate at a time is enough.
    switch (first | 0x20) {
      case 0x63: // c
        this.nameCandidate = NAME_CONTENT_LENGTH;
        this.nameCandidateId = H_CONTENT_LENGTH;
        break;
      case 0x74: // t
        this.nameCandidate = NAME_TRANSFER_ENCODING;
        this.nameCandidateId = H_TRANSFER_ENCODING;
        break;
      case 0x75: // u
        this.nameCandidate = NAME_UPGRADE;
        this.nameCandidateId = H_UPGRADE;
        break;
      default:
        return false;
    }
    return true;
  }

  /** One byte of a Content-Length or Transfer-Encoding value; false when it is not acceptable. */
  private valueByte(b: number): boolean {
    if (this.valueTrailingWs) return b === SP || b === HT;
    if (b === SP || b === HT) {
      this.valueTrailingWs = true;
      return true;
    }
    if (this.header === H_CONTENT_LENGTH) {
      if (b < 48 || b > 57) return false;
      this.valueNumber = this.valueNumber * 10 + (b - 48);
      this.valueDigits++;
      return this.valueNumber <= Number.MAX_SAFE_INTEGER;
    }
    // Transfer-Encoding: only exactly `chunked` (any case); any other coding list is pass-through.
    if (this.valueIndex >= VALUE_CHUNKED.length || (b | 0x20) !== VALUE_CHUNKED[this.valueIndex]) return false;
    this.valueIndex++;
    return true;
  }

  /** End of a Content-Length or Transfer-Encoding value; false when it is not acceptable. */
  private endValue(): boolean {
    if (this.header === H_CONTENT_LENGTH) {
      if (this.valueDigits === 0) return false;
      this.contentLengthCount++;
      this.contentLength = this.valueNumber;
      return true;
    }
    if (this.valueIndex !== VALUE_CHUNKED.length) return false;
    this.transferEncodingCount++;
    return true;
  }

  /** The blank line after the headers was read; picks the body framing. False: pass-through. */
  private endHead(): boolean {
    const cl = this.contentLengthCount;
    const te = this.transferEncodingCount;
    // llhttp rejects these in strict mode and resolves them its own way in lenient mode.
    if (cl > 1 || te > 1 || (cl > 0 && te > 0)) return false;
    if (this.isAlias) this.aliasMarks.push(this.wasList);
    if (te > 0) {
      this.state = CHUNK_SIZE;
      this.chunkDigits = 0;
      this.remaining = 0;
    } else if (this.contentLength > 0) {
      this.state = BODY;
      this.remaining = this.contentLength;
    } else {
      this.state = START;
    }
    return true;
  }
}

const kInstalled = Symbol('coffer.listMethodSupport');
const rewriters = new WeakMap<net.Socket, ListMethodRewriter>();
const listRequests = new WeakSet<http.IncomingMessage>();
let subscribed = false;

/**
 * Whether `req` (whose method reads {@link LIST_ALIAS_METHOD}) was sent as `LIST` by the client,
 * as opposed to a genuine `LINK`. False for every other request.
 */
export function isListRequest(req: http.IncomingMessage): boolean {
  return listRequests.has(req);
}

/**
 * Node publishes `http.server.request.start` (a documented built-in diagnostics channel, still
 * marked experimental) for every request whose head was parsed, in order and before `'request'`,
 * including those it answers itself (417 for an unknown Expect, 400 for a missing Host). That
 * matches the marks the rewriter queues per connection one for one, which the `'request'` event
 * does not. Were the channel ever to go silent, {@link isListRequest} would only return false;
 * the alias method itself keeps working.
 */
function onRequestStart(message: unknown): void {
  const { request, socket } = message as { request: http.IncomingMessage; socket: net.Socket };
  if (request.method !== LIST_ALIAS_METHOD) return;
  const rewriter = rewriters.get(socket);
  if (rewriter !== undefined && rewriter.takeAliasMark()) listRequests.add(request);
}

function attach(socket: net.Socket): void {
  // Node's own connection listener must have run first: it creates `socket.parser` and wraps
  // `socket.prependListener` so that adding a 'data' listener unconsumes the socket.
  if ((socket as net.Socket & { parser?: unknown }).parser == null) return;
  const rewriter = new ListMethodRewriter();
  rewriters.set(socket, rewriter);
  const onData = (chunk: Buffer): void => {
    rewriter.feed(chunk);
    // Nothing more to do on this connection: stop paying for the listener.
    if (rewriter.passThrough) socket.removeListener('data', onData);
  };
  // Prepend: we must edit the chunk before Node's listener hands the same Buffer to llhttp.
  socket.prependListener('data', onData);
}

/**
 * Makes `server` accept `LIST` requests: each one reaches the application with `req.method ===
 * LIST_ALIAS_METHOD` (and {@link isListRequest} true). Call it once, right after creating the
 * server (before `listen()`; Node's connection listener must be registered before this one, which
 * `http.createServer` / `https.createServer` do). Idempotent.
 *
 * Cost: each connection's bytes reach the parser through a JS 'data' event instead of natively
 * (the larger part: the Readable-stream path per read), plus a scan of request heads (about
 * 0.5 us for a 250-byte GET; bodies are skipped by length, not scanned).
 */
export function installListMethodSupport(server: http.Server | https.Server): void {
  const marked = server as (http.Server | https.Server) & { [kInstalled]?: boolean };
  if (marked[kInstalled]) return;
  marked[kInstalled] = true;
  if (!subscribed) {
    subscribed = true;
    diagnosticsChannel.subscribe('http.server.request.start', onRequestStart);
  }
  // For HTTPS the plain 'connection' socket carries TLS records; HTTP lives on the TLS socket.
  const event = server instanceof tls.Server ? 'secureConnection' : 'connection';
  server.on(event, attach);
}

/** Index of the first CR or LF in `chunk` at or after `from`, or `len` when the line goes on past the chunk. */
function lineEnd(chunk: Uint8Array, from: number, len: number): number {
  let j = from;
  while (j < len) {
    const c = chunk[j];
    if (c === CR || c === LF) return j;
    j++;
  }
  return len;
}
