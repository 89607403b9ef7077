import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await createTestServer();
});
after(async () => s.close());

describe('response wrapping', () => {
  it('X-Vault-Wrap-TTL wraps any response; unwrap returns it once', async () => {
    await s.request('POST', '/v1/secret/data/wrapped', { body: { data: { api_key: 'k-123' } } });
    const wrapped = await s.request('GET', '/v1/secret/data/wrapped', { headers: { 'x-vault-wrap-ttl': '5m' } });
    assert.equal(wrapped.status, 200);
    assert.equal(wrapped.body.data, null);
    assert.equal(wrapped.text.includes('k-123'), false);
    const info = wrapped.body.wrap_info;
    assert.equal(info.ttl, 300);
    assert.equal(info.creation_path, 'secret/data/wrapped');
    assert.match(info.token, /^hvs\./);

    const lookup = await s.request('POST', '/v1/sys/wrapping/lookup', { token: null, body: { token: info.token } });
    assert.equal(lookup.status, 200);
    assert.equal(lookup.body.data.creation_path, 'secret/data/wrapped');
    assert.equal(lookup.body.data.creation_ttl, 300);

    // Unwrap with the wrapping token itself, no body.
    const un = await s.request('POST', '/v1/sys/wrapping/unwrap', { token: info.token });
    assert.equal(un.status, 200);
    assert.equal(un.body.data.data.api_key, 'k-123');
    const again = await s.request('POST', '/v1/sys/wrapping/unwrap', { token: info.token });
    assert.equal(again.status, 400);
    assert.deepEqual(again.body.errors, ['wrapping token is not valid or does not exist']);
    assert.equal((await s.request('POST', '/v1/sys/wrapping/lookup', { token: null, body: { token: info.token } })).status, 400);
  });

  it('unwrap with another token and the wrapping token in the body; expiry', async () => {
    const w = await s.request('POST', '/v1/sys/wrapping/wrap', { body: { password: 'p@ss' }, headers: { 'x-vault-wrap-ttl': '60s' } });
    const token = w.body.wrap_info.token;
    const other = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
    const un = await s.request('POST', '/v1/sys/wrapping/unwrap', { token: other, body: { token } });
    assert.equal(un.status, 200);
    assert.deepEqual(un.body.data, { password: 'p@ss' });
    assert.equal((await s.request('POST', '/v1/sys/wrapping/unwrap', { token: other, body: { token } })).status, 400);

    const def = await s.request('POST', '/v1/sys/wrapping/wrap', { body: { a: 'b' } });
    assert.equal(def.body.wrap_info.ttl, 300, 'sys/wrapping/wrap defaults to 5m');
    const short = await s.request('POST', '/v1/sys/wrapping/wrap', { body: { a: 'b' }, headers: { 'x-vault-wrap-ttl': '30s' } });
    s.clock.advance(31_000);
    assert.equal((await s.request('POST', '/v1/sys/wrapping/unwrap', { token: short.body.wrap_info.token })).status, 400);
  });

  it('wrapped token creation exposes wrapped_accessor, and rewrap gives a new token', async () => {
    const w = await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'] }, headers: { 'x-vault-wrap-ttl': '2m' } });
    assert.equal(w.body.auth, null);
    const wrappedAccessor = w.body.wrap_info.wrapped_accessor;
    assert.ok(wrappedAccessor);
    const re = await s.request('POST', '/v1/sys/wrapping/rewrap', { body: { token: w.body.wrap_info.token } });
    assert.equal(re.status, 200);
    assert.notEqual(re.body.wrap_info.token, w.body.wrap_info.token);
    assert.equal((await s.request('POST', '/v1/sys/wrapping/unwrap', { token: w.body.wrap_info.token })).status, 400);
    const un = await s.request('POST', '/v1/sys/wrapping/unwrap', { token: re.body.wrap_info.token });
    assert.equal(un.body.auth.accessor, wrappedAccessor);
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token: un.body.auth.client_token })).status, 200);
  });

  it('a wrapping token can do nothing but unwrap', async () => {
    const w = await s.request('POST', '/v1/sys/wrapping/wrap', { body: { a: 'b' } });
    const token = w.body.wrap_info.token;
    assert.equal((await s.request('GET', '/v1/secret/data/wrapped', { token })).status, 403);
    assert.equal((await s.request('POST', '/v1/sys/wrapping/unwrap', { token })).status, 200);
  });

  it('policies can bound the wrap TTL', async () => {
    await s.request('PUT', '/v1/sys/policies/acl/wrapbound', { body: { policy: 'path "secret/data/*" { capabilities = ["read"]\n min_wrapping_ttl = "1m"\n max_wrapping_ttl = "10m" }' } });
    const t = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['wrapbound'] } })).body.auth.client_token;
    assert.equal((await s.request('GET', '/v1/secret/data/wrapped', { token: t })).status, 403, 'wrapping required');
    assert.equal((await s.request('GET', '/v1/secret/data/wrapped', { token: t, headers: { 'x-vault-wrap-ttl': '5m' } })).status, 200);
    assert.equal((await s.request('GET', '/v1/secret/data/wrapped', { token: t, headers: { 'x-vault-wrap-ttl': '1h' } })).status, 403);
  });
});

describe('cubbyhole', () => {
  it('is private to each token and gone when the token is revoked', async () => {
    const a = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
    const b = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
    assert.equal((await s.request('PUT', '/v1/cubbyhole/note', { token: a, body: { text: 'mine' } })).status, 204);
    assert.equal((await s.request('GET', '/v1/cubbyhole/note', { token: a })).body.data.text, 'mine');
    assert.equal((await s.request('GET', '/v1/cubbyhole/note', { token: b })).status, 404);
    assert.deepEqual((await s.request('LIST', '/v1/cubbyhole/', { token: a })).body.data.keys, ['note']);
    const cubby = s.core.mounts.get('cubbyhole/')!;
    const before = await cubby.storage.list('');
    await s.request('POST', '/v1/auth/token/revoke-self', { token: a });
    const afterList = await cubby.storage.list('');
    assert.equal(afterList.length, before.length - 1, 'the revoked token\'s cubbyhole was wiped');
  });
});
