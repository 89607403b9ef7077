/**
 * The Key Vault front's bodiless fast path (a GET to a vault host served on node:http, without
 * fastify) answers exactly as the fastify route does. The same GET sent with an empty chunked
 * body is not eligible for the fast path, so it takes the fastify route: both answers are
 * compared (status, body, header names and values except the per-request id and date).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTlsServer, type Answer, type TlsServer } from './fixtures/harness.js';

describe('Key Vault fast path (bodiless GET) answers like the fastify route', () => {
  let s: TlsServer;
  let host: string;
  let reader: string;
  let writerJwt: string;

  const creds = new Map<string, { appId: string; password: string }>();
  const tokenFor = async (appId: string, password: string, scope = `https://vault.localhost:${s.port}/.default`): Promise<string> => {
    const res = await s.raw('POST', '/adfs/oauth2/token', {
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: password, scope }).toString(),
      headers: { host: `localhost:${s.port}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 200, res.text);
    return res.body.access_token;
  };
  const principal = async (name: string, permissions: string): Promise<string> => {
    const tpl = await s.api('GET', `keyvault/fp/access-policy-template?permissions=${permissions}`);
    assert.equal(tpl.status, 200, tpl.text);
    assert.equal((await s.api('PUT', `sys/policy/${name}`, { policy: tpl.body.data.policy })).status, 204);
    const sp = (await s.api('POST', 'auth/azure/sp/create', { display_name: name, policies: [name] })).body.data;
    creds.set(name, sp);
    return tokenFor(sp.appId, sp.password);
  };

  /** The comparable part of an answer: the per-request id and the date differ by nature. */
  const comparable = (a: Answer) => {
    const headers = { ...a.headers };
    for (const h of ['x-ms-request-id', 'date']) {
      if (h in headers) headers[h] = '<present>';
    }
    return { status: a.status, headers, text: a.text };
  };

  /** The same GET both ways: as is (fast path) and with an empty chunked body (fastify route). */
  const both = async (path: string, headers: Record<string, string>) => {
    const fast = await s.raw('GET', path, { headers });
    const routed = await s.raw('GET', path, { headers: { ...headers, 'transfer-encoding': 'chunked' } });
    assert.deepEqual(comparable(fast), comparable(routed), `GET ${path}`);
    return fast;
  };

  before(async () => {
    s = await startTlsServer();
    host = `fp.vault.localhost:${s.port}`;
    assert.equal((await s.api('POST', 'sys/mounts/keyvault/fp', { type: 'keyvault' })).status, 204);
    reader = await principal('fp-get', 'get');
    writerJwt = await principal('fp-all', 'all');
    const put = await s.raw('PUT', '/secrets/s1?api-version=7.4', {
      headers: { host, authorization: `Bearer ${writerJwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'fast-path-value', tags: { a: 'b' } }),
    });
    assert.equal(put.status, 200, put.text);
  });
  after(async () => {
    await s.close();
  });

  it('getSecret: 200 with the same bundle and headers', async () => {
    const res = await both('/secrets/s1?api-version=7.4', { host, authorization: `Bearer ${reader}`, 'x-ms-client-request-id': 'abc-123' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.value, 'fast-path-value');
    assert.equal(res.headers['x-ms-client-request-id'], 'abc-123');
    assert.match(res.headers['x-ms-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'no-cache');
  });

  it('refusals: no bearer (challenge), a forged JWT, a missing permission, another vault, an unknown secret, a bad path', async () => {
    const noBearer = await both('/secrets/s1?api-version=7.4', { host });
    assert.equal(noBearer.status, 401);
    assert.match(noBearer.headers['www-authenticate'] ?? '', /^Bearer authorization=/);
    const [h, p] = reader.split('.');
    assert.equal((await both('/secrets/s1', { host, authorization: `Bearer ${h}.${p}x.sig` })).status, 401);
    assert.equal((await both('/secrets?api-version=7.4', { host, authorization: `Bearer ${reader}` })).status, 403);
    assert.equal((await both('/secrets/s1', { host: `nosuch.vault.localhost:${s.port}`, authorization: `Bearer ${reader}` })).status, 404);
    assert.equal((await both('/secrets/nope?api-version=7.4', { host, authorization: `Bearer ${writerJwt}` })).status, 404);
    const bad = await both('/no/such/api', { host, authorization: `Bearer ${writerJwt}` });
    assert.ok(bad.status >= 400 && bad.status < 500, bad.text);
  });

  it('bearer decoding: malformed payloads are AKV10001; a wrong audience stays refused when repeated (memo) and the right one accepted', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const header = b64({ alg: 'RS256', typ: 'JWT' });
    for (const payload of ['bm90IGpzb24', b64([1, 2]), b64('text'), b64(null), 'eyJhIjoxfQA']) {
      const res = await both('/secrets/s1', { host, authorization: `Bearer ${header}.${payload}.sig` });
      assert.equal(res.status, 401, payload);
      assert.match(res.body.error.message, /^AKV10001: The access token is malformed/, payload);
    }
    const sp = creds.get('fp-get')!;
    const elsewhere = await tokenFor(sp.appId, sp.password, 'https://elsewhere.example/.default');
    for (let i = 0; i < 2; i++) {
      const res = await both('/secrets/s1', { host, authorization: `Bearer ${elsewhere}` });
      assert.equal(res.status, 401);
      assert.match(res.body.error.message, /^AKV10022: Invalid audience/);
      assert.equal((await both('/secrets/s1', { host, authorization: `Bearer ${reader}` })).status, 200);
    }
  });

  it('a revoked token behind a JWT is refused on the very next fast-path request', async () => {
    const jwt = await principal('fp-revoke', 'get');
    const headers = { host, authorization: `Bearer ${jwt}` };
    assert.equal((await s.raw('GET', '/secrets/s1', { headers })).status, 200);
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
    const inner = JSON.parse((await s.core.envelope.open('azure-access-token', Buffer.from(payload.ctk, 'base64url'))).toString('utf8'));
    assert.equal((await s.api('POST', 'auth/token/revoke', { token: inner.t })).status, 204);
    assert.equal((await both('/secrets/s1', headers)).status, 401);
  });

  it('requests the fast path must not take still reach fastify: identity endpoints on a vault host, HEAD', async () => {
    const keys = await s.raw('GET', '/adfs/discovery/keys', { headers: { host } });
    assert.equal(keys.status, 200, keys.text);
    assert.ok(Array.isArray(keys.body.keys));
    const head = await s.raw('HEAD', '/secrets/s1', { headers: { host, authorization: `Bearer ${reader}` } });
    assert.equal(head.status, 404, 'HEAD is not a Key Vault route (fastify answers it)');
  });
});
