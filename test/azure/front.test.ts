/**
 * The Key Vault wire front with raw HTTPS (Host headers chosen per request, a controllable
 * clock): host routing, the challenge before the body, bearer checks (expiry,
 * audience, forgery, revocation, `hvs.` tokens), any api-version, the exact shapes of bundles,
 * pages and errors (403 naming the permission and the principal, VaultNotFound, BadParameter),
 * the identity endpoints on any host, and that the Vault API is untouched.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { ManualClock } from '../../src/core/clock.js';
import { startTlsServer, type Answer, type TlsServer } from './fixtures/harness.js';

describe('Key Vault front', () => {
  let s: TlsServer;
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  let host: string;
  /** Any HTTPS request (Host header of your choice). */
  const raw = (method: string, path: string, opts: { rawBody?: string; headers?: Record<string, string> } = {}) =>
    s.raw(method, path, { headers: opts.headers, body: opts.rawBody });
  /** A Vault API call with the root token. */
  const api = (method: string, path: string, opts: { body?: unknown } = {}) => s.api(method, path.replace(/^\/v1\//, ''), opts.body);
  let officer: { appId: string; objectId: string; password: string };
  let officerJwt: string;

  const kv = (method: string, path: string, opts: { token?: string; host?: string; body?: string; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { host: opts.host ?? host, ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    return raw(method, path, { rawBody: opts.body, headers });
  };
  const tokenFor = async (appId: string, password: string, scope = `https://vault.localhost:${s.port}/.default`): Promise<string> => {
    const res = await raw('POST', '/adfs/oauth2/token', {
      rawBody: new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: password, scope }).toString(),
      headers: { host: `localhost:${s.port}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 200, res.text);
    return res.body.access_token;
  };
  const policyFor = async (name: string, vault: string, permissions: string) => {
    const tpl = await api('GET', `/v1/keyvault/${vault}/access-policy-template?permissions=${permissions}`);
    assert.equal(tpl.status, 200, tpl.text);
    assert.equal((await api('PUT', `/v1/sys/policy/${name}`, { body: { policy: tpl.body.data.policy } })).status, 204);
  };
  const expectAzureError = (res: Answer, status: number, code: string) => {
    assert.equal(res.status, status, res.text);
    assert.equal(res.body?.error?.code, code, res.text);
    assert.equal(typeof res.body.error.message, 'string');
  };

  before(async () => {
    s = await startTlsServer({ clock });
    host = `myvault.vault.localhost:${s.port}`;
    for (const v of ['myvault', 'other']) {
      assert.equal((await api('POST', `/v1/sys/mounts/keyvault/${v}`, { body: { type: 'keyvault' } })).status, 204);
    }
    await policyFor('myvault-all', 'myvault', 'all');
    await policyFor('myvault-get', 'myvault', 'get');
    officer = (await api('POST', '/v1/auth/azure/sp/create', { body: { display_name: 'officer', policies: ['myvault-all'] } })).body.data;
    officerJwt = await tokenFor(officer.appId, officer.password);
  });
  after(async () => {
    await s.close();
  });

  describe('challenge and bearer tokens', () => {
    it('answers the empty-bodied first request with 401 and the challenge', async () => {
      const res = await kv('PUT', '/secrets/s1?api%2Dversion=2025-07-01', { body: '' });
      expectAzureError(res, 401, 'Unauthorized');
      assert.equal(res.body.error.message, 'AKV10000: Request is missing a Bearer or PoP token.');
      assert.equal(res.headers['www-authenticate'], `Bearer authorization="https://vault.localhost:${s.port}/adfs", resource="https://vault.localhost:${s.port}"`);
    });

    it('challenges before looking at the body (even invalid JSON) and on any path of a vault host', async () => {
      expectAzureError(await kv('PUT', '/secrets/s1?api-version=7.4', { body: '{not json' }), 401, 'Unauthorized');
      expectAzureError(await kv('GET', '/keys?api-version=7.4'), 401, 'Unauthorized');
      expectAzureError(await kv('GET', '/secrets', { host: `nosuchvault.vault.localhost:${s.port}` }), 401, 'Unauthorized');
    });

    it('the resource in the challenge leaves out the default port', async () => {
      const res = await kv('GET', '/secrets', { host: 'myvault.vault.localhost' });
      assert.equal(res.headers['www-authenticate'], `Bearer authorization="https://vault.localhost:${s.port}/adfs", resource="https://vault.localhost"`);
    });

    it('a JWT from the token endpoint works; the port and case of the Host do not matter', async () => {
      const put = await kv('PUT', '/secrets/s1?api-version=7.4', { token: officerJwt, body: JSON.stringify({ value: 'v1', attributes: {} }) });
      assert.equal(put.status, 200, put.text);
      const get = await kv('GET', '/secrets/s1/?api-version=7.4', { token: officerJwt, host: 'MyVault.Vault.LocalHost:1234' });
      assert.equal(get.status, 200, get.text);
      assert.equal(get.body.value, 'v1');
      assert.match(get.body.id, /^https:\/\/MyVault\.Vault\.LocalHost:1234\/secrets\/s1\/[0-9a-f]{32}$/, 'ids use the request host');
    });

    it('an expired JWT is refused with 401 and the challenge', async () => {
      const jwt = await tokenFor(officer.appId, officer.password);
      clock.advance(3601_000);
      const res = await kv('GET', '/secrets/s1', { token: jwt });
      expectAzureError(res, 401, 'Unauthorized');
      assert.match(res.body.error.message, /expired/);
      assert.ok(res.headers['www-authenticate']);
      officerJwt = await tokenFor(officer.appId, officer.password);
    });

    it('a JWT for another audience is refused', async () => {
      const jwt = await tokenFor(officer.appId, officer.password, 'https://elsewhere.example/.default');
      const res = await kv('GET', '/secrets/s1', { token: jwt });
      expectAzureError(res, 401, 'Unauthorized');
      assert.match(res.body.error.message, /^AKV10022: Invalid audience/);
    });

    it('a forged or altered JWT is refused (the ctk envelope, not the claims, is trusted)', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const forged = await new SignJWT({ ctk: 'Q0JLMQAAAAAAAAAAAAAAAAAAAAAAAAAA', oid: officer.objectId, appid: officer.appId })
        .setProtectedHeader({ alg: 'ES256' }).setAudience(`https://vault.localhost:${s.port}`).setExpirationTime('1h').sign(privateKey);
      const res = await kv('GET', '/secrets/s1', { token: forged });
      expectAzureError(res, 401, 'Unauthorized');
      assert.match(res.body.error.message, /^AKV10032/);

      const [h, p, sig] = officerJwt.split('.');
      const payload = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
      payload.ctk = payload.ctk.slice(0, -4) + (payload.ctk.endsWith('AAAA') ? 'BBBB' : 'AAAA');
      const altered = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${sig}`;
      expectAzureError(await kv('GET', '/secrets/s1', { token: altered }), 401, 'Unauthorized');
    });

    it('revoking the Coffer token behind a JWT makes the JWT useless at once', async () => {
      const jwt = await tokenFor(officer.appId, officer.password);
      const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8'));
      const inner = JSON.parse((await s.core.envelope.open('azure-access-token', Buffer.from(payload.ctk, 'base64url'))).toString('utf8'));
      assert.equal((await kv('GET', '/secrets/s1', { token: jwt })).status, 200);
      assert.equal((await api('POST', '/v1/auth/token/revoke', { body: { token: inner.t } })).status, 204);
      const res = await kv('GET', '/secrets/s1', { token: jwt });
      expectAzureError(res, 401, 'Unauthorized');
      assert.ok(res.headers['www-authenticate']);
    });

    it('a Coffer token (hvs. or the root token) is accepted as a bearer; an unknown one is a 401', async () => {
      const get = await kv('GET', '/secrets/s1', { token: s.rootToken });
      assert.equal(get.status, 200, get.text);
      const created = await api('POST', '/v1/auth/token/create', { body: { policies: ['myvault-get'] } });
      const hvs = created.body.auth.client_token as string;
      assert.match(hvs, /^hvs\./);
      assert.equal((await kv('GET', '/secrets/s1', { token: hvs })).status, 200);
      expectAzureError(await kv('GET', '/secrets/s1', { token: 'hvs.unknownunknownunknown' }), 401, 'Unauthorized');
    });
  });

  describe('authorization', () => {
    it('403 names the missing permission and the principal like Key Vault', async () => {
      const reader = (await api('POST', '/v1/auth/azure/sp/create', { body: { display_name: 'reader', policies: ['myvault-get'] } })).body.data;
      const jwt = await tokenFor(reader.appId, reader.password);
      assert.equal((await kv('GET', '/secrets/s1', { token: jwt })).status, 200);
      const cases: Array<[string, string, string | undefined, string]> = [
        ['PUT', '/secrets/s2?api-version=7.4', '{"value":"x"}', 'set'],
        ['GET', '/secrets?api-version=7.4', undefined, 'list'],
        ['DELETE', '/secrets/s1?api-version=7.4', undefined, 'delete'],
        ['POST', '/secrets/s1/backup?api-version=7.4', undefined, 'backup'],
        ['DELETE', '/deletedsecrets/s1?api-version=7.4', undefined, 'purge'],
      ];
      for (const [method, path, body, permission] of cases) {
        const res = await kv(method, path, { token: jwt, body });
        expectAzureError(res, 403, 'Forbidden');
        assert.equal(
          res.body.error.message,
          `The user, group or application 'appid=${reader.appId};oid=${reader.objectId};iss=https://vault.localhost:${s.port}/adfs' does not have secrets ${permission} permission on key vault 'myvault;location=coffer'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`,
        );
        assert.deepEqual(res.body.error.innererror, { code: 'AccessDenied' });
      }
    });

    it('vaults are isolated by policy: a principal of one vault is refused on another', async () => {
      const res = await kv('GET', '/secrets/s1', { token: officerJwt, host: `other.vault.localhost:${s.port}` });
      expectAzureError(res, 403, 'Forbidden');
      assert.match(res.body.error.message, /does not have secrets get permission on key vault 'other;location=coffer'/);
    });

    it('a plain Coffer token is named by display name and accessor', async () => {
      const created = await api('POST', '/v1/auth/token/create', { body: { policies: ['myvault-get'] } });
      const res = await kv('GET', '/secrets', { token: created.body.auth.client_token });
      expectAzureError(res, 403, 'Forbidden');
      assert.match(res.body.error.message, new RegExp(`'name=token;accessor=${created.body.auth.accessor}'`));
    });
  });

  describe('routing and shapes', () => {
    it('an unknown vault is 404 VaultNotFound, also when the mount is not a keyvault engine', async () => {
      expectAzureError(await kv('GET', '/secrets', { token: officerJwt, host: `nosuch.vault.localhost:${s.port}` }), 404, 'VaultNotFound');
      assert.equal((await api('POST', '/v1/sys/mounts/keyvault/kvthing', { body: { type: 'kv' } })).status, 204);
      expectAzureError(await kv('GET', '/secrets', { token: s.rootToken, host: `kvthing.vault.localhost:${s.port}` }), 404, 'VaultNotFound');
    });

    it('any api-version is accepted, URL-encoded key or not, or none at all', async () => {
      for (const q of ['?api%2Dversion=2099-12-31-preview', '?api-version=7.0', '', '?api-version=banana']) {
        const res = await kv('GET', `/secrets/s1${q}`, { token: officerJwt });
        assert.equal(res.status, 200, `${q}: ${res.text}`);
      }
    });

    it('lists page with an absolute nextLink that keeps api-version and maxresults', async () => {
      for (const n of ['p-a', 'p-b', 'p-c']) {
        assert.equal((await kv('PUT', `/secrets/${n}?api-version=7.4`, { token: officerJwt, body: JSON.stringify({ value: n }) })).status, 200);
      }
      const first = await kv('GET', '/secrets?api%2Dversion=2025-07-01&maxresults=2', { token: officerJwt });
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.value.length, 2);
      assert.match(first.body.nextLink, new RegExp(`^https://myvault\\.vault\\.localhost:${s.port}/secrets\\?api-version=2025-07-01&\\$skiptoken=[A-Za-z0-9_-]+&maxresults=2$`));
      for (const item of first.body.value) {
        assert.match(item.id, new RegExp(`^https://${host.replace(/\./g, '\\.')}/secrets/[\\w-]+$`), 'list ids are unversioned');
        assert.equal(item.value, undefined);
        assert.equal(typeof item.attributes.created, 'number');
      }
      const next = new URL(first.body.nextLink);
      const second = await kv('GET', `${next.pathname}${next.search}`, { token: officerJwt });
      assert.equal(second.status, 200);
      assert.ok(second.body.value.length >= 1);
      const names = [...first.body.value, ...second.body.value].map((i: { id: string }) => i.id.split('/').pop());
      assert.equal(new Set(names).size, names.length, 'no item twice');

      const versions = await kv('GET', '/secrets/s1/versions?api-version=7.4', { token: officerJwt });
      assert.equal(versions.status, 200);
      assert.match(versions.body.value[0].id, /\/secrets\/s1\/[0-9a-f]{32}$/, 'version ids are versioned');
      assert.equal(versions.body.nextLink, null);
    });

    it('delete answers a DeletedSecretBundle with recoveryId; purge answers 204 with no body', async () => {
      assert.equal((await kv('PUT', '/secrets/gone?api-version=7.4', { token: officerJwt, body: '{"value":"x"}' })).status, 200);
      const del = await kv('DELETE', '/secrets/gone?api-version=7.4', { token: officerJwt });
      assert.equal(del.status, 200, del.text);
      assert.equal(del.body.recoveryId, `https://${host}/deletedsecrets/gone`);
      assert.equal(typeof del.body.deletedDate, 'number');
      assert.equal(typeof del.body.scheduledPurgeDate, 'number');
      const deleted = await kv('GET', '/deletedsecrets?api-version=7.4', { token: officerJwt });
      assert.equal(deleted.body.value[0].recoveryId, `https://${host}/deletedsecrets/gone`);
      const purge = await kv('DELETE', '/deletedsecrets/gone?api-version=7.4', { token: officerJwt });
      assert.equal(purge.status, 204);
      assert.equal(purge.text, '');
      expectAzureError(await kv('GET', '/deletedsecrets/gone?api-version=7.4', { token: officerJwt }), 404, 'SecretNotFound');
    });

    it('bad input is a Key Vault error: bad JSON, a non-object, a bad name, an unknown path or method', async () => {
      expectAzureError(await kv('PUT', '/secrets/x?api-version=7.4', { token: officerJwt, body: '{"value":' }), 400, 'BadParameter');
      expectAzureError(await kv('PUT', '/secrets/x?api-version=7.4', { token: officerJwt, body: '["a"]' }), 400, 'BadParameter');
      expectAzureError(await kv('PUT', '/secrets/x?api-version=7.4', { token: officerJwt, body: '' }), 400, 'BadParameter');
      expectAzureError(await kv('PUT', '/secrets/bad_name?api-version=7.4', { token: officerJwt, body: '{"value":"x"}' }), 400, 'BadParameter');
      expectAzureError(await kv('GET', '/certificates/c1?api-version=7.4', { token: officerJwt }), 404, 'NotFound');
      expectAzureError(await kv('DELETE', '/secrets?api-version=7.4', { token: officerJwt }), 405, 'MethodNotAllowed');
      expectAzureError(await kv('GET', '/secrets/nothere?api-version=7.4', { token: officerJwt }), 404, 'SecretNotFound');
    });

    it('echoes x-ms-client-request-id and sends x-ms-request-id', async () => {
      const res = await kv('GET', '/secrets/s1', { token: officerJwt, headers: { 'x-ms-client-request-id': '0f8fad5b-d9cb-469f-a165-70867728950e' } });
      assert.equal(res.headers['x-ms-client-request-id'], '0f8fad5b-d9cb-469f-a165-70867728950e');
      assert.match(res.headers['x-ms-request-id']!, /^[0-9a-f-]{36}$/);
    });

    it('the Vault API is served on a vault host too, and /secrets on other hosts is not Azure', async () => {
      const health = await raw('GET', '/v1/sys/health', { headers: { host } });
      assert.equal(health.status, 200);
      assert.equal(health.body.initialized, true);
      const plain = await raw('GET', '/secrets/s1', { headers: { host: `localhost:${s.port}` } });
      assert.equal(plain.status, 404);
      assert.ok(Array.isArray(plain.body.errors), 'Vault-style 404');
      const deeper = await raw('GET', '/secrets/s1', { headers: { host: `a.b.vault.localhost:${s.port}` } });
      assert.ok(Array.isArray(deeper.body.errors), 'only one label in front of the base domain');
    });
  });

  describe('identity endpoints', () => {
    it('serve the OpenID configuration of the configured issuer on any host; a forged Host changes nothing', async () => {
      const issuer = `https://vault.localhost:${s.port}/adfs`;
      for (const h of [`localhost:${s.port}`, `myvault.vault.localhost:${s.port}`, '127.0.0.1:9', 'evil.example']) {
        const res = await raw('GET', '/adfs/.well-known/openid-configuration', { headers: { host: h } });
        assert.equal(res.status, 200);
        assert.equal(res.body.issuer, issuer, `Host ${h}`);
        assert.equal(res.body.token_endpoint, `${issuer}/oauth2/token`);
        assert.equal(res.body.authorization_endpoint, `${issuer}/oauth2/authorize`);
        assert.equal(res.body.jwks_uri, `${issuer}/discovery/keys`);
      }
      const jwks = await raw('GET', '/adfs/discovery/keys', { headers: { host } });
      assert.equal(jwks.body.keys[0].kty, 'EC');
      assert.equal(jwks.body.keys[0].d, undefined, 'no private key material');
    });

    it('a body that is not a form is an OAuth invalid_request', async () => {
      const res = await raw('POST', '/adfs/oauth2/token', { rawBody: '{"oops"', headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
    });

    it('without an azure-ad mount the token endpoint says how to enable one', async () => {
      assert.equal((await api('DELETE', '/v1/sys/auth/azure')).status, 204);
      const res = await raw('POST', '/adfs/oauth2/token', {
        rawBody: 'grant_type=client_credentials&client_id=x&client_secret=y&scope=https%3A%2F%2Fa.b%2F.default',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
      assert.match(res.body.error_description, /^AADSTS90002: .*coffer auth enable -path=azure azure-ad/);
      assert.equal((await api('POST', '/v1/sys/auth/azure', { body: { type: 'azure-ad' } })).status, 204);
    });

    it('while sealed, the front answers 503 ServiceUnavailable', async () => {
      assert.equal((await api('POST', '/v1/sys/seal')).status, 204);
      expectAzureError(await kv('GET', '/secrets/s1', { token: officerJwt }), 503, 'ServiceUnavailable');
      expectAzureError(await kv('GET', '/secrets/s1'), 503, 'ServiceUnavailable');
    });
  });
});
