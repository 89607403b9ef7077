/**
 * The userpass auth method over real HTTP: users CRUD, login, wrong passwords, lockout,
 * password and policy changes, reads that never show the password, and an audit log that
 * never holds a raw password or token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import nodeVault from 'node-vault';
import { createTestServer, type TestServer } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-userpass-'));
const auditFile = join(dir, 'audit.log');
/** Every password and client token used, to grep the audit log for at the end. */
const secrets: string[] = [];

let s: TestServer;

before(async () => {
  s = await createTestServer();
  assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: auditFile } } })).status, 204);
  const enable = await s.request('POST', '/v1/sys/auth/userpass', { body: { type: 'userpass' } });
  assert.equal(enable.status, 204, enable.text);
});

after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function createUser(name: string, body: Record<string, unknown>): Promise<void> {
  if (typeof body.password === 'string') secrets.push(body.password);
  const res = await s.request('POST', `/v1/auth/userpass/users/${name}`, { body });
  assert.equal(res.status, 204, res.text);
}

function login(name: string, password: string) {
  return s.request('POST', `/v1/auth/userpass/login/${name}`, { token: null, body: { password } });
}

async function loginOk(name: string, password: string): Promise<any> {
  const res = await login(name, password);
  assert.equal(res.status, 200, res.text);
  secrets.push(res.body.auth.client_token);
  return res.body.auth;
}

