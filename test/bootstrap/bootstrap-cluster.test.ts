// Issue 11 gap 10: a bootstrap on a cluster (PostgreSQL with ha_enabled, static seal). Two nodes
// with the same bootstrap block that start at the same moment apply a new item once (the
// application is one storage transaction conditioned on what it read, so the second node's
// attempt conflicts and, re-run, finds it done): both end unsealed, the mount is created once
// (data written through one node survives the other's start), and a restart changes nothing.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { requirePostgres } from '../helpers/postgres.js';

const POLICY = 'path "team/*" { capabilities = ["read"] }';
const first = `bootstrap {\n  policy "base" {\n    policy = ${JSON.stringify(POLICY)}\n  }\n}`;
const second = `bootstrap {\n  policy "base" {\n    policy = ${JSON.stringify(POLICY)}\n  }\n  mount "team" {\n    type = "kv"\n    options = { version = "2" }\n  }\n  policy "team-writer" {\n    policy = ${JSON.stringify('path "team/data/*" { capabilities = ["create", "update", "read"] }')}\n  }\n}`;

if (await requirePostgres('bootstrap on an HA cluster')) {
  describe('bootstrap on two active nodes', { timeout: 180_000 }, () => {
    let c: TestCluster;
    before(async () => {
      c = await startCluster({ nodes: 2, seal: 'static', extraConfig: first });
      const init = await c.init(0);
      assert.equal(init.status, 200, init.text);
    });
    after(() => c?.close());

    const healthy = (node: number) => c.waitFor(async () => (await c.request(node, 'GET', '/v1/sys/health', { token: null })).status === 200, 30_000, `node ${node} healthy`);
    const setBootstrap = (text: string) => {
      for (const n of c.nodes) {
        const file = join(c.dir, `node${n.index}.hcl`);
        const cfg = readFileSync(file, 'utf8');
        writeFileSync(file, cfg.slice(0, cfg.indexOf('bootstrap {')) + text + '\n');
      }
    };
    const restartBoth = async () => {
      c.kill(0);
      c.kill(1);
      await Promise.all([c.start(0), c.start(1)]);
      await Promise.all([healthy(0), healthy(1)]);
    };

    it('a new item applied by two nodes starting together is created once; a restart changes nothing', async () => {
      await healthy(0);
      setBootstrap(second);
      await restartBoth();
      for (const node of [0, 1]) {
        const output = c.nodes[node]!.output;
        assert.doesNotMatch(output, /bootstrap not applied|sealing again/, `node ${node}:\n${output}`);
      }
      const mounts = await c.request(1, 'GET', '/v1/sys/mounts');
      assert.equal(mounts.status, 200, mounts.text);
      const team = mounts.body.data['team/'];
      assert.equal(team?.type, 'kv');
      assert.equal(team.options.version, '2');
      assert.equal((await c.request(0, 'GET', '/v1/sys/policies/acl/team-writer')).status, 200);

      // Data written now must survive every later start (a second "create" would have replaced the mount).
      assert.equal((await c.request(0, 'POST', '/v1/team/data/app', { body: { data: { k: 'v' } } })).status, 200);
      assert.equal((await c.request(1, 'GET', '/v1/team/data/app')).body?.data?.data?.k, 'v');

      await restartBoth();
      const again = await c.request(0, 'GET', '/v1/sys/mounts');
      assert.match(String(team.uuid), /^[0-9a-f-]{36}$/);
      assert.equal(again.body.data['team/'].uuid, team.uuid, 'the same mount, not a new one');
      assert.equal((await c.request(1, 'GET', '/v1/team/data/app')).body?.data?.data?.k, 'v');
      const versions = await c.request(0, 'GET', '/v1/team/metadata/app');
      assert.equal(versions.body.data.current_version, 1);
    });
  });
}
