// Issue 11, declarative bootstrap: a `bootstrap { ... }` block in the server config is applied at
// init and at every unseal, through the real server (config file, restart, changed file, broken file).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runServer, type RunningServer } from '../../src/server/run.js';
import { httpRequest } from '../helpers/server.js';
import { runCoffer } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-bootstrap-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const auditFile = join(dir, 'audit.log');
const configFile = join(dir, 'coffer.hcl');

const ADMIN_POLICY = `path "*" {
  capabilities = ["create", "read", "update", "delete", "list", "sudo"]
}`;

function writeConfig(items: string, storage = `storage "sqlite" { path = "${join(dir, 'data', 'coffer.db')}" }`): void {
  writeFileSync(configFile, `${storage}
listener "tcp" {
  address     = "127.0.0.1:0"
  tls_disable = true
}
bootstrap {
${items}
}
`);
}

const BASE_ITEMS = `  audit "file" {
    type    = "file"
    options = { file_path = "${auditFile}" }
  }
  policy "admin" {
    policy = <<EOT
${ADMIN_POLICY}
EOT
  }
  mount "kv-prod" {
    type    = "kv"
    options = { version = "2" }
  }
  auth "approle" { type = "approle" }
  approle_role "admin" {
    role_id           = "bootstrap-admin"
    bind_secret_id    = false
    token_bound_cidrs = ["127.0.0.1/32"]
    token_policies    = ["admin"]
  }
  vault "payments" {
    soft_delete_retention_days = 30
  }`;

const start = () => runServer({ config: configFile, quiet: true, logLevel: 'silent' });