describe('userpass over HTTP', () => {
  it('creates a user, reads it without the password, lists it', async () => {
    await createUser('Alice', { password: 'correct horse battery', token_policies: 'Reader, writer ', token_ttl: '30m', token_max_ttl: '2h' });
    const read = await s.request('GET', '/v1/auth/userpass/users/alice');
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body.data.token_policies, ['reader', 'writer']);
    assert.equal(read.body.data.token_ttl, 1800);
    assert.equal(read.body.data.token_max_ttl, 7200);
    assert.equal(read.body.data.token_type, 'default');
    for (const forbidden of ['password', 'hash', 'salt', 'scrypt', 'correct horse']) {
      assert.equal(read.text.includes(forbidden), false, `read shows "${forbidden}"`);
    }
    const upper = await s.request('GET', '/v1/auth/userpass/users/ALICE');
    assert.deepEqual(upper.body.data, read.body.data, 'user names are case-insensitive');
    const list = await s.request('LIST', '/v1/auth/userpass/users');
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.body.data.keys, ['alice']);
  });

  it('logs in and issues a token with the user\'s policies, metadata and TTL', async () => {
    const auth = await loginOk('alice', 'correct horse battery');
    assert.deepEqual(auth.policies, ['default', 'reader', 'writer']);
    assert.deepEqual(auth.metadata, { username: 'alice' });
    assert.equal(auth.lease_duration, 1800);
    assert.equal(auth.renewable, true);
    assert.equal(auth.orphan, true);
    assert.equal(auth.token_type, 'service');
    const self = await s.request('GET', '/v1/auth/token/lookup-self', { token: auth.client_token });
    assert.equal(self.status, 200, self.text);
    assert.equal(self.body.data.display_name, 'userpass-alice');
    assert.equal(self.body.data.path, 'auth/userpass/login');
    assert.deepEqual(self.body.data.meta, { username: 'alice' });
    // The user name in the login path is case-insensitive too.
    await loginOk('Alice', 'correct horse battery');
    // node-vault's userpassLogin.
    const vault = nodeVault({ apiVersion: 'v1', endpoint: s.url });
    const result = await vault.userpassLogin({ username: 'alice', password: 'correct horse battery' });
    secrets.push(result.auth.client_token);
    assert.equal(vault.token, result.auth.client_token);
  });

  it('refuses a wrong password and an unknown user with the same 400', async () => {
    await createUser('bob', { password: 'bobs-password' });
    const wrong = await login('bob', 'not-bobs-password');
    const unknown = await login('nobody', 'whatever');
    const badName = await login('not%20a%20name', 'whatever');
    for (const res of [wrong, unknown, badName]) {
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.body.errors, ['invalid username or password']);
    }
    const missing = await s.request('POST', '/v1/auth/userpass/login/bob', { token: null, body: {} });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.errors, ['missing password']);
    await loginOk('bob', 'bobs-password');
  });

  it('locks a user out after 5 failures, even with the right password, until the lockout ends', async () => {
    await createUser('carol', { password: 'carol-pw-1' });
    await createUser('dave', { password: 'dave-pw-1' });
    for (let i = 0; i < 5; i++) assert.equal((await login('carol', `guess-${i}`)).status, 400);
    const locked = await login('carol', 'carol-pw-1');
    assert.equal(locked.status, 403);
    assert.match(locked.body.errors.join(' '), /permission denied/);
    assert.match(locked.body.errors.join(' '), /temporarily locked/);
    assert.equal((await login('CAROL', 'carol-pw-1')).status, 403, 'the lockout ignores case');
    await loginOk('dave', 'dave-pw-1');

    s.clock.advance(15 * 60_000 + 1);
    await loginOk('carol', 'carol-pw-1');
  });

  it('lists locked users and unlocks one through sys/locked-users', async () => {
    await createUser('frank', { password: 'frank-pw-1' });
    for (let i = 0; i < 5; i++) await login('frank', `nope-${i}`);
    assert.equal((await login('frank', 'frank-pw-1')).status, 403);
    const listed = await s.request('GET', '/v1/sys/locked-users');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.data.total, 1);
    const mount = listed.body.data.by_namespace[0].mount_accessors[0];
    assert.deepEqual(mount.alias_identifiers, ['frank']);
    const accessor = (await s.request('GET', '/v1/sys/auth')).body.data['userpass/'].accessor;
    assert.equal(mount.mount_accessor, accessor);
    assert.equal((await s.request('POST', `/v1/sys/locked-users/${accessor}/unlock/frank`)).status, 204);
    await loginOk('frank', 'frank-pw-1');
    assert.equal((await s.request('GET', '/v1/sys/locked-users')).body.data.total, 0);
    assert.equal((await s.request('POST', '/v1/sys/locked-users/nosuch/unlock/frank')).status, 400);
  });

  it('changes the password', async () => {
    await createUser('erin', { password: 'erin-old-pw' });
    const change = await s.request('POST', '/v1/auth/userpass/users/erin/password', { body: { password: 'erin-new-pw' } });
    secrets.push('erin-new-pw');
    assert.equal(change.status, 204, change.text);
    assert.equal((await login('erin', 'erin-old-pw')).status, 400);
    await loginOk('erin', 'erin-new-pw');

    const missing = await s.request('POST', '/v1/auth/userpass/users/erin/password', { body: {} });
    assert.equal(missing.status, 400);
    assert.match(missing.body.errors[0], /missing password/);
    const noUser = await s.request('POST', '/v1/auth/userpass/users/nobody/password', { body: { password: 'x-y-z' } });
    assert.equal(noUser.status, 400);
    assert.match(noUser.body.errors[0], /user "nobody" does not exist/);
    // Updating other fields keeps the password.
    await createUser('erin', { token_ttl: '5m' });
    await loginOk('erin', 'erin-new-pw');
  });

  it('changes the policies', async () => {
    await createUser('frank', { password: 'frank-pw', token_policies: ['a'] });
    const change = await s.request('POST', '/v1/auth/userpass/users/frank/policies', { body: { token_policies: 'b, c' } });
    assert.equal(change.status, 204, change.text);
    const read = await s.request('GET', '/v1/auth/userpass/users/frank');
    assert.deepEqual(read.body.data.token_policies, ['b', 'c']);
    const auth = await loginOk('frank', 'frank-pw');
    assert.deepEqual(auth.policies, ['b', 'c', 'default']);
    const legacy = await s.request('POST', '/v1/auth/userpass/users/frank/policies', { body: { policies: 'd' } });
    assert.equal(legacy.status, 204);
    const again = await s.request('GET', '/v1/auth/userpass/users/frank');
    assert.deepEqual(again.body.data.token_policies, ['d']);
    assert.deepEqual(again.body.data.policies, ['d'], 'the legacy name is shown when it was used');
    const empty = await s.request('POST', '/v1/auth/userpass/users/frank/policies', { body: {} });
    assert.equal(empty.status, 400);
  });

  it('validates users with clear 400s, and deletes them', async () => {
    const bad = async (name: string, body: Record<string, unknown>, pattern: RegExp) => {
      const res = await s.request('POST', `/v1/auth/userpass/users/${name}`, { body });
      assert.equal(res.status, 400, res.text);
      assert.match(res.body.errors[0], pattern);
    };
    await bad('gina', {}, /missing password/);
    await bad('gina', { password: '' }, /must not be empty/);
    await bad('gina', { password_hash: '$2a$10$abcdefghijklmnopqrstuv' }, /password_hash is not supported/);
    await bad('gina', { password: 'pw', token_type: 'batch', token_period: '1h' }, /cannot be 'batch' or 'default-batch' when set to generate periodic tokens/);
    await bad('gina', { password: 'pw', token_ttl: '2h', token_max_ttl: '1h' }, /token_ttl/);
    await bad('-gina-', { password: 'pw' }, /invalid username/);
    assert.equal((await s.request('GET', '/v1/auth/userpass/users/gina')).status, 404);

    await createUser('gina', { password: 'gina-pw', ttl: '10m', bound_cidrs: '127.0.0.0/8' });
    const read = await s.request('GET', '/v1/auth/userpass/users/gina');
    assert.equal(read.body.data.token_ttl, 600);
    assert.equal(read.body.data.ttl, 600);
    assert.deepEqual(read.body.data.token_bound_cidrs, ['127.0.0.0/8']);
    await loginOk('gina', 'gina-pw');
    assert.equal((await s.request('DELETE', '/v1/auth/userpass/users/gina')).status, 204);
    assert.equal((await login('gina', 'gina-pw')).status, 400);
    assert.equal((await s.request('GET', '/v1/auth/userpass/users/gina')).status, 404);
  });

  it('refuses a login from outside the user\'s token_bound_cidrs', async () => {
    await createUser('hank', { password: 'hank-pw', token_bound_cidrs: ['10.0.0.0/8'] });
    const res = await login('hank', 'hank-pw');
    assert.equal(res.status, 403);
    assert.match(res.body.errors.join(' '), /token_bound_cidrs/);
  });

  it('never writes a raw password or client token to the audit log', () => {
    const text = readFileSync(auditFile, 'utf8');
    assert.ok(text.includes('auth/userpass/login/alice'), 'logins were audited');
    assert.ok(secrets.length > 10);
    for (const secret of secrets) assert.equal(text.includes(secret), false, 'a raw password or token is in the audit log');
    for (const guess of ['not-bobs-password', 'guess-0']) assert.equal(text.includes(guess), false, 'a failed password is in the audit log');
  });
});
