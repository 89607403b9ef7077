// A production-mode server on PostgreSQL storage: init, unseal, data, restart, and one active
// server per table. Skipped with the reason when PostgreSQL is not there (fails under CI).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runServer } from '../../src/server/run.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';
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
}
