import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createTestServer } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('audit over HTTP', () => {
  it('logs every request and response with strings HMACed, never the secret or the token', async () => {
    const s = await createTestServer();
    try {
      const file = join(dir, 'audit.log');
      assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: file } } })).status, 204);
      const listed = await s.request('GET', '/v1/sys/audit');
      assert.equal(listed.body.data['file/'].type, 'file');
      assert.equal(listed.body.data['file/'].options.file_path, file);
      assert.equal(JSON.stringify(listed.body).includes('salt'), false, 'the salt is never shown');

      const SECRET = 'audit-me-not-8d1f2e';
      await s.request('POST', '/v1/secret/data/audited', { body: { data: { password: SECRET } } });
      const read = await s.request('GET', '/v1/secret/data/audited');
      assert.equal(read.body.data.data.password, SECRET);
      const denied = await s.request('GET', '/v1/secret/data/audited', { token: 'hvs.not-a-real-token' });
      assert.equal(denied.status, 403);

      const text = readFileSync(file, 'utf8');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(text.includes(SECRET), false, 'secret value in audit log');
      assert.equal(text.includes(s.rootToken), false, 'root token in audit log');
      const lines = text.trim().split('\n').map((l) => JSON.parse(l));
      const writes = lines.filter((l) => l.request?.path === 'secret/data/audited');
      assert.ok(writes.some((l) => l.type === 'request' && l.request.operation === 'create'));
      assert.ok(writes.some((l) => l.type === 'response' && l.request.operation === 'read'));

      const hash = await s.request('POST', '/v1/sys/audit-hash/file', { body: { input: SECRET } });
      assert.match(hash.body.data.hash, /^hmac-sha256:[0-9a-f]{64}$/);
      assert.ok(text.includes(hash.body.data.hash), 'the hashed secret is findable with sys/audit-hash');
      const readResponse = writes.find((l) => l.type === 'response' && l.request.operation === 'read');
      assert.equal(readResponse.response.data.data.password, hash.body.data.hash);
      assert.match(readResponse.auth.client_token, /^hmac-sha256:/);

      assert.equal((await s.request('DELETE', '/v1/sys/audit/file')).status, 204);
      const before = readFileSync(file, 'utf8').length;
      await s.request('GET', '/v1/secret/data/audited');
      assert.equal(readFileSync(file, 'utf8').length, before, 'a disabled device writes nothing');
    } finally {
      await s.close();
    }
  });

  it('refuses devices it cannot open, with a clear message', async () => {
    const s = await createTestServer();
    try {
      const res = await s.request('PUT', '/v1/sys/audit/bad', { body: { type: 'file', options: { file_path: join(dir, 'no', 'such', 'dir', 'a.log') } } });
      assert.equal(res.status, 400);
      assert.ok(res.body.errors[0].length > 10);
      const sock = await s.request('PUT', '/v1/sys/audit/sock', { body: { type: 'socket', options: {} } });
      assert.equal(sock.status, 400);
    } finally {
      await s.close();
    }
  });

  it('fails closed: when no device can write, requests are refused and nothing is changed', async () => {
    if (!existsSync('/dev/full')) return;
    const s = await createTestServer();
    try {
      // /dev/full accepts the open and fails every write (ENOSPC). Even the enable call's own
      // response cannot be audited, so it already answers 500.
      const enable = await s.request('PUT', '/v1/sys/audit/full', { body: { type: 'file', options: { file_path: '/dev/full' } } });
      assert.equal(enable.status, 500);
      const write = await s.request('POST', '/v1/secret/data/never', { body: { data: { a: 'b' } } });
      assert.equal(write.status, 500);
      assert.match(write.body.errors[0], /audit/);
      // The write did not land: check through core directly, which bypasses the HTTP audit path.
      const mounted = s.core.mounts.match('secret/data/never');
      assert.deepEqual(await mounted!.storage.list(''), []);
    } finally {
      await s.close();
    }
  });

  it('rotates the file by size', async () => {
    const s = await createTestServer();
    try {
      const file = join(dir, 'rot', 'audit.log');
      await import('node:fs').then((fs) => fs.mkdirSync(join(dir, 'rot')));
      await s.request('PUT', '/v1/sys/audit/rot', { body: { type: 'file', options: { file_path: file, max_bytes: '4096', max_files: '3' } } });
      for (let i = 0; i < 40; i++) await s.request('GET', '/v1/sys/mounts');
      const files = (await import('node:fs')).readdirSync(join(dir, 'rot'));
      assert.ok(files.length >= 2 && files.length <= 4, `rotated files: ${files.join(', ')}`);
    } finally {
      await s.close();
    }
  });
});
