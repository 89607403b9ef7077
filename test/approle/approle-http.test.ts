/**
 * The AppRole auth method over real HTTP: the tutorial flow (spec §5), role fields and
 * sub-paths, role-id and secret-id management, use counts, expiry, CIDR bindings, lockout,
 * and an audit log that never holds a raw secret-id or token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHmac } from 'node:crypto';
import nodeVault from 'node-vault';
import { createTestServer, type TestServer } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-approle-'));
const auditFile = join(dir, 'audit.log');
/** Every secret-id and client token handed out, to grep the audit log for at the end. */
const secrets: string[] = [];

let s: TestServer;

before(async () => {
  s = await createTestServer();
  const audit = await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: auditFile } } });
  assert.equal(audit.status, 204, audit.text);
  // Exactly what `vault auth enable approle` sends.
  const enable = await s.request('POST', '/v1/sys/auth/approle', {
    body: {
      type: 'approle', description: '',
      config: { default_lease_ttl: '', max_lease_ttl: '', force_no_cache: false, options: null },
      local: false, seal_wrap: false, external_entropy_access: false, options: null,
    },
  });
  assert.equal(enable.status, 204, enable.text);
});

after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function writeRole(name: string, body: Record<string, unknown>): Promise<void> {
  const res = await s.request('POST', `/v1/auth/approle/role/${name}`, { body });
  assert.equal(res.status, 204, res.text);
}

async function roleId(name: string): Promise<string> {
  const res = await s.request('GET', `/v1/auth/approle/role/${name}/role-id`);
  assert.equal(res.status, 200, res.text);
  return res.body.data.role_id;
}

async function newSecretId(name: string, body?: unknown): Promise<{ secret_id: string; secret_id_accessor: string; secret_id_ttl: number; secret_id_num_uses: number }> {
  const res = await s.request('POST', `/v1/auth/approle/role/${name}/secret-id`, body === undefined ? {} : { body });
  assert.equal(res.status, 200, res.text);
  secrets.push(res.body.data.secret_id);
  return res.body.data;
}

function login(role_id: string, secret_id?: string) {
  return s.request('POST', '/v1/auth/approle/login', { token: null, body: secret_id === undefined ? { role_id } : { role_id, secret_id } });
}

async function loginOk(role_id: string, secret_id?: string): Promise<any> {
  const res = await login(role_id, secret_id);
  assert.equal(res.status, 200, res.text);
  secrets.push(res.body.auth.client_token);
  return res.body.auth;
}

