// Issue 7 (hardening), part 3: when rotation cannot open the next audit file, requests are
// refused until a file can be written again, and the server log says why, once.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startServerProcess, type ServerProcess } from './server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-audit-rotation-'));
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function logMessages(): Array<Record<string, unknown>> {
  return server!.log().split('\n').flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

test('a rotation into a removed directory fails closed, is logged once, and service resumes when it is back', async () => {
  server = await startServerProcess(join(dir, 'data'), 'root-for-rotation-test');
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const file = join(logs, 'audit.log');
  const enable = await server.request('PUT', '/v1/sys/audit/rot', { body: { type: 'file', options: { file_path: file, max_bytes: '4096' } } });
  assert.equal(enable.status, 204);
  assert.equal((await server.request('GET', '/v1/sys/mounts')).status, 200);

  rmSync(logs, { recursive: true });
  // Each request writes ~2 KiB of audit lines: a rotation is due within a few requests.
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) statuses.push((await server.request('GET', '/v1/sys/mounts')).status);
  const first = statuses.indexOf(500);
  assert.ok(first >= 0 && first <= 4, `a request was refused once rotation failed: ${statuses.join(',')}`);
  assert.deepEqual(statuses.slice(first), statuses.slice(first).map(() => 500), `nothing is served while no file can be written: ${statuses.join(',')}`);
  const failing = logMessages().filter((m) => typeof m.msg === 'string' && m.msg.startsWith('audit device failing'));
  assert.equal(failing.length, 1, 'logged once, not per request');
  assert.equal(failing[0]!.device, 'rot/');
  assert.match(String(failing[0]!.err), /directory ".*logs" does not exist/);

  mkdirSync(logs);
  // Reopening is retried at most once a second: service resumes by itself.
  let status = 0;
  for (let i = 0; i < 30 && status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 100));
    status = (await server.request('GET', '/v1/sys/mounts')).status;
  }
  assert.equal(status, 200);
  assert.ok(logMessages().some((m) => m.msg === 'audit device writing again' && m.device === 'rot/'));
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.some((e) => e.type === 'response' && e.request.path === 'sys/mounts'), 'the request that was served is in the new file');
});
