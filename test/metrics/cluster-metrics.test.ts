// Cluster state in sys/metrics: two real `coffer server` processes with ha_enabled on one
// PostgreSQL table. Exactly one reports itself leader; both report a current change feed.
// Skipped with the reason when PostgreSQL is absent (fails under CI).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { requirePostgres } from '../helpers/postgres.js';

if (await requirePostgres('sys/metrics on a Coffer cluster')) {
  let c: TestCluster;
  before(async () => {
    c = await startCluster({ nodes: 2, seal: 'static' });
    assert.equal((await c.init(0)).status, 200);
    for (let i = 0; i < 2; i++) await c.waitFor(async () => (await c.request(i, 'GET', '/v1/sys/health')).status === 200, 15_000, `node ${i} unsealed`);
  });
  after(async () => c?.close());

  async function gauge(node: number, name: string): Promise<number> {
    const r = await c.request(node, 'GET', '/v1/sys/metrics?format=prometheus');
    assert.equal(r.status, 200, r.text);
    const family = (parsePrometheusTextFormat(r.text) as { name: string; metrics: { value: string }[] }[]).find((f) => f.name === name);
    assert.ok(family, `${name} on node ${node}`);
    return Number(family.metrics[0]!.value);
  }

  test('exactly one node is the leader; both have a current change feed', async () => {
    // Leadership is taken by a background election: wait (bounded) until one node holds it.
    await c.waitFor(async () => (await gauge(0, 'coffer_cluster_leader')) + (await gauge(1, 'coffer_cluster_leader')) === 1, 15_000, 'one leader');
    assert.equal((await gauge(0, 'coffer_cluster_leader')) + (await gauge(1, 'coffer_cluster_leader')), 1);
    assert.equal(await gauge(0, 'coffer_cluster_change_feed_current'), 1);
    assert.equal(await gauge(1, 'coffer_cluster_change_feed_current'), 1);
  });
}