/** The audit entries written so far (JSON lines). */
function auditEntries(): Array<{ type: string; auth?: { display_name?: string }; request?: { path?: string; operation?: string } }> {
  return readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
/** Writes recorded in the audit log by the bootstrap, as `operation path`. */
function bootstrapWrites(entries = auditEntries()): string[] {
  return entries
    .filter((e) => e.type === 'response' && /bootstrap/.test(e.auth?.display_name ?? '') && e.request?.operation !== 'read')
    .map((e) => `${e.request!.operation} ${e.request!.path}`);
}

async function login(url: string): Promise<string> {
  const res = await httpRequest(url, 'PUT', '/v1/auth/approle/login', { body: { role_id: 'bootstrap-admin' } });
  assert.equal(res.status, 200, res.text);
  return res.body.auth.client_token as string;
}

describe('declarative bootstrap on SQLite', () => {
  let unsealKey = '';

  const unseal = async (server: RunningServer) => {
    const res = await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: unsealKey } });
    return res;
  };

  it('init with root_token=false gives no root token; the bootstrapped AppRole is the admin', async () => {
    writeConfig(BASE_ITEMS);
    const server = await start();
    try {
      // The CLI, as an operator would run it.
      const init = await runCoffer(['operator', 'init', '-key-shares=1', '-key-threshold=1', '-root-token=false', '-format=json'], { env: { COFFER_ADDR: server.url, HOME: dir } });
      assert.equal(init.code, 0, init.err);
      const out = JSON.parse(init.out);
      assert.equal(out.root_token, '');
      unsealKey = out.unseal_keys_b64[0];
      const u = await unseal(server);
      assert.equal(u.status, 200, u.text);
      assert.equal(u.body.sealed, false);

      const token = await login(server.url);
      const mounts = await httpRequest(server.url, 'GET', '/v1/sys/mounts', { token });
      assert.equal(mounts.status, 200);
      assert.equal(mounts.body.data['kv-prod/'].type, 'kv');
      assert.equal(mounts.body.data['kv-prod/'].options.version, '2');
      assert.equal(mounts.body.data['keyvault/payments/'].type, 'keyvault');
      const cfg = await httpRequest(server.url, 'GET', '/v1/keyvault/payments/config', { token });
      assert.equal(cfg.body.data.soft_delete_retention_days, 30);
      // The admin can write secrets.
      assert.equal((await httpRequest(server.url, 'PUT', '/v1/kv-prod/data/app', { token, body: { data: { a: '1' } } })).status, 200);

      // Every change is in the audit log, made by the bootstrap identity.
      const writes = bootstrapWrites();
      for (const w of ['update sys/policies/acl/admin', 'update sys/mounts/kv-prod', 'update sys/auth/approle', 'update auth/approle/role/admin', 'update sys/mounts/keyvault/payments']) {
        assert.ok(writes.some((x) => x.replace('create ', 'update ') === w), `audited: ${w} (got ${writes.join(', ')})`);
      }
      // The internal token is gone afterwards.
      assert.ok(!readFileSync(auditFile, 'utf8').includes('"client_token":"hvs.'), 'no raw token in the audit log');
    } finally {
      await server.close();
    }
  });

  it('a restart (unseal again) changes nothing', async () => {
    const before = auditEntries().length;
    const server = await start();
    try {
      assert.equal((await unseal(server)).body.sealed, false);
      const entries = auditEntries().slice(before);
      assert.deepEqual(bootstrapWrites(entries), []);
      const token = await login(server.url);
      const read = await httpRequest(server.url, 'GET', '/v1/kv-prod/data/app', { token });
      assert.equal(read.body.data.data.a, '1');
    } finally {
      await server.close();
    }
  });

  it('a changed file is applied as a diff and audited', async () => {
    const before = auditEntries().length;
    writeConfig(`${BASE_ITEMS.replace('"list", "sudo"', '"list", "sudo", "patch"').replace('soft_delete_retention_days = 30', 'soft_delete_retention_days = 45')}
  mount "kv-team" { type = "kv" }
  vault "payments2" { purge_protection = true }`);
    const server = await start();
    try {
      assert.equal((await unseal(server)).body.sealed, false);
      const writes = bootstrapWrites(auditEntries().slice(before)).map((w) => w.replace('create ', 'update '));
      assert.deepEqual(writes.sort(), ['update keyvault/payments/config', 'update sys/mounts/keyvault/payments2', 'update sys/mounts/kv-team', 'update sys/policies/acl/admin']);
      const token = await login(server.url);
      const policy = await httpRequest(server.url, 'GET', '/v1/sys/policies/acl/admin', { token });
      assert.match(policy.body.data.policy, /"patch"/);
      const mounts = await httpRequest(server.url, 'GET', '/v1/sys/mounts', { token });
      assert.equal(mounts.body.data['kv-team/'].type, 'kv');
      assert.equal((await httpRequest(server.url, 'GET', '/v1/keyvault/payments/config', { token })).body.data.soft_delete_retention_days, 45);
      assert.equal((await httpRequest(server.url, 'GET', '/v1/keyvault/payments2/config', { token })).body.data.purge_protection, true);
    } finally {
      await server.close();
    }
  });

  it('an item the server refuses names its line; nothing of the file is applied and the server stays sealed', async () => {
    const items = `${BASE_ITEMS}
  mount "kv-new" { type = "kv" }
  mount "broken" { type = "no-such-engine" }`;
    writeConfig(items);
    const brokenLine = readFileSync(configFile, 'utf8').split('\n').findIndex((l) => l.includes('mount "broken"')) + 1;
    const server = await start();
    try {
      const u = await unseal(server);
      assert.equal(u.status, 400, u.text);
      assert.match(u.body.errors[0], new RegExp(`coffer\\.hcl:${brokenLine}: mount "broken": .*no-such-engine`));
      assert.equal((await httpRequest(server.url, 'GET', '/v1/sys/seal-status')).body.sealed, true);
    } finally {
      await server.close();
    }
    // Back to the good file: kv-new was never created (the failed run was one discarded transaction).
    writeConfig(BASE_ITEMS);
    const again = await start();
    try {
      assert.equal((await unseal(again)).body.sealed, false);
      const token = await login(again.url);
      const mounts = await httpRequest(again.url, 'GET', '/v1/sys/mounts', { token });
      assert.equal(mounts.body.data['kv-new/'], undefined);
    } finally {
      await again.close();
    }
  });

  it('a broken file: one clear error with the line, the server does not start', async () => {
    writeConfig(`${BASE_ITEMS}
  mount "bad" {
    type = "kv"
    colour = "blue"
  }`);
    const line = readFileSync(configFile, 'utf8').split('\n').findIndex((l) => l.includes('mount "bad"')) + 1;
    await assert.rejects(start(), (err: Error) => {
      assert.match(err.message, new RegExp(`coffer\\.hcl:${line}: mount "bad": unknown setting "colour"`));
      return true;
    });
    // A syntax error in a separate bootstrap file names that file and line.
    const bootFile = join(dir, 'boot.hcl');
    writeFileSync(bootFile, 'mount "a" { type = "kv" }\n\nmount "b" { type = kv }\n');
    writeConfig(`  file = "boot.hcl"`);
    await assert.rejects(start(), /boot\.hcl:3: .*quote strings/);
    // The policy is checked too, before anything runs.
    writeConfig(`  policy "p" { policy = "path \\"x\\" { capabilities = [\\"fly\\"] }" }`);
    await assert.rejects(start(), /coffer\.hcl:\d+: policy "p": .*fly/);
  });

  it('bootstrap { file = "..." } reads the items from that file', async () => {
    writeFileSync(join(dir, 'items.hcl'), 'mount "from-file" {\n  type = "kv"\n}\npolicy "reader" {\n  policy = "path \\"from-file/*\\" { capabilities = [\\"read\\"] }"\n}\n');
    writeConfig('  file = "items.hcl"', `storage "sqlite" { path = "${join(dir, 'file-mode', 'coffer.db')}" }`);
    const server = await start();
    try {
      const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      assert.equal((await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys[0] } })).body.sealed, false);
      const token = init.body.root_token;
      assert.equal((await httpRequest(server.url, 'GET', '/v1/sys/mounts', { token })).body.data['from-file/'].type, 'kv');
      assert.match((await httpRequest(server.url, 'GET', '/v1/sys/policies/acl/reader', { token })).body.data.policy, /from-file/);
    } finally {
      await server.close();
    }
  });

  it('sys/init refuses root_token=false when no bootstrap makes an admin', async () => {
    writeFileSync(configFile, `storage "sqlite" { path = "${join(dir, 'other', 'coffer.db')}" }\nlistener "tcp" {\n address = "127.0.0.1:0"\n tls_disable = true\n}\n`);
    const server = await start();
    try {
      const res = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1, root_token: false } });
      assert.equal(res.status, 400);
      assert.match(res.body.errors[0], /bootstrap/);
      assert.deepEqual((await httpRequest(server.url, 'GET', '/v1/sys/init')).body, { initialized: false });
    } finally {
      await server.close();
    }
  });
});
