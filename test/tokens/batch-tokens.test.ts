/**
 * Batch tokens (`hvb.`): not stored, not renewable, no children, no accessor, valid until
 * they expire or their parent goes; sealed under a key kept in the barrier, so they survive a
 * restart and mean nothing to another server. Through HTTP and node-vault.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodeVault from 'node-vault';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await createTestServer();
  await s.request('PUT', '/v1/sys/policies/acl/reader', { body: { policy: 'path "secret/data/batch/*" { capabilities = ["read"] }\npath "auth/token/create" { capabilities = ["update"] }' } });
  await s.request('POST', '/v1/secret/data/batch/one', { body: { data: { v: 'batch-visible' } } });
});
after(async () => s.close());

async function createBatch(body: Record<string, unknown> = {}, token?: string) {
  return s.request('POST', '/v1/auth/token/create', { token, body: { type: 'batch', policies: ['reader'], ttl: '1h', ...body } });
}
const counted = async () => (await s.request('GET', '/v1/sys/internal/counters/tokens')).body.data.counters.service_tokens.total as number;

describe('batch tokens over HTTP', () => {
  it('are created unstored, without accessor or renewability, and work until they expire', async () => {
    const before = await counted();
    const res = await createBatch();
    assert.equal(res.status, 200, res.text);
    const auth = res.body.auth;
    assert.match(auth.client_token, /^hvb\.[A-Za-z0-9_-]+$/);
    assert.equal(auth.accessor, '');
    assert.equal(auth.token_type, 'batch');
    assert.equal(auth.renewable, false);
    assert.equal(auth.lease_duration, 3600);
    assert.equal(auth.orphan, false);
    assert.deepEqual(auth.policies, ['default', 'reader']);
    assert.equal(await counted(), before, 'nothing stored');

    const token = auth.client_token;
    const read = await s.request('GET', '/v1/secret/data/batch/one', { token });
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.data.data.v, 'batch-visible');
    assert.equal((await s.request('GET', '/v1/secret/data/other', { token })).status, 403);

    const self = await s.request('GET', '/v1/auth/token/lookup-self', { token });
    assert.equal(self.status, 200, self.text);
    const d = self.body.data;
    assert.equal(d.type, 'batch');
    assert.equal(d.id, token);
    assert.equal(d.accessor, '');
    assert.equal(d.renewable, false);
    assert.equal(d.ttl, 3600);
    assert.equal(d.orphan, false);
    assert.equal(d.num_uses, 0);
    assert.equal(d.path, 'auth/token/create');
    const byRoot = await s.request('POST', '/v1/auth/token/lookup', { body: { token } });
    assert.equal(byRoot.status, 200, byRoot.text);
    assert.equal(byRoot.body.data.type, 'batch');

    s.clock.advance(3600_000);
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token })).status, 403, 'expired');
  });

  it('cannot be renewed, revoked, create children or use a cubbyhole', async () => {
    const token = (await createBatch()).body.auth.client_token;
    const renewSelf = await s.request('POST', '/v1/auth/token/renew-self', { token });
    assert.equal(renewSelf.status, 400);
    assert.deepEqual(renewSelf.body.errors, ['batch tokens cannot be renewed']);
    assert.equal((await s.request('POST', '/v1/auth/token/renew', { body: { token } })).status, 400);
    const child = await s.request('POST', '/v1/auth/token/create', { token, body: { policies: ['reader'] } });
    assert.equal(child.status, 400);
    assert.deepEqual(child.body.errors, ['batch tokens cannot create more tokens']);
    const revoke = await s.request('POST', '/v1/auth/token/revoke', { body: { token } });
    assert.equal(revoke.status, 400);
    assert.match(revoke.body.errors[0], /batch tokens cannot be revoked/);
    assert.equal((await s.request('POST', '/v1/auth/token/revoke-self', { token })).status, 400);
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token })).status, 200, 'still valid');
    const cubby = await s.request('POST', '/v1/cubbyhole/x', { token, body: { a: 'b' } });
    assert.equal(cubby.status, 400, cubby.text);
  });

  it('end with their parent token', async () => {
    const parent = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['reader'] } })).body.auth.client_token;
    const child = await createBatch({}, parent);
    assert.equal(child.status, 200, child.text);
    const token = child.body.auth.client_token;
    assert.equal((await s.request('GET', '/v1/secret/data/batch/one', { token })).status, 200);
    assert.equal((await s.request('POST', '/v1/auth/token/revoke', { body: { token: parent } })).status, 204);
    assert.equal((await s.request('GET', '/v1/secret/data/batch/one', { token })).status, 403);

    const orphan = (await createBatch({}, undefined)).body.auth.client_token;
    const viaOrphanRoute = await s.request('POST', '/v1/auth/token/create-orphan', { body: { type: 'batch', policies: ['reader'] } });
    assert.equal(viaOrphanRoute.body.auth.orphan, true);
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token: orphan })).status, 200);
  });

  it('refuse settings batch tokens cannot have, and altered or foreign tokens', async () => {
    for (const [body, bad] of [[{ period: '1h' }, 'period'], [{ num_uses: 3 }, 'num_uses'], [{ explicit_max_ttl: '2h' }, 'explicit_max_ttl'], [{ id: 'custom' }, 'id']] as const) {
      const res = await createBatch(body);
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.body.errors, [`batch tokens cannot have "${bad}" set`]);
    }
    const root = await s.request('POST', '/v1/auth/token/create', { body: { type: 'batch', policies: ['root'] } });
    assert.equal(root.status, 400);
    assert.deepEqual(root.body.errors, ['batch tokens cannot be root tokens']);

    const token: string = (await createBatch()).body.auth.client_token;
    const i = token.length - 10;
    const altered = token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token: altered })).status, 403);
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token: 'hvb.' })).status, 403);
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token: 'hvb.!!' })).status, 403);
    const other = await createTestServer();
    try {
      assert.equal((await other.request('GET', '/v1/auth/token/lookup-self', { token })).status, 403, 'another server cannot open it');
    } finally {
      await other.close();
    }
  });

  it('come from token roles with token_type batch or default-batch', async () => {
    assert.equal((await s.request('POST', '/v1/auth/token/roles/batchy', { body: { allowed_policies: 'reader', token_type: 'batch' } })).status, 204);
    const viaRole = await s.request('POST', '/v1/auth/token/create/batchy', { body: {} });
    assert.equal(viaRole.status, 200, viaRole.text);
    assert.equal(viaRole.body.auth.token_type, 'batch');
    assert.equal((await s.request('GET', '/v1/auth/token/roles/batchy')).body.data.token_type, 'batch');

    assert.equal((await s.request('POST', '/v1/auth/token/roles/maybe', { body: { allowed_policies: 'reader', token_type: 'default-batch' } })).status, 204);
    assert.equal((await s.request('POST', '/v1/auth/token/create/maybe', { body: {} })).body.auth.token_type, 'batch');
    assert.equal((await s.request('POST', '/v1/auth/token/create/maybe', { body: { type: 'service' } })).body.auth.token_type, 'service');

    const periodic = await s.request('POST', '/v1/auth/token/roles/bad', { body: { token_type: 'batch', token_period: '1h' } });
    assert.equal(periodic.status, 400);
  });

  it('come from auth methods whose roles say token_type=batch', async () => {
    assert.equal((await s.request('POST', '/v1/sys/auth/userpass', { body: { type: 'userpass' } })).status, 204);
    assert.equal((await s.request('POST', '/v1/auth/userpass/users/bat', { body: { password: 'pw-batch-1', token_policies: 'reader', token_type: 'batch' } })).status, 204);
    const login = await s.request('POST', '/v1/auth/userpass/login/bat', { token: null, body: { password: 'pw-batch-1' } });
    assert.equal(login.status, 200, login.text);
    assert.match(login.body.auth.client_token, /^hvb\./);
    assert.equal(login.body.auth.token_type, 'batch');
    assert.equal(login.body.auth.accessor, '');
    assert.equal((await s.request('GET', '/v1/secret/data/batch/one', { token: login.body.auth.client_token })).status, 200);
    const user = await s.request('GET', '/v1/auth/userpass/users/bat');
    assert.equal(user.body.data.token_type, 'batch');

    assert.equal((await s.request('POST', '/v1/sys/auth/approle', { body: { type: 'approle' } })).status, 204);
    const bad = await s.request('POST', '/v1/auth/approle/role/b', { body: { token_type: 'batch', token_num_uses: 2 } });
    assert.equal(bad.status, 400, bad.text);
  });
});

describe('batch tokens with node-vault and across a restart', () => {
  it('node-vault creates and uses a batch token; it survives a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coffer-batch-'));
    let token: string;
    const first = await createTestServer({ storage: 'sqlite', dir, rootTokenId: 'root' });
    try {
      const root = nodeVault({ apiVersion: 'v1', endpoint: first.url, token: 'root' });
      // node-vault's tokenCreate drops fields outside its schema (such as `type`): use its generic write.
      const created = await root.write('auth/token/create', { type: 'batch', policies: ['default'], ttl: '1h' });
      token = created.auth.client_token;
      assert.equal(created.auth.token_type, 'batch');
      const self = await nodeVault({ apiVersion: 'v1', endpoint: first.url, token }).tokenLookupSelf();
      assert.equal(self.data.type, 'batch');
      await assert.rejects(nodeVault({ apiVersion: 'v1', endpoint: first.url, token }).tokenRenewSelf(), /batch tokens cannot be renewed/);
    } finally {
      await first.close().catch(() => {});
    }
    const second = await createTestServer({ storage: 'sqlite', dir, rootTokenId: 'root' });
    try {
      const self = await nodeVault({ apiVersion: 'v1', endpoint: second.url, token }).tokenLookupSelf();
      assert.equal(self.data.id, token);
    } finally {
      await second.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
