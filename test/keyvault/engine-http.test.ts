/**
 * The `keyvault` engine through the real Vault HTTP API (`/v1/keyvault/<v>/...`): every data-plane
 * operation, versions, paging, soft delete / recover / purge, retention, purge protection,
 * backup / restore, disabled and validity-window reads, case-insensitive names, and the
 * access-policy template used as a real ACL policy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestResponse, type TestServer } from '../helpers/server.js';

const MERGE = { 'content-type': 'application/merge-patch+json' };
const DAY = 86400;
const NOT_FOUND = /^A secret with \(name\/id\) (\S+) was not found in this key vault\. If you recently deleted this secret you may be able to recover it using the correct recovery command\. For help resolving this issue, please see https:\/\/go\.microsoft\.com\/fwlink\/\?linkid=2125182$/;

describe('keyvault engine over the Vault HTTP API', () => {
  let s: TestServer;

  /** A request on the vault `v` (path relative to the mount). */
  const kv = (v: string, method: string, rel: string, opts: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {}) =>
    s.request(method, `/v1/keyvault/${v}/${rel}`, opts);
  const list = (v: string, rel: string, query = '', token?: string) =>
    s.request('GET', `/v1/keyvault/${v}/${rel}?list=true${query ? `&${query}` : ''}`, { token });
  const nowSec = () => Math.floor(s.clock.now() / 1000);
  const expectStatus = (res: TestResponse, status: number, what: string) =>
    assert.equal(res.status, status, `${what}: expected ${status}, got ${res.status} ${res.text}`);
  const mount = async (v: string, options?: Record<string, unknown>) =>
    expectStatus(await s.request('POST', `/v1/sys/mounts/keyvault/${v}`, { body: { type: 'keyvault', options } }), 204, `mount ${v}`);

  before(async () => {
    s = await createTestServer();
    await mount('myvault');
  });
  after(async () => {
    await s.close();
  });

  describe('set, get, versions, update properties', () => {
    it('set returns the bundle with value, a 32-hex version and integer dates', async () => {
      const res = await kv('myvault', 'PUT', 'secrets/first', {
        body: { value: 'v-1', contentType: 'text/plain', tags: { env: 'dev' }, attributes: {} },
      });
      expectStatus(res, 200, 'set');
      const d = res.body.data;
      assert.equal(d.name, 'first');
      assert.match(d.version, /^[0-9a-f]{32}$/);
      assert.equal(d.value, 'v-1');
      assert.equal(d.contentType, 'text/plain');
      assert.deepEqual(d.tags, { env: 'dev' });
      assert.deepEqual(d.attributes, {
        enabled: true, created: nowSec(), updated: nowSec(), recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90,
      });
      assert.equal(d.id, undefined, 'no URLs from the engine');
    });

    it('every set makes a new version; get latest, get by version, trailing slash = latest', async () => {
      const v1 = (await kv('myvault', 'PUT', 'secrets/multi', { body: { value: 'one' } })).body.data.version;
      s.clock.advance(5000);
      const v2 = (await kv('myvault', 'PUT', 'secrets/multi', { body: { value: 'two', attributes: { nbf: 100, exp: 4102444800 } } })).body.data.version;
      assert.notEqual(v1, v2);
      const latest = await kv('myvault', 'GET', 'secrets/multi');
      expectStatus(latest, 200, 'get latest');
      assert.equal(latest.body.data.version, v2);
      assert.equal(latest.body.data.value, 'two');
      assert.equal(latest.body.data.attributes.nbf, 100);
      assert.equal(latest.body.data.attributes.exp, 4102444800);
      const slash = await kv('myvault', 'GET', 'secrets/multi/');
      expectStatus(slash, 200, 'get latest with trailing slash');
      assert.equal(slash.body.data.version, v2);
      const old = await kv('myvault', 'GET', `secrets/multi/${v1}`);
      expectStatus(old, 200, 'get by version');
      assert.equal(old.body.data.value, 'one');
      assert.equal(old.body.data.version, v1);
      const upper = await kv('myvault', 'GET', `secrets/multi/${v1.toUpperCase()}`);
      assert.equal(upper.body.data.value, 'one', 'version ids match case-insensitively');

      const versions = await list('myvault', 'secrets/multi/versions/');
      expectStatus(versions, 200, 'list versions');
      assert.deepEqual(versions.body.data.items.map((i: any) => i.version).sort(), [v1, v2].sort());
      for (const item of versions.body.data.items) assert.equal(item.value, undefined, 'lists never carry values');
    });

    it('PATCH updates properties of one version; the value is immutable', async () => {
      const v1 = (await kv('myvault', 'PUT', 'secrets/props', { body: { value: 'keep', tags: { a: '1' } } })).body.data.version;
      const created = nowSec();
      s.clock.advance(10_000);
      const res = await kv('myvault', 'PATCH', `secrets/props/${v1}`, {
        headers: MERGE, body: { contentType: 'application/json', tags: { b: '2' }, attributes: { exp: 4102444800 } },
      });
      expectStatus(res, 200, 'patch');
      const d = res.body.data;
      assert.equal(d.value, undefined, 'update answers carry no value');
      assert.equal(d.contentType, 'application/json');
      assert.deepEqual(d.tags, { b: '2' }, 'tags are replaced as a whole');
      assert.equal(d.attributes.exp, 4102444800);
      assert.equal(d.attributes.created, created);
      assert.equal(d.attributes.updated, created + 10);
      const got = await kv('myvault', 'GET', `secrets/props/${v1}`);
      assert.equal(got.body.data.value, 'keep');
      assert.equal(got.body.data.contentType, 'application/json');

      // Latest, addressed without a version.
      const latest = await kv('myvault', 'PATCH', 'secrets/props', { headers: MERGE, body: { contentType: 'x/y' } });
      expectStatus(latest, 200, 'patch latest');
      assert.equal(latest.body.data.version, v1);

      const withValue = await kv('myvault', 'PATCH', `secrets/props/${v1}`, { headers: MERGE, body: { value: 'changed' } });
      expectStatus(withValue, 400, 'patch with a value');
      assert.match(withValue.body.errors[0], /cannot be changed/);
      assert.equal((await kv('myvault', 'GET', 'secrets/props')).body.data.value, 'keep');

      const unknown = await kv('myvault', 'PATCH', `secrets/props/${'0'.repeat(32)}`, { headers: MERGE, body: { contentType: 'a' } });
      expectStatus(unknown, 404, 'patch of an unknown version');
      const missing = await kv('myvault', 'PATCH', 'secrets/nosuch/', { headers: MERGE, body: { contentType: 'a' } });
      expectStatus(missing, 404, 'patch of an unknown secret');
    });

    it('a disabled version is refused with 403 but still listed; re-enabling works', async () => {
      const v1 = (await kv('myvault', 'PUT', 'secrets/dis', { body: { value: 'hidden', attributes: { enabled: false } } })).body.data.version;
      const res = await kv('myvault', 'GET', 'secrets/dis');
      expectStatus(res, 403, 'get disabled');
      assert.deepEqual(res.body.errors, ['Operation get is not allowed on a disabled secret.']);
      expectStatus(await kv('myvault', 'GET', `secrets/dis/${v1}`), 403, 'get disabled by version');
      const items = (await list('myvault', 'secrets/')).body.data.items;
      const item = items.find((i: any) => i.name === 'dis');
      assert.ok(item, 'disabled secrets are listed');
      assert.equal(item.attributes.enabled, false);
      const versions = (await list('myvault', 'secrets/dis/versions/')).body.data.items;
      assert.equal(versions[0].attributes.enabled, false);
      // An older enabled version stays readable while the latest is disabled.
      expectStatus(await kv('myvault', 'PATCH', `secrets/dis/${v1}`, { headers: MERGE, body: { attributes: { enabled: true } } }), 200, 'enable');
      assert.equal((await kv('myvault', 'GET', 'secrets/dis')).body.data.value, 'hidden');
    });

    it('names match case-insensitively and keep their first casing', async () => {
      const a = await kv('myvault', 'PUT', 'secrets/MySecret', { body: { value: 'a' } });
      assert.equal(a.body.data.name, 'MySecret');
      const b = await kv('myvault', 'PUT', 'secrets/MYSECRET', { body: { value: 'b' } });
      expectStatus(b, 200, 'set other casing');
      assert.equal(b.body.data.name, 'MySecret', 'display name is the first casing');
      const got = await kv('myvault', 'GET', 'secrets/mysecret');
      assert.equal(got.body.data.value, 'b');
      assert.equal(got.body.data.name, 'MySecret');
      const versions = (await list('myvault', 'secrets/mySECRET/versions/')).body.data.items;
      assert.equal(versions.length, 2);
      const names = (await list('myvault', 'secrets/')).body.data.items.map((i: any) => i.name);
      assert.equal(names.filter((n: string) => n.toLowerCase() === 'mysecret').length, 1);
    });
  });

  describe('errors', () => {
    it('a missing secret or version is 404 with Key Vault\'s message', async () => {
      const res = await kv('myvault', 'GET', 'secrets/nope');
      expectStatus(res, 404, 'get missing');
      assert.match(res.body.errors[0], NOT_FOUND);
      assert.equal(NOT_FOUND.exec(res.body.errors[0])![1], 'nope');
      await kv('myvault', 'PUT', 'secrets/exists', { body: { value: 'x' } });
      const ver = await kv('myvault', 'GET', `secrets/exists/${'a'.repeat(32)}`);
      expectStatus(ver, 404, 'get missing version');
      assert.equal(NOT_FOUND.exec(ver.body.errors[0])![1], `exists/${'a'.repeat(32)}`);
      expectStatus(await kv('myvault', 'GET', 'secrets/exists/not-a-version'), 404, 'malformed version');
      expectStatus(await list('myvault', 'secrets/nope/versions/'), 404, 'versions of a missing secret');
      expectStatus(await kv('myvault', 'DELETE', 'secrets/nope'), 404, 'delete missing');
      expectStatus(await kv('myvault', 'POST', 'secrets/nope/backup'), 404, 'backup missing');
    });

    it('bad names, missing or oversized values and bad tags are 400', async () => {
      for (const bad of ['bad_name', 'dot.name', 'a'.repeat(128)]) {
        const res = await kv('myvault', 'PUT', `secrets/${bad}`, { body: { value: 'x' } });
        expectStatus(res, 400, `name ${bad.slice(0, 10)}`);
        assert.match(res.body.errors[0], /\^\[0-9a-zA-Z-\]\{1,127\}\$/);
      }
      expectStatus(await kv('myvault', 'PUT', `secrets/${'a'.repeat(127)}`, { body: { value: 'x' } }), 200, '127 chars is fine');
      const noValue = await kv('myvault', 'PUT', 'secrets/novalue', { body: { contentType: 'x' } });
      expectStatus(noValue, 400, 'no value');
      assert.deepEqual(noValue.body.errors, ['Property value is required']);
      expectStatus(await kv('myvault', 'PUT', 'secrets/numvalue', { body: { value: 5 } }), 400, 'non-string value');
      expectStatus(await kv('myvault', 'PUT', 'secrets/big', { body: { value: 'x'.repeat(25 * 1024) } }), 200, 'exactly 25 KiB');
      const big = await kv('myvault', 'PUT', 'secrets/big', { body: { value: 'x'.repeat(25 * 1024 + 1) } });
      expectStatus(big, 400, 'over 25 KiB');
      assert.match(big.body.errors[0], /at most 25600 bytes/);
      const tags16 = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`t${i}`, 'v']));
      expectStatus(await kv('myvault', 'PUT', 'secrets/tags', { body: { value: 'x', tags: tags16 } }), 400, '16 tags');
      const tags15 = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`t${i}`, 'v']));
      expectStatus(await kv('myvault', 'PUT', 'secrets/tags', { body: { value: 'x', tags: tags15 } }), 200, '15 tags');
      expectStatus(await kv('myvault', 'PUT', 'secrets/tags', { body: { value: 'x', tags: { ['k'.repeat(513)]: 'v' } } }), 400, 'long tag name');
      expectStatus(await kv('myvault', 'PUT', 'secrets/tags', { body: { value: 'x', tags: { k: 'v'.repeat(513) } } }), 400, 'long tag value');
      expectStatus(await kv('myvault', 'PUT', 'secrets/tags', { body: { value: 'x', tags: { k: 1 } } }), 400, 'non-string tag');
      expectStatus(await kv('myvault', 'PUT', 'secrets/attrs', { body: { value: 'x', attributes: { exp: 'soon' } } }), 400, 'bad exp');
      expectStatus(await kv('myvault', 'PUT', 'secrets/attrs', { body: { value: 'x', attributes: { enabled: 'maybe' } } }), 400, 'bad enabled');
      expectStatus(await kv('myvault', 'PUT', 'secrets/attrs', { body: { value: 'x', attributes: [] } }), 400, 'attributes not an object');
    });

    it('rejects bad mount options', async () => {
      for (const options of [{ soft_delete_retention_days: 6 }, { soft_delete_retention_days: 91 }, { soft_delete_retention_days: 'x' }, { purge_protection: 'maybe' }]) {
        const res = await s.request('POST', '/v1/sys/mounts/keyvault/badopts', { body: { type: 'keyvault', options } });
        expectStatus(res, 400, JSON.stringify(options));
      }
    });
  });

  describe('paging', () => {
    before(async () => {
      await mount('pager');
      for (let i = 0; i < 60; i++) {
        expectStatus(await kv('pager', 'PUT', `secrets/bulk-${String(i).padStart(2, '0')}`, { body: { value: `v${i}` } }), 200, 'fill');
      }
    });

    const walk = async (rel: string, maxresults?: number) => {
      const pages: string[][] = [];
      let token: string | undefined;
      for (let guard = 0; guard < 100; guard++) {
        const q = [maxresults !== undefined ? `maxresults=${maxresults}` : '', token ? `skiptoken=${token}` : ''].filter(Boolean).join('&');
        const res = await list('pager', rel, q);
        expectStatus(res, 200, `page ${guard}`);
        pages.push(res.body.data.items.map((i: any) => i.name + (rel.includes('versions') ? `/${i.version}` : '')));
        token = res.body.data.nextSkipToken;
        if (token === undefined) return pages;
        assert.match(token, /^[A-Za-z0-9_-]+$/, 'skiptoken is base64url');
      }
      assert.fail('paging did not end');
    };

    it('60 secrets with maxresults 7: 9 pages, every name exactly once, in order', async () => {
      const pages = await walk('secrets/', 7);
      assert.deepEqual(pages.map((p) => p.length), [7, 7, 7, 7, 7, 7, 7, 7, 4]);
      const names = pages.flat();
      assert.deepEqual(names, Array.from({ length: 60 }, (_, i) => `bulk-${String(i).padStart(2, '0')}`));
    });

    it('default and maximum page size is 25', async () => {
      assert.deepEqual((await walk('secrets/')).map((p) => p.length), [25, 25, 10]);
      assert.deepEqual((await walk('secrets/', 100)).map((p) => p.length), [25, 25, 10]);
    });

    it('versions and deleted secrets page the same way', async () => {
      for (let i = 0; i < 11; i++) await kv('pager', 'PUT', 'secrets/bulk-00', { body: { value: `again-${i}` } });
      const versions = await walk('secrets/bulk-00/versions/', 5);
      assert.deepEqual(versions.map((p) => p.length), [5, 5, 2]);
      assert.equal(new Set(versions.flat()).size, 12);
      for (let i = 50; i < 60; i++) expectStatus(await kv('pager', 'DELETE', `secrets/bulk-${i}`), 200, 'delete');
      const deleted = await walk('deletedsecrets/', 3);
      assert.deepEqual(deleted.map((p) => p.length), [3, 3, 3, 1]);
      assert.deepEqual(deleted.flat(), Array.from({ length: 10 }, (_, i) => `bulk-${50 + i}`));
      assert.deepEqual((await walk('secrets/')).map((p) => p.length), [25, 25]);
    });

    it('rejects a bad maxresults or skiptoken', async () => {
      expectStatus(await list('pager', 'secrets/', 'maxresults=0'), 400, 'maxresults 0');
      expectStatus(await list('pager', 'secrets/', 'maxresults=abc'), 400, 'maxresults abc');
      expectStatus(await list('pager', 'secrets/', 'skiptoken=!!'), 400, 'skiptoken !!');
      expectStatus(await list('pager', 'secrets/', `skiptoken=${Buffer.from('a/b').toString('base64url')}`), 400, 'skiptoken a/b');
    });

    it('an empty vault lists an empty page (not 404)', async () => {
      await mount('emptyvault');
      const res = await list('emptyvault', 'secrets/');
      expectStatus(res, 200, 'empty list');
      assert.deepEqual(res.body.data, { items: [] });
      assert.deepEqual((await list('emptyvault', 'deletedsecrets/')).body.data, { items: [] });
    });
  });

  describe('soft delete, recover, purge', () => {
    it('delete → 409 on set → recover keeps every version → delete → purge (204) → name free', async () => {
      const v1 = (await kv('myvault', 'PUT', 'secrets/Doomed', { body: { value: 'a', tags: { t: '1' } } })).body.data.version;
      const v2 = (await kv('myvault', 'PUT', 'secrets/Doomed', { body: { value: 'b' } })).body.data.version;
      const del = await kv('myvault', 'DELETE', 'secrets/doomed');
      expectStatus(del, 200, 'delete');
      const d = del.body.data;
      assert.equal(d.name, 'Doomed');
      assert.equal(d.version, v2);
      assert.equal(d.value, undefined);
      assert.equal(d.deletedDate, nowSec());
      assert.equal(d.scheduledPurgeDate, nowSec() + 90 * DAY);
      assert.equal(d.attributes.recoveryLevel, 'Recoverable+Purgeable');
      assert.equal(d.attributes.recoverableDays, 90);

      expectStatus(await kv('myvault', 'GET', 'secrets/Doomed'), 404, 'get after delete');
      expectStatus(await kv('myvault', 'GET', `secrets/Doomed/${v1}`), 404, 'get version after delete');
      expectStatus(await list('myvault', 'secrets/Doomed/versions/'), 404, 'versions after delete');
      assert.ok(!(await list('myvault', 'secrets/')).body.data.items.some((i: any) => i.name === 'Doomed'));
      const gotDeleted = await kv('myvault', 'GET', 'deletedsecrets/DOOMED');
      expectStatus(gotDeleted, 200, 'get deleted');
      assert.equal(gotDeleted.body.data.scheduledPurgeDate, d.scheduledPurgeDate);
      assert.equal(gotDeleted.body.data.value, undefined);
      assert.ok((await list('myvault', 'deletedsecrets/')).body.data.items.some((i: any) => i.name === 'Doomed'));
      expectStatus(await kv('myvault', 'DELETE', 'secrets/Doomed'), 404, 'delete twice');

      const set = await kv('myvault', 'PUT', 'secrets/doomed', { body: { value: 'c' } });
      expectStatus(set, 409, 'set while deleted');
      assert.deepEqual(set.body.errors, [
        'Secret Doomed is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.',
      ]);

      const rec = await kv('myvault', 'POST', 'deletedsecrets/doomed/recover');
      expectStatus(rec, 200, 'recover');
      assert.equal(rec.body.data.version, v2);
      assert.equal(rec.body.data.value, undefined);
      assert.equal((await kv('myvault', 'GET', 'secrets/doomed')).body.data.value, 'b');
      assert.equal((await kv('myvault', 'GET', `secrets/doomed/${v1}`)).body.data.value, 'a');
      expectStatus(await kv('myvault', 'GET', 'deletedsecrets/doomed'), 404, 'no longer deleted');
      expectStatus(await kv('myvault', 'POST', 'deletedsecrets/doomed/recover'), 404, 'recover twice');

      expectStatus(await kv('myvault', 'DELETE', 'secrets/doomed'), 200, 'delete again');
      const purge = await kv('myvault', 'DELETE', 'deletedsecrets/doomed');
      expectStatus(purge, 204, 'purge');
      expectStatus(await kv('myvault', 'GET', 'deletedsecrets/doomed'), 404, 'purged');
      expectStatus(await kv('myvault', 'DELETE', 'deletedsecrets/doomed'), 404, 'purge twice');
      const fresh = await kv('myvault', 'PUT', 'secrets/doomed', { body: { value: 'new' } });
      expectStatus(fresh, 200, 'set after purge');
      assert.equal(fresh.body.data.name, 'doomed', 'a purged name starts over');
      assert.equal((await list('myvault', 'secrets/doomed/versions/')).body.data.items.length, 1, 'old versions are gone');
    });

    it('deleted secrets are purged automatically when their retention ends', async () => {
      await mount('shortlived', { soft_delete_retention_days: 7 });
      await kv('shortlived', 'PUT', 'secrets/tmp', { body: { value: 'x' } });
      await kv('shortlived', 'PUT', 'secrets/later', { body: { value: 'y' } });
      const del = await kv('shortlived', 'DELETE', 'secrets/tmp');
      assert.equal(del.body.data.scheduledPurgeDate, nowSec() + 7 * DAY);
      assert.equal(del.body.data.attributes.recoveryLevel, 'CustomizedRecoverable+Purgeable');
      assert.equal(del.body.data.attributes.recoverableDays, 7);
      s.clock.advance(3 * DAY * 1000);
      await kv('shortlived', 'DELETE', 'secrets/later');
      s.clock.advance(4 * DAY * 1000 - 1000);
      await s.core.tick();
      expectStatus(await kv('shortlived', 'GET', 'deletedsecrets/tmp'), 200, 'one second before the purge date');
      s.clock.advance(1000);
      await s.core.tick();
      expectStatus(await kv('shortlived', 'GET', 'deletedsecrets/tmp'), 404, 'purged at its date');
      expectStatus(await kv('shortlived', 'GET', 'deletedsecrets/later'), 200, 'a later one stays');
      expectStatus(await kv('shortlived', 'PUT', 'secrets/tmp', { body: { value: 'reuse' } }), 200, 'name free again');
      s.clock.advance(3 * DAY * 1000);
      await s.core.tick();
      expectStatus(await kv('shortlived', 'GET', 'deletedsecrets/later'), 404, 'purged in turn');
    });

    it('purge protection refuses purge (403), cannot be switched off, and retention still purges', async () => {
      await mount('guarded', { purge_protection: true, soft_delete_retention_days: '30' });
      const set = await kv('guarded', 'PUT', 'secrets/keep', { body: { value: 'x' } });
      assert.equal(set.body.data.attributes.recoveryLevel, 'CustomizedRecoverable');
      await kv('guarded', 'DELETE', 'secrets/keep');
      const purge = await kv('guarded', 'DELETE', 'deletedsecrets/keep');
      expectStatus(purge, 403, 'purge under protection');
      assert.match(purge.body.errors[0], /purge protection is enabled/);
      expectStatus(await kv('guarded', 'GET', 'deletedsecrets/keep'), 200, 'still there');

      const off = await kv('guarded', 'PUT', 'config', { body: { purge_protection: false } });
      expectStatus(off, 400, 'switch off through config');
      // Tuning the mount option back does not switch it off either.
      expectStatus(await s.request('POST', '/v1/sys/mounts/keyvault/guarded/tune', { body: { options: { purge_protection: 'false' } } }), 204, 'tune');
      const cfg = await kv('guarded', 'GET', 'config');
      expectStatus(cfg, 200, 'read config');
      assert.equal(cfg.body.data.purge_protection, true);
      expectStatus(await kv('guarded', 'DELETE', 'deletedsecrets/keep'), 403, 'purge after tune');

      s.clock.advance(30 * DAY * 1000);
      await s.core.tick();
      expectStatus(await kv('guarded', 'GET', 'deletedsecrets/keep'), 404, 'purged by retention');
    });

    it('config can turn purge protection on for an existing vault', async () => {
      await mount('laterguard');
      const cfg = await kv('laterguard', 'PUT', 'config', { body: { purge_protection: true } });
      expectStatus(cfg, 200, 'config');
      assert.deepEqual(cfg.body.data, {
        enforce_validity_window: false, purge_protection: true, soft_delete_retention_days: 90, recovery_level: 'Recoverable',
      });
      await kv('laterguard', 'PUT', 'secrets/a', { body: { value: 'x' } });
      await kv('laterguard', 'DELETE', 'secrets/a');
      expectStatus(await kv('laterguard', 'DELETE', 'deletedsecrets/a'), 403, 'purge');
    });
  });

  describe('backup and restore', () => {
    it('backup → delete → purge → restore brings back every version with its properties', async () => {
      const v1 = (await kv('myvault', 'PUT', 'secrets/Precious', { body: { value: 'precious-value-one', tags: { k: 'v' }, contentType: 'ct' } })).body.data.version;
      s.clock.advance(1000);
      const v2 = (await kv('myvault', 'PUT', 'secrets/Precious', { body: { value: 'precious-value-two', attributes: { enabled: false } } })).body.data.version;
      const before = (await list('myvault', 'secrets/precious/versions/')).body.data.items;

      const backup = await kv('myvault', 'POST', 'secrets/precious/backup');
      expectStatus(backup, 200, 'backup');
      const blob: string = backup.body.data.value;
      assert.match(blob, /^[A-Za-z0-9_-]+$/, 'base64url without padding');
      assert.ok(!Buffer.from(blob, 'base64url').toString('latin1').includes('precious-value-one'), 'the blob is encrypted');

      expectStatus(await kv('myvault', 'POST', 'restore', { body: { value: blob } }), 409, 'restore over a live secret');
      await kv('myvault', 'DELETE', 'secrets/precious');
      const whileDeleted = await kv('myvault', 'POST', 'restore', { body: { value: blob } });
      expectStatus(whileDeleted, 409, 'restore over a deleted secret');
      assert.match(whileDeleted.body.errors[0], /deleted but recoverable/);
      expectStatus(await kv('myvault', 'DELETE', 'deletedsecrets/precious'), 204, 'purge');

      const restored = await kv('myvault', 'POST', 'restore', { body: { value: blob } });
      expectStatus(restored, 200, 'restore');
      assert.equal(restored.body.data.name, 'Precious');
      assert.equal(restored.body.data.version, v2);
      assert.equal(restored.body.data.value, undefined);
      const after = (await list('myvault', 'secrets/precious/versions/')).body.data.items;
      assert.deepEqual(after, before, 'versions, dates and properties survive');
      const old = await kv('myvault', 'GET', `secrets/precious/${v1}`);
      assert.equal(old.body.data.value, 'precious-value-one');
      assert.equal(old.body.data.contentType, 'ct');
      expectStatus(await kv('myvault', 'GET', 'secrets/precious'), 403, 'the disabled latest stays disabled');

      await mount('second');
      const other = await kv('second', 'POST', 'restore', { body: { value: blob } });
      expectStatus(other, 200, 'restore into another vault of the same server');
      assert.equal((await kv('second', 'GET', `secrets/precious/${v1}`)).body.data.value, 'precious-value-one');
    });

    it('an altered, foreign or malformed blob is refused with 400', async () => {
      await kv('myvault', 'PUT', 'secrets/tamper', { body: { value: 'x' } });
      const blob: string = (await kv('myvault', 'POST', 'secrets/tamper/backup')).body.data.value;
      const bytes = Buffer.from(blob, 'base64url');
      bytes[bytes.length - 20]! ^= 0x01;
      const altered = await kv('second', 'POST', 'restore', { body: { value: bytes.toString('base64url') } });
      expectStatus(altered, 400, 'altered');
      assert.match(altered.body.errors[0], /altered|integrity/);
      const foreign = Buffer.concat([Buffer.from('CBK1'), Buffer.alloc(80, 7)]).toString('base64url');
      expectStatus(await kv('second', 'POST', 'restore', { body: { value: foreign } }), 400, 'foreign');
      expectStatus(await kv('second', 'POST', 'restore', { body: { value: 'bm90IGEgYmxvYg' } }), 400, 'not a blob');
      expectStatus(await kv('second', 'POST', 'restore', { body: {} }), 400, 'no value');
      expectStatus(await kv('second', 'POST', 'restore', { body: { value: 'has spaces!' } }), 400, 'not base64');
      expectStatus(await kv('second', 'GET', 'secrets/tamper'), 404, 'nothing was restored');
    });
  });

  describe('validity window', () => {
    it('by default a secret outside nbf/exp is returned (Key Vault behaviour)', async () => {
      await kv('myvault', 'PUT', 'secrets/future', { body: { value: 'f', attributes: { nbf: nowSec() + 3600 } } });
      await kv('myvault', 'PUT', 'secrets/past', { body: { value: 'p', attributes: { exp: nowSec() - 1 } } });
      expectStatus(await kv('myvault', 'GET', 'secrets/future'), 200, 'not yet valid');
      expectStatus(await kv('myvault', 'GET', 'secrets/past'), 200, 'expired');
    });

    it('enforce_validity_window refuses reads outside the window with 403', async () => {
      await mount('strict', { enforce_validity_window: true });
      await kv('strict', 'PUT', 'secrets/future', { body: { value: 'f', attributes: { nbf: nowSec() + 3600 } } });
      await kv('strict', 'PUT', 'secrets/past', { body: { value: 'p', attributes: { exp: nowSec() + 60 } } });
      await kv('strict', 'PUT', 'secrets/inside', { body: { value: 'i', attributes: { nbf: nowSec() - 10, exp: nowSec() + 7200 } } });
      const future = await kv('strict', 'GET', 'secrets/future');
      expectStatus(future, 403, 'not yet valid');
      assert.match(future.body.errors[0], /not yet valid/);
      expectStatus(await kv('strict', 'GET', 'secrets/past'), 200, 'before exp');
      s.clock.advance(60_000);
      const past = await kv('strict', 'GET', 'secrets/past');
      expectStatus(past, 403, 'at exp');
      assert.match(past.body.errors[0], /expired/);
      expectStatus(await kv('strict', 'GET', 'secrets/inside'), 200, 'inside the window');
      s.clock.advance(3600_000);
      expectStatus(await kv('strict', 'GET', 'secrets/future'), 200, 'nbf reached');
      assert.ok((await list('strict', 'secrets/')).body.data.items.length === 3, 'lists still show everything');

      const cfg = await kv('strict', 'PUT', 'config', { body: { enforce_validity_window: false } });
      expectStatus(cfg, 200, 'config off');
      expectStatus(await kv('strict', 'GET', 'secrets/past'), 200, 'not enforced any more');
    });
  });

  describe('access-policy-template', () => {
    const tokenWith = async (policyName: string, policy: string) => {
      expectStatus(await s.request('PUT', `/v1/sys/policies/acl/${policyName}`, { body: { policy } }), 204, 'write policy');
      const res = await s.request('POST', '/v1/auth/token/create', { body: { policies: [policyName] } });
      expectStatus(res, 200, 'token');
      return res.body.auth.client_token as string;
    };

    it('permissions=get grants get on this vault only', async () => {
      await kv('myvault', 'PUT', 'secrets/shared', { body: { value: 'seen' } });
      await kv('second', 'PUT', 'secrets/shared', { body: { value: 'other vault' } });
      const tpl = await s.request('GET', '/v1/keyvault/myvault/access-policy-template?permissions=get');
      expectStatus(tpl, 200, 'template');
      const policy: string = tpl.body.data.policy;
      assert.match(policy, /path "keyvault\/myvault\/secrets\/\+" \{\n {2}capabilities = \["read"\]\n\}/);
      assert.deepEqual(tpl.body.data.permissions, ['get']);
      const token = await tokenWith('kv-get', policy);
      const got = await kv('myvault', 'GET', 'secrets/shared', { token });
      expectStatus(got, 200, 'allowed get');
      assert.equal(got.body.data.value, 'seen');
      const ver = got.body.data.version;
      expectStatus(await kv('myvault', 'GET', `secrets/shared/${ver}`, { token }), 200, 'allowed get by version');
      expectStatus(await kv('myvault', 'PUT', 'secrets/shared', { token, body: { value: 'no' } }), 403, 'denied set (update)');
      expectStatus(await kv('myvault', 'PUT', 'secrets/brandnew', { token, body: { value: 'no' } }), 403, 'denied set (create)');
      expectStatus(await kv('myvault', 'PATCH', `secrets/shared/${ver}`, { token, headers: MERGE, body: { contentType: 'x' } }), 403, 'denied update');
      expectStatus(await list('myvault', 'secrets/', '', token), 403, 'denied list');
      expectStatus(await kv('myvault', 'DELETE', 'secrets/shared', { token }), 403, 'denied delete');
      expectStatus(await kv('myvault', 'POST', 'secrets/shared/backup', { token }), 403, 'denied backup');
      expectStatus(await kv('second', 'GET', 'secrets/shared', { token }), 403, 'another vault is not covered');
      assert.equal((await kv('myvault', 'GET', 'secrets/shared')).body.data.value, 'seen');
    });

    it('set, list, delete, backup, restore, recover and purge each map to exactly their operations', async () => {
      const policy = (await s.request('GET', '/v1/keyvault/myvault/access-policy-template?permissions=set,list')).body.data.policy;
      const token = await tokenWith('kv-set-list', policy);
      const created = await kv('myvault', 'PUT', 'secrets/byofficer', { token, body: { value: 'w' } });
      expectStatus(created, 200, 'create with set');
      expectStatus(await kv('myvault', 'PUT', 'secrets/byofficer', { token, body: { value: 'w2' } }), 200, 'update with set');
      expectStatus(await kv('myvault', 'PATCH', 'secrets/byofficer/', { token, headers: MERGE, body: { tags: { a: 'b' } } }), 200, 'patch with set');
      expectStatus(await list('myvault', 'secrets/', '', token), 200, 'list');
      expectStatus(await list('myvault', 'secrets/byofficer/versions/', '', token), 200, 'list versions');
      expectStatus(await list('myvault', 'deletedsecrets/', '', token), 200, 'list deleted');
      expectStatus(await kv('myvault', 'GET', 'secrets/byofficer', { token }), 403, 'no get');
      expectStatus(await kv('myvault', 'DELETE', 'secrets/byofficer', { token }), 403, 'no delete');

      const all = (await s.request('GET', '/v1/keyvault/myvault/access-policy-template?permissions=delete,backup,restore,recover,purge')).body.data.policy;
      const t2 = await tokenWith('kv-lifecycle', all);
      const blob = await kv('myvault', 'POST', 'secrets/byofficer/backup', { token: t2 });
      expectStatus(blob, 200, 'backup');
      expectStatus(await kv('myvault', 'DELETE', 'secrets/byofficer', { token: t2 }), 200, 'delete');
      expectStatus(await kv('myvault', 'POST', 'deletedsecrets/byofficer/recover', { token: t2 }), 200, 'recover');
      expectStatus(await kv('myvault', 'DELETE', 'secrets/byofficer', { token: t2 }), 200, 'delete again');
      expectStatus(await kv('myvault', 'GET', 'deletedsecrets/byofficer', { token: t2 }), 403, 'get deleted needs list');
      expectStatus(await kv('myvault', 'DELETE', 'deletedsecrets/byofficer', { token: t2 }), 204, 'purge');
      expectStatus(await kv('myvault', 'POST', 'restore', { token: t2, body: { value: blob.body.data.value } }), 200, 'restore');
      expectStatus(await kv('myvault', 'GET', 'secrets/byofficer', { token: t2 }), 403, 'no get');
      expectStatus(await kv('myvault', 'PUT', 'secrets/byofficer', { token: t2, body: { value: 'x' } }), 403, 'no set');
    });

    it('roles: Secrets User = get+list; Administrator adds config; bad input is 400', async () => {
      const user = await s.request('GET', `/v1/keyvault/myvault/access-policy-template?role=${encodeURIComponent('Key Vault Secrets User')}`);
      expectStatus(user, 200, 'user role');
      assert.deepEqual(user.body.data.permissions, ['get', 'list']);
      const userToken = await tokenWith('kv-user', user.body.data.policy);
      expectStatus(await list('myvault', 'secrets/', '', userToken), 200, 'user can list');
      expectStatus(await kv('myvault', 'GET', 'secrets/shared', { token: userToken }), 200, 'user can get');
      expectStatus(await kv('myvault', 'GET', 'config', { token: userToken }), 403, 'user cannot read config');

      const officer = await s.request('GET', `/v1/keyvault/myvault/access-policy-template?role=${encodeURIComponent('Key Vault Secrets Officer')}`);
      assert.deepEqual(officer.body.data.permissions, ['get', 'list', 'set', 'delete', 'backup', 'restore', 'recover', 'purge']);
      assert.ok(!officer.body.data.policy.includes('config'));
      const admin = await s.request('GET', `/v1/keyvault/myvault/access-policy-template?role=${encodeURIComponent('key vault administrator')}`);
      const adminToken = await tokenWith('kv-admin', admin.body.data.policy);
      expectStatus(await kv('myvault', 'GET', 'config', { token: adminToken }), 200, 'admin reads config');
      expectStatus(await kv('myvault', 'PUT', 'config', { token: adminToken, body: { enforce_validity_window: true } }), 403, 'but does not write it');
      const allPerms = await s.request('GET', '/v1/keyvault/myvault/access-policy-template?permissions=all');
      assert.equal(allPerms.body.data.policy.replace(/^#.*\n/, ''), officer.body.data.policy.replace(/^#.*\n/, ''));

      expectStatus(await s.request('GET', '/v1/keyvault/myvault/access-policy-template?permissions=get,steal'), 400, 'unknown permission');
      expectStatus(await s.request('GET', '/v1/keyvault/myvault/access-policy-template?role=Owner'), 400, 'unknown role');
      expectStatus(await s.request('GET', '/v1/keyvault/myvault/access-policy-template'), 400, 'nothing asked');
      expectStatus(await s.request('GET', '/v1/keyvault/myvault/access-policy-template?permissions=get&role=Owner'), 400, 'both');
    });
  });
});
