/**
 * Every engine's routes declare their write fields (issue 7): a typo answers 200 with Vault's
 * "Endpoint ignored these unrecognized parameters" warning (names only, never values), while
 * the full set of legitimate parameters the vault CLI, node-vault and our CLI send stays silent.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestResponse, type TestServer } from '../helpers/server.js';

const WARN = (names: string) => `Endpoint ignored these unrecognized parameters: [${names}]`;
/** A value that must never come back in an answer. */
const SECRET = 'never-echo-this-value';

let s: TestServer;
let dir: string;
before(async () => {
  s = await createTestServer();
  dir = await mkdtemp(join(tmpdir(), 'coffer-fields-'));
});
after(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

/** The write succeeded without any unknown-parameter warning. */
function silent(res: TestResponse, what: string): void {
  assert.ok(res.status === 200 || res.status === 204, `${what}: ${res.status} ${res.text}`);
  const warnings: string[] = res.status === 204 ? [] : res.body?.warnings ?? [];
  assert.equal(warnings.filter((w) => w.startsWith('Endpoint ignored')).length, 0, `${what}: ${JSON.stringify(warnings)}`);
}

/** The write succeeded with exactly the warning naming `names`, and no value was echoed. */
function warned(res: TestResponse, names: string, what: string): void {
  assert.equal(res.status, 200, `${what}: ${res.text}`);
  assert.ok(res.body.warnings?.includes(WARN(names)), `${what}: ${JSON.stringify(res.body.warnings)}`);
  assert.equal(res.text.includes(SECRET), false, `${what}: a value was echoed`);
}

const post = (path: string, body: unknown, token?: string | null) => s.request('POST', `/v1/${path}`, { body, token });

describe('KV', () => {
  it('v2 config, data, metadata, delete/undelete/destroy know their fields and warn about typos', async () => {
    silent(await post('secret/config', { max_versions: 20, cas_required: false, delete_version_after: '0s' }), 'config');
    warned(await post('secret/config', { max_version: SECRET }), 'max_version', 'config typo');

    silent(await post('secret/data/app', { data: { user: 'u' }, options: { cas: 0 } }), 'data write');
    // `cas` belongs inside `options`: at the top level it is ignored, and the caller must hear it.
    warned(await post('secret/data/app', { data: { user: 'v' }, cas: SECRET }), 'cas', 'data typo');
    const patch = await s.request('PATCH', '/v1/secret/data/app', {
      body: { data: { extra: 'x' }, options: {}, opts: SECRET }, headers: { 'content-type': 'application/merge-patch+json' },
    });
    warned(patch, 'opts', 'data patch typo');

    silent(await post('secret/metadata/app', { max_versions: 5, cas_required: false, delete_version_after: '1h', custom_metadata: { team: 'a' } }), 'metadata');
    warned(await post('secret/metadata/app', { max_versions: 5, custom_metdata: SECRET }), 'custom_metdata', 'metadata typo');

    for (const op of ['delete', 'undelete', 'destroy']) {
      silent(await post(`secret/${op}/app`, { versions: [1] }), op);
      warned(await post(`secret/${op}/app`, { versions: [1], version: SECRET }), 'version', `${op} typo`);
    }
  });

  it('v1 and cubbyhole take arbitrary keys', async () => {
    assert.equal((await post('sys/mounts/kv1', { type: 'kv' })).status, 204);
    silent(await post('kv1/app', { any: 'thing', token_max_tll: 'x' }), 'kv v1');
    silent(await post('cubbyhole/app', { any: 'thing', other: 'y' }), 'cubbyhole');
    // Declared as such, not merely unchecked.
    for (const path of ['kv1/app', 'cubbyhole/app']) {
      const help = await s.request('GET', `/v1/${path}?help=1`);
      assert.match(help.body.help, /takes arbitrary key\/value pairs/, path);
    }
  });
});

describe('Key Vault engine (the /v1 routes)', () => {
  it('set, update properties, backup and config know their fields and warn about typos', async () => {
    assert.equal((await post('sys/mounts/keyvault/fields', { type: 'keyvault' })).status, 204);
    const base = 'keyvault/fields';
    silent(await post(`${base}/secrets/db`, { value: 'pw', contentType: 'text/plain', tags: { env: 'dev' }, attributes: { enabled: true } }), 'set');
    const typo = await post(`${base}/secrets/db`, { value: 'pw2', content_type: SECRET });
    warned(typo, 'content_type', 'set typo');

    const props = (body: unknown) => s.request('PATCH', `/v1/${base}/secrets/db/`, { body, headers: { 'content-type': 'application/merge-patch+json' } });
    silent(await props({ contentType: 'text/csv', tags: { env: 'prod' }, attributes: { enabled: true } }), 'update properties');
    warned(await props({ contentType: 'text/csv', tag: SECRET }), 'tag', 'update properties typo');

    const backup = await post(`${base}/secrets/db/backup`, {});
    silent(backup, 'backup');
    warned(await post(`${base}/secrets/db/backup`, { format: SECRET }), 'format', 'backup typo');

    silent(await post(`${base}/config`, { soft_delete_retention_days: 7, purge_protection: false, enforce_validity_window: false }), 'config');
    warned(await post(`${base}/config`, { soft_delete_retention: SECRET }), 'soft_delete_retention', 'config typo');
  });
});

describe('AppRole', () => {
  it('role-id, secret-id, custom-secret-id, lookups, destroys, login and tidy know their fields', async () => {
    assert.equal((await post('sys/auth/approle', { type: 'approle' })).status, 204);
    silent(await post('auth/approle/role/app', { token_policies: 'default', secret_id_ttl: '1h' }), 'role');
    silent(await post('auth/approle/role/app/role-id', { role_id: 'app-role-id' }), 'role-id');
    warned(await post('auth/approle/role/app/role-id', { role_id: 'app-role-id', roleid: SECRET }), 'roleid', 'role-id typo');

    const settings = { metadata: { team: 'a' }, cidr_list: '127.0.0.0/8', token_bound_cidrs: '127.0.0.1/32', num_uses: 5, ttl: '10m' };
    const gen = await post('auth/approle/role/app/secret-id', settings);
    silent(gen, 'secret-id');
    warned(await post('auth/approle/role/app/secret-id', { metadata: { team: 'a' }, cidrs: SECRET }), 'cidrs', 'secret-id typo');
    silent(await post('auth/approle/role/app/custom-secret-id', { secret_id: 'custom-secret-id-1', ...settings }), 'custom-secret-id');
    const { secret_id: secretId, secret_id_accessor: accessor } = gen.body.data;

    silent(await post('auth/approle/role/app/secret-id/lookup', { secret_id: secretId }), 'secret-id lookup');
    warned(await post('auth/approle/role/app/secret-id/lookup', { secret_id: secretId, secretid: SECRET }), 'secretid', 'lookup typo');
    silent(await post('auth/approle/role/app/secret-id-accessor/lookup', { secret_id_accessor: accessor }), 'accessor lookup');

    silent(await post('auth/approle/login', { role_id: 'app-role-id', secret_id: 'custom-secret-id-1' }, null), 'login');
    const login = await post('auth/approle/login', { role_id: 'app-role-id', secret_id: 'custom-secret-id-1', role: SECRET }, null);
    warned(login, 'role', 'login typo');
    assert.ok(login.body.auth.client_token, 'the login still succeeds');

    silent(await post('auth/approle/role/app/secret-id-accessor/destroy', { secret_id_accessor: accessor }), 'accessor destroy');
    silent(await post('auth/approle/role/app/secret-id/destroy', { secret_id: 'custom-secret-id-1' }), 'secret-id destroy');
    silent(await post('auth/approle/tidy/secret-id', {}), 'tidy');
    warned(await post('auth/approle/tidy/secret-id', { safety_buffer: SECRET }), 'safety_buffer', 'tidy typo');
  });

  it('each per-field sub-path knows only its own fields', async () => {
    silent(await post('auth/approle/role/app/policies', { token_policies: 'a', policies: 'a' }), 'policies');
    silent(await post('auth/approle/role/app/period', { token_period: '1h' }), 'period');
    silent(await post('auth/approle/role/app/token-ttl', { token_ttl: '1h' }), 'token-ttl');
    warned(await post('auth/approle/role/app/token-ttl', { token_ttl: '1h', token_max_ttl: SECRET }), 'token_max_ttl', 'token-ttl neighbour');
    silent(await post('auth/approle/role/app/bound-cidr-list', { bound_cidr_list: '10.0.0.0/8' }), 'bound-cidr-list');
  });
});

describe('azure-ad auth method', () => {
  it('service principals, identities, sessions, logins and policies know their fields', async () => {
    const sp = await post('auth/azure/sp/create', { display_name: 'fields-app', policies: 'default' });
    silent(sp, 'sp create');
    warned(await post('auth/azure/sp/create', { display_name: 'x', policy: SECRET }), 'policy', 'sp create typo');
    silent(await post(`auth/azure/sp/${sp.body.data.appId}/password`, {}), 'reset password');
    const { appId } = sp.body.data;
    const password = (await post(`auth/azure/sp/${appId}/password`, {})).body.data.password as string;
    const grant = { grant_type: 'client_credentials', client_id: appId, client_secret: password, scope: 'https://vault.localhost/.default' };
    silent(await post('auth/azure/oauth2/token', grant, null), 'oauth2 token');
    warned(await post('auth/azure/oauth2/token', { ...grant, resource: SECRET }, null), 'resource', 'oauth2 typo');

    silent(await post('auth/azure/identity/worker', { policies: 'default' }), 'identity');
    warned(await post('auth/azure/identity/worker', { policy: SECRET }), 'policy', 'identity typo');
    const session = await post('auth/azure/identity/worker/session', { ttl: '1h' });
    silent(session, 'session');
    const secret = session.body.data.session_secret as string;
    // Our CLI's MSI endpoint sends `issuer` along (the server takes it from configuration).
    const login = { name: 'worker', session_secret: secret, resource: 'https://vault.localhost:8443', issuer: 'https://vault.localhost/adfs' };
    silent(await post('auth/azure/identity/login', login, null), 'identity login');
    warned(await post('auth/azure/identity/login', { ...login, scope: SECRET }, null), 'scope', 'identity login typo');
    silent(await post('auth/azure/identity/worker/session/revoke', { session_secret: secret }), 'session revoke');

    silent(await post(`auth/azure/principal/${appId}/policies`, { add: ['a'], remove: ['b'] }), 'principal policies');
    warned(await post(`auth/azure/principal/${appId}/policies`, { add: ['a'], delete: SECRET }), 'delete', 'principal policies typo');
  });
});

describe('sys', () => {
  it('enable and tune take the vault CLI\'s full bodies; a typo warns', async () => {
    // `vault secrets enable` / `vault auth enable` (Go client MountInput), plugin fields included.
    const enable = (type: string) => ({
      type, description: '', config: { default_lease_ttl: '', max_lease_ttl: '', force_no_cache: false, options: null },
      local: false, seal_wrap: false, external_entropy_access: false, options: null, plugin_name: '', plugin_version: '',
    });
    silent(await post('sys/mounts/kvfull', enable('kv')), 'secrets enable');
    silent(await post('sys/auth/upfull', enable('userpass')), 'auth enable');
    warned(await post('sys/mounts/kvtypo', { type: 'kv', seal_wrapp: SECRET }), 'seal_wrapp', 'enable typo');

    // `vault secrets tune` (Go client MountConfigInput).
    const tune = {
      options: { version: '1' }, default_lease_ttl: '1h', max_lease_ttl: '2h', description: 'd', force_no_cache: false,
      audit_non_hmac_request_keys: ['a'], audit_non_hmac_response_keys: ['b'], listing_visibility: 'hidden',
      passthrough_request_headers: ['X-A'], allowed_response_headers: ['X-B'], allowed_managed_keys: [], plugin_version: '',
      delegated_auth_accessors: [], identity_token_key: '',
    };
    silent(await post('sys/mounts/kvfull/tune', tune), 'secrets tune');
    silent(await post('sys/auth/upfull/tune', { default_lease_ttl: '1h', token_type: 'default-service', user_lockout_config: { lockout_threshold: '5' } }), 'auth tune');
    warned(await post('sys/mounts/kvfull/tune', { default_lease_tll: SECRET }), 'default_lease_tll', 'tune typo');

    silent(await post('sys/remount', { from: 'kvtypo', to: 'kvmoved' }), 'remount');
  });

  it('policies take `policy` or `rules` (node-vault); capabilities take paths; a typo warns', async () => {
    const hcl = 'path "secret/*" { capabilities = ["read"] }';
    silent(await s.request('PUT', '/v1/sys/policies/acl/p1', { body: { policy: hcl } }), 'acl policy');
    silent(await s.request('PUT', '/v1/sys/policy/p2', { body: { name: 'p2', rules: hcl } }), 'legacy policy (node-vault body)');
    warned(await s.request('PUT', '/v1/sys/policies/acl/p1', { body: { policy: hcl, polcy: SECRET } }), 'polcy', 'policy typo');

    silent(await post('sys/capabilities-self', { paths: ['secret/data/x'] }), 'capabilities-self');
    silent(await post('sys/capabilities-self', { path: 'secret/data/x' }), 'capabilities-self (path)');
    silent(await post('sys/capabilities', { token: s.rootToken, paths: ['secret/data/x'] }), 'capabilities');
    const accessor = (await s.request('GET', '/v1/auth/token/lookup-self')).body.data.accessor as string;
    silent(await post('sys/capabilities-accessor', { accessor, paths: ['secret/data/x'] }), 'capabilities-accessor');
    warned(await post('sys/capabilities-self', { paths: ['secret/data/x'], token: SECRET }), 'token', 'capabilities-self typo');
  });

  it('audit devices, audit-hash, leases and rotate know their fields', async () => {
    const file = join(dir, 'audit.log');
    silent(await post('sys/audit/f1', { type: 'file', description: 'd', options: { file_path: file }, local: false }), 'audit enable');
    warned(await post('sys/audit/f2', { type: 'file', options: { file_path: join(dir, 'a2.log') }, option: SECRET }), 'option', 'audit typo');
    silent(await post('sys/audit-hash/f1', { input: 'x' }), 'audit-hash');
    warned(await post('sys/audit-hash/f1', { input: 'x', inputs: SECRET }), 'inputs', 'audit-hash typo');
    assert.equal((await s.request('DELETE', '/v1/sys/audit/f2')).status, 204);
    assert.equal((await s.request('DELETE', '/v1/sys/audit/f1')).status, 204);

    silent(await post('sys/leases/tidy', {}), 'leases tidy');
    warned(await post('sys/leases/tidy', { force: SECRET }), 'force', 'leases tidy typo');
    silent(await post('sys/rotate', {}), 'rotate');
  });

  it('init and unseal (raw answers, as in Vault) declare every parameter the vault CLI sends', async () => {
    const init = await s.request('GET', '/v1/sys/init?help=1');
    assert.equal(init.status, 200, init.text);
    for (const f of ['secret_shares', 'secret_threshold', 'pgp_keys', 'root_token_pgp_key', 'stored_shares', 'recovery_shares', 'recovery_threshold', 'recovery_pgp_keys']) {
      assert.match(init.body.help, new RegExp(`\\n\\s+${f}\\n`), f);
    }
    const unseal = await s.request('GET', '/v1/sys/unseal?help=1');
    for (const f of ['key', 'reset', 'migrate']) assert.match(unseal.body.help, new RegExp(`\\n\\s+${f}\\n`), f);
  });
});
