/**
 * The az-style commands in-process against a real dev server (the keyvault engine and the
 * identity provider): the wire calls the fake-server tests check are the ones the server serves.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { inProcessCli } from '../helpers/cli-inprocess.js';

let server: TestServer;
let home: string;

before(async () => {
  server = await createTestServer();
  home = mkdtempSync(join(tmpdir(), 'coffer-az-e2e-'));
});
after(async () => {
  await server?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

const { coffer, ok } = inProcessCli(() => server, () => home);

test('vault lifecycle: create, secrets, versions, soft delete, backup/restore', async () => {
  await ok(['keyvault', 'create', '--name', 'E2eVault', '--retention-days', '7']);
  const set = await ok(['keyvault', 'secret', 'set', '--vault-name', 'e2evault', '-n', 'api-key', '--value', 'v-one', '--tags', 'team=a']);
  assert.equal(set.value, 'v-one');
  assert.equal(set.attributes.recoverableDays, 7);
  await ok(['keyvault', 'secret', 'set', '--vault-name', 'e2evault', '-n', 'api-key', '--value', 'v-two']);
  const shown = await ok(['keyvault', 'secret', 'show', '--vault-name', 'e2evault', '-n', 'api-key']);
  assert.equal(shown.value, 'v-two');
  const versions = await ok(['keyvault', 'secret', 'list-versions', '--vault-name', 'e2evault', '-n', 'api-key']);
  assert.equal(versions.length, 2);
  const first = versions.find((v: any) => v.tags.team === 'a');
  const old = await ok(['keyvault', 'secret', 'show', '--id', first.id]);
  assert.equal(old.value, 'v-one');
  const attrs = await ok(['keyvault', 'secret', 'set-attributes', '--vault-name', 'e2evault', '-n', 'api-key', '--content-type', 'text/plain']);
  assert.equal(attrs.contentType, 'text/plain');
  assert.equal(attrs.value, null);

  const file = join(home, 'api-key.bak');
  await ok(['keyvault', 'secret', 'backup', '--vault-name', 'e2evault', '-n', 'api-key', '--file', file]);
  const deleted = await ok(['keyvault', 'secret', 'delete', '--vault-name', 'e2evault', '-n', 'api-key']);
  assert.match(deleted.recoveryId, /\/deletedsecrets\/api-key$/);
  assert.equal((await ok(['keyvault', 'secret', 'list', '--vault-name', 'e2evault'])).length, 0);
  assert.equal((await ok(['keyvault', 'secret', 'list-deleted', '--vault-name', 'e2evault'])).length, 1);
  await ok(['keyvault', 'secret', 'purge', '--vault-name', 'e2evault', '-n', 'api-key']);
  const restored = await ok(['keyvault', 'secret', 'restore', '--vault-name', 'e2evault', '--file', file]);
  assert.equal(restored.name, 'api-key');
  assert.equal((await ok(['keyvault', 'secret', 'show', '--vault-name', 'e2evault', '-n', 'api-key'])).value, 'v-two');

  // Paging: more than one page of 25.
  for (let i = 0; i < 27; i++) await ok(['keyvault', 'secret', 'set', '--vault-name', 'e2evault', '-n', `bulk-${String(i).padStart(2, '0')}`, '--value', 'x', '-o', 'none']);
  assert.equal((await ok(['keyvault', 'secret', 'list', '--vault-name', 'e2evault'])).length, 28);
});

test('grants: set-policy gives a service principal get+list (not set) on the vault; deleting the vault drops its policies', async () => {
  await ok(['keyvault', 'create', '--name', 'grantvault']);
  await ok(['keyvault', 'secret', 'set', '--vault-name', 'grantvault', '-n', 's1', '--value', 'granted', '-o', 'none']);
  const sp = await ok(['ad', 'sp', 'create-for-rbac', '-n', 'reader']);
  await ok(['keyvault', 'set-policy', '--name', 'grantvault', '--spn', sp.appId, '--secret-permissions', 'get', 'list']);

  // Log in as the principal through the token endpoint and use its Coffer token on the Vault API.
  const tok = await server.request('POST', '/v1/auth/azure/oauth2/token', {
    token: null,
    body: { grant_type: 'client_credentials', client_id: sp.appId, client_secret: sp.password, scope: 'https://vault.localhost/.default' },
  });
  assert.equal(tok.status, 200, tok.text);
  const policies = await server.request('GET', `/v1/auth/azure/principal/${sp.appId}/policies`);
  const name = policies.body.data.policies.find((p: string) => p.startsWith('keyvault-grantvault-'));
  assert.ok(name, 'the policy is attached to the principal');
  // A token with just that policy may get and list, not set.
  const limited = await server.request('POST', '/v1/auth/token/create', { body: { policies: [name], no_default_policy: true } });
  const t = limited.body.auth.client_token;
  assert.equal((await server.request('GET', '/v1/keyvault/grantvault/secrets/s1', { token: t })).body.data.value, 'granted');
  const listed = await coffer(['keyvault', 'secret', 'list', '--vault-name', 'grantvault', '--query', '[].name', '-o', 'tsv'], t);
  assert.equal(listed.out, 's1\n', listed.err);
  const denied = await coffer(['keyvault', 'secret', 'set', '--vault-name', 'grantvault', '-n', 's1', '--value', 'nope'], t);
  assert.equal(denied.code, 1);
  assert.match(denied.err, /403/);

  await ok(['keyvault', 'delete', '--name', 'grantvault']);
  const after = await server.request('GET', `/v1/auth/azure/principal/${sp.appId}/policies`);
  assert.deepEqual(after.body.data.policies.filter((p: string) => p.startsWith('keyvault-grantvault-')), []);
  const gone = await server.request('GET', `/v1/sys/policies/acl/${name}`);
  assert.equal(gone.status, 404);
});
