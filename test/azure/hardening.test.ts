/**
 * Hardening of the Key Vault front (issue 7, parts 4, 5, 8, 10), through the real HTTPS front:
 *   - strangers (no valid credentials) get one and the same 401 challenge from every vault host,
 *     whether the vault exists or not; only an accepted caller learns that a vault is missing;
 *   - refused Key Vault requests (forged JWT, unknown `hvs.` token, no token) reach core's door and
 *     leave a request and a response entry in the audit log, never the raw token;
 *   - the token issuer comes from configuration, never from the Host header, and a token of
 *     another issuer is refused;
 *   - plain HTTP is refused (Key Vault's error shape, "use https") unless the listener sets
 *     `azure_allow_plaintext` for a TLS-terminating proxy.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, decodeJwt, generateKeyPair } from 'jose';
import { ManualClock } from '../../src/core/clock.js';
import { runServer } from '../../src/server/run.js';
import { httpRequest } from '../helpers/server.js';
import { startTlsServer, type Answer, type TlsServer } from './fixtures/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-kv-hardening-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A JWT of the right shape that this server never issued. */
async function forgedJwt(port: number): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256');
  return new SignJWT({ ctk: 'Q0JLMQAAAAAAAAAAAAAAAAAAAAAAAAAA', oid: '00000000-0000-0000-0000-000000000001', tid: 'adfs' })
    .setProtectedHeader({ alg: 'ES256' }).setIssuer(`https://vault.localhost:${port}/adfs`).setAudience(`https://vault.localhost:${port}`).setExpirationTime('1h').sign(privateKey);
}

/** A service principal's access token from the /adfs token endpoint, with any Host header. */
async function spToken(s: TlsServer, policies: string[], host = `vault.localhost:${s.port}`): Promise<string> {
  const sp = (await s.api('POST', 'auth/azure/sp/create', { display_name: 'hardening', policies })).body.data;
  const res = await s.raw('POST', '/adfs/oauth2/token', {
    host,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: sp.appId, client_secret: sp.password, scope: `https://vault.localhost:${s.port}/.default` }).toString(),
  });
  assert.equal(res.status, 200, res.text);
  return res.body.access_token;
}

