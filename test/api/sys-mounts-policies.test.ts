import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await createTestServer();
});
after(async () => s.close());

async function tokenWith(policy: string, name = `p${Math.random().toString(36).slice(2, 8)}`): Promise<string> {
  assert.equal((await s.request('PUT', `/v1/sys/policies/acl/${name}`, { body: { policy } })).status, 204);
  const res = await s.request('POST', '/v1/auth/token/create', { body: { policies: [name] } });
  assert.equal(res.status, 200);
  return res.body.auth.client_token;
}

describe('sys/mounts', () => {
  it('dev mode has secret/ (kv v2), cubbyhole/ and sys/, with the data also at the top level', async () => {
    const res = await s.request('GET', '/v1/sys/mounts');
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body.data).sort(), ['cubbyhole/', 'secret/', 'sys/']);
    assert.equal(res.body.data['secret/'].type, 'kv');
    assert.deepEqual(res.body.data['secret/'].options, { version: '2' });
    assert.equal(res.body['secret/'].type, 'kv');
    assert.equal(res.body.data['cubbyhole/'].local, true);
    const auth = await s.request('GET', '/v1/sys/auth');
    assert.ok(auth.body['token/']);
  });

  it('enables, tunes, lists and disables KV mounts at any path; kv-v2 is an alias', async () => {
    assert.equal((await s.request('POST', '/v1/sys/mounts/team/a', { body: { type: 'kv-v2', description: 'team a' } })).status, 204);
    assert.equal((await s.request('POST', '/v1/sys/mounts/legacy', { body: { type: 'kv', config: { default_lease_ttl: '', max_lease_ttl: '' }, options: null } })).status, 204);
    const mounts = (await s.request('GET', '/v1/sys/mounts')).body.data;
    assert.deepEqual(mounts['team/a/'].options, { version: '2' });
    assert.equal(mounts['team/a/'].description, 'team a');

    assert.equal((await s.request('POST', '/v1/team/a/data/x', { body: { data: { k: 'v' } } })).status, 200);
    assert.equal((await s.request('PUT', '/v1/legacy/x', { body: { k: 'v1' } })).status, 204);
    assert.equal((await s.request('GET', '/v1/legacy/x')).body.data.k, 'v1');

    const dup = await s.request('POST', '/v1/sys/mounts/team/a', { body: { type: 'kv' } });
    assert.equal(dup.status, 400);
    assert.match(dup.body.errors[0], /path is already in use at team\/a\//);
    const nested = await s.request('POST', '/v1/sys/mounts/team/a/b', { body: { type: 'kv' } });
    assert.equal(nested.status, 400);

    assert.equal((await s.request('POST', '/v1/sys/mounts/team/a/tune', { body: { default_lease_ttl: '1h', max_lease_ttl: '2h', description: 'tuned' } })).status, 204);
    const tune = await s.request('GET', '/v1/sys/mounts/team/a/tune');
    assert.equal(tune.body.data.default_lease_ttl, 3600);
    assert.equal(tune.body.data.max_lease_ttl, 7200);
    assert.equal(tune.body.data.description, 'tuned');

    assert.equal((await s.request('DELETE', '/v1/sys/mounts/team/a')).status, 204);
    assert.equal((await s.request('GET', '/v1/team/a/data/x')).status, 404);
    // Re-mounting the path starts empty: disabling wiped the data.
    await s.request('POST', '/v1/sys/mounts/team/a', { body: { type: 'kv-v2' } });
    assert.equal((await s.request('GET', '/v1/team/a/data/x')).status, 404);
  });

  it('refuses bad mount requests with clear 400s', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/v1/sys/mounts/x1', {}, /missing "type"/],
      ['/v1/sys/mounts/x2', { type: 'nosuch' }, /unknown secrets engine type "nosuch"/],
      ['/v1/sys/mounts/sys', { type: 'kv' }, /already in use|reserved/],
      ['/v1/sys/mounts/a%2F..%2Fb', { type: 'kv' }, /invalid (mount )?path/],
      ['/v1/sys/mounts/x3', { type: 'kv', options: { version: '7' } }, /version/],
      ['/v1/sys/mounts/x4', { type: 'kv', config: { default_lease_ttl: 'soon' } }, /default_lease_ttl/],
    ];
    for (const [path, body, re] of cases) {
      const res = await s.request('POST', path, { body });
      assert.equal(res.status, 400, path);
      assert.match(res.body.errors[0], re, path);
    }
    assert.equal((await s.request('DELETE', '/v1/sys/mounts/cubbyhole')).status, 400);
  });
});

