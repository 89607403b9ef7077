import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runServer, type RunningServer } from '../../src/server/run.js';
import { httpRequest } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-prod-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const configFile = join(dir, 'coffer.hcl');
writeFileSync(configFile, `
# Production-style config: embedded SQLite, sealed at start.
storage "sqlite" {
  path = "${join(dir, 'data', 'coffer.db')}"
}
listener "tcp"
{
  address     = "127.0.0.1:0"
  tls_disable = true
}
`);

async function start(): Promise<RunningServer> {
  return runServer({ config: configFile, quiet: true, logLevel: 'silent' });
}

describe('production mode: init, unseal, seal, restart', () => {
  const SECRET = 'prod-secret-value-7f3a9c';
  let rootToken = '';
  let keys: string[] = [];

  it('starts uninitialized and sealed; init returns shares and a root token once', async () => {
    const server = await start();
    try {
      const req = (m: string, p: string, o = {}) => httpRequest(server.url, m, p, o);
      assert.deepEqual((await req('GET', '/v1/sys/init')).body, { initialized: false });
      assert.equal((await req('GET', '/v1/sys/health')).status, 501);
      assert.equal((await req('GET', '/v1/secret/data/x', { token: 'whatever' })).status, 503);

      const bad = await req('PUT', '/v1/sys/init', { body: { secret_shares: 3, secret_threshold: 1 } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.errors[0], /threshold must be greater than one/);

      const init = await req('PUT', '/v1/sys/init', { body: { secret_shares: 5, secret_threshold: 3 } });
      assert.equal(init.status, 200);
      assert.equal(init.body.keys.length, 5);
      assert.equal(init.body.keys[0].length, 66);
      assert.equal(init.body.keys_base64.length, 5);
      assert.match(init.body.root_token, /^hvs\./);
      keys = init.body.keys;
      rootToken = init.body.root_token;

      const again = await req('PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      assert.equal(again.status, 400);
      assert.deepEqual(again.body, { errors: ['Vault is already initialized'] });

      // Still sealed after init (Shamir).
      const status = await req('GET', '/v1/sys/seal-status');
      assert.equal(status.body.sealed, true);
      assert.equal(status.body.t, 3);
      assert.equal(status.body.n, 5);
      assert.equal(status.body.storage_type, 'sqlite');
      assert.equal((await req('GET', '/v1/sys/health')).status, 503);
      assert.deepEqual((await req('GET', '/v1/sys/mounts', { token: rootToken })).body, { errors: ['Vault is sealed'] });
    } finally {
      await server.close();
    }
  });

  it('unseals with three shares (hex and base64), stores data, seals on request', async () => {
    const server = await start();
    try {
      const req = (m: string, p: string, o = {}) => httpRequest(server.url, m, p, { token: rootToken, ...o });
      assert.equal((await req('PUT', '/v1/sys/unseal', { body: {} })).status, 400);
      assert.match((await req('PUT', '/v1/sys/unseal', { body: { key: 'not-a-key!' } })).body.errors[0], /valid hex or base64/);
      let s = await req('PUT', '/v1/sys/unseal', { body: { key: keys[0] } });
      assert.equal(s.body.progress, 1);
      assert.equal(s.body.sealed, true);
      s = await req('PUT', '/v1/sys/unseal', { body: { reset: true } });
      assert.equal(s.body.progress, 0);
      await req('PUT', '/v1/sys/unseal', { body: { key: keys[4] } });
      await req('PUT', '/v1/sys/unseal', { body: { key: Buffer.from(keys[2]!, 'hex').toString('base64') } });
      s = await req('PUT', '/v1/sys/unseal', { body: { key: keys[0] } });
      assert.equal(s.body.sealed, false);
      assert.equal((await req('GET', '/v1/sys/health')).status, 200);

      assert.equal((await req('POST', '/v1/sys/mounts/secret', { body: { type: 'kv', options: { version: '2' } } })).status, 204);
      assert.equal((await req('POST', '/v1/secret/data/app/db', { body: { data: { password: SECRET } } })).status, 200);
      assert.equal((await req('PUT', '/v1/sys/seal')).status, 204);
      assert.equal((await req('GET', '/v1/secret/data/app/db')).status, 503);
    } finally {
      await server.close();
    }
  });

  it('after a restart the server is sealed, then unsealed the data is all there', async () => {
    const server = await start();
    try {
      const req = (m: string, p: string, o = {}) => httpRequest(server.url, m, p, { token: rootToken, ...o });
      assert.equal((await req('GET', '/v1/sys/seal-status')).body.sealed, true);
      for (const k of keys.slice(1, 4)) await req('PUT', '/v1/sys/unseal', { body: { key: k } });
      const read = await req('GET', '/v1/secret/data/app/db');
      assert.equal(read.status, 200);
      assert.equal(read.body.data.data.password, SECRET);
      // A wrong combination of shares is refused and leaves it sealed.
      await req('PUT', '/v1/sys/seal');
      await req('PUT', '/v1/sys/unseal', { body: { key: keys[0] } });
      await req('PUT', '/v1/sys/unseal', { body: { key: keys[1] } });
      const forged = Buffer.from(keys[2]!, 'hex');
      forged[5]! ^= 0xff;
      const wrong = await req('PUT', '/v1/sys/unseal', { body: { key: forged.toString('hex') } });
      assert.equal(wrong.status, 400);
      assert.equal((await req('GET', '/v1/sys/seal-status')).body.sealed, true);
      assert.equal((await req('GET', '/v1/sys/seal-status')).body.progress, 0);
      // Rotation adds a key term (after unsealing again).
      for (const k of keys.slice(0, 3)) await req('PUT', '/v1/sys/unseal', { body: { key: k } });
      assert.equal((await req('PUT', '/v1/sys/rotate')).status, 204);
      assert.equal((await req('GET', '/v1/sys/key-status')).body.data.term, 2);
      assert.equal((await req('GET', '/v1/secret/data/app/db')).body.data.data.password, SECRET);
    } finally {
      await server.close();
    }
  });

  it('nothing readable at rest: the database holds neither the secret nor the root token, and is mode 0600', () => {
    const dataDir = join(dir, 'data');
    const files = readdirSync(dataDir).filter((f) => f.startsWith('coffer.db'));
    assert.ok(files.length >= 1);
    for (const f of files) {
      const raw = readFileSync(join(dataDir, f));
      assert.equal(raw.includes(SECRET), false, `${f} contains the secret value`);
      assert.equal(raw.includes(rootToken), false, `${f} contains the root token`);
      assert.equal(raw.includes(rootToken.slice(4)), false, `${f} contains the root token body`);
      assert.equal(statSync(join(dataDir, f)).mode & 0o777, 0o600, `${f} mode`);
    }
  });
});

describe('config errors are clear', () => {
  it('names the problem', async () => {
    const bad = join(dir, 'bad.hcl');
    writeFileSync(bad, 'storage "mongo" { }\n');
    await assert.rejects(runServer({ config: bad, quiet: true, logLevel: 'silent' }), /unknown storage type/);
    writeFileSync(bad, 'listener "tcp" { address = "127.0.0.1:0" }\n');
    await assert.rejects(runServer({ config: bad, quiet: true, logLevel: 'silent' }), /exactly one storage block/);
    await assert.rejects(runServer({ config: join(dir, 'missing.hcl'), quiet: true }), /cannot read config file/);
    writeFileSync(bad, 'storage = "sqlite"\n');
    await assert.rejects(runServer({ config: bad, quiet: true, logLevel: 'silent' }), /bad\.hcl: .*storage/);
    writeFileSync(bad, 'storage "sqlite" { path = "x.db" }\nlistner "tcp" {}\n');
    await assert.rejects(runServer({ config: bad, quiet: true, logLevel: 'silent' }), /unknown setting "listner"/);
    writeFileSync(bad, 'storage "sqlite" {\n  path = "x.db"\n');
    await assert.rejects(runServer({ config: bad, quiet: true, logLevel: 'silent' }), /line \d+/);
  });
});

describe('static seal (auto-unseal from a key file)', () => {
  it('initializes without shares, stays unsealed, auto-unseals after a restart, refuses a loose key file', async () => {
    const sdir = join(dir, 'static');
    const { mkdirSync, chmodSync } = await import('node:fs');
    const { randomBytes } = await import('node:crypto');
    mkdirSync(sdir, { recursive: true });
    const keyFile = join(sdir, 'unseal.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const cfg = join(sdir, 'coffer.hcl');
    writeFileSync(cfg, `storage "sqlite" { path = "${join(sdir, 'coffer.db')}" }\nlistener "tcp" { address = "127.0.0.1:0"\n tls_disable = true }\nseal "static" { key_file = "${keyFile}" }\n`);
    let server = await runServer({ config: cfg, quiet: true, logLevel: 'silent' });
    let token = '';
    try {
      const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      assert.equal(init.status, 200);
      assert.deepEqual(init.body.keys, []);
      token = init.body.root_token;
      const status = await httpRequest(server.url, 'GET', '/v1/sys/seal-status');
      assert.equal(status.body.sealed, false);
      assert.equal(status.body.type, 'static');
      await httpRequest(server.url, 'POST', '/v1/sys/mounts/kv', { token, body: { type: 'kv' } });
      assert.equal((await httpRequest(server.url, 'PUT', '/v1/kv/app', { token, body: { k: 'v' } })).status, 204);
    } finally {
      await server.close();
    }
    server = await runServer({ config: cfg, quiet: true, logLevel: 'silent' });
    try {
      assert.equal((await httpRequest(server.url, 'GET', '/v1/sys/seal-status')).body.sealed, false);
      assert.equal((await httpRequest(server.url, 'GET', '/v1/kv/app', { token })).body.data.k, 'v');
    } finally {
      await server.close();
    }
    chmodSync(keyFile, 0o644);
    await assert.rejects(runServer({ config: cfg, quiet: true, logLevel: 'silent' }), /readable by group or others/);
    chmodSync(keyFile, 0o600);
    writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    await assert.rejects(runServer({ config: cfg, quiet: true, logLevel: 'silent' }), /does not match this storage/);
  });
});
