// The server config's telemetry block: unauthenticated sys/metrics on a production-mode server on
// PostgreSQL (storage latency of a real database), and clear errors for a wrong block.
// Skipped with the reason when PostgreSQL is not there (fails under CI).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { runServer } from '../../src/server/run.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';
import { httpRequest } from '../helpers/server.js';

// Asked before any test is registered: the root's after hooks must run after every test.
const havePostgres = await requirePostgres('sys/metrics on PostgreSQL');
const dir = mkdtempSync(join(tmpdir(), 'coffer-telemetry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, storage: string, telemetry: string): string {
  const file = join(dir, `${name}.hcl`);
  writeFileSync(file, `${storage}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n${telemetry}\n`);
  return file;
}

test('a wrong telemetry block is refused at start with the setting named', async () => {
  const inmem = 'storage "inmem" {}';
  await assert.rejects(runServer({ config: config('typo', inmem, 'telemetry { unauthenticated_metric_access = true }'), quiet: true, logLevel: 'silent' }),
    /telemetry: unknown setting "unauthenticated_metric_access" \(known: unauthenticated_metrics_access\)/);
  await assert.rejects(runServer({ config: config('notbool', inmem, 'telemetry { unauthenticated_metrics_access = "yes" }'), quiet: true, logLevel: 'silent' }),
    /"unauthenticated_metrics_access" must be true or false/);
});

if (havePostgres) {
  const table = `coffer_metrics_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  after(() => pgAdmin(`DROP TABLE IF EXISTS "${table}"`));

  test('unauthenticated_metrics_access serves sys/metrics without a token; storage latency comes from PostgreSQL', async () => {
    const storage = `storage "postgresql" {\n  connection_url = "${pgUrl}"\n  table = "${table}"\n}`;
    const server = await runServer({ config: config('pg', storage, 'telemetry {\n  unauthenticated_metrics_access = true\n}'), quiet: true, logLevel: 'silent' });
    try {
      const req = (m: string, p: string, o = {}) => httpRequest(server.url, m, p, o);
      const init = await req('PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      assert.equal(init.status, 200);
      await req('PUT', '/v1/sys/unseal', { body: { key: init.body.keys[0] } });
      const token = init.body.root_token as string;
      assert.equal((await req('POST', '/v1/sys/mounts/secret', { token, body: { type: 'kv-v2' } })).status, 204);
      assert.equal((await req('POST', '/v1/secret/data/pg', { token, body: { data: { v: 'in-postgres' } } })).status, 200);
      assert.equal((await req('GET', '/v1/secret/data/pg', { token })).status, 200);

      const r = await req('GET', '/v1/sys/metrics?format=prometheus');
      assert.equal(r.status, 200, r.text);
      const families = parsePrometheusTextFormat(r.text) as { name: string; metrics: { value?: string; labels?: Record<string, string>; count?: string }[] }[];
      const find = (name: string) => families.find((f) => f.name === name)!;
      const reads = find('coffer_requests_total').metrics.find((m) => m.labels?.mount_type === 'kv' && m.labels.operation === 'read' && m.labels.status === '200');
      assert.equal(Number(reads?.value), 1);
      assert.equal(Number(find('coffer_sealed').metrics[0]!.value), 0);
      assert.equal(Number(find('coffer_tokens').metrics[0]!.value), 1, 'the root token');
      // A single server (no ha_enabled) reports no cluster role.
      assert.equal(find('coffer_cluster_leader'), undefined);

      // The JSON form also needs no token, and storage commits were timed against PostgreSQL.
      const json = await req('GET', '/v1/sys/metrics');
      assert.equal(json.status, 200);
      const batch = json.body.Samples.find((x: { Name: string; Labels: Record<string, string> }) => x.Name === 'coffer_storage_operation_duration_seconds' && x.Labels.operation === 'batch');
      assert.ok(batch.Count >= 2 && batch.Sum > 0);
    } finally {
      await server.close();
    }
  });
}