describe('AppRole over HTTP', () => {
  it('stores role-id and secret-id digests as HMAC-SHA256 under the mount salt and role key (data written by earlier versions still logs in)', async () => {
    await writeRole('digests', { token_policies: 'default' });
    const rid = await roleId('digests');
    const sid = await newSecretId('digests');
    const uuid = s.core.mounts.get('auth/approle/')!.entry.uuid;
    const view = (k: string) => s.core.barrier.get(`auth/${uuid}/${k}`);
    const role = JSON.parse(Buffer.from((await view('role/digests'))!).toString('utf8'));
    const salt = Buffer.from((await view('salt'))!);
    const hex = (key: Buffer, v: string) => createHmac('sha256', key).update(v, 'utf8').digest('hex');
    assert.ok(await view(`role_id/${hex(salt, rid)}`), 'role-id index under HMAC(salt, role_id)');
    const roleKey = Buffer.from(role.hmac_key, 'hex');
    assert.ok(await view(`secret_id/${role.uid}/${hex(roleKey, sid.secret_id)}`), 'secret-id under HMAC(role key, secret_id)');
    assert.ok(await view(`accessor/${role.uid}/${hex(roleKey, `accessor\0${sid.secret_id_accessor}`)}`), 'accessor index under HMAC(role key, "accessor\\0" + accessor)');
    await loginOk(rid, sid.secret_id);

    // A stale index entry (a role-id change interrupted half-way) must not log in with the old id.
    const renamed = await s.request('POST', '/v1/auth/approle/role/digests/role-id', { body: { role_id: 'digests-new-id' } });
    assert.equal(renamed.status, 204, renamed.text);
    assert.equal(await view(`role_id/${hex(salt, rid)}`), undefined, 'the old index entry is gone');
    await s.core.barrier.put(`auth/${uuid}/role_id/${hex(salt, rid)}`, Buffer.from(JSON.stringify({ name: 'digests' })));
    const stale = await login(rid, sid.secret_id);
    assert.equal(stale.status, 400, stale.text);
    assert.match(stale.text, /invalid role or secret ID/);
    await loginOk('digests-new-id', sid.secret_id);
  });

  it('logs in with the role as last written: the role-id index carries a copy written with the role (an index without one still works)', async () => {
    await writeRole('copy', { token_policies: 'copy-a' });
    const rid = await roleId('copy');
    const sid = await newSecretId('copy');
    assert.deepEqual((await loginOk(rid, sid.secret_id)).token_policies, ['copy-a', 'default']);
    // Every role write rewrites the copy: a field sub-path, then the whole role.
    const sub = await s.request('POST', '/v1/auth/approle/role/copy/token-ttl', { body: { token_ttl: '7m' } });
    assert.equal(sub.status, 204, sub.text);
    assert.equal((await loginOk(rid, sid.secret_id)).lease_duration, 420);
    await writeRole('copy', { token_policies: 'copy-b' });
    assert.deepEqual((await loginOk(rid, sid.secret_id)).token_policies, ['copy-b', 'default']);
    // An index entry from before the copy (name only) reads the role itself.
    const uuid = s.core.mounts.get('auth/approle/')!.entry.uuid;
    const salt = Buffer.from((await s.core.barrier.get(`auth/${uuid}/salt`))!);
    const indexKey = `auth/${uuid}/role_id/${createHmac('sha256', salt).update(rid, 'utf8').digest('hex')}`;
    assert.equal(JSON.parse(Buffer.from((await s.core.barrier.get(indexKey))!).toString('utf8')).role.token_policies[0], 'copy-b');
    await s.core.barrier.put(indexKey, Buffer.from(JSON.stringify({ name: 'copy' })));
    assert.deepEqual((await loginOk(rid, sid.secret_id)).token_policies, ['copy-b', 'default']);
    // A deleted role refuses the very next login.
    await writeRole('copy', { token_policies: 'copy-c' });
    assert.deepEqual((await loginOk(rid, sid.secret_id)).token_policies, ['copy-c', 'default']);
    assert.equal((await s.request('DELETE', '/v1/auth/approle/role/copy')).status, 204);
    assert.equal((await login(rid, sid.secret_id)).status, 400);
  });

  it('runs the tutorial flow (spec §5) step by step', async () => {
    assert.equal(s.core.mounts.get('auth/approle/')?.entry.type, 'approle');
    const listed = await s.request('GET', '/v1/sys/auth');
    assert.equal(listed.body.data['approle/'].type, 'approle');

    const pol = await s.request('PUT', '/v1/sys/policies/acl/readonly-kv-backend', {
      body: { policy: 'path "secret/data/mysql/webapp" {\n  capabilities = ["read"]\n}\n' },
    });
    assert.equal(pol.status, 204, pol.text);

    // The CLI sends every value as a string.
    const role = await s.request('PUT', '/v1/auth/approle/role/node-app-role', {
      body: { token_max_ttl: '4h', token_policies: 'readonly-kv-backend', token_ttl: '1h' },
    });
    assert.equal(role.status, 204, role.text);
    const read = await s.request('GET', '/v1/auth/approle/role/node-app-role');
    assert.equal(read.status, 200);
    assert.equal(read.body.data.token_ttl, 3600);
    assert.equal(read.body.data.token_max_ttl, 14400);
    assert.deepEqual(read.body.data.token_policies, ['readonly-kv-backend']);
    assert.equal(read.body.data.bind_secret_id, true);
    assert.equal(read.body.data.secret_id_ttl, 0);
    assert.equal(read.body.data.token_type, 'default');
    assert.equal('policies' in read.body.data, false, 'legacy policies only when set that way');
    assert.equal(JSON.stringify(read.body).includes('hmac'), false, 'no internal keys on read');

    const rid = await roleId('node-app-role');
    assert.match(rid, /^[0-9a-f-]{36}$/);

    // `vault write -f` sends a JSON null body.
    const sid = await s.request('PUT', '/v1/auth/approle/role/node-app-role/secret-id', { rawBody: 'null', headers: { 'content-type': 'application/json' } });
    assert.equal(sid.status, 200, sid.text);
    assert.match(sid.body.data.secret_id, /^[0-9a-f-]{36}$/);
    assert.match(sid.body.data.secret_id_accessor, /^[0-9a-f-]{36}$/);
    assert.equal(sid.body.data.secret_id_ttl, 0);
    assert.equal(sid.body.data.secret_id_num_uses, 0);
    secrets.push(sid.body.data.secret_id);

    const put = await s.request('PUT', '/v1/secret/data/mysql/webapp', {
      body: { data: { db_name: 'users', password: 'passw0rd', username: 'admin' }, options: {} },
    });
    assert.equal(put.status, 200, put.text);

    const res = await login(rid, sid.body.data.secret_id);
    assert.equal(res.status, 200, res.text);
    const auth = res.body.auth;
    secrets.push(auth.client_token);
    assert.deepEqual(auth.policies, ['default', 'readonly-kv-backend']);
    assert.deepEqual(auth.token_policies, ['default', 'readonly-kv-backend']);
    assert.deepEqual(auth.metadata, { role_name: 'node-app-role' });
    assert.equal(auth.lease_duration, 3600);
    assert.equal(auth.renewable, true);
    assert.equal(auth.token_type, 'service');
    assert.equal(auth.orphan, true);
    assert.equal(res.body.data, null);

    const secret = await s.request('GET', '/v1/secret/data/mysql/webapp', { token: auth.client_token });
    assert.equal(secret.status, 200, secret.text);
    assert.equal(secret.body.data.data.db_name, 'users');
    assert.equal(secret.body.data.data.password, 'passw0rd');

    const del = await s.request('DELETE', '/v1/secret/data/mysql/webapp', { token: auth.client_token });
    assert.equal(del.status, 403);
    assert.match(del.body.errors[0], /permission denied/);

    const self = await s.request('GET', '/v1/auth/token/lookup-self', { token: auth.client_token });
    assert.equal(self.status, 200, self.text);
    assert.deepEqual(self.body.data.policies, ['default', 'readonly-kv-backend']);
    assert.deepEqual(self.body.data.meta, { role_name: 'node-app-role' });
    assert.equal(self.body.data.display_name, 'approle');
    assert.equal(self.body.data.path, 'auth/approle/login');
    assert.equal(self.body.data.ttl, 3600);
  });

  it('accepts a missing body and {} for secret-id generation', async () => {
    await writeRole('bodies', {});
    const none = await s.request('POST', '/v1/auth/approle/role/bodies/secret-id');
    assert.equal(none.status, 200, none.text);
    const empty = await s.request('POST', '/v1/auth/approle/role/bodies/secret-id', { body: {} });
    assert.equal(empty.status, 200, empty.text);
    assert.notEqual(none.body.data.secret_id, empty.body.data.secret_id);
    secrets.push(none.body.data.secret_id, empty.body.data.secret_id);
  });

  it('validates role fields with clear 400s', async () => {
    const bad = async (body: Record<string, unknown>, pattern: RegExp, name = 'bad-role') => {
      const res = await s.request('POST', `/v1/auth/approle/role/${name}`, { body });
      assert.equal(res.status, 400, res.text);
      assert.match(res.body.errors[0], pattern);
    };
    await bad({ bind_secret_id: false }, /at least one constraint/);
    await bad({ token_type: 'batch', token_num_uses: 2 }, /cannot be 'batch' or 'default-batch' when set to generate tokens with limited use count/);
    await bad({ token_type: 'bulk' }, /token_type/);
    await bad({ token_ttl: '2h', token_max_ttl: '1h' }, /token_ttl.*token_max_ttl/);
    await bad({ token_ttl: 'soon' }, /token_ttl/);
    await bad({ secret_id_num_uses: -1 }, /secret_id_num_uses/);
    await bad({ secret_id_bound_cidrs: '10.0.0.0/33' }, /invalid CIDR/);
    await bad({}, /invalid role_name/, 'bad%20name');
    assert.equal((await s.request('GET', '/v1/auth/approle/role/bad-role')).status, 404, 'nothing was stored');

    const missing = await s.request('GET', '/v1/auth/approle/role/never-made');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body.errors, []);
    const sid = await s.request('POST', '/v1/auth/approle/role/never-made/secret-id');
    assert.equal(sid.status, 400);
    assert.match(sid.body.errors[0], /role "never-made" does not exist/);

    // bind_secret_id=false is fine with a CIDR constraint; token_type "service" is accepted.
    await writeRole('cidr-only', { bind_secret_id: false, secret_id_bound_cidrs: ['127.0.0.0/8'], token_type: 'service' });
    const auth = await loginOk(await roleId('cidr-only'));
    assert.deepEqual(auth.metadata, { role_name: 'cidr-only' });
  });

  it('accepts legacy aliases (node-vault sends policies and bound_cidr_list) and role names case-insensitively', async () => {
    const vault = nodeVault({ apiVersion: 'v1', endpoint: s.url, token: s.rootToken });
    await vault.addApproleRole({ role_name: 'NV-Role', policies: 'dev-policy, test-policy', bound_cidr_list: '127.0.0.1/32', period: 1800 });
    const read = await s.request('GET', '/v1/auth/approle/role/nv-role');
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body.data.token_policies, ['dev-policy', 'test-policy']);
    assert.deepEqual(read.body.data.policies, ['dev-policy', 'test-policy']);
    assert.deepEqual(read.body.data.secret_id_bound_cidrs, ['127.0.0.1/32']);
    assert.deepEqual(read.body.data.bound_cidr_list, ['127.0.0.1/32']);
    assert.equal(read.body.data.token_period, 1800);
    assert.equal(read.body.data.period, 1800);

    const { data: { role_id } } = await vault.getApproleRoleId({ role_name: 'nv-role' });
    const { data: { secret_id } } = await vault.getApproleRoleSecret({ role_name: 'nv-role' });
    secrets.push(secret_id);
    const result = await vault.approleLogin({ role_id, secret_id });
    secrets.push(result.auth.client_token);
    assert.deepEqual(result.auth.policies, ['default', 'dev-policy', 'test-policy']);
    assert.equal(vault.token, result.auth.client_token, 'node-vault took the login token');

    // The modern name replaces the legacy one.
    await writeRole('nv-role', { token_policies: ['only'] });
    const again = await s.request('GET', '/v1/auth/approle/role/nv-role');
    assert.deepEqual(again.body.data.token_policies, ['only']);
    assert.equal('policies' in again.body.data, false);

    const list = await s.request('LIST', '/v1/auth/approle/role');
    assert.equal(list.status, 200, list.text);
    assert.ok(list.body.data.keys.includes('nv-role'));
  });

  it('reads and updates single fields through the sub-paths', async () => {
    await writeRole('fields', { token_policies: 'a' });
    const field = (sub: string) => s.request('GET', `/v1/auth/approle/role/fields/${sub}`);
    const set = (sub: string, body: Record<string, unknown>) => s.request('POST', `/v1/auth/approle/role/fields/${sub}`, { body });

    assert.equal((await set('token-ttl', { token_ttl: '20m' })).status, 204);
    assert.deepEqual((await field('token-ttl')).body.data, { token_ttl: 1200 });
    assert.equal((await set('token-max-ttl', { token_max_ttl: '2h' })).status, 204);
    assert.deepEqual((await field('token-max-ttl')).body.data, { token_max_ttl: 7200 });
    assert.equal((await set('policies', { token_policies: ' X , y ' })).status, 204);
    assert.deepEqual((await field('policies')).body.data, { token_policies: ['x', 'y'] });
    assert.equal((await set('secret-id-ttl', { secret_id_ttl: '1h' })).status, 204);
    assert.deepEqual((await field('secret-id-ttl')).body.data, { secret_id_ttl: 3600 });
    assert.equal((await set('secret-id-num-uses', { secret_id_num_uses: '3' })).status, 204);
    assert.deepEqual((await field('secret-id-num-uses')).body.data, { secret_id_num_uses: 3 });
    assert.equal((await set('secret-id-bound-cidrs', { secret_id_bound_cidrs: '127.0.0.0/8,10.0.0.0/8' })).status, 204);
    assert.deepEqual((await field('secret-id-bound-cidrs')).body.data, { secret_id_bound_cidrs: ['127.0.0.0/8', '10.0.0.0/8'] });
    assert.deepEqual((await field('bound-cidr-list')).body.data, { bound_cidr_list: ['127.0.0.0/8', '10.0.0.0/8'] });
    assert.equal((await set('bind-secret-id', { bind_secret_id: 'false' })).status, 204);
    assert.deepEqual((await field('bind-secret-id')).body.data, { bind_secret_id: false });
    assert.deepEqual((await field('local-secret-ids')).body.data, { local_secret_ids: false });

    // Removing the last constraint is refused; so is a sub-path write without its field.
    const noConstraint = await s.request('DELETE', '/v1/auth/approle/role/fields/secret-id-bound-cidrs');
    assert.equal(noConstraint.status, 400);
    assert.match(noConstraint.body.errors[0], /at least one constraint/);
    const missing = await set('token-ttl', { token_max_ttl: '1h' });
    assert.equal(missing.status, 400);
    assert.match(missing.body.errors[0], /missing token_ttl/);
    const tooLong = await set('token-ttl', { token_ttl: '3h' });
    assert.equal(tooLong.status, 400, 'token_ttl may not exceed token_max_ttl');
    const local = await set('local-secret-ids', { local_secret_ids: true });
    assert.equal(local.status, 400);
    // Deleting a field resets it to its default.
    assert.equal((await s.request('DELETE', '/v1/auth/approle/role/fields/bind-secret-id')).status, 204);
    assert.deepEqual((await field('bind-secret-id')).body.data, { bind_secret_id: true });

    const whole = await s.request('GET', '/v1/auth/approle/role/fields');
    assert.equal(whole.body.data.token_ttl, 1200);
    assert.deepEqual(whole.body.data.token_policies, ['x', 'y']);
    assert.equal((await s.request('GET', '/v1/auth/approle/role/missing-role/token-ttl')).status, 404);
  });

  it('sets a custom role-id, unique across roles', async () => {
    await writeRole('custom-a', {});
    await writeRole('custom-b', {});
    const old = await roleId('custom-a');
    const { secret_id } = await newSecretId('custom-a');
    const set = await s.request('POST', '/v1/auth/approle/role/custom-a/role-id', { body: { role_id: 'my-app-role-id' } });
    assert.equal(set.status, 204, set.text);
    assert.equal(await roleId('custom-a'), 'my-app-role-id');
    await loginOk('my-app-role-id', secret_id);
    const oldLogin = await login(old, secret_id);
    assert.equal(oldLogin.status, 400, 'the old role-id no longer works');

    const taken = await s.request('POST', '/v1/auth/approle/role/custom-b/role-id', { body: { role_id: 'my-app-role-id' } });
    assert.equal(taken.status, 400);
    assert.match(taken.body.errors[0], /already in use/);
    const onCreate = await s.request('POST', '/v1/auth/approle/role/custom-c', { body: { role_id: 'my-app-role-id' } });
    assert.equal(onCreate.status, 400);
    assert.equal((await s.request('GET', '/v1/auth/approle/role/custom-c')).status, 404);
    const empty = await s.request('POST', '/v1/auth/approle/role/custom-b/role-id', { body: {} });
    assert.equal(empty.status, 400);
    assert.match(empty.body.errors[0], /missing role_id/);
  });

  it('refuses a bad login with one message, and needs role_id', async () => {
    await writeRole('msgs', {});
    const rid = await roleId('msgs');
    const { secret_id } = await newSecretId('msgs');
    const noRole = await s.request('POST', '/v1/auth/approle/login', { token: null, body: { secret_id } });
    assert.equal(noRole.status, 400);
    assert.deepEqual(noRole.body.errors, ['missing role_id']);
    const unknownRole = await login('no-such-role-id', secret_id);
    const wrongSecret = await login(rid, 'no-such-secret-id');
    assert.equal(unknownRole.status, 400);
    assert.equal(wrongSecret.status, 400);
    assert.deepEqual(unknownRole.body.errors, ['invalid role or secret ID']);
    assert.deepEqual(wrongSecret.body.errors, ['invalid role or secret ID']);
    // A missing secret-id gets the same answer whether or not the role-id exists.
    assert.deepEqual((await login(rid)).body.errors, ['missing secret_id']);
    assert.deepEqual((await login('no-such-role-id')).body.errors, ['missing secret_id']);
    await loginOk(rid, secret_id);
  });

  it('honours secret_id_num_uses and deletes a used-up secret-id', async () => {
    await writeRole('uses', { secret_id_num_uses: 2 });
    const rid = await roleId('uses');
    const tooMany = await s.request('POST', '/v1/auth/approle/role/uses/secret-id', { body: { num_uses: 3 } });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.errors[0], /num_uses/);

    const sid = await newSecretId('uses');
    assert.equal(sid.secret_id_num_uses, 2);
    await loginOk(rid, sid.secret_id);
    const lookup = await s.request('POST', '/v1/auth/approle/role/uses/secret-id-accessor/lookup', { body: { secret_id_accessor: sid.secret_id_accessor } });
    assert.equal(lookup.body.data.secret_id_num_uses, 1);
    await loginOk(rid, sid.secret_id);
    const third = await login(rid, sid.secret_id);
    assert.equal(third.status, 400);
    assert.deepEqual(third.body.errors, ['invalid role or secret ID']);
    const gone = await s.request('POST', '/v1/auth/approle/role/uses/secret-id-accessor/lookup', { body: { secret_id_accessor: sid.secret_id_accessor } });
    assert.equal(gone.status, 404);
    assert.equal((await s.request('LIST', '/v1/auth/approle/role/uses/secret-id')).status, 404, 'no accessors left');

    // A single-use secret-id on a role without a limit.
    await writeRole('uses-free', {});
    const once = await newSecretId('uses-free', { num_uses: 1 });
    assert.equal(once.secret_id_num_uses, 1);
    await loginOk(await roleId('uses-free'), once.secret_id);
    assert.equal((await login(await roleId('uses-free'), once.secret_id)).status, 400);

    // Concurrent logins cannot take more uses than there are.
    const freeRid = await roleId('uses-free');
    const three = await newSecretId('uses-free', { num_uses: 3 });
    const results = await Promise.all(Array.from({ length: 10 }, () => login(freeRid, three.secret_id)));
    for (const r of results) if (r.status === 200) secrets.push(r.body.auth.client_token);
    assert.equal(results.filter((r) => r.status === 200).length, 3);
    // The losers failed as used-up (400), or as locked out (403) once 5 of them had failed.
    assert.ok(results.every((r) => [200, 400, 403].includes(r.status)), results.map((r) => r.status).join(','));
  });

  it('expires secret-ids after secret_id_ttl, and tidies them away', async () => {
    await writeRole('ttl', { secret_id_ttl: '10m' });
    const rid = await roleId('ttl');
    const tooLong = await s.request('POST', '/v1/auth/approle/role/ttl/secret-id', { body: { ttl: '1h' } });
    assert.equal(tooLong.status, 400);
    assert.match(tooLong.body.errors[0], /ttl/);

    const sid = await newSecretId('ttl');
    assert.equal(sid.secret_id_ttl, 600);
    const short = await newSecretId('ttl', { ttl: '1m' });
    assert.equal(short.secret_id_ttl, 60);
    const lookup = await s.request('POST', '/v1/auth/approle/role/ttl/secret-id/lookup', { body: { secret_id: sid.secret_id } });
    assert.equal(lookup.status, 200, lookup.text);
    assert.equal(lookup.body.data.secret_id_ttl, 600);
    assert.equal(Date.parse(lookup.body.data.expiration_time) - Date.parse(lookup.body.data.creation_time), 600_000);

    s.clock.advance(61_000);
    assert.equal((await login(rid, short.secret_id)).status, 400, 'the 1m secret-id expired');
    await loginOk(rid, sid.secret_id);

    const mounted = s.core.mounts.get('auth/approle/')!;
    assert.ok((await mounted.storage.list('expiry/')).length >= 1);
    s.clock.advance(540_000);
    assert.equal((await login(rid, sid.secret_id)).status, 400, 'the 10m secret-id expired');

    // Background tidy (core calls it every second) removes expired entries and their index.
    const fresh = await newSecretId('ttl');
    const expiring = await newSecretId('ttl', { ttl: '30s' });
    s.clock.advance(31_000);
    await s.core.tick();
    const listed = await s.request('LIST', '/v1/auth/approle/role/ttl/secret-id');
    assert.deepEqual(listed.body.data.keys, [fresh.secret_id_accessor]);
    const index = await mounted.storage.list('expiry/');
    assert.equal(index.length, 1, `only the live secret-id stays indexed: ${index.join(',')}`);
    assert.equal((await s.request('POST', '/v1/auth/approle/role/ttl/secret-id-accessor/lookup', { body: { secret_id_accessor: expiring.secret_id_accessor } })).status, 404);
    assert.equal((await s.request('POST', '/v1/auth/approle/tidy/secret-id')).status, 204);
  });

  it('checks the client address against secret_id_bound_cidrs, cidr_list and token_bound_cidrs', async () => {
    await writeRole('net', { secret_id_num_uses: 0 });
    const rid = await roleId('net');
    const bound = await newSecretId('net', { cidr_list: '10.0.0.0/8', num_uses: 1 });
    const refused = await login(rid, bound.secret_id);
    assert.equal(refused.status, 400);
    assert.match(refused.body.errors[0], /source address "127\.0\.0\.1" is not allowed by the secret ID's cidr_list/);
    assert.equal(refused.text.includes(bound.secret_id), false, 'the secret-id is not echoed');
    const still = await s.request('POST', '/v1/auth/approle/role/net/secret-id/lookup', { body: { secret_id: bound.secret_id } });
    assert.equal(still.body.data.secret_id_num_uses, 1, 'a refused login takes no use');
    assert.deepEqual(still.body.data.cidr_list, ['10.0.0.0/8']);

    await writeRole('net-role', { secret_id_bound_cidrs: ['10.0.0.0/8'] });
    const narrow = await newSecretId('net-role', { cidr_list: '10.1.0.0/16' });
    const outside = await s.request('POST', '/v1/auth/approle/role/net-role/secret-id', { body: { cidr_list: '192.168.0.0/16' } });
    assert.equal(outside.status, 400);
    assert.match(outside.body.errors[0], /within the role's secret_id_bound_cidrs/);
    const byRole = await login(await roleId('net-role'), narrow.secret_id);
    assert.equal(byRole.status, 400);
    assert.match(byRole.body.errors[0], /secret_id_bound_cidrs/);

    await writeRole('net-ok', { secret_id_bound_cidrs: '127.0.0.0/8', token_bound_cidrs: '127.0.0.1/32' });
    const ok = await newSecretId('net-ok');
    const auth = await loginOk(await roleId('net-ok'), ok.secret_id);
    const self = await s.request('GET', '/v1/auth/token/lookup-self', { token: auth.client_token });
    assert.equal(self.status, 200, self.text);
    assert.deepEqual(self.body.data.bound_cidrs, ['127.0.0.1/32']);
  });

  it('locks a role-id out after 5 failures, even for the right secret-id, until the lockout ends', async () => {
    await writeRole('locked', {});
    await writeRole('bystander', {});
    const rid = await roleId('locked');
    const { secret_id } = await newSecretId('locked');
    for (let i = 0; i < 5; i++) {
      const res = await login(rid, `wrong-${i}`);
      assert.equal(res.status, 400, `attempt ${i + 1}`);
    }
    const right = await login(rid, secret_id);
    assert.equal(right.status, 403);
    assert.match(right.body.errors.join(' '), /permission denied/);
    assert.match(right.body.errors.join(' '), /temporarily locked/);
    // Other roles on the mount are not affected.
    const other = await newSecretId('bystander');
    await loginOk(await roleId('bystander'), other.secret_id);

    s.clock.advance(15 * 60_000 - 1000);
    assert.equal((await login(rid, secret_id)).status, 403, 'still locked just before the end');
    s.clock.advance(1001);
    await loginOk(rid, secret_id);

    // A success resets the count: 4 failures, a success, 4 failures, and it still works.
    for (let i = 0; i < 4; i++) await login(rid, 'nope');
    await loginOk(rid, secret_id);
    for (let i = 0; i < 4; i++) await login(rid, 'nope');
    await loginOk(rid, secret_id);
  });

  it('registers a custom secret-id', async () => {
    await writeRole('custom-sid', {});
    const rid = await roleId('custom-sid');
    const value = 'my-own-secret-id-0001';
    secrets.push(value);
    const res = await s.request('POST', '/v1/auth/approle/role/custom-sid/custom-secret-id', { body: { secret_id: value, metadata: '{"team":"web"}' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.secret_id, value);
    assert.match(res.body.data.secret_id_accessor, /^[0-9a-f-]{36}$/);
    const auth = await loginOk(rid, value);
    assert.deepEqual(auth.metadata, { team: 'web', role_name: 'custom-sid' });

    const dup = await s.request('POST', '/v1/auth/approle/role/custom-sid/custom-secret-id', { body: { secret_id: value } });
    assert.equal(dup.status, 400);
    assert.match(dup.body.errors[0], /already registered/);
    assert.equal(dup.text.includes(value), false);
    const missing = await s.request('POST', '/v1/auth/approle/role/custom-sid/custom-secret-id', { body: {} });
    assert.equal(missing.status, 400);
    assert.match(missing.body.errors[0], /missing secret_id/);
  });

  it('looks up and destroys secret-ids by value and by accessor, never showing the value', async () => {
    await writeRole('acc', {});
    const rid = await roleId('acc');
    const a = await newSecretId('acc', { metadata: JSON.stringify({ env: 'prod' }) });
    const b = await newSecretId('acc');
    const listed = await s.request('LIST', '/v1/auth/approle/role/acc/secret-id');
    assert.deepEqual(listed.body.data.keys, [a.secret_id_accessor, b.secret_id_accessor].sort());
    const viaGet = await s.request('GET', '/v1/auth/approle/role/acc/secret-id?list=true');
    assert.deepEqual(viaGet.body.data.keys, listed.body.data.keys);

    const byAccessor = await s.request('POST', '/v1/auth/approle/role/acc/secret-id-accessor/lookup', { body: { secret_id_accessor: a.secret_id_accessor } });
    assert.equal(byAccessor.status, 200, byAccessor.text);
    assert.deepEqual(byAccessor.body.data.metadata, { env: 'prod' });
    assert.equal(byAccessor.body.data.secret_id_accessor, a.secret_id_accessor);
    assert.equal(byAccessor.body.data.expiration_time, '0001-01-01T00:00:00Z');
    assert.equal(byAccessor.text.includes(a.secret_id), false);
    const byValue = await s.request('POST', '/v1/auth/approle/role/acc/secret-id/lookup', { body: { secret_id: a.secret_id } });
    assert.deepEqual(byValue.body.data, byAccessor.body.data);
    assert.equal((await s.request('POST', '/v1/auth/approle/role/acc/secret-id/lookup', { body: { secret_id: 'unknown' } })).status, 204);

    // Usable (and read by logins, unlimited: without the secret-id's lock) until destroyed; refused by the very next login.
    await loginOk(rid, a.secret_id);
    await loginOk(rid, b.secret_id);
    assert.equal((await s.request('POST', '/v1/auth/approle/role/acc/secret-id-accessor/destroy', { body: { secret_id_accessor: a.secret_id_accessor } })).status, 204);
    assert.equal((await login(rid, a.secret_id)).status, 400);
    const after = await s.request('POST', '/v1/auth/approle/role/acc/secret-id-accessor/lookup', { body: { secret_id_accessor: a.secret_id_accessor } });
    assert.equal(after.status, 404);

    assert.equal((await s.request('POST', '/v1/auth/approle/role/acc/secret-id/destroy', { body: { secret_id: b.secret_id } })).status, 204);
    assert.equal((await login(rid, b.secret_id)).status, 400);
    assert.equal((await s.request('LIST', '/v1/auth/approle/role/acc/secret-id')).status, 404);

    // A secret-id only works with its own role.
    await writeRole('acc-other', {});
    const c = await newSecretId('acc-other');
    assert.equal((await s.request('POST', '/v1/auth/approle/role/acc/secret-id/lookup', { body: { secret_id: c.secret_id } })).status, 204);
    assert.equal((await login(rid, c.secret_id)).status, 400);
  });

  it('deleting a role invalidates its secret-ids and removes them from storage', async () => {
    await writeRole('doomed', { secret_id_ttl: '1h' });
    const rid = await roleId('doomed');
    const a = await newSecretId('doomed');
    const b = await newSecretId('doomed');
    await loginOk(rid, a.secret_id);
    const mounted = s.core.mounts.get('auth/approle/')!;
    // Count only this role's entries (the background tidy may be removing others meanwhile).
    const uid = JSON.parse(Buffer.from((await mounted.storage.get('role/doomed'))!).toString('utf8')).uid as string;
    const indexed = async () => (await mounted.storage.list('expiry/')).filter((n) => n.includes(uid)).length;
    assert.equal(await indexed(), 2);
    assert.equal((await mounted.storage.list(`secret_id/${uid}/`)).length, 2);

    assert.equal((await s.request('DELETE', '/v1/auth/approle/role/doomed')).status, 204);
    assert.equal((await login(rid, a.secret_id)).status, 400);
    assert.equal((await login(rid, b.secret_id)).status, 400);
    assert.equal(await indexed(), 0, 'expiry index entries removed');
    assert.deepEqual(await mounted.storage.list(`secret_id/${uid}/`), []);
    assert.deepEqual(await mounted.storage.list(`accessor/${uid}/`), []);

    // Re-creating the name gives a new role-id, and the old secret-ids stay dead.
    await writeRole('doomed', {});
    const rid2 = await roleId('doomed');
    assert.notEqual(rid2, rid);
    assert.equal((await login(rid2, a.secret_id)).status, 400);
    assert.equal((await s.request('LIST', '/v1/auth/approle/role/doomed/secret-id')).status, 404);
    assert.equal((await s.request('DELETE', '/v1/auth/approle/role/never-existed')).status, 204);
  });

  it('applies the role token settings to the login token', async () => {
    await s.request('PUT', '/v1/sys/policies/acl/app-reader', { body: { policy: 'path "secret/data/app/*" { capabilities = ["read"] }' } });
    await writeRole('tokens', { token_policies: ['app-reader'], token_ttl: 600, token_max_ttl: '20m', token_num_uses: 3, token_no_default_policy: true });
    const { secret_id } = await newSecretId('tokens');
    const auth = await loginOk(await roleId('tokens'), secret_id);
    assert.deepEqual(auth.policies, ['app-reader']);
    assert.equal(auth.lease_duration, 600);
    assert.equal(auth.num_uses, 3);
    // No default policy, so not even lookup-self is allowed: look it up as root.
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token: auth.client_token })).status, 403);
    const looked = await s.request('POST', '/v1/auth/token/lookup', { body: { token: auth.client_token } });
    assert.equal(looked.status, 200, looked.text);
    assert.deepEqual(looked.body.data.policies, ['app-reader']);
    assert.equal(looked.body.data.num_uses, 3);
    assert.equal(looked.body.data.explicit_max_ttl, 0);
    assert.deepEqual(looked.body.data.meta, { role_name: 'tokens' });
  });

  it('wraps a generated secret-id with its accessor as wrapped_accessor', async (t) => {
    await writeRole('wrapped', {});
    const res = await s.request('POST', '/v1/auth/approle/role/wrapped/secret-id', { headers: { 'x-vault-wrap-ttl': '60s' } });
    assert.equal(res.status, 200, res.text);
    if (!res.body.wrap_info) {
      t.skip('response wrapping is not wired into core in this build');
      return;
    }
    assert.equal(res.body.data, null);
    secrets.push(res.body.wrap_info.token);
    const unwrapped = await s.request('POST', '/v1/sys/wrapping/unwrap', { token: res.body.wrap_info.token });
    assert.equal(unwrapped.status, 200, unwrapped.text);
    assert.equal(res.body.wrap_info.wrapped_accessor, unwrapped.body.data.secret_id_accessor);
    secrets.push(unwrapped.body.data.secret_id);
    await loginOk(await roleId('wrapped'), unwrapped.body.data.secret_id);
  });

  it('never writes a raw secret-id or client token to the audit log', () => {
    const text = readFileSync(auditFile, 'utf8');
    assert.ok(text.includes('auth/approle/login'), 'logins were audited');
    assert.ok(secrets.length > 20);
    for (const secret of secrets) assert.equal(text.includes(secret), false, 'a raw secret-id or token is in the audit log');
  });
});
