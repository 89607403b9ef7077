// The database fails over under Coffer: a private PostgreSQL primary + synchronous standby
// (Debian's PostgreSQL 15 binaries), a Coffer node with ha_enabled and a multi-host
// connection_url, KV writes through the Vault API, then the primary is killed and the standby
// promoted. Coffer answers 503 (never a 500, never a hang) while no primary is writable, carries
// on by itself after the promotion, and every acknowledged write is still there.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runServer, type RunningServer } from '../../src/server/run.js';
import { nodeRequest } from '../helpers/cluster.js';
import { PgCluster, requirePgCluster } from '../helpers/pg-cluster.js';

/** No request may take longer than this, failover or not. */
const ANSWER_BOUND_MS = 12_000;

if (requirePgCluster('Coffer across a PostgreSQL failover')) {
  describe('Coffer across a PostgreSQL failover', () => {
    let pg: PgCluster;
    let server: RunningServer;
    let dir: string;
    let token = '';
    before(async () => {
      pg = await PgCluster.start();
      dir = mkdtempSync(join(tmpdir(), 'coffer-dbfail-'));
      writeFileSync(join(dir, 'unseal.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
      writeFileSync(join(dir, 'coffer.hcl'), [
        `storage "postgresql" {\n  connection_url = "${pg.url()}"\n  table = "coffer_${randomBytes(4).toString('hex')}"\n  ha_enabled = true\n}`,
        'listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}',
        `seal "static" {\n  key_file = "${join(dir, 'unseal.key')}"\n}`,
      ].join('\n'));
      server = await runServer({ config: join(dir, 'coffer.hcl'), quiet: true, logLevel: 'silent' });
      token = (await nodeRequest(server.url, 'PUT', '/v1/sys/init', { body: {} })).body.root_token;
      assert.equal((await nodeRequest(server.url, 'POST', '/v1/sys/mounts/secret', { token, body: { type: 'kv-v2' } })).status, 204);
    });
    after(async () => {
      await server?.close();
      await pg?.remove();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('writes through Coffer carry on after kill + promote, with 503s meanwhile and no acknowledged write lost', async () => {
      const acked: string[] = [];
      const statuses = new Map<number, number>();
      let stop = false;
      let firstAfterKill: number | undefined;
      let killedAt = 0;
      const writer = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const key = `fo-${w}-${i}`;
          const started = Date.now();
          const r = await nodeRequest(server.url, 'POST', `/v1/secret/data/${key}`, { token, body: { data: { v: key } } });
          assert.ok(Date.now() - started < ANSWER_BOUND_MS, `a write took ${Date.now() - started} ms`);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          assert.ok(r.status === 200 || r.status === 503, `status ${r.status}: ${r.text}`);
          if (r.status === 200) {
            acked.push(key);
            if (killedAt && firstAfterKill === undefined && started > killedAt) firstAfterKill = Date.now() - killedAt;
          } else {
            assert.match(r.text, /unavailable|retry|cannot confirm/);
            await new Promise((res) => setTimeout(res, 20));
          }
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      await new Promise((r) => setTimeout(r, 1500));
      const before = acked.length;
      killedAt = Date.now();
      await pg.killPrimary('immediate');
      await new Promise((r) => setTimeout(r, 300));
      await pg.promoteStandby();
      const deadline = Date.now() + 20_000;
      while (firstAfterKill === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1000));
      stop = true;
      await Promise.all(writers);
      assert.ok(before > 10, `only ${before} writes before the kill`);
      assert.ok(firstAfterKill !== undefined, `no write succeeded after the failover (statuses ${JSON.stringify([...statuses])})`);
      console.log(`Coffer across a database failover: first acknowledged write ${firstAfterKill} ms after the primary was killed (promotion at +300 ms); ${acked.length} writes acknowledged; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
      for (const key of acked) {
        const r = await nodeRequest(server.url, 'GET', `/v1/secret/data/${key}`, { token });
        assert.equal(r.body?.data?.data?.v, key, `acknowledged write ${key} lost`);
      }
    });
  });
}
