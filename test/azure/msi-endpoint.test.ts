/**
 * The local managed-identity endpoint of `coffer run --identity` (src/cli/msi-endpoint.ts), with
 * a fake Coffer: the App Service and 2017 request shapes, the per-process secret header, the
 * response shape the SDK reads, token caching, and "every failure is a fast 400" (bad header,
 * bad path, upstream error, upstream hang, a user-assigned identity that is not this one).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { afterEach, describe, it } from 'node:test';
import { startMsiEndpoint, type CofferRequestFn, type MsiEndpoint } from '../../src/cli/msi-endpoint.js';

interface Call {
  method: string;
  path: string;
  options: { body?: unknown; token?: string | null };
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; body: any; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('MSI endpoint', () => {
  let ep: MsiEndpoint | undefined;
  let nowMs = Date.UTC(2026, 10, 22, 12, 0, 0);
  afterEach(async () => {
    await ep?.close();
    ep = undefined;
  });

  const start = async (request: CofferRequestFn, extra: { timeoutMs?: number } = {}) => {
    ep = await startMsiEndpoint({ request, identityName: 'web', sessionSecret: 'session-secret-value', now: () => nowMs, ...extra });
    return ep;
  };
  const okCoffer = (calls: Call[]): CofferRequestFn => async (method, path, options) => {
    calls.push({ method, path, options });
    const resource = (options.body as { resource: string }).resource;
    return { status: 200, body: { data: { access_token: `jwt-for-${resource}-${calls.length}`, expires_on: Math.floor(nowMs / 1000) + 3600, resource, token_type: 'Bearer', client_id: 'c1d2', principal_id: 'p1d2' } } };
  };
  const resource = encodeURIComponent('https://vault.localhost:8443');

  it('answers App Service requests with the token from identity/login', async () => {
    const calls: Call[] = [];
    const e = await start(okCoffer(calls));
    assert.match(e.endpoint, /^http:\/\/127\.0\.0\.1:\d+\/msi\/token$/);
    assert.ok(e.header.length >= 32);
    assert.deepEqual(Object.keys(e.env).sort(), ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MSI_ENDPOINT', 'MSI_SECRET']);
    const res = await get(`${e.endpoint}?api-version=2019-08-01&resource=${resource}`, { 'x-identity-header': e.header });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, {
      access_token: 'jwt-for-https://vault.localhost:8443-1',
      expires_on: String(Math.floor(nowMs / 1000) + 3600),
      resource: 'https://vault.localhost:8443',
      token_type: 'Bearer',
      client_id: 'c1d2',
    });
    assert.deepEqual(calls, [{
      method: 'POST',
      path: 'auth/azure/identity/login',
      options: { body: { name: 'web', session_secret: 'session-secret-value', resource: 'https://vault.localhost:8443' }, token: null },
    }]);
  });

  it('answers the 2017 MSI shape (secret header, trailing slash)', async () => {
    const e = await start(okCoffer([]));
    const res = await get(`${e.endpoint}/?resource=${resource}&api-version=2017-09-01`, { secret: e.header, metadata: 'true' });
    assert.equal(res.status, 200);
    assert.equal(res.body.token_type, 'Bearer');
  });

  it('reuses a token until it nears expiry, per resource', async () => {
    const calls: Call[] = [];
    const e = await start(okCoffer(calls));
    const ask = (r: string) => get(`${e.endpoint}?api-version=2019-08-01&resource=${encodeURIComponent(r)}`, { 'x-identity-header': e.header });
    const a = await ask('https://vault.localhost:8443');
    const b = await ask('https://vault.localhost:8443');
    assert.equal(a.body.access_token, b.body.access_token);
    assert.equal(calls.length, 1);
    await ask('https://other.localhost');
    assert.equal(calls.length, 2);
    nowMs += 3400_000; // 200 s left: less than the 300 s margin
    const c = await ask('https://vault.localhost:8443');
    assert.notEqual(c.body.access_token, a.body.access_token);
    assert.equal(calls.length, 3);
  });

  it('refuses a missing or wrong secret header with 400, without calling Coffer', async () => {
    const calls: Call[] = [];
    const e = await start(okCoffer(calls));
    const variants: Record<string, string>[] = [{}, { 'x-identity-header': 'wrong' }, { 'x-identity-header': `${e.header}x` }, { secret: e.header.slice(0, -1) + (e.header.endsWith('A') ? 'B' : 'A') }];
    for (const headers of variants) {
      const res = await get(`${e.endpoint}?api-version=2019-08-01&resource=${resource}`, headers);
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
      assert.match(res.body.error_description, /header/);
      assert.ok(!JSON.stringify(res.body).includes(e.header), 'never echoes the secret');
    }
    assert.equal(calls.length, 0);
  });

  it('every other failure is a 400 too: path, method, resource, upstream error, identity mismatch', async () => {
    const e = await start(async () => ({ status: 401, body: { errors: ['invalid_client: x'], data: { error: 'invalid_client', error_description: 'The managed identity does not exist or the session secret is invalid or expired.' } } }));
    const h = { 'x-identity-header': e.header };
    const base = e.endpoint.replace(/\/msi\/token$/, '');
    const cases: Array<[string, string]> = [
      [`${base}/metadata/identity/oauth2/token?resource=${resource}`, 'unknown path'],
      [`${e.endpoint}?api-version=2019-08-01`, 'resource'],
      [`${e.endpoint}?api-version=2019-08-01&resource=${resource}`, 'session secret is invalid'],
    ];
    for (const [url, text] of cases) {
      const res = await get(url, h);
      assert.equal(res.status, 400, url);
      assert.match(res.body.error_description, new RegExp(text));
    }
    const post = await get(`${e.endpoint}?resource=${resource}`, h, 'POST');
    assert.equal(post.status, 400);

    await e.close();
    const thrower = await start(async () => {
      throw Object.assign(new Error('Error writing auth/azure/identity/login: permission denied'), { response: { status: 403, body: { errors: ['permission denied'] } } });
    });
    const thrown = await get(`${thrower.endpoint}?resource=${resource}`, { 'x-identity-header': thrower.header });
    assert.equal(thrown.status, 400);
    assert.match(thrown.body.error_description, /permission denied/);
  });

  it('a request for another user-assigned identity is a 400', async () => {
    const e = await start(okCoffer([]));
    const h = { 'x-identity-header': e.header };
    assert.equal((await get(`${e.endpoint}?resource=${resource}&client_id=c1d2`, h)).status, 200);
    assert.equal((await get(`${e.endpoint}?resource=${resource}&client_id=00000000-0000-0000-0000-000000000000`, h)).status, 400);
    assert.equal((await get(`${e.endpoint}?resource=${resource}&object_id=p1d2`, h)).status, 200);
    assert.equal((await get(`${e.endpoint}?resource=${resource}&mi_res_id=/subscriptions/x/userAssignedIdentities/other`, h)).status, 400);
  });

  it('an upstream that never answers becomes a 400 after the timeout, not a hang', async () => {
    const e = await start(() => new Promise(() => {}), { timeoutMs: 100 });
    const res = await get(`${e.endpoint}?resource=${resource}`, { 'x-identity-header': e.header });
    assert.equal(res.status, 400);
    assert.match(res.body.error_description, /did not answer within/);
  });
});
