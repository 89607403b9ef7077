/**
 * A real `coffer server` in a child process, for tests that must survive a server that hangs:
 * a request that spins the event loop of an in-process server would freeze the test's own
 * timers too, so "answers within a bound" can only be checked against another process.
 * Also a bounded HTTP(S) client: every request either answers or fails after `timeoutMs`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { ROOT } from './cli.js';
import { readResponse, type TestResponse } from './server.js';

/** A running server process. */
export interface ServerProcess {
  /** `http(s)://127.0.0.1:<port>` as the banner prints it. */
  url: string;
  port: number;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** True once the process has exited. */
  exited(): boolean;
  stop(): Promise<void>;
}

/** Starts `coffer server ...args` and resolves once the banner names the address (at most `startMs`). */
export function startServerProcess(args: string[], opts: { env?: Record<string, string>; startMs?: number } = {}): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'server', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...(opts.env ?? {}) },
  });
  let out = '';
  let done = false;
  const exit = new Promise<void>((resolve) => child.on('exit', () => ((done = true), resolve())));
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const stop = async () => {
    if (!done) child.kill('SIGKILL');
    await exit;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => void stop().then(() => reject(new Error(`coffer server did not start within ${opts.startMs ?? 30_000} ms: ${out.slice(0, 2000)}`))), opts.startMs ?? 30_000);
    const onData = () => {
      const m = /Listening on (https?:\/\/127\.0\.0\.1:(\d+))/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      resolve({ url: m[1]!, port: Number(m[2]), output: () => out, exited: () => done, stop });
    };
    child.stdout!.on('data', onData);
    void exit.then(() => {
      clearTimeout(timer);
      reject(new Error(`coffer server exited early: ${out.slice(0, 2000)}`));
    });
  });
}

/** Options of boundedRequest. */
export interface BoundedRequestOptions {
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** PEM CA for an https URL. */
  ca?: Buffer;
  /** Fail (and drop the connection) when no complete answer came within this many ms. Default 5000. */
  timeoutMs?: number;
}

/**
 * Sends one request to `url` + `path` (the path is sent exactly as given) and resolves with the
 * answer, or rejects with a message naming the request when it takes longer than the bound.
 */
export function boundedRequest(url: string, method: string, path: string, opts: BoundedRequestOptions = {}): Promise<TestResponse> {
  const base = new URL(url);
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
  const timeoutMs = opts.timeoutMs ?? 5000;
  const lib = base.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = <T>(fn: (v: T) => void) => (v: T) => {
      clearTimeout(timer);
      fn(v);
    };
    const req = lib.request({ host: base.hostname, port: base.port, path, method, headers, agent: false, ca: opts.ca, servername: 'localhost' }, (res) => {
      readResponse(res).then(settle(resolve), settle(reject));
    });
    timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${method} ${path.slice(0, 80)}`));
    }, timeoutMs);
    req.on('error', settle(reject));
    req.end(opts.body);
  });
}
