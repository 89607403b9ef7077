/**
 * Coffer's tag filter on the Key Vault secret listing (`GET /secrets?tag=name:value`; Key
 * Vault's GetSecrets has no filter of its own), through the real Key Vault front over HTTPS:
 * every page follows nextLink, which keeps the filter, and together they give exactly the
 * tagged secrets; bad filters are a 400 BadParameter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTlsServer, type TlsServer } from '../azure/fixtures/harness.js';

describe('Key Vault secret listing filtered by tag', () => {
  let s: TlsServer;
  let host = '';
  const names = Array.from({ length: 30 }, (_, i) => `s-${String(i).padStart(2, '0')}`);
  const teamA = names.filter((_, i) => i % 4 === 1);
  const get = (path: string) => s.raw('GET', path, { headers: { host, authorization: `Bearer ${s.rootToken}` } });

  before(async () => {
    s = await startTlsServer();
    host = `tagvault.vault.localhost:${s.port}`;
    assert.equal((await s.api('POST', 'sys/mounts/keyvault/tagvault', { type: 'keyvault' })).status, 204);
    for (const [i, name] of names.entries()) {
      const tags = teamA.includes(name) ? { team: 'a', env: 'prod' } : i % 4 === 2 ? { team: 'b' } : i % 4 === 3 ? { other: 'a' } : undefined;
      const res = await s.api('PUT', `keyvault/tagvault/secrets/${name}`, { value: 'v', ...(tags ? { tags } : {}) });
      assert.equal(res.status, 200, res.text);
    }
  });
  after(() => s.close());

  /** Every item id of a listing, following nextLink (bounded). */
  async function allIds(first: string): Promise<{ ids: string[]; links: string[] }> {
    const ids: string[] = [];
    const links: string[] = [];
    let path: string | null = first;
    for (let guard = 0; path !== null && guard < 50; guard++) {
      const res = await get(path);
      assert.equal(res.status, 200, res.text);
      ids.push(...res.body.value.map((item: { id: string }) => item.id.split('/').pop()));
      const next: string | null = res.body.nextLink;
      if (next) links.push(next);
      path = next ? new URL(next).pathname + new URL(next).search : null;
    }
    return { ids, links };
  }

  it('returns only the secrets carrying the tag, over every page', async () => {
    const { ids, links } = await allIds('/secrets?api-version=7.6&maxresults=5&tag=team%3Aa');
    assert.deepEqual(ids, teamA);
    assert.ok(links.length >= 5, 'several pages');
    for (const link of links) assert.equal(new URL(link).searchParams.get('tag'), 'team:a', 'nextLink keeps the filter');
    assert.deepEqual((await allIds('/secrets?api-version=7.6&tag=team')).ids, names.filter((_, i) => i % 4 === 1 || i % 4 === 2), 'name only: any value');
    assert.deepEqual((await allIds('/secrets?api-version=7.6&tag=team%3Az')).ids, []);
    assert.equal((await allIds('/secrets?api-version=7.6')).ids.length, 30, 'no filter: everything');
  });

  it('refuses an empty tag name with BadParameter', async () => {
    const res = await get('/secrets?api-version=7.6&tag=%3Aa');
    assert.equal(res.status, 400, res.text);
    assert.equal(res.body.error.code, 'BadParameter');
    assert.match(res.body.error.message, /tag=<name>:<value>/);
  });
});
