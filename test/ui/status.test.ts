/**
 * The web UI's status page on a two-node cluster (PostgreSQL, ha_enabled): both nodes listed,
 * the leader marked, from either node. Skipped with the reason when PostgreSQL is absent (fails
 * under CI).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type TestCluster } from '../helpers/cluster.js';
import { requirePostgres } from '../helpers/postgres.js';
import { startBrowserHarness, uiSkipReason, type BrowserHarness } from '../helpers/browser.js';

const skip = uiSkipReason();
if (skip || (await requirePostgres('web UI status page on a cluster'))) {
  describe('web UI: status page of a cluster', { skip }, () => {
    let ui: BrowserHarness;
    let c: TestCluster;
    before(async () => {
      ui = await startBrowserHarness();
      c = await startCluster({ nodes: 2, seal: 'static' });
      const init = await c.init(0);
      assert.equal(init.status, 200, init.text);
      for (let i = 0; i < 2; i++) await c.waitFor(async () => (await c.request(i, 'GET', '/v1/sys/health')).status === 200, 20_000, `node ${i} unsealed`);
      await c.waitFor(async () => ((await c.request(0, 'GET', '/v1/sys/ha-status')).body?.Nodes?.length ?? 0) === 2, 20_000, 'both nodes in ha-status');
    });
    after(async () => {
      // The browser first (see init.test.ts).
      await ui?.close();
      await c?.close();
    });

    it('lists the nodes and marks the leader, on each node', async () => {
      const leader = (await c.request(0, 'GET', '/v1/sys/leader')).body.leader_address as string;
      assert.ok(leader, 'a leader was chosen');
      for (const node of c.nodes) {
        const page = await ui.newPage();
        await page.goto(`${node.url}/ui/#/login`);
        await page.getByLabel('Token', { exact: true }).fill(c.rootToken);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.getByRole('heading', { name: 'Server status' }).waitFor();
        const facts = await page.locator('dl.facts').innerText();
        assert.match(facts, /postgresql/);
        assert.match(facts, new RegExp(`enabled, leader ${leader.replace(/[.:/]/g, '\\$&')}${node.url === leader ? ' \\(this node\\)' : ''}`));
        const table = page.getByRole('region', { name: 'Cluster nodes' });
        await table.waitFor();
        const rows = table.locator('tbody tr');
        assert.equal(await rows.count(), 2);
        const leaderRow = rows.filter({ has: page.locator('.badge', { hasText: 'leader' }) });
        assert.equal(await leaderRow.count(), 1);
        assert.match(await leaderRow.innerText(), new RegExp(leader.replace(/[.:/]/g, '\\$&')));
        await ui.checkA11y(page);
        await ui.screenshot(page, `status-cluster-node${node.index}`);
        ui.assertNoPageErrors(page);
        await page.close();
      }
    });
  });
}
