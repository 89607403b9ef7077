import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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

  it('refuses a device that cannot write with a 400, saves nothing, and keeps serving (/dev/full)', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, async () => {
    const s = await createTestServer();
    try {
      // /dev/full accepts the open and fails every write (ENOSPC): only a test write finds out.
      const enable = await s.request('PUT', '/v1/sys/audit/full', { body: { type: 'file', options: { file_path: '/dev/full' } } });
      assert.equal(enable.status, 400);
      assert.match(enable.body.errors[0], /audit device full\/ failed its test write \(ENOSPC/);
      assert.match(enable.body.errors[0], /nothing was enabled/);
      assert.deepEqual(Object.keys((await s.request('GET', '/v1/sys/audit')).body.data), []);
      assert.equal((await s.request('POST', '/v1/secret/data/after', { body: { data: { a: 'b' } } })).status, 200);
    } finally {
      await s.close();
    }
  });

  it('a device from the audit table that cannot be opened at restart can still be disabled by root (SQLite)', async () => {
    const data = mkdtempSync(join(tmpdir(), 'coffer-audit-restart-'));
    const sub = join(dir, 'gone-at-restart');
    mkdirSync(sub);
    let s = await createTestServer({ storage: 'sqlite', dir: data });
    try {
      assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: join(sub, 'audit.log') } } })).status, 204);
      await s.close();
      rmSync(sub, { recursive: true });
      s = await createTestServer({ storage: 'sqlite', dir: data });
      const refused = await s.request('GET', '/v1/sys/mounts');
      assert.equal(refused.status, 500);
      assert.match(refused.body.errors[0], /fail closed/);
      assert.equal((await s.request('DELETE', '/v1/sys/audit/file')).status, 204);
      assert.equal((await s.request('GET', '/v1/sys/mounts')).status, 200);
    } finally {
      await s.close();
      rmSync(data, { recursive: true, force: true });
    }
  });

  it('writes Vault\'s test probe (update sys/audit/test) when a device is enabled', async () => {
    const s = await createTestServer();
    try {
      const file = join(dir, 'probe.log');
      assert.equal((await s.request('PUT', '/v1/sys/audit/probe', { body: { type: 'file', options: { file_path: file } } })).status, 204);
      const first = JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!);
      assert.equal(first.type, 'request');
      assert.equal(first.request.path, 'sys/audit/test');
      assert.equal(first.request.operation, 'update');
    } finally {
      await s.close();
    }
  });

  it('audits every refusal once, as a request and a response entry, with a bogus token HMACed', async () => {
    const s = await createTestServer();
    try {
      const file = join(dir, 'refusals.log');
      assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: file } } })).status, 204);
      const create = async (body: object, path = '/v1/auth/token/create') => (await s.request('POST', path, { body })).body.auth.client_token as string;
      const expired = await create({ policies: ['default'], ttl: '60s' });
      const revoked = await create({ policies: ['default'] });
      assert.equal((await s.request('POST', '/v1/auth/token/revoke', { body: { token: revoked } })).status, 204);
      assert.equal((await s.request('POST', '/v1/auth/token/roles/far', { body: { token_bound_cidrs: '10.0.0.0/8' } })).status, 204);
      const elsewhere = await create({ policies: ['default'] }, '/v1/auth/token/create/far');
      const limited = await create({ policies: ['default'] });
      s.clock.advance(120_000);
      const BOGUS = 'hvs.bogus-token-never-in-the-log-42';

      const cases: Array<[string, string, string, string | null, number]> = [
        ['none', 'GET', '/v1/secret/data/r-none', null, 403],
        ['bogus', 'GET', '/v1/secret/data/r-bogus', BOGUS, 403],
        ['expired', 'GET', '/v1/secret/data/r-expired', expired, 403],
        ['revoked', 'GET', '/v1/secret/data/r-revoked', revoked, 403],
        ['cidr', 'GET', '/v1/secret/data/r-cidr', elsewhere, 403],
        ['denied', 'GET', '/v1/secret/data/r-denied', limited, 403],
        ['unknown', 'GET', '/v1/no-such-mount/r-unknown', s.rootToken, 404],
        ['unsupported', 'DELETE', '/v1/sys/audit-hash/r-unsupported', s.rootToken, 405],
        ['badpath', 'GET', '/v1/secret/data/a/%2e%2e/r-badpath', s.rootToken, 400],
      ];
      for (const [name, method, path, token, status] of cases) {
        assert.equal((await s.request(method, path, { token })).status, status, name);
      }
      // Not audited, as in Vault.
      assert.equal((await s.request('GET', '/v1/sys/health')).status, 200);

      const text = readFileSync(file, 'utf8');
      for (const raw of [BOGUS, expired, revoked, elsewhere, limited, s.rootToken]) assert.equal(text.includes(raw), false, 'a raw token in the audit log');
      const entries = text.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(entries.some((e) => e.request?.path?.startsWith('sys/health')), false);
      const hashOf = async (input: string) => (await s.request('POST', '/v1/sys/audit-hash/file', { body: { input } })).body.data.hash as string;
      for (const [name, , , token] of cases) {
        const mine = entries.filter((e) => typeof e.request?.path === 'string' && e.request.path.endsWith(`r-${name}`));
        assert.deepEqual(mine.map((e) => e.type), ['request', 'response'], `${name}: one request and one response entry`);
        assert.equal(mine[0].request.id, mine[1].request.id, name);
        assert.ok(mine[1].error, `${name}: the response entry has the error`);
        // Refused before the backend runs: the request entry carries it too (Vault's OuterErr).
        if (name !== 'unknown' && name !== 'unsupported') assert.ok(mine[0].error, `${name}: the request entry has the error`);
        assert.equal(mine[0].request.client_token, token ? await hashOf(token) : '', `${name}: the client token is HMACed`);
      }
      const bogus = entries.find((e) => e.request?.path === 'secret/data/r-bogus');
      assert.match(bogus.error, /permission denied/);
      assert.equal(bogus.auth.client_token, '', 'a refused token has no auth block');
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
