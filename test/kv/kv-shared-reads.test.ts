/**
 * The KV v2 read path shares one decoded, frozen version per stored ciphertext (v2-read.ts) and
 * the audit device remembers its HMACs (and the token's) per object. These tests go through
 * HTTP and check what must never change: every read answers what is stored now, and every audit
 * line carries the HMACs of the device's current salt (compared with sys/audit-hash).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-shared-reads-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function auditHash(s: TestServer, device: string, input: string): Promise<string> {
  const res = await s.request('POST', `/v1/sys/audit-hash/${device}`, { body: { input } });
  assert.equal(res.status, 200);
  return res.body.data.hash as string;
}

function readLines(file: string, token: string): any[] {
  const text = readFileSync(file, 'utf8');
  assert.equal(text.includes(token), false, 'raw token in the audit log');
  return text.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.request?.path === 'secret/data/shared' && l.request.operation === 'read');
}

describe('KV v2 shared reads', () => {
  it('repeated reads answer what is stored now and are audited with the current salt (new versions, delete, undelete, destroy, re-enabled device)', async () => {
    const s = await createTestServer({ storage: 'sqlite' });
    try {
      const file1 = join(dir, 'one.log');
      assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: file1 } } })).status, 204);
      assert.equal((await s.request('PUT', '/v1/sys/policies/acl/shared-read', { body: { policy: 'path "secret/data/shared" { capabilities = ["read"] }' } })).status, 204);
      const token = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['shared-read'] } })).body.auth.client_token as string;
      const accessor = (await s.request('POST', '/v1/auth/token/lookup', { body: { token } })).body.data.accessor as string;
      const read = () => s.request('GET', '/v1/secret/data/shared', { token });

      assert.equal((await s.request('POST', '/v1/secret/data/shared', { body: { data: { password: 'first-secret', nested: { list: ['a', 1] } } } })).status, 200);
      for (let i = 0; i < 3; i++) {
        const r = await read();
        assert.equal(r.status, 200);
        assert.deepEqual(r.body.data.data, { password: 'first-secret', nested: { list: ['a', 1] } });
        assert.equal(r.body.data.metadata.version, 1);
      }
      assert.equal((await s.request('POST', '/v1/secret/data/shared', { body: { data: { password: 'second-secret' } } })).status, 200);
      const second = await read();
      assert.deepEqual(second.body.data.data, { password: 'second-secret' });
      assert.equal(second.body.data.metadata.version, 2);
      // An older version by number still reads as stored.
      assert.deepEqual((await s.request('GET', '/v1/secret/data/shared?version=1', { token })).body.data.data.password, 'first-secret');

      let lines = readLines(file1, token);
      const h1 = {
        token: await auditHash(s, 'file', token),
        accessor: await auditHash(s, 'file', accessor),
        first: await auditHash(s, 'file', 'first-secret'),
        second: await auditHash(s, 'file', 'second-secret'),
      };
      assert.equal(lines.length, 2 * 5, 'a request and a response entry for every read');
      for (const l of lines) {
        assert.equal(l.auth.client_token, h1.token);
        assert.equal(l.auth.accessor, h1.accessor);
        assert.equal(l.request.client_token, h1.token);
        assert.equal(l.request.client_token_accessor, h1.accessor);
      }
      const passwords = lines.filter((l) => l.type === 'response').map((l) => l.response.data.data.password);
      assert.deepEqual(passwords, [h1.first, h1.first, h1.first, h1.second, h1.first]);

      // Soft delete, undelete, destroy: each read sees the change at once.
      assert.equal((await s.request('DELETE', '/v1/secret/data/shared')).status, 204);
      const deleted = await read();
      assert.equal(deleted.status, 404);
      assert.equal(deleted.body.data.data, null);
      assert.notEqual(deleted.body.data.metadata.deletion_time, '');
      assert.equal((await s.request('POST', '/v1/secret/undelete/shared', { body: { versions: [2] } })).status, 204);
      assert.equal((await read()).body.data.data.password, 'second-secret');
      assert.equal((await s.request('PUT', '/v1/secret/destroy/shared', { body: { versions: [2] } })).status, 204);
      const destroyed = await read();
      assert.equal(destroyed.status, 404);
      assert.equal(destroyed.body.data.metadata.destroyed, true);

      // A version that expires by the clock (delete_version_after) stops being served when its time comes.
      assert.equal((await s.request('POST', '/v1/secret/metadata/shared', { body: { delete_version_after: '1h' } })).status, 204);
      assert.equal((await s.request('POST', '/v1/secret/data/shared', { body: { data: { password: 'third-secret' } } })).status, 200);
      assert.equal((await read()).body.data.data.password, 'third-secret');
      s.clock.advance(2 * 3600 * 1000);
      assert.equal((await read()).status, 404);

      // The device re-enabled: a new salt, so new HMACs for the same token and the same stored version.
      assert.equal((await s.request('POST', '/v1/secret/data/shared', { body: { data: { password: 'fourth-secret' } } })).status, 200);
      assert.equal((await read()).status, 200);
      assert.equal((await s.request('DELETE', '/v1/sys/audit/file')).status, 204);
      const file2 = join(dir, 'two.log');
      assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: file2 } } })).status, 204);
      assert.equal((await read()).status, 200);
      assert.equal((await read()).status, 200);
      lines = readLines(file2, token);
      const h2 = { token: await auditHash(s, 'file', token), fourth: await auditHash(s, 'file', 'fourth-secret') };
      assert.notEqual(h2.token, h1.token);
      assert.equal(lines.length, 4);
      for (const l of lines) assert.equal(l.auth.client_token, h2.token);
      for (const l of lines.filter((x) => x.type === 'response')) assert.equal(l.response.data.data.password, h2.fourth);
    } finally {
      await s.close();
    }
  });

  it('a secret too large for the memo is read afresh each time (and audited the same way)', async () => {
    const s = await createTestServer({ storage: 'sqlite' });
    try {
      const file = join(dir, 'large.log');
      assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: file } } })).status, 204);
      const big = 'x'.repeat(10_000);
      for (const [i, value] of [big, big + 'y'].entries()) {
        assert.equal((await s.request('POST', '/v1/secret/data/large', { body: { data: { blob: value, n: i } } })).status, 200);
        for (let r = 0; r < 2; r++) {
          const res = await s.request('GET', '/v1/secret/data/large');
          assert.equal(res.status, 200);
          assert.deepEqual(res.body.data.data, { blob: value, n: i });
        }
      }
      const hashed = await auditHash(s, 'file', big + 'y');
      const last = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'response' && l.request.path === 'secret/data/large' && l.request.operation === 'read').at(-1);
      assert.equal(last.response.data.data.blob, hashed);
    } finally {
      await s.close();
    }
  });

  it('a renewed or revoked token is never served from the memo', async () => {
    const s = await createTestServer();
    try {
      const file = join(dir, 'renew.log');
      assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: file } } })).status, 204);
      assert.equal((await s.request('PUT', '/v1/sys/policies/acl/shared-read', { body: { policy: 'path "secret/data/shared" { capabilities = ["read"] }' } })).status, 204);
      assert.equal((await s.request('POST', '/v1/secret/data/shared', { body: { data: { password: 'x' } } })).status, 200);
      const token = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['shared-read'], ttl: '1h' } })).body.auth.client_token as string;
      assert.equal((await s.request('GET', '/v1/secret/data/shared', { token })).status, 200);
      assert.equal((await s.request('POST', '/v1/auth/token/renew-self', { token, body: { increment: '2h' } })).status, 200);
      assert.equal((await s.request('GET', '/v1/secret/data/shared', { token })).status, 200);
      assert.equal((await s.request('POST', '/v1/auth/token/revoke', { body: { token } })).status, 204);
      assert.equal((await s.request('GET', '/v1/secret/data/shared', { token })).status, 403);
      const hashed = await auditHash(s, 'file', token);
      const lines = readLines(file, token);
      assert.equal(lines.length, 6);
      for (const l of lines.slice(0, 4)) assert.equal(l.auth.client_token, hashed);
      // The refused request carries no auth; its request block still records the (hashed) token.
      for (const l of lines.slice(4)) {
        assert.equal(l.auth.client_token, '');
        assert.equal(l.request.client_token, hashed);
        assert.match(l.error, /^permission denied/);
      }
    } finally {
      await s.close();
    }
  });
});