describe('Key Vault front hardening', () => {
  let s: TlsServer;
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  const auditFile = join(dir, 'audit.log');
  const kv = (method: string, path: string, vault: string, token?: string): Promise<Answer> =>
    s.raw(method, path, { host: `${vault}.vault.localhost:${s.port}`, headers: token ? { authorization: `Bearer ${token}` } : undefined });

  before(async () => {
    s = await startTlsServer({ clock });
    assert.equal((await s.api('POST', 'sys/mounts/keyvault/myvault', { type: 'keyvault' })).status, 204);
    assert.equal((await s.api('PUT', 'keyvault/myvault/secrets/s1', { value: 'hardening-secret-5e1d' })).status, 200);
    assert.equal((await s.api('PUT', 'sys/audit/file', { type: 'file', options: { file_path: auditFile } })).status, 204);
  });
  after(async () => {
    await s?.close();
  });

  it('a stranger gets the same 401 challenge from an existing and an unknown vault (part 5)', async () => {
    const expired = await spToken(s, []);
    clock.advance(3601_000);
    for (const bearer of [await forgedJwt(s.port), 'hvs.bogusbogusbogusbogus', expired, undefined]) {
      const known = await kv('GET', '/secrets/s1?api-version=7.4', 'myvault', bearer);
      const unknown = await kv('GET', '/secrets/s1?api-version=7.4', 'nosuchvault', bearer);
      const label = bearer === undefined ? 'no bearer' : bearer.slice(0, 12);
      assert.equal(known.status, 401, `${label}: ${known.text}`);
      assert.equal(unknown.status, 401, `${label}: ${unknown.text}`);
      assert.deepEqual(unknown.body, known.body, `${label}: same body`);
      assert.equal(unknown.headers['www-authenticate'], known.headers['www-authenticate'], `${label}: same challenge`);
      assert.equal(known.body.error.code, 'Unauthorized');
    }
    // An accepted caller may learn that a vault does not exist.
    const root = await kv('GET', '/secrets/s1?api-version=7.4', 'nosuchvault', s.rootToken);
    assert.equal(root.status, 404, root.text);
    assert.equal(root.body.error.code, 'VaultNotFound');
  });

  // Needs core to audit the refusals it makes (issue 7 part 4, core side, another branch): on a
  // branch without that, the refused requests reach core but leave no entries.
  it('refused Key Vault requests are audited by core: forged JWT, unknown hvs. token, no token (part 4)', async () => {
    const forged = await forgedJwt(s.port);
    const bogus = 'hvs.auditbogusauditbogus';
    const probes: Array<[string, string | undefined]> = [['forged-probe', forged], ['bogus-probe', bogus], ['noauth-probe', undefined]];
    for (const [name, bearer] of probes) {
      const res = await kv('GET', `/secrets/${name}?api-version=7.4`, 'myvault', bearer);
      assert.equal(res.status, 401, res.text);
    }
    const text = readFileSync(auditFile, 'utf8');
    assert.equal(text.includes(forged), false, 'the forged JWT is never written raw');
    assert.equal(text.includes(bogus), false, 'the bogus token is never written raw');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    for (const [name] of probes) {
      const entries = lines.filter((l) => l.request?.path === `keyvault/myvault/secrets/${name}`);
      assert.equal(entries.filter((l) => l.type === 'request').length, 1, `${name}: one request entry`);
      const responses = entries.filter((l) => l.type === 'response');
      assert.equal(responses.length, 1, `${name}: one response entry`);
      assert.match(String(responses[0].error), /permission denied/);
      for (const l of entries) {
        const token = l.request.client_token ?? l.auth?.client_token ?? '';
        assert.match(token, /^(hmac-sha256:[0-9a-f]{64})?$/, `${name}: tokens are HMACed`);
      }
    }
  });

  it('the issuer comes from configuration: a forged Host changes neither the metadata nor the tokens (part 8)', async () => {
    const issuer = `https://vault.localhost:${s.port}/adfs`;
    const oidc = await s.raw('GET', '/adfs/.well-known/openid-configuration', { host: 'evil.example' });
    assert.equal(oidc.body.issuer, issuer);
    assert.equal(oidc.body.token_endpoint, `${issuer}/oauth2/token`);
    const jwt = await spToken(s, [], 'evil.example');
    assert.equal(decodeJwt(jwt).iss, issuer);
    // Through the Vault API a caller cannot choose the issuer either.
    const sp = (await s.api('POST', 'auth/azure/sp/create', { display_name: 'v1-login' })).body.data;
    const v1 = await s.api('POST', 'auth/azure/oauth2/token', { grant_type: 'client_credentials', client_id: sp.appId, client_secret: sp.password, scope: `https://vault.localhost:${s.port}/.default`, issuer: 'https://evil.example/adfs' }, null);
    assert.equal(v1.status, 200, v1.text);
    assert.equal(decodeJwt(v1.body.data.access_token).iss, issuer);
  });
});

describe('Key Vault front: a token of another issuer', () => {
  it('is refused with 401 once the configured issuer changed (a restart on another port)', async () => {
    const persist = join(dir, 'persist');
    let s = await startTlsServer({ devPersist: persist });
    let jwt: string;
    try {
      assert.equal((await s.api('POST', 'sys/mounts/keyvault/myvault', { type: 'keyvault' })).status, 204);
      assert.equal((await s.api('PUT', 'sys/policy/kv-all', { policy: 'path "keyvault/myvault/*" { capabilities = ["read", "list"] }' })).status, 204);
      jwt = await spToken(s, ['kv-all']);
      const ok = await s.raw('GET', '/secrets?api-version=7.4', { host: `myvault.vault.localhost:${s.port}`, headers: { authorization: `Bearer ${jwt}` } });
      assert.equal(ok.status, 200, ok.text);
    } finally {
      await s.close();
    }
    s = await startTlsServer({ devPersist: persist });
    try {
      const res = await s.raw('GET', '/secrets?api-version=7.4', { host: `myvault.vault.localhost:${s.port}`, headers: { authorization: `Bearer ${jwt}` } });
      assert.equal(res.status, 401, res.text);
      assert.equal(res.body.error.code, 'Unauthorized');
      assert.match(res.body.error.message, /^AKV10032: Invalid issuer/);
      assert.ok(res.body.error.message.includes(`https://vault.localhost:${s.port}/adfs`), 'names the configured issuer');
      assert.ok(res.headers['www-authenticate']);
    } finally {
      await s.close();
    }
  });
});

