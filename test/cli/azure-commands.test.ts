/**
 * The az-style commands (keyvault, ad, identity, role, run --identity) against a fake Vault API
 * that records requests: what goes on the wire, and what the user sees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import type { CliContext } from '../../src/cli/context.js';
import { applyQuery, azDate, parseScope, printAz } from '../../src/cli/azure.js';
import { fakeVault } from '../helpers/fake-vault.js';


const TOKEN = 'hvs.test-token-123456';
const T0 = 1795317801; // 2026-11-22T...Z as unix seconds
const VER = 'a83f459a39b09c3d6df6876d0484b060';


function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-az-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function run(argv: string[], opts: { url: string; home: string; env?: Record<string, string> }) {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    env: { COFFER_ADDR: opts.url, COFFER_TOKEN: TOKEN, PATH: process.env.PATH ?? '', ...(opts.env ?? {}) },
    home: opts.home,
    io: { out: (s) => void (out += s), err: (s) => void (err += s), stdoutIsTTY: false, readStdin: async () => '', promptSecret: async () => '' },
  };
  const code = await runCli(argv, ctx);
  return { code, out, err };
}

const attrs = { enabled: true, created: T0, updated: T0, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 };
const notFound = { status: 404, body: { errors: [] } };

test('keyvault create: POST sys/mounts/keyvault/<v> with options; show prints the az vault with vaultUri', async (t) => {
  const home = tempDir(t);
  const { url, port, requests } = await fakeVault(t, (r) => {
    if (r.method === 'POST' && r.path === '/v1/sys/mounts/keyvault/myvault') return { status: 204 };
    if (r.method === 'GET' && r.path === '/v1/sys/mounts/keyvault/myvault') return { status: 200, body: { data: { type: 'keyvault', options: { soft_delete_retention_days: '30' } } } };
    if (r.path === '/v1/keyvault/myvault/config') return { status: 200, body: { data: { soft_delete_retention_days: 30, purge_protection: true, enforce_validity_window: false } } };
    if (r.path === '/v1/sys/policies/acl') return { status: 200, body: { data: { keys: ['default', 'root'] } } };
    return notFound;
  });
  const res = await run(['keyvault', 'create', '--name', 'MyVault', '--retention-days', '30', '--enable-purge-protection', '-g', 'rg1'], {
    url,
    home,
    env: { COFFER_KEYVAULT_BASE_DOMAIN: 'kv.example.test' },
  });
  assert.equal(res.code, 0, res.err);
  assert.deepEqual(
    { method: requests[0]!.method, path: requests[0]!.path, body: requests[0]!.body },
    {
      method: 'POST',
      path: '/v1/sys/mounts/keyvault/myvault',
      body: { type: 'keyvault', description: 'Key Vault myvault', options: { soft_delete_retention_days: '30', purge_protection: 'true' } },
    },
  );
  assert.equal(requests[0]!.headers['x-vault-token'], TOKEN);
  const vault = JSON.parse(res.out);
  assert.equal(vault.name, 'myvault');
  assert.equal(vault.properties.vaultUri, `https://myvault.kv.example.test:${port}/`);
  assert.equal(vault.properties.softDeleteRetentionInDays, 30);
  assert.equal(vault.properties.enablePurgeProtection, true);
  // az sorts keys.
  assert.deepEqual(Object.keys(vault), ['id', 'location', 'name', 'properties', 'resourceGroup', 'tags', 'type']);

  const uri = await run(['keyvault', 'show', '-n', 'myvault', '--query', 'properties.vaultUri', '-o', 'tsv'], { url, home });
  assert.equal(uri.out, `https://myvault.vault.localhost:${port}/\n`);

  const bad = await run(['keyvault', 'create', '--name', 'a--b'], { url, home });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /invalid vault name/);
  const tooShort = await run(['keyvault', 'create', '--name', 'ab', '--retention-days', '5'], { url, home });
  assert.equal(tooShort.code, 2);
});

test('keyvault secret set: PUT with value, tags, contentType and unix-second attributes; prints az JSON', async (t) => {
  const home = tempDir(t);
  const { url, port, requests } = await fakeVault(t, (r) => {
    if (r.method === 'PUT' && r.path === '/v1/keyvault/myvault/secrets/db-pass') {
      return { status: 200, body: { data: { name: 'db-pass', version: VER, contentType: 'text/plain', tags: { env: 'dev', flag: '' }, attributes: { ...attrs, enabled: false, exp: T0 + 3600 } } } };
    }
    return notFound;
  });
  const res = await run(
    ['keyvault', 'secret', 'set', '--vault-name', 'myvault', '-n', 'db-pass', '--value', 's3cret-value', '--content-type', 'text/plain', '--tags', 'env=dev', 'flag', '--disabled', 'true', '--expires', '2026-11-22T13:23:21Z'],
    { url, home },
  );
  assert.equal(res.code, 0, res.err);
  assert.equal(requests.length, 1);
  assert.deepEqual(requests[0]!.body, {
    value: 's3cret-value',
    contentType: 'text/plain',
    tags: { env: 'dev', flag: '' },
    attributes: { enabled: false, exp: Date.parse('2026-11-22T13:23:21Z') / 1000 },
  });
  assert.deepEqual(JSON.parse(res.out), {
    attributes: {
      created: azDate(T0),
      enabled: false,
      expires: azDate(T0 + 3600),
      notBefore: null,
      recoverableDays: 90,
      recoveryLevel: 'Recoverable+Purgeable',
      updated: azDate(T0),
    },
    contentType: 'text/plain',
    id: `https://myvault.vault.localhost:${port}/secrets/db-pass/${VER}`,
    kid: null,
    managed: null,
    name: 'db-pass',
    tags: { env: 'dev', flag: '' },
    value: 's3cret-value',
  });
  assert.match(azDate(T0)!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);

  const both = await run(['keyvault', 'secret', 'set', '--vault-name', 'myvault', '-n', 'x', '--value', 'a', '--file', '/nope'], { url, home });
  assert.equal(both.code, 2);
  const badDate = await run(['keyvault', 'secret', 'set', '--vault-name', 'myvault', '-n', 'x', '--value', 'a', '--expires', 'tomorrow'], { url, home });
  assert.equal(badDate.code, 2);
  assert.match(badDate.err, /ISO 8601/);
  assert.equal(requests.length, 1, 'bad flags send nothing');
});

test('secret set --file records the encoding tag; show and --query value -o tsv print the value raw', async (t) => {
  const home = tempDir(t);
  const file = join(home, 'v.bin');
  writeFileSync(file, Buffer.from([0, 1, 2, 255]));
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.method === 'PUT') return { status: 200, body: { data: { name: 'blob', version: VER, tags: r.body.tags, attributes: attrs } } };
    if (r.method === 'GET' && r.path === `/v1/keyvault/myvault/secrets/blob/${VER}`) return { status: 200, body: { data: { name: 'blob', version: VER, value: 'the-value', attributes: attrs } } };
    return notFound;
  });
  const set = await run(['keyvault', 'secret', 'set', '--vault-name', 'myvault', '-n', 'blob', '--file', file, '--encoding', 'base64', '-o', 'none'], { url, home });
  assert.equal(set.code, 0, set.err);
  assert.equal(set.out, '');
  assert.deepEqual(requests[0]!.body, { value: 'AAEC/w==', tags: { 'file-encoding': 'base64' }, attributes: {} });

  const show = await run(['keyvault', 'secret', 'show', '--vault-name', 'myvault', '-n', 'blob', '--version', VER, '--query', 'value', '-o', 'tsv'], { url, home });
  assert.equal(show.code, 0, show.err);
  assert.equal(show.out, 'the-value\n');
  const enabled = await run(['keyvault', 'secret', 'show', '--id', `https://myvault.vault.localhost/secrets/blob/${VER}`, '--query', 'attributes.enabled', '-o', 'tsv'], { url, home });
  assert.equal(enabled.out, 'True\n');
});

test('secret list pages through skiptokens with LIST ?maxresults=25 and prints no values', async (t) => {
  const home = tempDir(t);
  const { url, port, requests } = await fakeVault(t, (r) => {
    if (r.path === '/v1/keyvault/myvault/secrets/' && r.query.get('list') === 'true') {
      if (!r.query.get('skiptoken')) return { status: 200, body: { data: { items: [{ name: 'a', version: VER, value: 'leaked?', attributes: attrs }], nextSkipToken: 'YQ' } } };
      if (r.query.get('skiptoken') === 'YQ') return { status: 200, body: { data: { items: [{ name: 'b', managed: true, attributes: attrs }, { name: 'c', attributes: attrs }] } } };
    }
    return notFound;
  });
  const res = await run(['keyvault', 'secret', 'list', '--vault-name', 'myvault'], { url, home });
  assert.equal(res.code, 0, res.err);
  assert.equal(requests.length, 2);
  assert.equal(requests[0]!.method, 'GET');
  assert.equal(requests[0]!.query.get('maxresults'), '25');
  assert.equal(requests[1]!.query.get('skiptoken'), 'YQ');
  const items = JSON.parse(res.out);
  // Managed secrets are left out, as az does; items carry unversioned ids and no value.
  assert.deepEqual(items.map((i: any) => i.name), ['a', 'c']);
  assert.equal(items[0].id, `https://myvault.vault.localhost:${port}/secrets/a`);
  assert.ok(!res.out.includes('leaked?'));
  assert.ok(!('value' in items[0]));

  const names = await run(['keyvault', 'secret', 'list', '--vault-name', 'myvault', '--query', '[].name', '-o', 'tsv', '--include-managed'], { url, home });
  assert.equal(names.out, 'a\nb\nc\n');
});

test('set-attributes PATCHes with merge-patch; delete, recover, purge, backup and restore hit the engine routes', async (t) => {
  const home = tempDir(t);
  const blob = Buffer.from('opaque-backup-bytes');
  const { url, requests } = await fakeVault(t, (r) => {
    const data = { name: 'n1', version: VER, attributes: attrs };
    if (r.method === 'PATCH') return { status: 200, body: { data } };
    if (r.method === 'DELETE' && r.path === '/v1/keyvault/myvault/secrets/n1') return { status: 200, body: { data: { ...data, deletedDate: T0, scheduledPurgeDate: T0 + 90 * 86400 } } };
    if (r.method === 'POST' && r.path === '/v1/keyvault/myvault/deletedsecrets/n1/recover') return { status: 200, body: { data } };
    if (r.method === 'DELETE' && r.path === '/v1/keyvault/myvault/deletedsecrets/n1') return { status: 204 };
    if (r.method === 'POST' && r.path === '/v1/keyvault/myvault/secrets/n1/backup') return { status: 200, body: { data: { value: blob.toString('base64url') } } };
    if (r.method === 'POST' && r.path === '/v1/keyvault/myvault/restore') return { status: 200, body: { data } };
    return notFound;
  });
  const patch = await run(['keyvault', 'secret', 'set-attributes', '--vault-name', 'myvault', '-n', 'n1', '--version', VER, '--enabled', 'false', '--tags', ''], { url, home });
  assert.equal(patch.code, 0, patch.err);
  assert.equal(requests[0]!.method, 'PATCH');
  assert.equal(requests[0]!.path, `/v1/keyvault/myvault/secrets/n1/${VER}`);
  assert.equal(requests[0]!.headers['content-type'], 'application/merge-patch+json');
  assert.deepEqual(requests[0]!.body, { attributes: { enabled: false }, tags: {} });
  assert.equal(JSON.parse(patch.out).value, null);

  const latest = await run(['keyvault', 'secret', 'set-attributes', '--vault-name', 'myvault', '-n', 'n1', '--content-type', 'application/json'], { url, home });
  assert.equal(latest.code, 0, latest.err);
  assert.equal(requests[1]!.path, '/v1/keyvault/myvault/secrets/n1');
  assert.deepEqual(requests[1]!.body, { contentType: 'application/json' });

  const del = await run(['keyvault', 'secret', 'delete', '--vault-name', 'myvault', '-n', 'n1', '--query', 'recoveryId', '-o', 'tsv'], { url, home });
  assert.equal(del.code, 0, del.err);
  assert.match(del.out, /^https:\/\/myvault\.vault\.localhost:\d+\/deletedsecrets\/n1\n$/);

  const rec = await run(['keyvault', 'secret', 'recover', '--id', del.out.trim()], { url, home });
  assert.equal(rec.code, 0, rec.err);
  const purge = await run(['keyvault', 'secret', 'purge', '--vault-name', 'myvault', '-n', 'n1'], { url, home });
  assert.equal(purge.code, 0, purge.err);
  assert.equal(purge.out, '');

  const file = join(home, 'n1.backup');
  const backup = await run(['keyvault', 'secret', 'backup', '--vault-name', 'myvault', '-n', 'n1', '--file', file], { url, home });
  assert.equal(backup.code, 0, backup.err);
  assert.deepEqual(readFileSync(file), blob);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const again = await run(['keyvault', 'secret', 'backup', '--vault-name', 'myvault', '-n', 'n1', '--file', file], { url, home });
  assert.equal(again.code, 2);
  assert.match(again.err, /already exists/);

  const restore = await run(['keyvault', 'secret', 'restore', '--vault-name', 'myvault', '--file', file], { url, home });
  assert.equal(restore.code, 0, restore.err);
  const r = requests.find((q) => q.path === '/v1/keyvault/myvault/restore')!;
  assert.deepEqual(r.body, { value: blob.toString('base64url') });
  assert.deepEqual(
    requests.map((q) => `${q.method} ${q.path}`).slice(2, 6),
    ['DELETE /v1/keyvault/myvault/secrets/n1', 'POST /v1/keyvault/myvault/deletedsecrets/n1/recover', 'DELETE /v1/keyvault/myvault/deletedsecrets/n1', 'POST /v1/keyvault/myvault/secrets/n1/backup'],
  );
});

test('ad sp create-for-rbac enables auth/azure/ when absent and prints appId, displayName, password, tenant', async (t) => {
  const home = tempDir(t);
  let enabled = false;
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.method === 'GET' && r.path === '/v1/sys/auth') return { status: 200, body: { data: enabled ? { 'azure/': { type: 'azure-ad' } } : { 'token/': { type: 'token' } } } };
    if (r.method === 'POST' && r.path === '/v1/sys/auth/azure') {
      enabled = true;
      return { status: 204 };
    }
    if (r.method === 'POST' && r.path === '/v1/auth/azure/sp/create') {
      return { status: 200, body: { data: { appId: '11111111-1111-1111-1111-111111111111', objectId: '22222222-2222-2222-2222-222222222222', displayName: r.body.display_name, password: 'pw-secret-xyz', tenant: 'adfs' } } };
    }
    return notFound;
  });
  const res = await run(['ad', 'sp', 'create-for-rbac', '-n', 'myapp'], { url, home });
  assert.equal(res.code, 0, res.err);
  assert.deepEqual(
    requests.map((q) => `${q.method} ${q.path}`),
    ['GET /v1/sys/auth', 'POST /v1/sys/auth/azure', 'POST /v1/auth/azure/sp/create'],
  );
  assert.equal(requests[1]!.body.type, 'azure-ad');
  assert.deepEqual(requests[2]!.body, { display_name: 'myapp' });
  assert.deepEqual(JSON.parse(res.out), { appId: '11111111-1111-1111-1111-111111111111', displayName: 'myapp', password: 'pw-secret-xyz', tenant: 'adfs' });
  assert.match(res.err, /credentials that you must protect/);

  // Second time: already enabled, no POST sys/auth/azure.
  const second = await run(['ad', 'sp', 'create-for-rbac', '-n', 'other'], { url, home });
  assert.equal(second.code, 0, second.err);
  assert.equal(requests.filter((q) => q.path === '/v1/sys/auth/azure').length, 1);
});

test('set-policy: template with ?permissions, PUT the policy, attach to the objectId; role assignment uses ?role', async (t) => {
  const home = tempDir(t);
  const appId = '11111111-1111-1111-1111-111111111111';
  const oid = '22222222-2222-2222-2222-222222222222';
  // A policy of vault "myvault-2" shares the name prefix; it must not show up on "myvault".
  const policies = new Map<string, string>([['keyvault-myvault-2-x', '# coffer: vault=myvault-2 principal=x secret-permissions=get\n']]);
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.path === '/v1/sys/mounts/keyvault/myvault') return { status: 200, body: { data: { type: 'keyvault', options: {} } } };
    if (r.path === '/v1/keyvault/myvault/config') return { status: 200, body: { data: { soft_delete_retention_days: 90, purge_protection: false, enforce_validity_window: false } } };
    if (r.method === 'GET' && r.path === `/v1/auth/azure/principal/${appId}/policies`) return { status: 200, body: { data: { kind: 'service_principal', object_id: oid, app_id: appId } } };
    if (r.method === 'GET' && r.path === '/v1/keyvault/myvault/access-policy-template') {
      return { status: 200, body: { data: { policy: `path "keyvault/myvault/secrets/+" {\n  capabilities = ["read"]\n}\n` } } };
    }
    if (r.method === 'PUT' && r.path.startsWith('/v1/sys/policies/acl/')) {
      policies.set(r.path.slice('/v1/sys/policies/acl/'.length), r.body.policy);
      return { status: 204 };
    }
    if (r.method === 'DELETE' && r.path.startsWith('/v1/sys/policies/acl/')) {
      policies.delete(r.path.slice('/v1/sys/policies/acl/'.length));
      return { status: 204 };
    }
    if (r.path === '/v1/sys/policies/acl' && r.query.get('list') === 'true') return { status: 200, body: { data: { keys: ['default', ...policies.keys()] } } };
    if (r.method === 'GET' && r.path.startsWith('/v1/sys/policies/acl/')) {
      const text = policies.get(r.path.slice('/v1/sys/policies/acl/'.length));
      return text ? { status: 200, body: { data: { policy: text } } } : notFound;
    }
    if (r.method === 'POST' && r.path === `/v1/auth/azure/principal/${oid}/policies`) return { status: 200, body: { data: {} } };
    return notFound;
  });
  const res = await run(['keyvault', 'set-policy', '--name', 'myvault', '--spn', appId, '--secret-permissions', 'get', 'list'], { url, home });
  assert.equal(res.code, 0, res.err);
  const tpl = requests.find((q) => q.path === '/v1/keyvault/myvault/access-policy-template')!;
  assert.equal(tpl.query.get('permissions'), 'get,list');
  const name = `keyvault-myvault-${oid}`;
  const put = requests.find((q) => q.method === 'PUT' && q.path === `/v1/sys/policies/acl/${name}`)!;
  assert.match(put.body.policy, /^# coffer: vault=myvault principal=2222.* secret-permissions=get,list\npath "keyvault\/myvault\/secrets\/\+"/);
  const attach = requests.find((q) => q.method === 'POST' && q.path === `/v1/auth/azure/principal/${oid}/policies`)!;
  assert.deepEqual(attach.body, { add: [name] });
  const shown = JSON.parse(res.out);
  assert.deepEqual(shown.properties.accessPolicies, [
    { applicationId: null, objectId: oid, permissions: { certificates: null, keys: null, secrets: ['get', 'list'], storage: null }, tenantId: 'adfs' },
  ]);

  const role = await run(['role', 'assignment', 'create', '--role', 'Key Vault Secrets User', '--assignee', appId, '--scope', '/subscriptions/x/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/myvault'], { url, home });
  assert.equal(role.code, 0, role.err);
  const roleTpl = requests.filter((q) => q.path === '/v1/keyvault/myvault/access-policy-template').at(-1)!;
  assert.equal(roleTpl.query.get('role'), 'Key Vault Secrets User');
  assert.equal(JSON.parse(role.out).name, `keyvault-myvault-${oid}-role-key-vault-secrets-user`);

  const list = await run(['role', 'assignment', 'list', '--scope', 'myvault', '--query', '[].roleDefinitionName', '-o', 'tsv'], { url, home });
  assert.equal(list.out, 'Key Vault Secrets User\n');

  const del = await run(['keyvault', 'delete-policy', '--name', 'myvault', '--spn', appId], { url, home });
  assert.equal(del.code, 0, del.err);
  const detach = requests.filter((q) => q.method === 'POST' && q.path === `/v1/auth/azure/principal/${oid}/policies`).at(-1)!;
  assert.deepEqual(detach.body, { remove: [name] });
  assert.ok(!policies.has(name));
  assert.deepEqual(JSON.parse(del.out).properties.accessPolicies, []);

  const neither = await run(['keyvault', 'set-policy', '--name', 'myvault', '--secret-permissions', 'get'], { url, home });
  assert.equal(neither.code, 2);
});

test('identity assign prints principalId and clientId; run --identity opens and revokes a session', async (t) => {
  const home = tempDir(t);
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.method === 'GET' && r.path === '/v1/sys/auth') return { status: 200, body: { data: { 'azure/': { type: 'azure-ad' } } } };
    if (r.method === 'POST' && r.path === '/v1/auth/azure/identity/webapp') {
      return { status: 200, body: { data: { name: 'webapp', principalId: 'p-1', clientId: 'c-1', tenantId: 'adfs' } } };
    }
    if (r.method === 'POST' && r.path === '/v1/auth/azure/identity/webapp/session') return { status: 200, body: { data: { session_secret: 'sess-secret-123', expires_on: T0 } } };
    if (r.method === 'POST' && r.path === '/v1/auth/azure/identity/webapp/session/revoke') return { status: 204 };
    return notFound;
  });
  const assign = await run(['identity', 'assign', '--name', 'webapp'], { url, home });
  assert.equal(assign.code, 0, assign.err);
  assert.deepEqual(JSON.parse(assign.out), { clientId: 'c-1', name: 'webapp', principalId: 'p-1', tenantId: 'adfs', type: 'SystemAssigned', userAssignedIdentities: null });

  const out = join(home, 'env.json');
  const child = `require('fs').writeFileSync(process.env.OUT, JSON.stringify(['IDENTITY_ENDPOINT','IDENTITY_HEADER','MSI_ENDPOINT','MSI_SECRET','AZURE_CLIENT_ID'].filter((k) => process.env[k])))`;
  const res = await run(['run', '--identity', 'webapp', '--identity-ttl', '1h', '--', process.execPath, '-e', child], { url, home, env: { OUT: out } });
  assert.equal(res.code, 0, res.err);
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MSI_ENDPOINT', 'MSI_SECRET']);
  const session = requests.find((q) => q.path === '/v1/auth/azure/identity/webapp/session')!;
  assert.deepEqual(session.body, { ttl: '1h' });
  const revoke = requests.find((q) => q.path === '/v1/auth/azure/identity/webapp/session/revoke')!;
  assert.deepEqual(revoke.body, { session_secret: 'sess-secret-123' });
  assert.ok(requests.indexOf(revoke) > requests.indexOf(session));
  assert.ok(!res.out.includes('sess-secret-123') && !res.err.includes('sess-secret-123'));

  const badName = await run(['identity', 'assign', '--name', '../x'], { url, home });
  assert.equal(badName.code, 2);
});

test('--query subset and scope parsing', () => {
  const doc = { a: { b: [{ n: 1 }, { n: 2 }, { m: 3 }] } };
  assert.deepEqual(applyQuery(doc, 'a.b[].n'), [1, 2]);
  assert.deepEqual(applyQuery(doc, 'a.b[1]'), { n: 2 });
  assert.deepEqual(applyQuery(doc, 'a.b[-1].m'), 3);
  assert.equal(applyQuery(doc, 'a.c'), null);
  assert.throws(() => applyQuery(doc, "[?n=='1']"), /unsupported --query/);
  assert.equal(parseScope('MyVault'), 'myvault');
  assert.equal(parseScope('keyvault/myvault'), 'myvault');
  assert.equal(parseScope('/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/MyVault'), 'myvault');
  assert.throws(() => parseScope('a'), /invalid vault name/);
});

test('-o tsv writes rows like az: sorted object values, True/False, empty nulls, list lengths', () => {
  let out = '';
  const io = { out: (s: string) => void (out += s), err: () => undefined, stdoutIsTTY: false, readStdin: async () => '', promptSecret: async () => '' };
  printAz(io, [{ b: true, a: 'x', c: null, d: [1, 2], e: { f: 1 } }, 'plain'], { output: 'tsv' });
  assert.equal(out, 'x\tTrue\t\t2\t\nplain\n');
  out = '';
  printAz(io, { z: 1, a: 2 }, {});
  assert.equal(out, '{\n  "a": 2,\n  "z": 1\n}\n');
});
