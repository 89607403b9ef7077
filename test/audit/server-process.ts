/**
 * A real `coffer server --dev --dev-persist DIR` process (SQLite-backed, so it can be
 * restarted on the same data) whose server log the audit tests read.
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import { join } from 'node:path';
import { ROOT } from '../helpers/cli.js';
import { httpRequest, type RequestOptions, type TestResponse } from '../helpers/server.js';

/** A running server process. */
export interface ServerProcess {
  url: string;
  /** Everything the process wrote so far (pino JSON lines and the banner). */
  log(): string;
  request(method: string, path: string, opts?: RequestOptions): Promise<TestResponse>;
  stop(): Promise<void>;
  /** SIGKILL: no shutdown work at all (nothing flushed that was not already written). */
  kill(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Starts the server on `dir` and waits (at most ~30 s) until sys/health answers. */
export async function startServerProcess(dir: string, rootToken: string): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'server', '--dev', '--dev-persist', dir, '--dev-listen-address', `127.0.0.1:${port}`, '--dev-root-token-id', rootToken];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { PATH: process.env.PATH, COFFER_LOG_LEVEL: 'info' } });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (log += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) break;
    const ok = await httpRequest(url, 'GET', '/v1/sys/health').then((r) => r.status === 200, () => false);
    if (ok) {
      const kill = async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      };
      return { url, log: () => log, request: (m, p, o) => httpRequest(url, m, p, { ...o, defaultToken: rootToken }), stop, kill };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`the server did not start:\n${log}`);
}