describe('Key Vault front over plain HTTP (part 10)', () => {
  it('is refused on a tls_disable listener with a Key Vault error that says to use https, even with a valid bearer', async () => {
    const server = await runServer({ dev: true, devListenAddress: '127.0.0.1:0', quiet: true, logLevel: 'silent' });
    try {
      const port = new URL(server.url).port;
      assert.equal((await httpRequest(server.url, 'POST', '/v1/sys/mounts/keyvault/myvault', { token: server.rootToken, body: { type: 'keyvault' } })).status, 204);
      assert.equal((await httpRequest(server.url, 'PUT', '/v1/keyvault/myvault/secrets/s1', { token: server.rootToken, body: { value: 'plain-secret-93ab' } })).status, 200);
      for (const headers of [{}, { authorization: `Bearer ${server.rootToken}` }] as Record<string, string>[]) {
        const res = await httpRequest(server.url, 'GET', '/secrets/s1?api-version=7.4', { headers: { host: `myvault.vault.localhost:${port}`, ...headers } });
        assert.equal(res.status, 403, res.text);
        assert.equal(res.body.error.code, 'Forbidden');
        assert.deepEqual(res.body.error.innererror, { code: 'HttpsRequired' });
        assert.ok(res.body.error.message.includes(`use https://myvault.vault.localhost:${port}/secrets/s1`), res.body.error.message);
        assert.equal(res.text.includes('plain-secret-93ab'), false);
        assert.equal(res.headers['www-authenticate'], undefined, 'no challenge: the client must not send a token in the clear');
      }
      // The Vault API itself is untouched.
      assert.equal((await httpRequest(server.url, 'GET', '/v1/sys/health')).status, 200);
    } finally {
      await server.close();
    }
  });

  it('is served behind a TLS-terminating proxy with listener azure_allow_plaintext = true (https URLs, api_addr issuer)', async () => {
    const cfg = join(dir, 'proxy.hcl');
    writeFileSync(cfg, `
storage "inmem" {}
listener "tcp" {
  address               = "127.0.0.1:0"
  tls_disable           = true
  azure_allow_plaintext = true
}
api_addr = "https://coffer.example.internal:443/"
`);
    const server = await runServer({ config: cfg, quiet: true, logLevel: 'silent' });
    try {
      const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      assert.equal(init.status, 200, init.text);
      assert.equal((await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys[0] } })).status, 200);
      const root = init.body.root_token as string;
      assert.equal((await httpRequest(server.url, 'POST', '/v1/sys/mounts/keyvault/myvault', { token: root, body: { type: 'keyvault' } })).status, 204);
      const host = 'myvault.vault.localhost';
      const put = await httpRequest(server.url, 'PUT', '/secrets/s1?api-version=7.4', { rawBody: '{"value":"proxied"}', headers: { host, 'content-type': 'application/json', authorization: `Bearer ${root}` } });
      assert.equal(put.status, 200, put.text);
      assert.match(put.body.id, /^https:\/\/myvault\.vault\.localhost\/secrets\/s1\/[0-9a-f]{32}$/, 'URLs as the client behind the proxy sees them');
      const challenge = await httpRequest(server.url, 'GET', '/secrets', { headers: { host } });
      assert.equal(challenge.headers['www-authenticate'], 'Bearer authorization="https://coffer.example.internal/adfs", resource="https://vault.localhost"');
      const oidc = await httpRequest(server.url, 'GET', '/adfs/.well-known/openid-configuration', { headers: { host: 'evil.example' } });
      assert.equal(oidc.body.issuer, 'https://coffer.example.internal/adfs');
    } finally {
      await server.close();
    }
  });
});
