// sys/storage/snapshot on a production-mode server with PostgreSQL storage (REPEATABLE READ
// snapshot, one-transaction restore). Skipped with the reason when PostgreSQL is not there.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { runServer } from '../../src/server/run.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';
import { httpRequest } from '../helpers/server.js';
import { snapshotScenarios, type Target } from './scenario.js';

if (await requirePostgres('snapshots on PostgreSQL')) {
  const table = `coffer_snap_server_${process.pid}_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'coffer-snap-pg-'));
  const cfg = join(dir, 'coffer.hcl');
  writeFileSync(cfg, `storage "postgresql" {\n  connection_url = "${pgUrl}"\n  table = "${table}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
  let server: Awaited<ReturnType<typeof runServer>>;
  let target: Target;
  before(async () => {
    server = await runServer({ config: cfg, quiet: true, logLevel: 'silent' });
    const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys[0] } });
    target = { url: server.url, token: init.body.root_token };
    await httpRequest(server.url, 'POST', '/v1/sys/mounts/secret', { token: target.token, body: { type: 'kv-v2' } });
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    await pgAdmin(`DROP TABLE IF EXISTS "${table}"`);
  });
  describe('snapshots on PostgreSQL (HTTP)', () => {
    snapshotScenarios(() => target);
  });
}
