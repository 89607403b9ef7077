import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allKeys, dataOf, makeKv, T0 } from './dispatch.js';

const ts = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

describe('KV v2 metadata', () => {
  it('reads Vault\'s metadata shape with versions keyed by string numbers', async () => {
    const kv = makeKv();
    await kv.call('update', 'data/m', { data: { a: 1 } });
    kv.clock.advance(2000);
    await kv.call('update', 'data/m', { data: { a: 2 } });
    await kv.call('delete', 'data/m');
    const meta = dataOf(await kv.call('read', 'metadata/m'));
    assert.deepEqual(meta, {
      cas_required: false,
      created_time: ts(T0),
      current_version: 2,
      custom_metadata: null,
      delete_version_after: '0s',
      max_versions: 0,
      oldest_version: 0,
      updated_time: ts(T0 + 2000),
      versions: {
        '1': { created_time: ts(T0), deletion_time: '', destroyed: false },
        '2': { created_time: ts(T0 + 2000), deletion_time: ts(T0 + 2000), destroyed: false },
      },
    });
    assert.equal((await kv.fail('read', 'metadata/none')).status, 404);
    assert.equal((await kv.fail('read', 'metadata/')).status, 404);
  });

  it('write creates metadata (create, then update), with lenient field types', async () => {
    const kv = makeKv();
    assert.equal(await kv.call('update', 'metadata/w', { max_versions: '5', cas_required: 'true', delete_version_after: '3h25m19s', custom_metadata: { owner: 'team-a', n: 3 } }), null);
    assert.equal(kv.lastOperation, 'create');
    const meta = dataOf(await kv.call('read', 'metadata/w'));
    assert.equal(meta.max_versions, 5);
    assert.equal(meta.cas_required, true);
    assert.equal(meta.delete_version_after, '3h25m19s');
    assert.deepEqual(meta.custom_metadata, { owner: 'team-a', n: '3' });
    assert.equal(meta.current_version, 0);
    assert.equal(meta.created_time, ts(T0));
    assert.deepEqual(meta.versions, {});
    // The data of a key with metadata but no version is still missing.
    assert.equal((await kv.fail('read', 'data/w')).status, 404);
    await kv.call('update', 'metadata/w', { max_versions: 7 });
    assert.equal(kv.lastOperation, 'update');
    const again = dataOf(await kv.call('read', 'metadata/w'));
    assert.equal(again.max_versions, 7);
    assert.deepEqual(again.custom_metadata, { owner: 'team-a', n: '3' }, 'fields not sent are left alone');
    // custom_metadata shows up in data responses.
    const w = dataOf(await kv.call('update', 'data/w', { data: { a: 1 }, options: { cas: 0 } }));
    assert.deepEqual(w.custom_metadata, { owner: 'team-a', n: '3' });
    assert.deepEqual(dataOf(await kv.call('read', 'data/w')).metadata.custom_metadata, { owner: 'team-a', n: '3' });
  });

  it('a write with no fields changes and creates nothing', async () => {
    const kv = makeKv();
    assert.equal(await kv.call('update', 'metadata/empty', { unrelated: 1 }), null);
    assert.deepEqual(await allKeys(kv.storage), []);
  });

  it('rejects bad field values with a 400 naming the field', async () => {
    const kv = makeKv();
    assert.match((await kv.fail('update', 'metadata/b', { max_versions: -1 })).messages[0]!, /max_versions/);
    assert.match((await kv.fail('update', 'metadata/b', { cas_required: 'maybe' })).messages[0]!, /cas_required/);
    assert.match((await kv.fail('update', 'metadata/b', { delete_version_after: 'soon' })).messages[0]!, /delete_version_after/);
    assert.match((await kv.fail('update', 'metadata/b', { custom_metadata: 'x' })).messages[0]!, /custom_metadata/);
    assert.match((await kv.fail('update', 'metadata/b', { custom_metadata: { a: { b: 1 } } })).messages[0]!, /custom_metadata/);
  });

  describe('custom_metadata limits', () => {
    it('at most 64 keys', async () => {
      const kv = makeKv();
      const ok = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v']));
      assert.equal(await kv.call('update', 'metadata/c', { custom_metadata: ok }), null);
      const tooMany = { ...ok, k64: 'v' };
      const err = await kv.fail('update', 'metadata/c', { custom_metadata: tooMany });
      assert.equal(err.status, 400);
      assert.deepEqual(err.messages, ['custom_metadata validation failed: payload must contain at most 64 keys, provided 65']);
    });

    it('keys up to 128 bytes and values up to 512 bytes, both non-empty and printable', async () => {
      const kv = makeKv();
      assert.equal(await kv.call('update', 'metadata/c', { custom_metadata: { ['k'.repeat(128)]: 'v'.repeat(512) } }), null);
      const long = await kv.fail('update', 'metadata/c', { custom_metadata: { ['k'.repeat(129)]: 'v'.repeat(513) } });
      assert.equal(long.messages.length, 2);
      assert.match(long.messages[0]!, /length of key .* is 129 but must be 0 < len\(key\) <= 128/);
      assert.match(long.messages[1]!, /length of value .* is 513 but must be 0 < len\(value\) <= 512/);
      // Byte length, not characters: 64 × "é" (2 bytes each) = 128 bytes is fine, 65 × "é" = 130 is not.
      assert.equal(await kv.call('update', 'metadata/c', { custom_metadata: { ['é'.repeat(64)]: 'v' } }), null);
      assert.equal((await kv.fail('update', 'metadata/c', { custom_metadata: { ['é'.repeat(65)]: 'v' } })).status, 400);
      assert.equal((await kv.fail('update', 'metadata/c', { custom_metadata: { k: '' } })).status, 400);
      assert.match((await kv.fail('update', 'metadata/c', { custom_metadata: { k: 'a\nb' } })).messages[0]!, /unprintable/);
    });
  });

  describe('patch', () => {
    it('merges fields and custom_metadata (null removes a key); 404 when the key is missing', async () => {
      const kv = makeKv();
      assert.equal((await kv.fail('patch', 'metadata/p', { max_versions: 3 })).status, 404);
      await kv.call('update', 'metadata/p', { max_versions: 3, custom_metadata: { a: '1', b: '2' } });
      assert.equal(await kv.call('patch', 'metadata/p', { cas_required: true, custom_metadata: { b: null, c: '3' } }), null);
      const meta = dataOf(await kv.call('read', 'metadata/p'));
      assert.equal(meta.max_versions, 3);
      assert.equal(meta.cas_required, true);
      assert.deepEqual(meta.custom_metadata, { a: '1', c: '3' });
      await kv.call('patch', 'metadata/p', { custom_metadata: null });
      assert.equal(dataOf(await kv.call('read', 'metadata/p')).custom_metadata, null);
    });

    it('the merged custom_metadata must still respect the limits', async () => {
      const kv = makeKv();
      const full = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, 'v']));
      await kv.call('update', 'metadata/p', { custom_metadata: full });
      assert.equal((await kv.fail('patch', 'metadata/p', { custom_metadata: { extra: 'v' } })).status, 400);
      assert.equal(await kv.call('patch', 'metadata/p', { custom_metadata: { k0: null, extra: 'v' } }), null);
    });
  });

  it('warns (and succeeds) when a key sets cas_required=false while the mount requires it', async () => {
    const kv = makeKv();
    await kv.call('update', 'config', { cas_required: true });
    const res = await kv.call('update', 'metadata/w', { cas_required: false });
    assert.deepEqual(res?.warnings, ['"cas_required" set to false, but is mandated by backend config. This value will be ignored.']);
    // Still required.
    await kv.call('update', 'data/w', { data: { a: 1 }, options: { cas: 0 } });
    assert.equal((await kv.fail('update', 'data/w', { data: { a: 2 } })).status, 400);
  });

  it('DELETE metadata/ removes every version and the metadata', async () => {
    const kv = makeKv();
    for (let i = 0; i < 3; i++) await kv.call('update', 'data/gone', { data: { i } });
    await kv.call('update', 'data/stay', { data: { s: 1 } });
    await kv.call('update', 'destroy/gone', { versions: [1] });
    assert.equal(await kv.call('delete', 'metadata/gone'), null);
    assert.equal((await kv.fail('read', 'data/gone')).status, 404);
    assert.equal((await kv.fail('read', 'metadata/gone')).status, 404);
    const keys = await allKeys(kv.storage);
    assert.equal(keys.filter((k) => k.startsWith('versions/')).length, 1, 'only the other secret\'s version is left');
    assert.deepEqual(keys.filter((k) => k.startsWith('meta/')), ['meta/stay']);
    assert.equal(await kv.call('delete', 'metadata/gone'), null, 'deleting again is a no-op');
    // A new write starts again at version 1.
    assert.equal(dataOf(await kv.call('update', 'data/gone', { data: { again: true } })).version, 1);
  });

  describe('LIST metadata/', () => {
    async function seeded() {
      const kv = makeKv();
      for (const p of ['a', 'b', 'c/d', 'c/e/f', 'zeta', 'a/x']) await kv.call('update', `data/${p}`, { data: { p } });
      return kv;
    }

    it('lists one level with folders ending in "/"; 404 when empty', async () => {
      const kv = await seeded();
      assert.deepEqual(dataOf(await kv.call('list', 'metadata/')).keys, ['a', 'a/', 'b', 'c/', 'zeta']);
      assert.deepEqual(dataOf(await kv.call('list', 'metadata/c/')).keys, ['d', 'e/']);
      assert.deepEqual(dataOf(await kv.call('list', 'metadata/c/e/')).keys, ['f']);
      const empty = await kv.fail('list', 'metadata/nothing/');
      assert.equal(empty.status, 404);
      assert.deepEqual(empty.messages, []);
      assert.equal((await makeKv().fail('list', 'metadata/')).status, 404);
    });

    it('maps a folder to exactly one storage.list call with after/limit passed through', async () => {
      const kv = await seeded();
      const calls: unknown[][] = [];
      const original = kv.storage.list.bind(kv.storage);
      kv.storage.list = async (...args) => {
        calls.push(args);
        return original(...args);
      };
      assert.deepEqual(dataOf(await kv.call('list', 'metadata/', { limit: '2' })).keys, ['a', 'a/']);
      assert.deepEqual(dataOf(await kv.call('list', 'metadata/', { after: 'a/', limit: 2 })).keys, ['b', 'c/']);
      assert.deepEqual(dataOf(await kv.call('list', 'metadata/', { after: 'c/' })).keys, ['zeta']);
      assert.equal((await kv.fail('list', 'metadata/', { after: 'zeta' })).status, 404);
      assert.deepEqual(calls, [
        ['meta/', { after: undefined, limit: 2 }],
        ['meta/', { after: 'a/', limit: 2 }],
        ['meta/', { after: 'c/', limit: undefined }],
        ['meta/', { after: 'zeta', limit: undefined }],
      ]);
      assert.equal((await kv.fail('list', 'metadata/', { limit: -1 })).status, 400);
    });

    it('a deleted-all secret disappears from its folder; soft-deleted ones stay', async () => {
      const kv = await seeded();
      await kv.call('delete', 'data/b');
      await kv.call('delete', 'metadata/zeta');
      assert.deepEqual(dataOf(await kv.call('list', 'metadata/')).keys, ['a', 'a/', 'b', 'c/']);
    });

    it('rejects bad folder paths', async () => {
      const kv = await seeded();
      assert.equal((await kv.fail('list', 'metadata/a//')).status, 400);
      assert.equal((await kv.fail('list', 'metadata/../')).status, 400);
    });
  });
});

describe('KV v2 config', () => {
  it('reads defaults, writes fields independently, and needs update (no existence check)', async () => {
    const kv = makeKv();
    assert.deepEqual(dataOf(await kv.call('read', 'config')), { cas_required: false, delete_version_after: '0s', max_versions: 0 });
    assert.equal(await kv.call('update', 'config', { max_versions: '7', delete_version_after: '72h' }), null);
    assert.equal(kv.lastOperation, 'update');
    await kv.call('update', 'config', { cas_required: 't' });
    assert.deepEqual(dataOf(await kv.call('read', 'config')), { cas_required: true, delete_version_after: '72h0m0s', max_versions: 7 });
    assert.equal(await kv.call('update', 'config', {}), null);
    assert.equal(dataOf(await kv.call('read', 'config')).max_versions, 7);
    assert.equal((await kv.fail('update', 'config', { max_versions: 'ten' })).status, 400);
  });
});
