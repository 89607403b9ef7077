/**
 * `?expiring_within=` on the Key Vault front's secret listing (raw HTTPS, as Key Vault clients
 * call it), carried into `nextLink` so every page is filtered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { startTlsServer, type TlsServer } from '../azure/fixtures/harness.js';

describe('events: expiring_within on the Key Vault front', () => {
  let s: TlsServer;
  const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
  before(async () => {
    s = await startTlsServer({ clock });
    assert.equal((await s.api('POST', 'sys/mounts/keyvault/expvault', { type: 'keyvault' })).status, 204);
  });
  after(async () => {
    await s?.close();
  });

  it('lists only secrets expiring within the window, on every page', async () => {
    const host = `expvault.vault.localhost:${s.port}`;
    const now = Math.floor(clock.now() / 1000);
    const put = (name: string, body: unknown) =>
      s.raw('PUT', `/secrets/${name}?api-version=7.4`, { headers: { host, authorization: `Bearer ${s.rootToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const [name, exp] of [['a-soon', now + 86400], ['b-later', now + 90 * 86400], ['c-none', undefined], ['d-soon', now + 2 * 86400]] as const) {
      const res = await put(name, exp === undefined ? { value: 'v' } : { value: 'v', attributes: { exp } });
      assert.equal(res.status, 200, res.text);
    }
    const get = (path: string) => s.raw('GET', path, { headers: { host, authorization: `Bearer ${s.rootToken}` } });
    const names: string[] = [];
    let next: string | null = `/secrets?api-version=7.4&maxresults=1&expiring_within=7d`;
    for (let i = 0; next && i < 10; i++) {
      const res = await get(next);
      assert.equal(res.status, 200, res.text);
      names.push(...res.body.value.map((v: any) => String(v.id).split('/').pop()));
      next = res.body.nextLink ? new URL(res.body.nextLink).pathname + new URL(res.body.nextLink).search : null;
      if (next) assert.match(next, /expiring_within=7d/);
    }
    assert.deepEqual(names, ['a-soon', 'd-soon']);
    const bad = await get('/secrets?api-version=7.4&expiring_within=soon');
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.text, /expiring_within/);
  });
});
