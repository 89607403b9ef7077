// Wire compatibility with the real node-vault client (a dev dependency), unmodified.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodeVault from 'node-vault';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let vault: nodeVault.client;
const dir = mkdtempSync(join(tmpdir(), 'coffer-nv-'));
before(async () => {
  s = await createTestServer({ rootTokenId: 'root' });
  vault = nodeVault({ apiVersion: 'v1', endpoint: s.url, token: 'root' });
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('node-vault against Coffer', () => {
  it('status, health and init behave like Vault', async () => {
    const status = await vault.status();
    assert.equal(status.sealed, false);
    const health = await vault.health();
    assert.equal(health.initialized, true);
    await assert.rejects(vault.init({ secret_shares: 1, secret_threshold: 1 }), (err: Error) => err.message === 'Vault is already initialized');
  });

  it('KV v2 CRUD with versions, patch and metadata', async () => {
    const w1 = await vault.write('secret/data/mysql/webapp', { data: { db_name: 'users', username: 'admin', password: 'passw0rd' } });
    assert.equal(w1.data.version, 1);
    await vault.write('secret/data/mysql/webapp', { data: { db_name: 'users', username: 'admin', password: 'n3w' } });
    const latest = await vault.read('secret/data/mysql/webapp');
    assert.equal(latest.data.data.password, 'n3w');
    assert.equal(latest.data.metadata.version, 2);
    const v1 = await vault.read('secret/data/mysql/webapp?version=1');
    assert.equal(v1.data.data.password, 'passw0rd');
    await vault.update('secret/data/mysql/webapp', { data: { password: 'patched' } });
    const patched = await vault.read('secret/data/mysql/webapp');
    assert.equal(patched.data.data.password, 'patched');
    assert.equal(patched.data.data.username, 'admin');
    const meta = await vault.read('secret/metadata/mysql/webapp');
    assert.equal(meta.data.current_version, 3);
    assert.deepEqual(Object.keys(meta.data.versions).sort(), ['1', '2', '3']);

    await vault.write('secret/data/mysql/other', { data: { a: '1' } });
    const listed = await vault.list('secret/metadata/mysql');
    assert.deepEqual(listed.data.keys, ['other', 'webapp']);

    await vault.delete('secret/data/mysql/other');
    await assert.rejects(vault.read('secret/data/mysql/other'), (err: any) => err.response.statusCode === 404);
    await assert.rejects(vault.read('secret/data/never/written'), (err: any) => err.response.statusCode === 404 && err.message === 'Status 404');
  });

  it('check-and-set is strict', async () => {
    await vault.write('secret/data/cas', { data: { a: '1' }, options: { cas: 0 } });
    await assert.rejects(vault.write('secret/data/cas', { data: { a: '2' }, options: { cas: 0 } }), /check-and-set parameter did not match/);
    const ok = await vault.write('secret/data/cas', { data: { a: '2' }, options: { cas: 1 } });
    assert.equal(ok.data.version, 2);
  });

  it('policies (legacy API), tokens, and a denied delete returning 403', async () => {
    await vault.addPolicy({ name: 'readonly-kv-backend', rules: 'path "secret/data/mysql/webapp" { capabilities = ["read"] }' });
    const policies = await vault.policies();
    assert.ok(policies.policies.includes('readonly-kv-backend'));
    const got = await vault.getPolicy({ name: 'readonly-kv-backend' });
    assert.match(got.rules, /secret\/data\/mysql\/webapp/);

    const created = await vault.tokenCreate({ policies: ['readonly-kv-backend'], ttl: '1h' });
    const appToken = created.auth.client_token;
    // node-vault adopts the token a tokenCreate returns (tokenSource); switch back to root.
    assert.equal(vault.token, appToken);
    vault.token = 'root';
    assert.deepEqual(created.auth.policies, ['default', 'readonly-kv-backend']);
    const app = nodeVault({ apiVersion: 'v1', endpoint: s.url, token: appToken });
    const self = await app.tokenLookupSelf();
    assert.equal(self.data.ttl, 3600);
    const secret = await app.read('secret/data/mysql/webapp');
    assert.equal(secret.data.data.username, 'admin');
    await assert.rejects(app.delete('secret/data/mysql/webapp'), (err: any) => {
      assert.equal(err.response.statusCode, 403);
      assert.match(err.message, /permission denied/);
      return true;
    });
    await assert.rejects(app.write('secret/data/mysql/webapp', { data: { x: 'y' } }), (err: any) => err.response.statusCode === 403);
    await app.tokenRevokeSelf();
    await assert.rejects(app.tokenLookupSelf(), (err: any) => err.response.statusCode === 403);
    await vault.removePolicy({ name: 'readonly-kv-backend' });
  });

  it('mounts, auth methods list and audit devices', async () => {
    await vault.mount({ mount_point: 'nv-kv', type: 'kv', options: { version: '2' } });
    const mounts = await vault.mounts();
    assert.ok(Object.prototype.hasOwnProperty.call(mounts, 'nv-kv/'));
    await vault.unmount({ mount_point: 'nv-kv' });
    const auths = await vault.auths();
    assert.ok(Object.prototype.hasOwnProperty.call(auths, 'token/'));
    await vault.enableAudit({ name: 'nvfile', type: 'file', options: { path: join(dir, 'audit.log') } });
    const audits = await vault.audits();
    assert.ok(Object.prototype.hasOwnProperty.call(audits, 'nvfile/'));
    await vault.disableAudit({ name: 'nvfile' });
  });

  it('KV v1 through generic read/write/list/delete', async () => {
    await vault.mount({ mount_point: 'kv1', type: 'kv' });
    await vault.write('kv1/app/config', { url: 'https://example.internal', retries: 3 });
    const read = await vault.read('kv1/app/config');
    assert.equal(read.data.url, 'https://example.internal');
    assert.equal(read.data.retries, 3);
    assert.deepEqual((await vault.list('kv1/app')).data.keys, ['config']);
    await vault.delete('kv1/app/config');
    await assert.rejects(vault.list('kv1/app'), (err: any) => err.response.statusCode === 404);
  });
});
