// Audit completeness: a response reaches the client only after both of its audit entries are
// in the file. The server is killed with SIGKILL the moment the first of many concurrent
// answers arrives (no shutdown flush can help), and every answer the client got has its request
// and response entries in the file.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startServerProcess, type ServerProcess } from './server-process.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-audit-kill-'));
let server: ServerProcess | undefined;
after(async () => {
  await server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('every answered request has both audit entries in the file, even when the server is killed right after answering', async () => {
  server = await startServerProcess(join(dir, 'data'), 'root-for-kill-test');
  const file = join(dir, 'audit.log');
  assert.equal((await server.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: file } } })).status, 204);
  assert.equal((await server.request('POST', '/v1/secret/data/app', { body: { data: { password: 'pw' } } })).status, 200);

  const answered: string[] = [];
  let killing: Promise<void> | undefined;
  const reads = Array.from({ length: 40 }, () =>
    server!.request('GET', '/v1/secret/data/app').then(
      (res) => {
        if (res.status === 200) answered.push(res.body.request_id as string);
        // The first answer kills the server at once; answers already received still count.
        killing ??= server!.kill();
      },
      () => undefined, // cut off by the kill
    ),
  );
  await Promise.all(reads);
  await killing;
  assert.ok(answered.length >= 1, 'at least one read was answered before the kill');

  // A kill during a write(2) may leave the file's last line cut short (Linux stops a write when a
  // fatal signal arrives), so a last line without its newline is not parsed. If it belonged to an
  // answered request, the check below finds that request's entry missing.
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const complete = text.endsWith('\n') ? lines : lines.slice(0, -1);
  const entries = complete.filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
  for (const id of answered) {
    const mine = entries.filter((e) => e.request?.id === id).map((e) => e.type);
    assert.deepEqual(mine.sort(), ['request', 'response'], `request ${id}: both entries are in the file`);
  }
});
