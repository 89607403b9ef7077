import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await createTestServer();
});
after(async () => s.close());

function assertVaultError(res: { status: number; body: any; headers: Record<string, string> }, status: number, re?: RegExp) {
  assert.equal(res.status, status);
  assert.ok(Array.isArray(res.body?.errors), `errors array in ${JSON.stringify(res.body)}`);
  if (re) assert.match(res.body.errors.join(' '), re);
  assert.match(res.headers['content-type'] ?? '', /^application\/json/);
  assert.equal(res.headers['cache-control'], 'no-store');
}

describe('bad input gets a clear 4xx and loses nothing', () => {
  it('malformed JSON, non-object JSON', async () => {
    assertVaultError(await s.request('POST', '/v1/secret/data/x', { rawBody: '{"data": ' }), 400, /error parsing JSON body/);
    assertVaultError(await s.request('POST', '/v1/secret/data/x', { rawBody: '[1,2]' }), 400, /must be a JSON object/);
    assert.equal((await s.request('GET', '/v1/secret/data/x')).status, 404, 'nothing was written');
  });

  it('lenient bodies: empty, null, no content type, form-encoded', async () => {
    assert.equal((await s.request('PUT', '/v1/cubbyhole/form', { rawBody: 'a=1&b=two', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 204);
    assert.deepEqual((await s.request('GET', '/v1/cubbyhole/form')).body.data, { a: '1', b: 'two' });
    assert.equal((await s.request('PUT', '/v1/cubbyhole/nocontenttype', { rawBody: '{"k":"v"}' })).status, 204);
    assert.equal((await s.request('PUT', '/v1/auth/token/renew-self', { rawBody: 'null', headers: { 'content-type': 'application/json' } })).status, 400, 'root token is not renewable');
    const empty = await s.request('POST', '/v1/secret/data/emptybody');
    assertVaultError(empty, 400, /no data provided/);
  });

  it('a body over the limit is 413', async () => {
    const big = Buffer.alloc(33 * 1024 * 1024, 0x61);
    const res = await s.request('POST', '/v1/secret/data/big', { rawBody: big, headers: { 'content-type': 'application/json' } });
    assertVaultError(res, 413, /too large/);
    assert.equal((await s.request('GET', '/v1/secret/data/big')).status, 404);
  });

  it('unknown paths and methods', async () => {
    assertVaultError(await s.request('GET', '/v1/nosuchmount/x'), 404, /no handler for route/);
    const kvBogus = await s.request('GET', '/v1/secret/bogus/x');
    assert.equal(kvBogus.status, 404);
    assert.match(kvBogus.body.warnings[0], /Invalid path for a versioned K\/V secrets engine/);
    const notV1 = await s.request('GET', '/api/whatever');
    assert.equal(notV1.status, 404);
    assertVaultError(await s.request('PATCH', '/v1/secret/data/x', { body: { data: {} } }), 415, /merge-patch/);
    assertVaultError(await s.request('GET', '/v1/secret/metadata/?list=maybe'), 400, /list/);
    assertVaultError(await s.request('GET', '/v1/secret/data/x', { headers: { 'x-vault-namespace': 'team-a' } }), 400, /namespace/);
    assertVaultError(await s.request('GET', '/v1/secret/data/x', { headers: { 'x-vault-wrap-ttl': 'soon' } }), 400, /X-Vault-Wrap-TTL/);
    assertVaultError(await s.request('GET', '/v1/%E0%A4%A'), 400, /percent-encoding/);
  });

  it('bad names: .., NUL, control characters', async () => {
    assertVaultError(await s.request('POST', '/v1/secret/data/a/../b', { body: { data: { x: '1' } } }), 400);
    assertVaultError(await s.request('POST', '/v1/secret/data/a%00b', { body: { data: { x: '1' } } }), 400, /NUL|control/);
    assertVaultError(await s.request('PUT', '/v1/sys/policies/acl/bad%2Fname', { body: { policy: 'path "x" { capabilities = ["read"] }' } }), 404, /unsupported path/);
    assertVaultError(await s.request('GET', '/v1/cubbyhole/x%01y'), 400, /control characters/);
  });

  it('wrong types get a 400 naming the field', async () => {
    assertVaultError(await s.request('POST', '/v1/auth/token/create', { body: { ttl: 'forever' } }), 400, /ttl/);
    assertVaultError(await s.request('POST', '/v1/auth/token/create', { body: { num_uses: 'many' } }), 400, /num_uses/);
    assertVaultError(await s.request('POST', '/v1/secret/config', { body: { max_versions: 'lots' } }), 400, /max_versions/);
  });

  it('missing, garbage, revoked and expired tokens are 403 permission denied', async () => {
    assertVaultError(await s.request('GET', '/v1/secret/data/x', { token: null }), 403, /permission denied/);
    assertVaultError(await s.request('GET', '/v1/secret/data/x', { token: 'garbage' }), 403, /permission denied/);
    const created = await s.request('POST', '/v1/auth/token/create', { body: { ttl: '60s', policies: ['default'] } });
    const token = created.body.auth.client_token;
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token })).status, 200);
    s.clock.advance(61_000);
    assertVaultError(await s.request('GET', '/v1/auth/token/lookup-self', { token }), 403, /permission denied/);
    const t2 = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token;
    assert.equal((await s.request('POST', '/v1/auth/token/revoke-self', { token: t2 })).status, 204);
    assertVaultError(await s.request('GET', '/v1/auth/token/lookup-self', { token: t2 }), 403);
    // Authorization: Bearer works as well as X-Vault-Token.
    const bearer = await s.request('GET', '/v1/auth/token/lookup-self', { token: null, headers: { authorization: `Bearer ${s.rootToken}` } });
    assert.equal(bearer.status, 200);
  });

  it('error messages never echo the token that was sent', async () => {
    const fake = 'hvs.ThisIsNotARealTokenButLooksLikeOne';
    const res = await s.request('GET', '/v1/secret/data/x', { token: fake });
    assert.equal(res.text.includes(fake), false);
    const lookup = await s.request('POST', '/v1/auth/token/lookup', { body: { token: fake } });
    assert.equal(lookup.text.includes(fake), false);
  });

  it('a raw LIST request works, and garbage on the socket gets a 400 without hurting the server', async () => {
    const raw = (payload: string) =>
      new Promise<string>((resolve, reject) => {
        const sock = net.connect(s.port, '127.0.0.1', () => sock.end(payload));
        let out = '';
        sock.on('data', (d) => (out += d));
        sock.on('end', () => resolve(out));
        sock.on('error', reject);
      });
    const list = await raw(`LIST /v1/secret/metadata/ HTTP/1.1\r\nHost: x\r\nX-Vault-Token: ${s.rootToken}\r\nConnection: close\r\n\r\n`);
    assert.match(list, /^HTTP\/1.1 (200|404)/);
    const garbage = await raw('BLAH\r\n\r\n');
    assert.match(garbage, /^HTTP\/1.1 400/);
    assert.equal((await s.request('GET', '/v1/sys/health')).status, 200);
  });
});
