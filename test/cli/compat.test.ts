/**
 * CLI compatibility gaps seen in day-to-day use: a closed stdout (`coffer ... | head -1`) and
 * `coffer list` on a Key Vault engine (which answers `items`, not `keys`). Real `coffer` process
 * against a real dev server.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runCoffer } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let home: string;

before(async () => {
  server = await createTestServer();
  home = mkdtempSync(join(tmpdir(), 'coffer-compat-home-'));
});
after(async () => {
  await server?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

const env = () => ({ HOME: home, COFFER_ADDR: server.url, COFFER_TOKEN: server.rootToken });

test('a closed stdout (coffer ... | head -1) ends the CLI quietly, without an EPIPE stack trace', async () => {
  // 30 secrets so that the listing is several writes long.
  assert.equal((await server.request('POST', '/v1/sys/mounts/kv1', { body: { type: 'kv' } })).status, 204);
  for (let i = 0; i < 30; i++) {
    assert.equal((await server.request('PUT', `/v1/kv1/item-${String(i).padStart(2, '0')}`, { body: { v: 'x' } })).status, 204);
  }
  const childEnv: Record<string, string> = { PATH: process.env.PATH ?? '', ...env() };
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'list', 'kv1'], { cwd: ROOT, env: childEnv });
    // The reader goes away before the CLI writes anything, like `head` after its first line.
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, err }));
    child.stdin.end();
  });
  assert.doesNotMatch(result.err, /EPIPE|Error|at /, `stderr should stay empty, got: ${result.err.slice(0, 400)}`);
  assert.equal(result.err, '');
  assert.equal(result.code, 0);
});

test('coffer list keyvault/<vault>/secrets prints the secret names (all pages)', async () => {
  assert.equal((await server.request('POST', '/v1/sys/mounts/keyvault/listvault', { body: { type: 'keyvault' } })).status, 204);
  // More than one Key Vault page (25 items).
  const names = Array.from({ length: 27 }, (_, i) => `secret-${String(i).padStart(2, '0')}`);
  for (const name of names) {
    assert.equal((await server.request('PUT', `/v1/keyvault/listvault/secrets/${name}`, { body: { value: 'v' } })).status, 200);
  }
  const res = await runCoffer(['list', 'keyvault/listvault/secrets'], { env: env() });
  assert.equal(res.code, 0, res.err);
  assert.deepEqual(res.out.trim().split('\n'), names);

  await server.request('PUT', '/v1/keyvault/listvault/secrets/secret-00', { body: { value: 'v2' } });
  const versions = await runCoffer(['list', '-format=json', 'keyvault/listvault/secrets/secret-00/versions'], { env: env() });
  assert.equal(versions.code, 0, versions.err);
  const listed = JSON.parse(versions.out) as string[];
  assert.equal(listed.length, 2);
  for (const v of listed) assert.match(v, /^[0-9a-f]{32}$/);
});
