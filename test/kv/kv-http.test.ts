/**
 * KV v1 and v2 through the real HTTP stack: status codes, envelopes and 404 bodies as Vault
 * clients see them (specs/vault-http-api.md §0, §1.2, §2.9, §2.10).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

const MERGE = { 'content-type': 'application/merge-patch+json' };
const ENVELOPE_KEYS = ['auth', 'data', 'lease_duration', 'lease_id', 'renewable', 'request_id', 'warnings', 'wrap_info'];

describe('KV over HTTP', () => {
  let s: TestServer;

  before(async () => {
    s = await createTestServer();
    assert.equal((await s.request('POST', '/v1/sys/mounts/kv2', { body: { type: 'kv-v2' } })).status, 204);
    assert.equal((await s.request('POST', '/v1/sys/mounts/kv1', { body: { type: 'kv', options: { version: '1' } } })).status, 204);
  });
  after(async () => {
    await s?.close();
  });

  it('mounts carry the normalised version option; a bad version is a 400', async () => {
    const mounts = (await s.request('GET', '/v1/sys/mounts')).body.data;
    assert.deepEqual(mounts['kv2/'].options, { version: '2' });
    assert.deepEqual(mounts['kv1/'].options, { version: '1' });
    assert.equal(mounts['kv2/'].type, 'kv');
    const bad = await s.request('POST', '/v1/sys/mounts/kv3', { body: { type: 'kv', options: { version: '3' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0], /KV version must be 1 or 2/);
  });

  describe('v2', () => {
    it('write → 200 with the version block; read → 200 with data and metadata', async () => {
      const w = await s.request('PUT', '/v1/kv2/data/mysql/webapp', { body: { data: { db_name: 'users', password: 'passw0rd' }, options: {} } });
      assert.equal(w.status, 200);
      for (const k of ENVELOPE_KEYS) assert.ok(k in w.body, `envelope has ${k}`);
      assert.deepEqual(Object.keys(w.body.data).sort(), ['created_time', 'custom_metadata', 'deletion_time', 'destroyed', 'version']);
      assert.equal(w.body.data.version, 1);
      assert.match(w.body.data.created_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      const r = await s.request('GET', '/v1/kv2/data/mysql/webapp');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.data.data, { db_name: 'users', password: 'passw0rd' });
      assert.equal(r.body.data.metadata.version, 1);
      assert.equal(r.body.lease_id, '');
      assert.equal(r.body.lease_duration, 0);
      assert.equal(r.body.mount_type, 'kv');
    });

    it('missing secret → 404 {"errors":[]}', async () => {
      const r = await s.request('GET', '/v1/kv2/data/never/written');
      assert.equal(r.status, 404);
      assert.deepEqual(r.body, { errors: [] });
    });

    it('deleted version → 404 whose body is the full envelope (data.data null + metadata)', async () => {
      await s.request('PUT', '/v1/kv2/data/del', { body: { data: { a: 1 } } });
      assert.equal((await s.request('DELETE', '/v1/kv2/data/del')).status, 204);
      const r = await s.request('GET', '/v1/kv2/data/del');
      assert.equal(r.status, 404);
      assert.equal(r.body.errors, undefined);
      assert.equal(r.body.data.data, null);
      assert.equal(r.body.data.metadata.version, 1);
      assert.notEqual(r.body.data.metadata.deletion_time, '');
      assert.ok('request_id' in r.body);
    });

    it('CAS mismatch → 400 with Vault\'s message', async () => {
      await s.request('PUT', '/v1/kv2/data/cas', { body: { data: { a: 1 }, options: { cas: 0 } } });
      const r = await s.request('PUT', '/v1/kv2/data/cas', { body: { data: { a: 2 }, options: { cas: 0 } } });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body.errors, ['check-and-set parameter did not match the current version']);
      const nodata = await s.request('POST', '/v1/kv2/data/cas', { body: { options: { cas: 1 } } });
      assert.equal(nodata.status, 400);
      assert.deepEqual(nodata.body.errors, ['no data provided']);
    });

    it('PATCH merges with merge-patch+json (415 without it); missing key → 404', async () => {
      await s.request('PUT', '/v1/kv2/data/patchme', { body: { data: { a: 1, b: 2 } } });
      assert.equal((await s.request('PATCH', '/v1/kv2/data/patchme', { body: { data: { b: null } } })).status, 415);
      const p = await s.request('PATCH', '/v1/kv2/data/patchme', { body: { data: { b: null, c: 3 } }, headers: MERGE });
      assert.equal(p.status, 200);
      assert.equal(p.body.data.version, 2);
      assert.deepEqual((await s.request('GET', '/v1/kv2/data/patchme')).body.data.data, { a: 1, c: 3 });
      assert.equal((await s.request('PATCH', '/v1/kv2/data/nobody', { body: { data: { a: 1 } }, headers: MERGE })).status, 404);
    });

    it('metadata read has string version keys; LIST (method and ?list=true) with pagination; empty LIST → 404', async () => {
      await s.request('PUT', '/v1/kv2/data/dir/one', { body: { data: { a: 1 } } });
      await s.request('PUT', '/v1/kv2/data/dir/two', { body: { data: { a: 1 } } });
      await s.request('PUT', '/v1/kv2/data/dir/sub/three', { body: { data: { a: 1 } } });
      const meta = await s.request('GET', '/v1/kv2/metadata/dir/one');
      assert.equal(meta.status, 200);
      assert.deepEqual(Object.keys(meta.body.data.versions), ['1']);
      assert.equal(meta.body.data.delete_version_after, '0s');
      const list = await s.request('LIST', '/v1/kv2/metadata/dir');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.data.keys, ['one', 'sub/', 'two']);
      const page = await s.request('GET', '/v1/kv2/metadata/dir/?list=true&after=one&limit=1');
      assert.deepEqual(page.body.data.keys, ['sub/']);
      const empty = await s.request('LIST', '/v1/kv2/metadata/nothing-here/');
      assert.equal(empty.status, 404);
      assert.deepEqual(empty.body, { errors: [] });
    });

    it('delete/, undelete/, destroy/, subkeys/ and config', async () => {
      await s.request('PUT', '/v1/kv2/data/life', { body: { data: { top: { inner: 'x' } } } });
      await s.request('PUT', '/v1/kv2/data/life', { body: { data: { top: { inner: 'y' } } } });
      assert.equal((await s.request('POST', '/v1/kv2/delete/life', { body: { versions: [1] } })).status, 204);
      assert.equal((await s.request('GET', '/v1/kv2/data/life?version=1')).status, 404);
      assert.equal((await s.request('POST', '/v1/kv2/undelete/life', { body: { versions: [1] } })).status, 204);
      assert.equal((await s.request('GET', '/v1/kv2/data/life?version=1')).status, 200);
      assert.equal((await s.request('PUT', '/v1/kv2/destroy/life', { body: { versions: [1] } })).status, 204);
      const destroyed = await s.request('GET', '/v1/kv2/data/life?version=1');
      assert.equal(destroyed.status, 404);
      assert.equal(destroyed.body.data.metadata.destroyed, true);
      const sk = await s.request('GET', '/v1/kv2/subkeys/life?depth=1');
      assert.equal(sk.status, 200);
      assert.deepEqual(sk.body.data.subkeys, { top: null });
      assert.equal((await s.request('POST', '/v1/kv2/config', { body: { max_versions: '5', delete_version_after: '1h' } })).status, 204);
      const cfg = await s.request('GET', '/v1/kv2/config');
      assert.deepEqual(cfg.body.data, { cas_required: false, delete_version_after: '1h0m0s', max_versions: 5 });
      await s.request('POST', '/v1/kv2/config', { body: { max_versions: 0, delete_version_after: 0 } });
    });

    it('delete_version_after follows the server clock', async () => {
      await s.request('POST', '/v1/kv2/metadata/expiring', { body: { delete_version_after: '30s' } });
      await s.request('PUT', '/v1/kv2/data/expiring', { body: { data: { a: 1 } } });
      assert.equal((await s.request('GET', '/v1/kv2/data/expiring')).status, 200);
      s.clock.advance(30_000);
      assert.equal((await s.request('GET', '/v1/kv2/data/expiring')).status, 404);
    });

    it('a v1-style path on a v2 mount → 404 with the "Invalid path" warning', async () => {
      const r = await s.request('PUT', '/v1/kv2/foo', { body: { a: 1 } });
      assert.equal(r.status, 404);
      assert.equal(r.body.data, null);
      assert.match(r.body.warnings[0], /^Invalid path for a versioned K\/V secrets engine\. .*'vault kv put'/);
    });

    it('bad paths: 400 that says why; trailing dot → 404; oversized secret → 413', async () => {
      // (A `..` segment cannot be sent from here: the WHATWG URL parser resolves it, even as %2E%2E.)
      const nul = await s.request('PUT', '/v1/kv2/data/a%00b', { body: { data: { a: 1 } } });
      assert.equal(nul.status, 400);
      assert.match(nul.body.errors.join(' '), /NUL/);
      const empty = await s.request('PUT', '/v1/kv2/data/a//b', { body: { data: { a: 1 } } });
      assert.equal(empty.status, 400);
      assert.match(empty.body.errors.join(' '), /empty path segments/);
      assert.equal((await s.request('PUT', '/v1/kv2/data/trailing.', { body: { data: { a: 1 } } })).status, 404);
      const big = await s.request('PUT', '/v1/kv2/data/big', { body: { data: { blob: 'x'.repeat(1024 * 1024 + 10) } } });
      assert.equal(big.status, 413);
      assert.match(big.body.errors[0], /max 1 MiB/);
    });
  });

  describe('v1', () => {
    it('write → 204, read → 200 with lease_duration, LIST, DELETE → 204, PATCH → 405', async () => {
      assert.equal((await s.request('PUT', '/v1/kv1/app/config', { body: { user: 'u', ttl: '1h' } })).status, 204);
      const r = await s.request('GET', '/v1/kv1/app/config');
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.data, { user: 'u', ttl: '1h' });
      assert.equal(r.body.lease_duration, 3600);
      assert.equal(r.body.renewable, false);
      assert.equal(r.body.lease_id, '');
      await s.request('PUT', '/v1/kv1/app/other', { body: { a: 1 } });
      assert.equal((await s.request('GET', '/v1/kv1/app/other')).body.lease_duration, 2764800);
      assert.deepEqual((await s.request('LIST', '/v1/kv1/app/')).body.data.keys, ['config', 'other']);
      const patch = await s.request('PATCH', '/v1/kv1/app/config', { body: { user: 'v' }, headers: MERGE });
      assert.equal(patch.status, 405);
      assert.deepEqual(patch.body.errors, ['unsupported operation']);
      assert.equal((await s.request('DELETE', '/v1/kv1/app/config')).status, 204);
      const gone = await s.request('GET', '/v1/kv1/app/config');
      assert.equal(gone.status, 404);
      assert.deepEqual(gone.body, { errors: [] });
      assert.equal((await s.request('LIST', '/v1/kv1/empty/')).status, 404);
    });

    it('an empty write is 400 "missing data fields"', async () => {
      const r = await s.request('PUT', '/v1/kv1/empty-write', { rawBody: 'null', headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 400);
      assert.deepEqual(r.body.errors, ['missing data fields']);
    });
  });
});
