// The Node.js + Vault AppRole tutorial (docs/tutorials/vault-approle-nodejs.md), step by step:
// the coffer CLI with the vault CLI's arguments, then the tutorial's app (examples/approle-node)
// with the real node-vault client.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCoffer, runNode } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let home: string;
before(async () => {
  s = await createTestServer({ rootTokenId: 'root' });
  home = mkdtempSync(join(tmpdir(), 'coffer-tutorial-'));
});
after(async () => {
  await s.close();
  rmSync(home, { recursive: true, force: true });
});

test('the AppRole tutorial works unchanged against Coffer', async () => {
  const env = { HOME: home, COFFER_ADDR: s.url, COFFER_TOKEN: 'root' };
  const ok = async (args: string[], stdin?: string) => {
    const r = await runCoffer(args, { env, stdin });
    assert.equal(r.code, 0, `coffer ${args.join(' ')}: ${r.err}`);
    return r;
  };
  await ok(['auth', 'enable', 'approle']);
  await ok(['policy', 'write', 'readonly-kv-backend', '-'], 'path "secret/data/mysql/webapp" {\n  capabilities = ["read"]\n}\n');
  await ok(['write', 'auth/approle/role/node-app-role', 'token_ttl=1h', 'token_max_ttl=4h', 'token_policies=readonly-kv-backend']);
  const roleId = (await ok(['read', '-field=role_id', 'auth/approle/role/node-app-role/role-id'])).out.trim();
  const secretId = (await ok(['write', '-f', '-field=secret_id', 'auth/approle/role/node-app-role/secret-id'])).out.trim();
  assert.match(roleId, /^[0-9a-f-]{36}$/);
  assert.ok(secretId.length >= 32);
  await ok(['kv', 'put', 'secret/mysql/webapp', 'db_name=users', 'username=admin', 'password=passw0rd']);

  const app = await runNode(['examples/approle-node/index.js'], { env: { VAULT_ADDR: s.url, ROLE_ID: roleId, SECRET_ID: secretId } });
  assert.equal(app.code, 0, app.err);
  assert.match(app.out, /databaseName: 'users'/);
  assert.match(app.out, /username: 'admin'/);
  assert.match(app.out, /password: '\(received\)'/);
  assert.match(app.out, /Refused as expected: 403 \* permission denied/);

  // The token the app got carries the role's TTL and policy.
  const login = await s.request('POST', '/v1/auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } });
  assert.equal(login.status, 200);
  assert.equal(login.body.auth.lease_duration, 3600);
  assert.deepEqual(login.body.auth.policies, ['default', 'readonly-kv-backend']);
  assert.deepEqual(login.body.auth.metadata, { role_name: 'node-app-role' });
});

test('a wrapped secret-id is delivered once', async () => {
  const env = { HOME: home, COFFER_ADDR: s.url, COFFER_TOKEN: 'root' };
  const wrapped = await runCoffer(['write', '-wrap-ttl=60s', '-f', '-field=wrapping_token', 'auth/approle/role/node-app-role/secret-id'], { env });
  assert.equal(wrapped.code, 0, wrapped.err);
  const wrappingToken = wrapped.out.trim();
  const first = await runCoffer(['unwrap', '-field=secret_id', wrappingToken], { env: { HOME: home, COFFER_ADDR: s.url } });
  assert.equal(first.code, 0, first.err);
  assert.ok(first.out.trim().length >= 32);
  const second = await runCoffer(['unwrap', wrappingToken], { env: { HOME: home, COFFER_ADDR: s.url } });
  assert.notEqual(second.code, 0);
  assert.match(second.err, /wrapping token is not valid or does not exist/);
  assert.equal(second.err.includes(wrappingToken), false, 'the token is not echoed');
});