describe('policies and capabilities', () => {
  it('writes, reads, lists and deletes policies through both APIs', async () => {
    const text = 'path "secret/data/app/*"\n{\n  capabilities = ["read", "list"]\n}\n';
    assert.equal((await s.request('PUT', '/v1/sys/policies/acl/App-Reader', { body: { policy: text } })).status, 204);
    const read = await s.request('GET', '/v1/sys/policies/acl/app-reader');
    assert.equal(read.body.data.name, 'app-reader');
    assert.equal(read.body.data.policy, text);
    const legacy = await s.request('GET', '/v1/sys/policy/app-reader');
    assert.equal(legacy.body.rules, text);
    const list = await s.request('LIST', '/v1/sys/policies/acl');
    assert.ok(list.body.data.keys.includes('app-reader'));
    assert.ok(list.body.data.keys.includes('root'));
    const legacyList = await s.request('GET', '/v1/sys/policy');
    assert.ok(legacyList.body.policies.includes('default'));
    assert.equal((await s.request('PUT', '/v1/sys/policy/legacy-one', { body: { rules: '{"path":{"secret/*":{"policy":"write"}}}' } })).status, 204);
    assert.equal((await s.request('DELETE', '/v1/sys/policies/acl/app-reader')).status, 204);
    assert.equal((await s.request('DELETE', '/v1/sys/policies/acl/app-reader')).status, 204);
    assert.equal((await s.request('GET', '/v1/sys/policies/acl/app-reader')).status, 404);
  });

  it('refuses root/default changes and unparsable policies', async () => {
    const root = await s.request('PUT', '/v1/sys/policies/acl/root', { body: { policy: 'path "x" { capabilities = ["read"] }' } });
    assert.equal(root.status, 400);
    assert.match(root.body.errors[0], /cannot update "root" policy/);
    assert.equal((await s.request('DELETE', '/v1/sys/policies/acl/default')).status, 400);
    const bad = await s.request('PUT', '/v1/sys/policies/acl/broken', { body: { policy: 'path "x" { capabilities = ["fly"] }' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0], /failed to parse policy/);
    assert.equal((await s.request('GET', '/v1/sys/policies/acl/broken')).status, 404);
  });

  it('capabilities-self reports what a token may do', async () => {
    const token = await tokenWith('path "secret/data/cap/*" { capabilities = ["read", "update"] }');
    const res = await s.request('POST', '/v1/sys/capabilities-self', { token, body: { paths: ['secret/data/cap/x', 'secret/data/other'] } });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data['secret/data/cap/x'], ['read', 'update']);
    assert.deepEqual(res.body.data['secret/data/other'], ['deny']);
    const rootCaps = await s.request('POST', '/v1/sys/capabilities-self', { body: { path: 'anything' } });
    assert.deepEqual(rootCaps.body.capabilities, ['root']);
  });

  it('denies by default and enforces exactly the granted capabilities over HTTP', async () => {
    await s.request('POST', '/v1/secret/data/acl/existing', { body: { data: { v: '1' } } });
    const token = await tokenWith(`
      path "secret/data/acl/*" { capabilities = ["create", "read"] }
      path "secret/metadata/acl/" { capabilities = ["list"] }
      path "secret/data/acl/forbidden" { capabilities = ["deny"] }
    `);
    const as = (m: string, p: string, body?: unknown) => s.request(m, p, { token, body });
    assert.equal((await as('GET', '/v1/secret/data/acl/existing')).status, 200);
    assert.equal((await as('POST', '/v1/secret/data/acl/new', { data: { v: '2' } })).status, 200, 'create allowed');
    assert.equal((await as('POST', '/v1/secret/data/acl/existing', { data: { v: '3' } })).status, 403, 'update not granted');
    assert.equal((await as('DELETE', '/v1/secret/data/acl/existing')).status, 403);
    assert.equal((await as('LIST', '/v1/secret/metadata/acl/')).status, 200);
    assert.equal((await as('LIST', '/v1/secret/metadata/')).status, 403);
    assert.equal((await as('GET', '/v1/secret/data/acl/forbidden')).status, 403);
    assert.equal((await as('GET', '/v1/sys/mounts')).status, 403);
    assert.equal((await as('POST', '/v1/sys/policies/acl/evil', { policy: 'path "*" { capabilities = ["sudo"] }' })).status, 403);
    const denied = await as('GET', '/v1/secret/data/other');
    assert.deepEqual(denied.body, { errors: ['1 error occurred:\n\t* permission denied\n\n'] });
  });

  it('sudo paths need sudo even with every other capability', async () => {
    const token = await tokenWith('path "sys/audit*" { capabilities = ["create", "read", "update", "delete", "list"] }');
    assert.equal((await s.request('GET', '/v1/sys/audit', { token })).status, 403);
    const sudo = await tokenWith('path "sys/audit*" { capabilities = ["read", "sudo"] }');
    assert.equal((await s.request('GET', '/v1/sys/audit', { token: sudo })).status, 200);
  });

  it('the kv preflight allows any capability under the mount and refuses otherwise', async () => {
    const token = await tokenWith('path "secret/data/mysql/webapp" { capabilities = ["read"] }');
    const ok = await s.request('GET', '/v1/sys/internal/ui/mounts/secret/mysql/webapp', { token });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.data.path, 'secret/');
    assert.deepEqual(ok.body.data.options, { version: '2' });
    await s.request('POST', '/v1/sys/mounts/preflight-kv', { body: { type: 'kv' } });
    const other = await s.request('GET', '/v1/sys/internal/ui/mounts/preflight-kv/x', { token: await tokenWith('path "secret/*" { capabilities = ["read"] }') });
    assert.equal(other.status, 403);
    assert.match(other.body.errors[0], /preflight capability check returned 403/);
    assert.equal((await s.request('GET', '/v1/sys/internal/ui/mounts/secret/x', { token: null })).status, 403);
  });
});

describe('sys/remount', () => {
  it('moves a mount with its data', async () => {
    await s.request('POST', '/v1/sys/mounts/old-place', { body: { type: 'kv-v2' } });
    await s.request('POST', '/v1/old-place/data/x', { body: { data: { k: 'v' } } });
    assert.equal((await s.request('POST', '/v1/sys/remount', { body: { from: 'old-place', to: 'new-place' } })).status, 204);
    assert.equal((await s.request('GET', '/v1/new-place/data/x')).body.data.data.k, 'v');
    assert.equal((await s.request('GET', '/v1/old-place/data/x')).status, 404);
    assert.equal((await s.request('POST', '/v1/sys/remount', { body: { from: 'new-place', to: 'secret' } })).status, 400);
    assert.equal((await s.request('POST', '/v1/sys/remount', { body: { from: 'new-place', to: 'auth/x' } })).status, 400);
  });
});
