/**
 * Test harness: a real Coffer server (dev mode, unsealed, root token) listening on a random
 * loopback port, with a controllable clock, and a small HTTP client for the Vault API.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.js';
import type { Core } from '../../src/core/core.js';
import type { BackendFactory } from '../../src/core/backend.js';
import { runServer } from '../../src/server/run.js';

/** An HTTP answer. */
export interface TestResponse {
  status: number;
  headers: Record<string, string>;
  body: any;
  text: string;
}

/** Options of TestServer.request. */
export interface RequestOptions {
  /** Defaults to the root token; `null` sends none. */
  token?: string | null;
  body?: unknown;
  rawBody?: string | Buffer;
  headers?: Record<string, string>;
  /** A keep-alive agent to reuse connections (default: a new connection per request). */
  agent?: http.Agent;
  /** Fail the request when no answer came within this many ms (default: wait). */
  timeoutMs?: number;
}

/** A running test server. */
export interface TestServer {
  url: string;
  port: number;
  rootToken: string;
  clock: ManualClock;
  core: Core;
  /** The temporary directory of a sqlite-backed server. */
  dir?: string;
  request(method: string, path: string, opts?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

/** Collects a response: status, headers, text, and the body parsed as JSON when it is JSON. */
export function readResponse(res: http.IncomingMessage): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body, text });
    });
  });
}

/** Sends one HTTP request to `url` + `path`. */
export function httpRequest(url: string, method: string, path: string, opts: RequestOptions & { defaultToken?: string } = {}): Promise<TestResponse> {
  // Keep the path exactly as given (URL parsing would resolve `..` segments before sending).
  const base = new URL(url);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const token = opts.token === undefined ? opts.defaultToken : opts.token;
  if (token) headers['x-vault-token'] = token;
  let payload: Buffer | undefined;
  if (opts.rawBody !== undefined) payload = Buffer.from(opts.rawBody);
  else if (opts.body !== undefined) {
    payload = Buffer.from(JSON.stringify(opts.body));
    headers['content-type'] ??= 'application/json';
  }
  if (payload) headers['content-length'] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, path, method, headers, agent: opts.agent ?? false, timeout: opts.timeoutMs }, (res) => {
      readResponse(res).then(resolve, reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} on ${url}: no answer in ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** Starts a dev server on a random port; `storage: 'sqlite'` persists into a temp dir. */
export async function createTestServer(opts: { storage?: 'memory' | 'sqlite'; dir?: string; rootTokenId?: string; extraFeatures?: BackendFactory[] } = {}): Promise<TestServer> {
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  const dir = opts.dir ?? (opts.storage === 'sqlite' ? mkdtempSync(join(tmpdir(), 'coffer-test-')) : undefined);
  const server = await runServer({
    dev: true,
    devListenAddress: '127.0.0.1:0',
    devPersist: dir,
    devRootTokenId: opts.rootTokenId,
    extraFeatures: opts.extraFeatures,
    clock,
    quiet: true,
    logLevel: 'silent',
  });
  const port = Number(new URL(server.url).port);
  const rootToken = server.rootToken ?? '';
  return {
    url: server.url,
    port,
    rootToken,
    clock,
    core: server.core,
    dir,
    request: (method, path, ropts) => httpRequest(server.url, method, path, { ...ropts, defaultToken: rootToken }),
    close: async () => {
      await server.close();
      if (dir && !opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
