/**
 * The `azure-ad` auth method through the Vault HTTP API: service principals (secret shown once,
 * stored as an HMAC, reset), managed identities and sessions, principal policies (resolved by
 * any id), the OAuth client-credentials grant and the identity login (errors in Entra ID's
 * shape, lockout), and the access token itself (ES256 JWT verifiable with the JWKS, `ctk`
 * opening to the Coffer token with the principal's policies and metadata).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { createTestServer, httpRequest, type TestServer } from '../helpers/server.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('azure-ad auth method', () => {
  let s: TestServer;
  const form = (fields: Record<string, string>) =>
    httpRequest(s.url, 'POST', '/adfs/oauth2/token', { rawBody: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' } });
  const createSp = async (body: Record<string, unknown> = {}) => {
    const res = await s.request('POST', '/v1/auth/azure/sp/create', { body });
    assert.equal(res.status, 200, res.text);
    return res.body.data as { appId: string; objectId: string; displayName: string; password: string; tenant: string; policies: string[] };
  };
  const tokenFor = (appId: string, password: string, scope = 'https://vault.localhost:8443/.default') =>
    form({ grant_type: 'client_credentials', client_id: appId, client_secret: password, scope });

  before(async () => {
    s = await createTestServer();
  });
  after(async () => {
    await s.close();
  });

  it('is mounted at auth/azure/ in dev mode, and can be enabled elsewhere', async () => {
    const auth = await s.request('GET', '/v1/sys/auth');
    assert.equal(auth.body.data['azure/'].type, 'azure-ad');
    assert.equal((await s.request('POST', '/v1/sys/auth/azure2', { body: { type: 'azure-ad' } })).status, 204);
    const res = await s.request('POST', '/v1/auth/azure2/sp/create', { body: { display_name: 'x' } });
    assert.equal(res.status, 200);
    assert.equal((await s.request('GET', `/v1/auth/azure/sp/${res.body.data.appId}`)).status, 404, 'mounts are separate');
  });

  describe('service principals', () => {
    it('create returns the ids and a 40+ character password once; read never shows it', async () => {
      const sp = await createSp({ display_name: 'my-app', policies: 'Reader, writer' });
      assert.match(sp.appId, UUID);
      assert.match(sp.objectId, UUID);
      assert.notEqual(sp.appId, sp.objectId);
      assert.equal(sp.displayName, 'my-app');
      assert.equal(sp.tenant, 'adfs');
      assert.ok(sp.password.length >= 40, 'password length');
      assert.deepEqual(sp.policies, ['reader', 'writer']);

      const read = await s.request('GET', `/v1/auth/azure/sp/${sp.appId}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.data.displayName, 'my-app');
      assert.equal(read.body.data.objectId, sp.objectId);
      assert.ok(!read.text.includes(sp.password), 'the password is never shown again');
      assert.equal(read.body.data.password, undefined);

      const list = await s.request('GET', '/v1/auth/azure/sp?list=true');
      assert.ok(list.body.data.keys.includes(sp.appId));
      assert.equal(list.body.data.key_info[sp.appId].displayName, 'my-app');
    });

    it('the secret is stored only as an HMAC (not in plaintext anywhere in the mount)', async () => {
      const sp = await createSp({ display_name: 'hmac-check' });
      const mount = s.core.mounts.get('auth/azure/')!;
      const raw = await mount.storage.get(`sp/${sp.appId}`);
      const text = Buffer.from(raw!).toString('utf8');
      assert.ok(!text.includes(sp.password));
      assert.match(JSON.parse(text).secretHmac, /^[0-9a-f]{64}$/);
    });

    it('password reset issues a new secret and the old one stops working', async () => {
      const sp = await createSp({ display_name: 'reset-me' });
      assert.equal((await tokenFor(sp.appId, sp.password)).status, 200);
      const reset = await s.request('POST', `/v1/auth/azure/sp/${sp.appId}/password`);
      assert.equal(reset.status, 200);
      const fresh = reset.body.data.password as string;
      assert.notEqual(fresh, sp.password);
      assert.equal((await tokenFor(sp.appId, sp.password)).status, 401);
      assert.equal((await tokenFor(sp.appId, fresh)).status, 200);
    });

    it('delete removes it; bad appIds are a clear 400', async () => {
      const sp = await createSp({ display_name: 'gone' });
      assert.equal((await s.request('DELETE', `/v1/auth/azure/sp/${sp.appId}`)).status, 204);
      assert.equal((await s.request('GET', `/v1/auth/azure/sp/${sp.appId}`)).status, 404);
      assert.equal((await tokenFor(sp.appId, sp.password)).status, 401);
      const bad = await s.request('GET', '/v1/auth/azure/sp/not-a-uuid');
      assert.equal(bad.status, 400);
      assert.match(bad.body.errors[0], /UUID/);
    });

    it('the root policy cannot be attached', async () => {
      const res = await s.request('POST', '/v1/auth/azure/sp/create', { body: { display_name: 'x', policies: ['root'] } });
      assert.equal(res.status, 400);
      assert.match(res.body.errors[0], /root policy/);
    });
  });

  describe('oauth2/token', () => {
    it('issues an ES256 JWT with the Azure claims; the JWKS verifies it; ctk opens to a Coffer token', async () => {
      await s.request('PUT', '/v1/sys/policy/reader', { body: { policy: 'path "secret/*" { capabilities = ["read"] }' } });
      const sp = await createSp({ display_name: 'jwt-app', policies: ['reader'] });
      const res = await httpRequest(s.url, 'POST', '/adfs/oauth2/token?client-request-id=abc', {
        rawBody: new URLSearchParams({
          grant_type: 'client_credentials', client_id: sp.appId, client_secret: sp.password, scope: 'https://vault.localhost:8443/.default',
          'x-client-SKU': 'msal.js.node', claims: '{"access_token":{"xms_cc":{"values":["cp1"]}}}', 'client-request-id': 'abc',
        }).toString(),
        headers: { host: 'localhost:8443', 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
      assert.equal(res.body.token_type, 'Bearer');
      assert.equal(res.body.expires_in, 3600);
      assert.equal(res.headers['cache-control'], 'no-store');

      const jwt = res.body.access_token as string;
      assert.equal(decodeProtectedHeader(jwt).alg, 'ES256');
      const jwks = await httpRequest(s.url, 'GET', '/adfs/discovery/keys');
      const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks.body), { issuer: `https://vault.localhost:${s.port}/adfs`, audience: 'https://vault.localhost:8443', currentDate: new Date(s.clock.now()) });
      const nowSec = Math.floor(s.clock.now() / 1000);
      assert.equal(payload.oid, sp.objectId);
      assert.equal(payload.appid, sp.appId);
      assert.equal(payload.sub, sp.objectId);
      assert.equal(payload.tid, 'adfs');
      assert.equal(payload.iat, nowSec);
      assert.equal(payload.nbf, nowSec);
      assert.equal(payload.exp, nowSec + 3600);

      const opened = JSON.parse((await s.core.envelope.open('azure-access-token', Buffer.from(payload.ctk as string, 'base64url'))).toString('utf8'));
      assert.deepEqual(Object.keys(opened).sort(), ['aud', 'exp', 'iss', 't']);
      assert.equal(opened.iss, `https://vault.localhost:${s.port}/adfs`, 'the issuer is bound into the authenticated envelope');
      assert.equal(opened.aud, 'https://vault.localhost:8443');
      assert.equal(opened.exp, nowSec + 3600);
      assert.ok(!jwt.includes(opened.t), 'the Coffer token is not readable in the JWT');

      const lookup = await s.request('GET', '/v1/auth/token/lookup-self', { token: opened.t });
      assert.equal(lookup.status, 200);
      assert.deepEqual(lookup.body.data.policies, ['default', 'reader']);
      assert.equal(lookup.body.data.ttl, 3600);
      assert.equal(lookup.body.data.renewable, false);
      assert.deepEqual(lookup.body.data.meta, { principal_id: sp.objectId, app_id: sp.appId, display_name: 'jwt-app', kind: 'sp' });
      assert.equal(lookup.body.data.path, 'auth/azure/login');
    });

    it('the token TTL follows the mount default lease TTL', async () => {
      assert.equal((await s.request('POST', '/v1/sys/auth/azure2/tune', { body: { default_lease_ttl: '10m' } })).status, 204);
      const sp = (await s.request('POST', '/v1/auth/azure2/sp/create', { body: { display_name: 'short' } })).body.data;
      const res = await s.request('POST', '/v1/auth/azure2/oauth2/token', {
        token: null, body: { grant_type: 'client_credentials', client_id: sp.appId, client_secret: sp.password, scope: 'https://vault.localhost/.default' },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.data.expires_in, 600);
      assert.equal(decodeJwt(res.body.data.access_token).exp! - decodeJwt(res.body.data.access_token).iat!, 600);
    });

    it('answers OAuth errors in Entra ID shape', async () => {
      const sp = await createSp({ display_name: 'errors' });
      const wrong = await tokenFor(sp.appId, 'not-the-secret');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error, 'invalid_client');
      assert.match(wrong.body.error_description, /^AADSTS7000215: /);
      assert.deepEqual(wrong.body.error_codes, [7000215]);
      assert.ok(!wrong.text.includes('not-the-secret'));

      const unknown = await tokenFor('00000000-0000-0000-0000-000000000000', 'x');
      assert.equal(unknown.status, 401);
      assert.equal(unknown.body.error_description.replace(/'[^']*'/g, ''), wrong.body.error_description.replace(/'[^']*'/g, ''), 'an unknown client looks like a wrong secret');

      const grant = await form({ grant_type: 'password', client_id: sp.appId, client_secret: sp.password, scope: 'https://a.b/.default' });
      assert.equal(grant.status, 400);
      assert.equal(grant.body.error, 'unsupported_grant_type');

      const scope = await tokenFor(sp.appId, sp.password, 'https://vault.localhost:8443');
      assert.equal(scope.status, 400);
      assert.equal(scope.body.error, 'invalid_scope');

      const noSecret = await form({ grant_type: 'client_credentials', client_id: sp.appId, scope: 'https://a.b/.default' });
      assert.equal(noSecret.status, 401);
      assert.equal(noSecret.body.error, 'invalid_client');
      assert.deepEqual(noSecret.body.error_codes, [7000216]);

      const assertion = await form({ grant_type: 'client_credentials', client_id: sp.appId, client_assertion: 'eyJ.x.y', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', scope: 'https://a.b/.default' });
      assert.equal(assertion.status, 400);
      assert.match(assertion.body.error_description, /not supported/);
    });

    it('locks a client_id out after repeated failures, even for the right secret', async () => {
      const sp = await createSp({ display_name: 'locked' });
      for (let i = 0; i < 5; i++) assert.equal((await tokenFor(sp.appId, 'wrong')).status, 401);
      const locked = await tokenFor(sp.appId, sp.password);
      assert.equal(locked.status, 401);
      assert.deepEqual(locked.body.error_codes, [50053]);
      s.clock.advance(16 * 60_000);
      assert.equal((await tokenFor(sp.appId, sp.password)).status, 200);
    });
  });

  describe('managed identities', () => {
    it('create generates principalId and clientId; create again keeps them; read, list, delete', async () => {
      const created = await s.request('POST', '/v1/auth/azure/identity/web-app', { body: { policies: ['reader'] } });
      assert.equal(created.status, 200, created.text);
      const { principalId, clientId } = created.body.data;
      assert.match(principalId, UUID);
      assert.match(clientId, UUID);
      const again = await s.request('POST', '/v1/auth/azure/identity/web-app', { body: {} });
      assert.equal(again.body.data.principalId, principalId);
      assert.deepEqual(again.body.data.policies, ['reader']);
      assert.equal((await s.request('GET', '/v1/auth/azure/identity/web-app')).body.data.clientId, clientId);
      assert.ok((await s.request('GET', '/v1/auth/azure/identity?list=true')).body.data.keys.includes('web-app'));
      assert.equal((await s.request('POST', '/v1/auth/azure/identity/login', { body: {} })).status, 400, 'login is a route, not a name');
      assert.equal((await s.request('DELETE', '/v1/auth/azure/identity/web-app')).status, 204);
      assert.equal((await s.request('GET', '/v1/auth/azure/identity/web-app')).status, 404);
    });

    it('a session secret logs in until it expires or is revoked; the token carries the identity', async () => {
      const mi = (await s.request('POST', '/v1/auth/azure/identity/worker', { body: { policies: 'reader' } })).body.data;
      const session = await s.request('POST', '/v1/auth/azure/identity/worker/session', { body: { ttl: '1h' } });
      assert.equal(session.status, 200);
      const secret = session.body.data.session_secret as string;
      assert.ok(secret.length >= 40);
      assert.equal(session.body.data.expires_on, Math.floor(s.clock.now() / 1000) + 3600);
      const login = (sec: string, resource = 'https://vault.localhost:8443') =>
        s.request('POST', '/v1/auth/azure/identity/login', { token: null, body: { name: 'worker', session_secret: sec, resource } });

      const ok = await login(secret);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.data.token_type, 'Bearer');
      assert.equal(ok.body.data.client_id, mi.clientId);
      assert.equal(ok.body.data.resource, 'https://vault.localhost:8443');
      assert.equal(ok.body.data.expires_on, Math.floor(s.clock.now() / 1000) + 3600);
      const claims = decodeJwt(ok.body.data.access_token);
      assert.equal(claims.oid, mi.principalId);
      assert.equal(claims.appid, mi.clientId);
      assert.equal(claims.aud, 'https://vault.localhost:8443');

      const wrong = await login('nope');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.data.error, 'invalid_client');

      s.clock.advance(3601_000);
      assert.equal((await login(secret)).status, 401, 'expired');

      const second = (await s.request('POST', '/v1/auth/azure/identity/worker/session', { body: {} })).body.data.session_secret;
      assert.equal((await login(second)).status, 200);
      assert.equal((await s.request('POST', '/v1/auth/azure/identity/worker/session/revoke', { body: { session_secret: second } })).status, 204);
      assert.equal((await login(second)).status, 401, 'revoked');
    });

    it('a session needs an existing identity', async () => {
      const res = await s.request('POST', '/v1/auth/azure/identity/nobody/session', { body: {} });
      assert.equal(res.status, 400);
      assert.match(res.body.errors[0], /does not exist/);
    });
  });

  describe('principal policies', () => {
    it('resolve by appId, objectId, principalId, clientId or name; replace, add and remove', async () => {
      const sp = await createSp({ display_name: 'pol' });
      const byObject = await s.request('POST', `/v1/auth/azure/principal/${sp.objectId}/policies`, { body: { policies: ['a', 'b'] } });
      assert.equal(byObject.status, 200, byObject.text);
      assert.deepEqual(byObject.body.data.policies, ['a', 'b']);
      const byApp = await s.request('POST', `/v1/auth/azure/principal/${sp.appId}/policies`, { body: { add: ['c'], remove: ['a'] } });
      assert.deepEqual(byApp.body.data.policies, ['b', 'c']);
      assert.equal(byApp.body.data.kind, 'service_principal');
      assert.deepEqual((await s.request('GET', `/v1/auth/azure/sp/${sp.appId}`)).body.data.policies, ['b', 'c']);

      const mi = (await s.request('POST', '/v1/auth/azure/identity/pol-mi', { body: {} })).body.data;
      for (const id of [mi.principalId, mi.clientId, 'pol-mi']) {
        const res = await s.request('POST', `/v1/auth/azure/principal/${id}/policies`, { body: { add: [`p-${id.slice(0, 4)}`] } });
        assert.equal(res.status, 200);
        assert.equal(res.body.data.kind, 'managed_identity');
      }
      assert.equal((await s.request('GET', `/v1/auth/azure/principal/${mi.principalId}/policies`)).body.data.policies.length, 3);

      assert.equal((await s.request('GET', '/v1/auth/azure/principal/00000000-0000-0000-0000-000000000001/policies')).status, 404);
      const missing = await s.request('POST', '/v1/auth/azure/principal/00000000-0000-0000-0000-000000000001/policies', { body: { policies: ['x'] } });
      assert.equal(missing.status, 400);
      const nothing = await s.request('POST', `/v1/auth/azure/principal/${sp.appId}/policies`, { body: {} });
      assert.equal(nothing.status, 400);
    });

    it('management routes are ACL-checked; login routes are not', async () => {
      await s.request('PUT', '/v1/sys/policy/nothing', { body: { policy: 'path "secret/*" { capabilities = ["read"] }' } });
      const weak = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['nothing'] } })).body.auth.client_token;
      assert.equal((await s.request('POST', '/v1/auth/azure/sp/create', { token: weak, body: {} })).status, 403);
      assert.equal((await s.request('GET', '/v1/auth/azure/keys', { token: null })).status, 200);
    });
  });
});
