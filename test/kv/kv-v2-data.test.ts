import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allKeys, dataOf, FlakyStorage, makeKv, snapshot, T0 } from './dispatch.js';

const ts = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

describe('KV v2 data', () => {
  it('writes a first version (create) and reads it back with Vault\'s envelope data', async () => {
    const kv = makeKv();
    const w = dataOf(await kv.call('update', 'data/mysql/webapp', { data: { db_name: 'users', password: 'passw0rd' }, options: {} }));
    assert.equal(kv.lastOperation, 'create');
    assert.deepEqual(w, { created_time: '2026-11-22T04:00:00.123000000Z', custom_metadata: null, deletion_time: '', destroyed: false, version: 1 });
    assert.deepEqual(Object.keys(w), ['created_time', 'custom_metadata', 'deletion_time', 'destroyed', 'version']);
    const r = dataOf(await kv.call('read', 'data/mysql/webapp'));
    assert.deepEqual(r, {
      data: { db_name: 'users', password: 'passw0rd' },
      metadata: { created_time: ts(T0), custom_metadata: null, deletion_time: '', destroyed: false, version: 1 },
    });
  });

  it('runs as update once the key exists, and keeps older versions readable with ?version=', async () => {
    const kv = makeKv();
    await kv.call('update', 'data/a', { data: { v: 1 } });
    kv.clock.advance(1000);
    const w2 = dataOf(await kv.call('update', 'data/a', { data: { v: 2 } }));
    assert.equal(kv.lastOperation, 'update');
    assert.equal(w2.version, 2);
    assert.equal(w2.created_time, ts(T0 + 1000));
    assert.deepEqual(dataOf(await kv.call('read', 'data/a')).data, { v: 2 });
    assert.deepEqual(dataOf(await kv.call('read', 'data/a', { version: '1' })).data, { v: 1 });
    assert.deepEqual(dataOf(await kv.call('read', 'data/a', { version: 0 })).data, { v: 2 });
    assert.equal((await kv.fail('read', 'data/a', { version: 3 })).status, 404);
    assert.equal((await kv.fail('read', 'data/a', { version: 'x' })).status, 400);
  });

  it('answers a plain 404 (no messages) for a secret never written', async () => {
    const kv = makeKv();
    const err = await kv.fail('read', 'data/nope');
    assert.equal(err.status, 404);
    assert.deepEqual(err.messages, []);
  });

  it('requires data: 400 "no data provided" for a missing or null data, 400 for a non-object', async () => {
    const kv = makeKv();
    assert.deepEqual((await kv.fail('update', 'data/a', {})).messages, ['no data provided']);
    assert.deepEqual((await kv.fail('update', 'data/a', { data: null })).messages, ['no data provided']);
    assert.equal((await kv.fail('update', 'data/a', { data: [1, 2] })).status, 400);
    assert.equal((await kv.fail('update', 'data/a', { data: 'plain' })).status, 400);
    // A JSON string holding an object is accepted (form bodies, CLI).
    assert.equal(dataOf(await kv.call('update', 'data/a', { data: '{"k":"v"}' })).version, 1);
    // An empty map is a valid version.
    assert.equal(dataOf(await kv.call('update', 'data/b', { data: {} })).version, 1);
  });

  it('rejects a secret over 1 MiB with 413 and stores nothing', async () => {
    const kv = makeKv();
    const err = await kv.fail('update', 'data/big', { data: { blob: 'x'.repeat(1024 * 1024) } });
    assert.equal(err.status, 413);
    assert.equal(err.code, 'payload_too_large');
    assert.match(err.messages[0]!, /max 1 MiB/);
    assert.ok(!err.messages[0]!.includes('xxxx'), 'the value must not be echoed');
    assert.deepEqual(await allKeys(kv.storage), []);
    // Just under the limit is fine.
    assert.equal(dataOf(await kv.call('update', 'data/big', { data: { blob: 'x'.repeat(1024 * 1024 - 20) } })).version, 1);
  });

  describe('check-and-set', () => {
    it('cas must equal the current version; cas 0 means "only if absent"', async () => {
      const kv = makeKv();
      assert.equal(dataOf(await kv.call('update', 'data/c', { data: { a: 1 }, options: { cas: 0 } })).version, 1);
      const again = await kv.fail('update', 'data/c', { data: { a: 1 }, options: { cas: 0 } });
      assert.deepEqual(again.messages, ['check-and-set parameter did not match the current version']);
      assert.equal((await kv.fail('update', 'data/c', { data: { a: 1 }, options: { cas: 2 } })).status, 400);
      assert.equal(dataOf(await kv.call('update', 'data/c', { data: { a: 2 }, options: { cas: '1' } })).version, 2);
      assert.match((await kv.fail('update', 'data/c', { data: {}, options: { cas: 'one' } })).messages[0]!, /error parsing check-and-set parameter/);
      assert.equal((await kv.fail('update', 'data/c', { data: {}, options: 'nope' })).status, 400);
    });

    it('cas_required on the mount config demands cas on every write and patch', async () => {
      const kv = makeKv();
      await kv.call('update', 'config', { cas_required: true });
      assert.deepEqual((await kv.fail('update', 'data/c', { data: { a: 1 } })).messages, ['check-and-set parameter required for this call']);
      await kv.call('update', 'data/c', { data: { a: 1 }, options: { cas: 0 } });
      assert.deepEqual((await kv.fail('patch', 'data/c', { data: { b: 1 } })).messages, ['check-and-set parameter required for this call']);
      assert.equal(dataOf(await kv.call('patch', 'data/c', { data: { b: 1 }, options: { cas: 1 } })).version, 2);
    });

    it('cas_required on one key applies to that key only', async () => {
      const kv = makeKv();
      await kv.call('update', 'metadata/locked', { cas_required: 'true' });
      assert.equal((await kv.fail('update', 'data/locked', { data: { a: 1 } })).status, 400);
      assert.equal(dataOf(await kv.call('update', 'data/locked', { data: { a: 1 }, options: { cas: 0 } })).version, 1);
      assert.equal(dataOf(await kv.call('update', 'data/free', { data: { a: 1 } })).version, 1);
    });

    it('concurrent cas:0 writes to a new key: exactly one wins', async () => {
      const kv = makeKv();
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => kv.call('update', 'data/race', { data: { i }, options: { cas: 0 } })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    });

    it('concurrent writes without cas get distinct consecutive versions', async () => {
      const kv = makeKv();
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => kv.call('update', 'data/many', { data: { i } })));
      const versions = results.map((r) => dataOf(r).version).sort((a, b) => a - b);
      assert.deepEqual(versions, Array.from({ length: 12 }, (_, i) => i + 1));
      assert.equal(dataOf(await kv.call('read', 'metadata/many')).current_version, 12);
    });
  });

  describe('patch (JSON merge patch onto the latest version)', () => {
    it('merges, replaces and removes keys (null) and creates a new version', async () => {
      const kv = makeKv();
      await kv.call('update', 'data/p', { data: { keep: 1, change: 'old', drop: true, nested: { a: 1, b: 2 } } });
      const w = dataOf(await kv.call('patch', 'data/p', { data: { change: 'new', drop: null, nested: { b: null, c: 3 }, added: [1] } }));
      assert.equal(w.version, 2);
      assert.deepEqual(dataOf(await kv.call('read', 'data/p')).data, { keep: 1, change: 'new', nested: { a: 1, c: 3 }, added: [1] });
      assert.deepEqual(dataOf(await kv.call('read', 'data/p', { version: 1 })).data, { keep: 1, change: 'old', drop: true, nested: { a: 1, b: 2 } });
    });

    it('404 for a missing key; 400 without data', async () => {
      const kv = makeKv();
      assert.equal((await kv.fail('patch', 'data/none', { data: { a: 1 } })).status, 404);
      await kv.call('update', 'data/p', { data: { a: 1 } });
      assert.deepEqual((await kv.fail('patch', 'data/p', {})).messages, ['no data provided']);
    });

    it('a deleted latest version cannot be patched: 404 carrying its metadata', async () => {
      const kv = makeKv();
      await kv.call('update', 'data/p', { data: { a: 1 } });
      await kv.call('delete', 'data/p');
      const res = await kv.call('patch', 'data/p', { data: { a: 2 } });
      assert.equal(res?.status, 404);
      assert.equal(dataOf(res).version, 1);
      assert.equal(dataOf(res).deletion_time, ts(T0));
    });

    it('does not let a __proto__ key change an object prototype', async () => {
      const kv = makeKv();
      await kv.call('update', 'data/p', { data: { a: 1 } });
      await kv.call('patch', 'data/p', { data: JSON.parse('{"__proto__": {"polluted": true}}') });
      const data = dataOf(await kv.call('read', 'data/p')).data;
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.ok(Object.hasOwn(data, '__proto__'));
    });
  });

  describe('soft delete, undelete, destroy', () => {
    it('DELETE data/ soft-deletes the latest version: read gives 404 with the full envelope', async () => {
      const kv = makeKv();
      await kv.call('update', 'data/d', { data: { a: 1 } });
      await kv.call('update', 'data/d', { data: { a: 2 } });
      kv.clock.advance(5);
      assert.equal(await kv.call('delete', 'data/d'), null);
      const res = await kv.call('read', 'data/d');
      assert.equal(res?.status, 404);
      assert.deepEqual(res?.data, {
        data: null,
        metadata: { created_time: ts(T0), custom_metadata: null, deletion_time: ts(T0 + 5), destroyed: false, version: 2 },
      });
      assert.deepEqual(dataOf(await kv.call('read', 'data/d', { version: 1 })).data, { a: 1 });
      // Deleting again keeps the first deletion time; deleting a missing key is a no-op.
      kv.clock.advance(5);
      await kv.call('delete', 'data/d');
      assert.equal(dataOf(await kv.call('read', 'metadata/d')).versions['2'].deletion_time, ts(T0 + 5));
      assert.equal(await kv.call('delete', 'data/never'), null);
    });

    it('writing to a soft-deleted key makes a new, readable version', async () => {
      const kv = makeKv();
      await kv.call('update', 'data/d', { data: { a: 1 } });
      await kv.call('delete', 'data/d');
      assert.equal(dataOf(await kv.call('update', 'data/d', { data: { a: 2 } })).version, 2);
      assert.deepEqual(dataOf(await kv.call('read', 'data/d')).data, { a: 2 });
    });

    it('delete/ and undelete/ take version lists in several forms', async () => {
      const kv = makeKv();
      for (let i = 1; i <= 3; i++) await kv.call('update', 'data/v', { data: { i } });
      assert.equal(await kv.call('update', 'delete/v', { versions: [1, '2'] }), null);
      assert.equal((await kv.call('read', 'data/v', { version: 1 }))?.status, 404);
      assert.equal((await kv.call('read', 'data/v', { version: 2 }))?.status, 404);
      assert.deepEqual(dataOf(await kv.call('read', 'data/v')).data, { i: 3 });
      await kv.call('update', 'undelete/v', { versions: '1,2' });
      assert.deepEqual(dataOf(await kv.call('read', 'data/v', { version: 1 })).data, { i: 1 });
      assert.equal(dataOf(await kv.call('read', 'data/v', { version: 2 })).metadata.deletion_time, '');
      await kv.call('update', 'delete/v', { versions: 3 });
      assert.equal((await kv.call('read', 'data/v'))?.status, 404);
      assert.deepEqual((await kv.fail('update', 'delete/v', {})).messages, ['No version number provided']);
      assert.deepEqual((await kv.fail('update', 'undelete/v', { versions: [] })).messages, ['No version number provided']);
      assert.equal((await kv.fail('update', 'delete/v', { versions: ['x'] })).status, 400);
      // Unknown versions and unknown keys are skipped.
      assert.equal(await kv.call('update', 'delete/v', { versions: [99] }), null);
      assert.equal(await kv.call('update', 'delete/ghost', { versions: [1] }), null);
      assert.deepEqual(await allKeys(kv.storage).then((k) => k.filter((x) => x.includes('ghost'))), []);
    });

    it('destroy removes the data for good: destroyed:true, 404, and undelete cannot bring it back', async () => {
      const kv = makeKv();
      await kv.call('update', 'data/x', { data: { secret: 's1' } });
      await kv.call('update', 'data/x', { data: { secret: 's2' } });
      const before = (await allKeys(kv.storage)).filter((k) => k.startsWith('versions/'));
      assert.equal(before.length, 2);
      assert.equal(await kv.call('update', 'destroy/x', { versions: [1] }), null);
      const after = (await allKeys(kv.storage)).filter((k) => k.startsWith('versions/'));
      assert.equal(after.length, 1);
      const stored = JSON.stringify(await snapshot(kv.storage));
      assert.ok(!stored.includes('s1'), 'destroyed data must be gone from storage');
      const res = await kv.call('read', 'data/x', { version: 1 });
      assert.equal(res?.status, 404);
      assert.deepEqual(res?.data, { data: null, metadata: { created_time: ts(T0), custom_metadata: null, deletion_time: '', destroyed: true, version: 1 } });
      await kv.call('update', 'undelete/x', { versions: [1] });
      assert.equal((await kv.call('read', 'data/x', { version: 1 }))?.status, 404);
      assert.deepEqual((await kv.fail('update', 'destroy/x', {})).messages, ['no version number provided']);
    });
  });

  describe('max_versions', () => {
    it('keeps 10 versions by default: the oldest are removed from storage and oldest_version moves up', async () => {
      const kv = makeKv();
      for (let i = 1; i <= 12; i++) await kv.call('update', 'data/m', { data: { i } });
      const meta = dataOf(await kv.call('read', 'metadata/m'));
      assert.equal(meta.current_version, 12);
      assert.equal(meta.oldest_version, 3);
      assert.deepEqual(Object.keys(meta.versions), ['3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
      assert.equal((await allKeys(kv.storage)).filter((k) => k.startsWith('versions/')).length, 10);
      assert.equal((await kv.fail('read', 'data/m', { version: 2 })).status, 404);
      assert.deepEqual(dataOf(await kv.call('read', 'data/m', { version: 3 })).data, { i: 3 });
    });

    it('uses the larger of the key and mount settings; lowering takes effect on the next write', async () => {
      const kv = makeKv();
      await kv.call('update', 'config', { max_versions: 2 });
      for (let i = 1; i <= 3; i++) await kv.call('update', 'data/m', { data: { i } });
      assert.deepEqual(Object.keys(dataOf(await kv.call('read', 'metadata/m')).versions), ['2', '3']);
      await kv.call('update', 'metadata/m', { max_versions: '4' });
      for (let i = 4; i <= 6; i++) await kv.call('update', 'data/m', { data: { i } });
      const meta = dataOf(await kv.call('read', 'metadata/m'));
      assert.deepEqual(Object.keys(meta.versions), ['3', '4', '5', '6']);
      assert.equal(meta.oldest_version, 3);
      assert.equal(meta.max_versions, 4);
      // Back to 1 on the key: the mount's 2 is larger, so 2 are kept.
      await kv.call('update', 'metadata/m', { max_versions: 1 });
      await kv.call('update', 'data/m', { data: { i: 7 } });
      assert.deepEqual(Object.keys(dataOf(await kv.call('read', 'metadata/m')).versions), ['6', '7']);
      assert.equal((await allKeys(kv.storage)).filter((k) => k.startsWith('versions/')).length, 2);
    });
  });

  describe('delete_version_after', () => {
    it('mount setting: deletion_time = created + d, and the version reads as deleted once the clock passes it', async () => {
      const kv = makeKv();
      await kv.call('update', 'config', { delete_version_after: '1h' });
      const w = dataOf(await kv.call('update', 'data/t', { data: { a: 1 } }));
      assert.equal(w.deletion_time, ts(T0 + 3600_000));
      kv.clock.advance(3600_000 - 1);
      assert.deepEqual(dataOf(await kv.call('read', 'data/t')).data, { a: 1 });
      kv.clock.advance(1);
      const res = await kv.call('read', 'data/t');
      assert.equal(res?.status, 404);
      assert.equal(dataOf(res).data, null);
    });

    it('the smaller non-zero of key and mount wins; a negative mount value disables it', async () => {
      const kv = makeKv();
      await kv.call('update', 'config', { delete_version_after: '2h' });
      await kv.call('update', 'metadata/k', { delete_version_after: 1800 });
      assert.equal(dataOf(await kv.call('update', 'data/k', { data: { a: 1 } })).deletion_time, ts(T0 + 1800_000));
      await kv.call('update', 'config', { delete_version_after: '-1s' });
      assert.equal(dataOf(await kv.call('read', 'config')).delete_version_after, '-1s');
      assert.equal(dataOf(await kv.call('update', 'data/k', { data: { a: 2 } })).deletion_time, '');
      await kv.call('update', 'config', { delete_version_after: 0 });
      assert.equal(dataOf(await kv.call('read', 'config')).delete_version_after, '0s');
    });

    it('undelete re-arms the timer from now', async () => {
      const kv = makeKv();
      await kv.call('update', 'metadata/u', { delete_version_after: '10m' });
      await kv.call('update', 'data/u', { data: { a: 1 } });
      kv.clock.advance(3600_000);
      assert.equal((await kv.call('read', 'data/u'))?.status, 404);
      await kv.call('update', 'undelete/u', { versions: [1] });
      const r = dataOf(await kv.call('read', 'data/u'));
      assert.equal(r.metadata.deletion_time, ts(T0 + 3600_000 + 600_000));
    });
  });

  describe('subkeys', () => {
    const secret = { foo: 'abc', bar: { baz: 'def', deep: { x: 1 } }, empty: {}, list: [1, 2] };

    it('returns the structure with values nulled, honouring depth', async () => {
      const kv = makeKv();
      await kv.call('update', 'data/s', { data: secret });
      const all = dataOf(await kv.call('read', 'subkeys/s'));
      assert.deepEqual(all.subkeys, { foo: null, bar: { baz: null, deep: { x: null } }, empty: null, list: null });
      assert.equal(all.metadata.version, 1);
      assert.deepEqual(dataOf(await kv.call('read', 'subkeys/s', { depth: '1' })).subkeys, { foo: null, bar: null, empty: null, list: null });
      assert.deepEqual(dataOf(await kv.call('read', 'subkeys/s', { depth: 2 })).subkeys, { foo: null, bar: { baz: null, deep: null }, empty: null, list: null });
      assert.ok(!JSON.stringify(all).includes('abc'));
      assert.equal((await kv.fail('read', 'subkeys/s', { depth: -1 })).status, 400);
    });

    it('by version; 404 with envelope when deleted; plain 404 when missing', async () => {
      const kv = makeKv();
      await kv.call('update', 'data/s', { data: { a: 1 } });
      await kv.call('update', 'data/s', { data: { b: 1 } });
      assert.deepEqual(dataOf(await kv.call('read', 'subkeys/s', { version: 1 })).subkeys, { a: null });
      await kv.call('delete', 'data/s');
      const res = await kv.call('read', 'subkeys/s');
      assert.equal(res?.status, 404);
      assert.equal(dataOf(res).subkeys, null);
      assert.equal(dataOf(res).metadata.version, 2);
      assert.equal((await kv.fail('read', 'subkeys/none')).status, 404);
    });
  });

  describe('atomicity', () => {
    it('a failed batch leaves nothing half-written (write, prune, destroy, delete-all, soft delete)', async () => {
      const storage = new FlakyStorage();
      const kv = makeKv({ storage });
      await kv.call('update', 'metadata/a', { max_versions: 2 });
      await kv.call('update', 'data/a', { data: { v: 1 } });
      await kv.call('update', 'data/a', { data: { v: 2 } });
      const before = await snapshot(storage);
      storage.failBatches = true;
      const attempts: Array<[Parameters<typeof kv.call>[0], string, Record<string, unknown>]> = [
        ['update', 'data/a', { data: { v: 3 } }], // new version + metadata + prune of v1
        ['patch', 'data/a', { data: { w: 1 } }],
        ['update', 'destroy/a', { versions: [1, 2] }],
        ['update', 'delete/a', { versions: [1] }],
        ['delete', 'data/a', {}],
        ['delete', 'metadata/a', {}],
        ['update', 'data/b', { data: { fresh: true } }],
      ];
      for (const [op, path, data] of attempts) {
        await assert.rejects(kv.call(op, path, data), /simulated storage failure/);
        assert.deepEqual(await snapshot(storage), before, `${op} ${path} changed storage despite the failed batch`);
      }
      storage.failBatches = false;
      assert.deepEqual(dataOf(await kv.call('read', 'data/a')).data, { v: 2 });
      // The write of v3 with its pruning is a single batch.
      await kv.call('update', 'data/a', { data: { v: 3 } });
      const last = storage.batches.at(-1)!;
      assert.deepEqual(last.map((op) => op.type).sort(), ['delete', 'put', 'put']);
    });
  });

  describe('paths', () => {
    it('rejects .. and . segments, NUL bytes and empty segments with a 400 that says why', async () => {
      const kv = makeKv();
      const cases: Array<[string, RegExp]> = [
        ['data/a/../b', /"\." and "\.\." segments/],
        ['data/./b', /"\." and "\.\." segments/],
        ['data/a\0b', /NUL/],
        ['data/a//b', /empty path segments/],
        ['data//a', /empty path segments/],
        ['data/a\uD800b', /well-formed Unicode/],
      ];
      for (const [path, message] of cases) {
        const err = await kv.fail('update', path, { data: { a: 1 } });
        assert.equal(err.status, 400, path);
        assert.match(err.messages.join(' '), message, path);
      }
      assert.equal((await kv.fail('read', 'metadata/a//b')).status, 400);
      assert.deepEqual(await allKeys(kv.storage), []);
    });

    it('a path ending in "." is 404', async () => {
      const kv = makeKv();
      assert.equal((await kv.fail('update', 'data/foo.', { data: { a: 1 } })).status, 404);
      assert.equal((await kv.fail('read', 'data/a/b.')).status, 404);
      assert.equal((await kv.fail('update', 'metadata/x.', { max_versions: 1 })).status, 404);
    });

    it('the existence check never throws on a bad path', async () => {
      const kv = makeKv();
      const route = kv.backend.routes.find((r) => r.pattern.test('data/a//b'))!;
      const req = { operation: 'update' as const, path: 'data/a//b', params: { path: 'a//b' }, data: {}, storage: kv.storage, mount: kv.mount, requestId: 'r', fullPath: 'secret/data/a//b' };
      assert.equal(await route.existenceCheck!(req), false);
    });
  });

  describe('unknown paths and methods', () => {
    const WARNING = "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv put' for this operation.";

    it('a path outside the v2 layout is a 404 response carrying the warning', async () => {
      const kv = makeKv();
      const res = await kv.call('update', 'foo', { a: 1 });
      assert.deepEqual(res, { status: 404, data: null, warnings: [WARNING] });
      assert.match((await kv.call('read', 'foo/bar'))!.warnings![0]!, /use 'vault kv get'/);
      assert.match((await kv.call('list', 'foo/'))!.warnings![0]!, /use 'vault kv list'/);
      assert.match((await kv.call('read', 'data/foo/'))!.warnings![0]!, /Invalid path/);
      assert.deepEqual((await kv.call('read', 'metadata'))!.warnings, ['Non-listing operations on the root of a K/V v2 mount are not supported.']);
      assert.deepEqual(await allKeys(kv.storage), []);
    });

    it('a known path with an unsupported method is 405', async () => {
      const kv = makeKv();
      assert.equal((await kv.fail('read', 'destroy/x')).status, 405);
      assert.equal((await kv.fail('list', 'config')).status, 405);
      assert.equal((await kv.fail('delete', 'subkeys/x')).status, 405);
    });
  });
});
