// A production-mode server on PostgreSQL storage: init, unseal, data, restart, and one active
// server per table. Skipped with the reason when PostgreSQL is not there (fails under CI).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runServer } from '../../src/server/run.js';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { pgAdmin, pgAdminRows, pgCutSessions, pgUrl, pgUrlNamed, requirePostgres } from '../helpers/postgres.js';
import { httpRequest } from '../helpers/server.js';

if (await requirePostgres('server on PostgreSQL')) {
  const table = `coffer_server_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'coffer-pg-server-'));
  const cfg = join(dir, 'coffer.hcl');
  writeFileSync(cfg, `storage "postgresql" {\n  connection_url = "${pgUrl}"\n  table = "${table}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await pgAdmin(`DROP TABLE IF EXISTS "${table}"`);
  });

  test('init, unseal, write, restart, read, with one active server per table', async () => {
    let server = await runServer({ config: cfg, quiet: true, logLevel: 'silent' });
    let keys: string[] = [];
    let token = '';
    try {
      assert.equal((await httpRequest(server.url, 'GET', '/v1/sys/seal-status')).body.storage_type, 'postgresql');
      const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 3, secret_threshold: 2 } });
      keys = init.body.keys;
      token = init.body.root_token;
      for (const key of keys.slice(0, 2)) await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key } });
      await httpRequest(server.url, 'POST', '/v1/sys/mounts/secret', { token, body: { type: 'kv-v2' } });
      assert.equal((await httpRequest(server.url, 'POST', '/v1/secret/data/pg', { token, body: { data: { v: 'stored-in-postgres' } } })).status, 200);
      await assert.rejects(runServer({ config: cfg, quiet: true, logLevel: 'silent' }), /in use by another Coffer server/);
    } finally {
      await server.close();
    }
    server = await runServer({ config: cfg, quiet: true, logLevel: 'silent' });
    try {
      assert.equal((await httpRequest(server.url, 'GET', '/v1/sys/seal-status')).body.sealed, true);
      for (const key of keys.slice(1, 3)) await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key } });
      assert.equal((await httpRequest(server.url, 'GET', '/v1/secret/data/pg', { token })).body.data.data.v, 'stored-in-postgres');
    } finally {
      await server.close();
    }
  });

  test('cut database connections: 503s that say what happens, then it serves again and sees what changed meanwhile', async () => {
    // A table of its own, its sessions named after it, so exactly this server's connections are cut.
    const cutTable = `${table}_cut`;
    const cutCfg = join(dir, 'cut.hcl');
    writeFileSync(cutCfg, `storage "postgresql" {\n  connection_url = "${pgUrlNamed(cutTable)}"\n  table = "${cutTable}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
    after(() => pgAdmin(`DROP TABLE IF EXISTS "${cutTable}"`));
    const server = await runServer({ config: cutCfg, quiet: true, logLevel: 'silent' });
    try {
      const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      assert.equal(init.status, 200, init.text);
      const token = init.body.root_token;
      await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys[0] } });
      assert.equal((await httpRequest(server.url, 'POST', '/v1/sys/mounts/secret', { token, body: { type: 'kv-v2' } })).status, 204);
      const write = (v: string) => httpRequest(server.url, 'POST', '/v1/secret/data/cut', { token, body: { data: { v } } });
      const read = () => httpRequest(server.url, 'GET', '/v1/secret/data/cut', { token });
      assert.equal((await write('before')).status, 200);
      assert.equal((await read()).body.data.data.v, 'before'); // now in the server's value cache
      const tokenRows = async () => (await pgAdminRows(`SELECT encode(key, 'escape') AS k FROM "${cutTable}" WHERE encode(key, 'escape') LIKE 'sys/token/id/%'`)).map((r) => r.k as string);
      const rootRows = await tokenRows();
      // A second token, used once (now in the token cache); the other server will revoke it.
      const child = await httpRequest(server.url, 'POST', '/v1/auth/token/create', { token, body: { policies: ['default'] } });
      const childToken = child.body.auth.client_token;
      assert.equal((await httpRequest(server.url, 'GET', '/v1/auth/token/lookup-self', { token: childToken })).status, 200);

      // The database drops this server's sessions, its lock among them. While it has no lock,
      // another server takes the table and writes; the cache must not hide that write.
      assert.ok((await pgCutSessions(cutTable)) >= 1, 'the lock session was cut');
      const other = await PostgresStorage.open({ connectionUrl: pgUrl, table: cutTable, exclusive: true });
      try {
        // Raw rows are ciphertext: the other "server" puts back an older version's row, a change the first one never made.
        const rows = (await pgAdminRows(`SELECT encode(key, 'escape') AS k FROM "${cutTable}" WHERE encode(key, 'escape') LIKE '%cut%'`)).map((r) => r.k as string);
        assert.ok(rows.length > 0);
        for (let i = 0; i < 20; i++) {
          const r = await read();
          assert.equal(r.status, 503, r.text);
          assert.match(r.body.errors[0], /lock on .* dropped; taking the lock again/);
        }
        await other.delete(rows.find((k) => k.includes('meta'))!);
        // The other server revokes the child token: its entry goes.
        const childRows = (await tokenRows()).filter((k) => !rootRows.includes(k));
        assert.equal(childRows.length, 1);
        await other.delete(childRows[0]!);
      } finally {
        await other.close();
      }
      // Once the lock is its own again it serves, and reads storage instead of its old caches.
      let after = await read();
      for (let i = 0; i < 100 && after.status === 503; i++) {
        await new Promise((r) => setTimeout(r, 50));
        after = await read();
      }
      assert.equal(after.status, 404, `after the lock came back: ${after.status} ${after.text}`);
      // The child token is gone (the token cache was dropped too): nothing is served to it.
      assert.equal((await httpRequest(server.url, 'GET', '/v1/auth/token/lookup-self', { token: childToken })).status, 403);
      assert.equal((await write('after')).status, 200);
      assert.equal((await read()).body.data.data.v, 'after');
    } finally {
      await server.close();
    }
  });
}
