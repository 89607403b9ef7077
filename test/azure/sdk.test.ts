/**
 * Unmodified Azure SDK clients against Coffer: the REAL `@azure/keyvault-secrets` 4.11 and
 * `@azure/identity` 4.13 (DefaultAzureCredential), each run in a child process with
 * NODE_EXTRA_CA_CERTS (a throwaway CA made with openssl), tenant `adfs`, AZURE_AUTHORITY_HOST at
 * the server and a `*.localhost` DNS shim — no client code change, no
 * `disableChallengeResourceVerification`. Covers a service principal doing every secrets
 * operation, a refused principal (403 naming permission and principal), a Coffer `hvs.` token as
 * the bearer, a managed identity through the local MSI endpoint of `coffer run`, and two vaults on
 * one server. A few raw HTTPS checks pin the challenge and api-version handling on TLS.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startMsiEndpoint } from '../../src/cli/msi-endpoint.js';
import { runSdk, spEnv, startTlsServer, type SdkResult, type TlsServer } from './fixtures/harness.js';

describe('Azure SDK clients against Coffer (real SDKs, TLS)', () => {
  let s: TlsServer;
  const sdk = (request: Record<string, unknown>, env: Record<string, string> = {}) => runSdk(request, env, { caFile: s.caFile });
  const ok = (r: SdkResult) => {
    assert.ok(r.ok, `SDK run failed: ${JSON.stringify(r.error)}\n${r.stderr.slice(0, 2000)}`);
    return r.result;
  };
  const createSp = async (displayName: string, policies: string[]) => {
    const res = await s.api('POST', 'auth/azure/sp/create', { display_name: displayName, policies });
    assert.equal(res.status, 200, res.text);
    return res.body.data as { appId: string; objectId: string; password: string };
  };
  const policy = async (name: string, vault: string, query: string) => {
    const tpl = await s.api('GET', `keyvault/${vault}/access-policy-template?${query}`);
    assert.equal(tpl.status, 200, tpl.text);
    assert.equal((await s.api('PUT', `sys/policy/${name}`, { policy: tpl.body.data.policy })).status, 204);
  };

  before(async () => {
    s = await startTlsServer();
    for (const v of ['myvault', 'team-x']) {
      assert.equal((await s.api('POST', `sys/mounts/keyvault/${v}`, { type: 'keyvault' })).status, 204);
    }
    await policy('myvault-officer', 'myvault', 'role=Key%20Vault%20Secrets%20Officer');
    await policy('myvault-user', 'myvault', 'role=Key%20Vault%20Secrets%20User');
    await policy('teamx-officer', 'team-x', 'role=Key%20Vault%20Secrets%20Officer');
    assert.equal((await s.api('PUT', 'keyvault/myvault/secrets/existing', { value: 'hello' })).status, 200);
  });
  after(async () => {
    await s?.close();
  });

  it('DefaultAzureCredential with a service principal: set, get, list, update, delete+poll, recover, purge, backup, restore', async () => {
    const sp = await createSp('full-app', ['myvault-officer']);
    const r = ok(await sdk({ credential: 'dac', scenario: 'full', vault: s.vaultUrl('myvault') }, spEnv(s, sp.appId, sp.password)));
    const vaultUrl = s.vaultUrl('myvault');
    assert.equal(r.set.vaultUrl, vaultUrl);
    assert.equal(r.set.id, `${vaultUrl}/secrets/s1/${r.set.version}`);
    assert.match(r.set.version, /^[0-9a-f]{32}$/);
    assert.equal(r.set.value, 'value-1');
    assert.equal(r.set.contentType, 'text/plain');
    assert.deepEqual(r.set.tags, { env: 'dev' });
    assert.ok(Math.abs(Date.parse(r.set.createdOn) - Date.now()) < 120_000, 'dates are unix seconds');
    assert.equal(r.latest, 'value-2');
    assert.equal(r.byVersion, 'value-1');
    assert.deepEqual(r.updated, { enabled: false, tags: { env: 'old' }, version: r.set.version });
    assert.equal(r.disabledGet.error.statusCode, 403);
    assert.equal(r.disabledGet.error.code, 'Forbidden');
    assert.deepEqual(r.names, ['bulk-0', 'bulk-1', 'bulk-2', 'bulk-3', 'bulk-4', 'existing', 's1']);
    assert.deepEqual(r.paging, { pages: 4, items: 7 }, 'maxPageSize 2 → 4 pages via nextLink');
    assert.equal(r.versions.length, 2);
    assert.ok(r.backupBytes > 0);
    assert.equal(r.deleted.name, 's1');
    assert.equal(r.deleted.recoveryId, `${vaultUrl}/deletedsecrets/s1`);
    assert.ok(r.deleted.deletedOn && r.deleted.scheduledPurgeDate);
    assert.equal(r.getAfterDelete.error.statusCode, 404);
    assert.equal(r.getAfterDelete.error.code, 'SecretNotFound');
    assert.deepEqual(r.deletedNames, ['s1']);
    assert.equal(r.getDeleted, 's1');
    assert.equal(r.recovered, 's1');
    assert.equal(r.afterRecover, 'value-2');
    assert.equal(r.deletedAfterPurge.error.statusCode, 404);
    assert.deepEqual(r.restored, { name: 's1', version: r.current });
    assert.equal(r.afterRestore, 'value-2');
    assert.equal(r.versionsAfterRestore, 2);
  });

  it('a principal without the permission gets 403 Forbidden naming the permission and the principal; attaching a policy fixes it', async () => {
    const sp = await createSp('reader-app', ['myvault-user']);
    const env = spEnv(s, sp.appId, sp.password);
    const [got, set, otherVault] = ok(await sdk({
      credential: 'dac',
      scenario: 'ops',
      ops: [
        { op: 'get', vault: s.vaultUrl('myvault'), name: 'existing' },
        { op: 'set', vault: s.vaultUrl('myvault'), name: 'new-one', value: 'x' },
        { op: 'get', vault: s.vaultUrl('team-x'), name: 'existing' },
      ],
    }, env));
    assert.deepEqual(got, { ok: 'hello' });
    const principal = `appid=${sp.appId};oid=${sp.objectId};iss=${s.authority}/adfs`;
    assert.equal(set.error.statusCode, 403);
    assert.equal(set.error.code, 'Forbidden');
    assert.equal(set.error.message, `The user, group or application '${principal}' does not have secrets set permission on key vault 'myvault;location=coffer'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`);
    assert.equal(otherVault.error.statusCode, 403);
    assert.match(otherVault.error.message, /does not have secrets get permission on key vault 'team-x;location=coffer'/);

    const attach = await s.api('POST', `auth/azure/principal/${sp.objectId}/policies`, { add: ['myvault-officer'] });
    assert.equal(attach.status, 200, attach.text);
    const [again] = ok(await sdk({ credential: 'dac', scenario: 'ops', ops: [{ op: 'set', vault: s.vaultUrl('myvault'), name: 'new-one', value: 'x' }] }, env));
    assert.deepEqual(again, { ok: 'x' });
  });

  it('a wrong client secret stops DefaultAzureCredential with the OAuth error', async () => {
    const sp = await createSp('typo-app', ['myvault-user']);
    const [res] = ok(await sdk({ credential: 'dac', scenario: 'ops', ops: [{ op: 'get', vault: s.vaultUrl('myvault'), name: 'existing' }] }, spEnv(s, sp.appId, 'wrong-secret')));
    assert.match(res.error.message, /AADSTS7000215/);
  });

  it('a Coffer hvs. token works as the bearer (static TokenCredential)', async () => {
    const created = await s.api('POST', 'auth/token/create', { policies: ['myvault-officer'] });
    const token = created.body.auth.client_token as string;
    assert.match(token, /^hvs\./);
    const [set, get] = ok(await sdk({
      credential: 'static',
      token,
      scenario: 'ops',
      ops: [
        { op: 'set', vault: s.vaultUrl('myvault'), name: 'from-hvs', value: 'hvs-value' },
        { op: 'get', vault: s.vaultUrl('myvault'), name: 'from-hvs' },
      ],
    }));
    assert.deepEqual(set, { ok: 'hvs-value' });
    assert.deepEqual(get, { ok: 'hvs-value' });
  });

  it('a managed identity through the local MSI endpoint (IDENTITY_ENDPOINT + IDENTITY_HEADER)', async () => {
    const mi = await s.api('POST', 'auth/azure/identity/web-app', { policies: ['myvault-user'] });
    assert.equal(mi.status, 200, mi.text);
    const session = await s.api('POST', 'auth/azure/identity/web-app/session', { ttl: '10m' });
    let logins = 0;
    const endpoint = await startMsiEndpoint({
      identityName: 'web-app',
      sessionSecret: session.body.data.session_secret,
      request: async (method, path, options) => {
        logins++;
        const res = await s.api(method, path, options.body, options.token);
        return { status: res.status, body: res.body };
      },
    });
    try {
      const [got, set] = ok(await sdk({
        credential: 'dac',
        scenario: 'ops',
        ops: [
          { op: 'get', vault: s.vaultUrl('myvault'), name: 'existing' },
          { op: 'set', vault: s.vaultUrl('myvault'), name: 'mi-write', value: 'x' },
        ],
      }, { IDENTITY_ENDPOINT: endpoint.endpoint, IDENTITY_HEADER: endpoint.header, AZURE_TOKEN_CREDENTIALS: 'prod' }));
      assert.deepEqual(got, { ok: 'hello' });
      assert.ok(logins >= 1, 'the token came from identity/login');
      assert.equal(set.error.statusCode, 403);
      assert.match(set.error.message, new RegExp(`'appid=${mi.body.data.clientId};oid=${mi.body.data.principalId};iss=${s.authority}/adfs'`));
      assert.match(set.error.message, /does not have secrets set permission on key vault 'myvault;location=coffer'/);
    } finally {
      await endpoint.close();
    }
  });

  it('two vaults on one server keep their secrets apart', async () => {
    const sp = await createSp('both-app', ['myvault-officer', 'teamx-officer']);
    const a = s.vaultUrl('myvault');
    const b = s.vaultUrl('team-x');
    const [setA, setB, getA, getB, listB] = ok(await sdk({
      credential: 'dac',
      scenario: 'ops',
      ops: [
        { op: 'set', vault: a, name: 'shared-name', value: 'in-a' },
        { op: 'set', vault: b, name: 'shared-name', value: 'in-b' },
        { op: 'get', vault: a, name: 'shared-name' },
        { op: 'get', vault: b, name: 'shared-name' },
        { op: 'list', vault: b },
      ],
    }, spEnv(s, sp.appId, sp.password)));
    assert.deepEqual([setA, setB, getA, getB], [{ ok: 'in-a' }, { ok: 'in-b' }, { ok: 'in-a' }, { ok: 'in-b' }]);
    assert.deepEqual(listB, { ok: ['shared-name'] });
  });

  it('over TLS: the challenge names the https base-domain resource; any api-version is accepted', async () => {
    const host = `myvault.vault.localhost:${s.port}`;
    const challenge = await s.raw('PUT', '/secrets/s9?api%2Dversion=2025-07-01', { host, headers: { 'content-type': 'application/json' }, body: '' });
    assert.equal(challenge.status, 401);
    assert.equal(challenge.headers['www-authenticate'], `Bearer authorization="https://vault.localhost:${s.port}/adfs", resource="https://vault.localhost:${s.port}"`);
    assert.equal(challenge.body.error.code, 'Unauthorized');
    for (const q of ['api%2Dversion=2026-04-01', 'api-version=1999-01-01-alpha']) {
      const res = await s.raw('GET', `/secrets/existing?${q}`, { host, headers: { authorization: `Bearer ${s.rootToken}` } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.value, 'hello');
      assert.match(res.body.id, new RegExp(`^https://${host.replace(/\./g, '\\.')}/secrets/existing/[0-9a-f]{32}$`));
    }
    const oidc = await s.raw('GET', '/adfs/.well-known/openid-configuration');
    assert.equal(oidc.body.issuer, `${s.authority}/adfs`);
  });
});
