/**
 * Vault compatibility of `?help=1` (top-level help/openapi/see_also with the route's own help)
 * and of writes carrying parameters a route does not know (200 + Vault's warning, not a bare 204).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await createTestServer();
});
after(async () => s.close());

describe('?help=1', () => {
  it('answers a route with top-level help, openapi and see_also, carrying the route\'s help text', async () => {
    const res = await s.request('GET', '/v1/auth/token/create?help=1');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['help', 'openapi', 'see_also']);
    assert.match(res.body.help, /Create a child token of the calling token\./);
    assert.match(res.body.help, /Matching Route: \^create\$/);
    assert.match(res.body.help, /## PARAMETERS[\s\S]*\bexplicit_max_ttl\b/);
    assert.equal(res.body.openapi.openapi, '3.0.2');
    const item = res.body.openapi.paths['/auth/token/create'];
    assert.ok(item?.post, JSON.stringify(res.body.openapi.paths));
    assert.equal(res.body.see_also, null);
  });

  it('templates path parameters and marks sudo paths in the openapi document', async () => {
    const role = await s.request('GET', '/v1/auth/token/roles/some-role?help=1');
    assert.equal(role.status, 200, role.text);
    assert.ok(role.body.openapi.paths['/auth/token/roles/{role_name}'], JSON.stringify(role.body.openapi.paths));
    const orphan = await s.request('GET', '/v1/auth/token/revoke-orphan?help=1');
    assert.equal(orphan.body.openapi.paths['/auth/token/revoke-orphan']['x-vault-sudo'], true);
  });

  it('answers a KV path with the KV route\'s help, and a mount root with its paths', async () => {
    const kv = await s.request('GET', '/v1/secret/data/anything?help=1');
    assert.equal(kv.status, 200, kv.text);
    assert.equal(kv.body.request_id, undefined, 'not in the envelope');
    assert.equal(typeof kv.body.help, 'string');
    assert.match(kv.body.help, /Request: +data\/anything/);
    assert.match(kv.body.help, /Write, patch, read and soft-delete versions of a secret\./);
    const root = await s.request('GET', '/v1/secret?help=1');
    assert.equal(root.status, 200, root.text);
    assert.match(root.body.help, /## PATHS/);
    assert.match(root.body.help, /\^data\/\(\?P<path>/);
  });

  it('still needs a valid token', async () => {
    const res = await s.request('GET', '/v1/auth/token/create?help=1', { token: null });
    assert.equal(res.status, 403);
  });
});

describe('unrecognized write parameters', () => {
  const WARN = (names: string) => `Endpoint ignored these unrecognized parameters: [${names}]`;

  it('a token role write with a typo answers 200 with Vault\'s warning (and still writes)', async () => {
    const res = await s.request('POST', '/v1/auth/token/roles/typo', { body: { orphan: true, token_max_tll: '1h', zzz: 1 } });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.warnings, [WARN('token_max_tll zzz')]);
    const read = await s.request('GET', '/v1/auth/token/roles/typo');
    assert.equal(read.body.data.orphan, true);
    const clean = await s.request('POST', '/v1/auth/token/roles/typo', { body: { orphan: false } });
    assert.equal(clean.status, 204, clean.text);
  });

  it('token create adds the warning to its own warnings; the secret values are never echoed', async () => {
    const res = await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'], polices: 'p-secret-value', ttl: '1h' } });
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.warnings.includes(WARN('polices')), JSON.stringify(res.body.warnings));
    assert.equal(res.text.includes('p-secret-value'), false);
  });

  it('auth method roles and users know their token_* fields, and warn about the rest', async () => {
    assert.equal((await s.request('POST', '/v1/sys/auth/approle', { body: { type: 'approle' } })).status, 204);
    const ok = await s.request('POST', '/v1/auth/approle/role/app', { body: { token_ttl: '1h', token_max_ttl: '2h', policies: 'a', secret_id_ttl: '10m' } });
    assert.equal(ok.status, 204, ok.text);
    const typo = await s.request('POST', '/v1/auth/approle/role/app', { body: { token_max_tll: '2h' } });
    assert.equal(typo.status, 200, typo.text);
    assert.deepEqual(typo.body.warnings, [WARN('token_max_tll')]);

    assert.equal((await s.request('POST', '/v1/sys/auth/userpass', { body: { type: 'userpass' } })).status, 204);
    const user = await s.request('POST', '/v1/auth/userpass/users/bob', { body: { password: 'pw-123456', token_max_tll: '1h' } });
    assert.equal(user.status, 200, user.text);
    assert.deepEqual(user.body.warnings, [WARN('token_max_tll')]);
    assert.equal(user.text.includes('pw-123456'), false);
  });

  it('routes that take arbitrary keys do not warn (KV, cubbyhole, sys/wrapping/wrap)', async () => {
    const kv2 = await s.request('POST', '/v1/secret/data/free', { body: { data: { any: 'thing', token_max_tll: 'x' } } });
    assert.equal(kv2.status, 200, kv2.text);
    assert.equal(kv2.body.warnings, null);
    const cubby = await s.request('POST', '/v1/cubbyhole/free', { body: { whatever: 'v', other: 'w' } });
    assert.equal(cubby.status, 204, cubby.text);
    const wrap = await s.request('POST', '/v1/sys/wrapping/wrap', { body: { any: 'thing', else: 'x' } });
    assert.equal(wrap.status, 200, wrap.text);
    assert.equal(wrap.body.warnings, null);
  });
});
