// Issue 11, declarative bootstrap on the real PostgreSQL with a static (auto-unseal) seal: applied
// at init, nothing changes at restart, and a bootstrap the server refuses keeps the server from starting.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runServer } from '../../src/server/run.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';
import { httpRequest } from '../helpers/server.js';

if (await requirePostgres('bootstrap on PostgreSQL')) {
  const table = `coffer_bootstrap_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'coffer-bootstrap-pg-'));
  const cfg = join(dir, 'coffer.hcl');
  const keyFile = join(dir, 'unseal.key');
  const auditFile = join(dir, 'audit.log');
  writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await pgAdmin(`DROP TABLE IF EXISTS "${table}"`);
  });
  const items = `
  audit "file" {
    type = "file"
    options = { file_path = "${auditFile}" }
  }
  policy "admin" {
    policy = <<EOT
path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }
EOT
  }
  auth "approle" { type = "approle" }
  approle_role "ops" {
    role_id = "ops-admin"
    bind_secret_id = false
    secret_id_bound_cidrs = ["127.0.0.1/32"]
    token_policies = ["admin"]
  }
  mount "secret" {
    type = "kv"
    options = { version = "2" }
  }`;
  const writeConfig = (extra = '') =>
    writeFileSync(cfg, `storage "postgresql" {\n  connection_url = "${pgUrl}"\n  table = "${table}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\nseal "static" { key_file = "${keyFile}" }\nbootstrap {${items}${extra}\n}\n`);
  const start = () => runServer({ config: cfg, quiet: true, logLevel: 'silent' });
  const writesBy = (from: number) =>
    readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).slice(from).map((l) => JSON.parse(l))
      .filter((e) => e.type === 'response' && /bootstrap/.test(e.auth?.display_name ?? '') && e.request?.operation !== 'read')
      .map((e) => `${e.request.operation} ${e.request.path}`);
  const auditLines = () => readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).length;
  const login = async (url: string) => {
    const res = await httpRequest(url, 'PUT', '/v1/auth/approle/login', { body: { role_id: 'ops-admin' } });
    assert.equal(res.status, 200, res.text);
    return res.body.auth.client_token as string;
  };

  test('static seal: bootstrap at init without a root token, a restart changes nothing, a refused item stops the start', async () => {
    writeConfig();
    let server = await start();
    try {
      const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1, root_token: false } });
      assert.equal(init.status, 200, init.text);
      assert.equal(init.body.root_token, '');
      // A static seal unseals at init, and the bootstrap ran then.
      assert.equal((await httpRequest(server.url, 'GET', '/v1/sys/seal-status')).body.sealed, false);
      const token = await login(server.url);
      assert.equal((await httpRequest(server.url, 'POST', '/v1/secret/data/db', { token, body: { data: { pw: 'pg-bootstrap-7c1' } } })).status, 200);
      assert.ok(writesBy(0).length >= 4, writesBy(0).join(', '));
    } finally {
      await server.close();
    }

    const before = auditLines();
    server = await start();
    try {
      const token = await login(server.url);
      assert.equal((await httpRequest(server.url, 'GET', '/v1/secret/data/db', { token })).body.data.data.pw, 'pg-bootstrap-7c1');
      assert.deepEqual(writesBy(before), []);
    } finally {
      await server.close();
    }

    // A new mount, then one the server refuses: the start fails naming the line, and nothing was applied.
    writeConfig(`\n  mount "team" { type = "kv" }\n  approle_role "bad" {\n    mount = "approle"\n    token_ttl = "forever"\n  }`);
    const line = readFileSync(cfg, 'utf8').split('\n').findIndex((l) => l.includes('approle_role "bad"')) + 1;
    await assert.rejects(start(), (err: Error) => {
      assert.match(err.message, new RegExp(`coffer\\.hcl:${line}: approle_role "bad": .*token_ttl`));
      return true;
    });
    writeConfig();
    server = await start();
    try {
      const token = await login(server.url);
      const mounts = await httpRequest(server.url, 'GET', '/v1/sys/mounts', { token });
      assert.equal(mounts.body.data['team/'], undefined);
      assert.equal(mounts.body.data['secret/'].type, 'kv');
    } finally {
      await server.close();
    }
  });
}
