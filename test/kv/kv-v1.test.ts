import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allKeys, dataOf, makeKv } from './dispatch.js';

describe('KV v1', () => {
  it('writes (create, then update), replaces the whole map, and reads it back', async () => {
    const kv = makeKv({ version: '1' });
    assert.equal(await kv.call('update', 'app/db', { user: 'u', password: 'p' }), null);
    assert.equal(kv.lastOperation, 'create');
    assert.equal(await kv.call('update', 'app/db', { user: 'u2' }), null);
    assert.equal(kv.lastOperation, 'update');
    const res = await kv.call('read', 'app/db');
    assert.deepEqual(res, { data: { user: 'u2' }, leaseDuration: 2764800, renewable: false });
  });

  it('lease_duration comes from the ttl key, else lease, else the mount default', async () => {
    const kv = makeKv({ version: '1', defaultLeaseTTL: 600 });
    await kv.call('update', 'a', { v: 1 });
    assert.equal((await kv.call('read', 'a'))?.leaseDuration, 600);
    await kv.call('update', 'b', { v: 1, ttl: '1h' });
    assert.equal((await kv.call('read', 'b'))?.leaseDuration, 3600);
    await kv.call('update', 'c', { v: 1, lease: 90 });
    assert.equal((await kv.call('read', 'c'))?.leaseDuration, 90);
    await kv.call('update', 'd', { v: 1, ttl: 'soon', lease: 90 });
    assert.equal((await kv.call('read', 'd'))?.leaseDuration, 600, 'an unparsable ttl falls back to the default, not to lease');
    assert.deepEqual(dataOf(await kv.call('read', 'b')), { v: 1, ttl: '1h' }, 'the ttl key stays part of the data');
  });

  it('a missing secret is a plain 404', async () => {
    const kv = makeKv({ version: '1' });
    const err = await kv.fail('read', 'nope');
    assert.equal(err.status, 404);
    assert.deepEqual(err.messages, []);
    assert.equal((await kv.fail('read', '')).status, 404);
  });

  it('an empty write is refused like Vault does ("missing data fields")', async () => {
    const kv = makeKv({ version: '1' });
    const err = await kv.fail('update', 'e', {});
    assert.equal(err.status, 400);
    assert.deepEqual(err.messages, ['missing data fields']);
    assert.deepEqual((await kv.fail('update', '', { a: 1 })).messages, ['missing path']);
  });

  it('deletes (idempotent)', async () => {
    const kv = makeKv({ version: '1' });
    await kv.call('update', 'x', { a: 1 });
    assert.equal(await kv.call('delete', 'x'), null);
    assert.equal((await kv.fail('read', 'x')).status, 404);
    assert.equal(await kv.call('delete', 'x'), null);
  });

  it('PATCH is 405 unsupported operation', async () => {
    const kv = makeKv({ version: '1' });
    await kv.call('update', 'x', { a: 1 });
    const err = await kv.fail('patch', 'x', { a: 2 });
    assert.equal(err.status, 405);
    assert.deepEqual(err.messages, ['unsupported operation']);
    assert.deepEqual(dataOf(await kv.call('read', 'x')), { a: 1 });
  });

  it('lists one level, folders with "/", paginated; 404 when empty', async () => {
    const kv = makeKv({ version: '1' });
    for (const p of ['a', 'b/c', 'b/d/e', 'f']) await kv.call('update', p, { v: 1 });
    assert.deepEqual(dataOf(await kv.call('list', '')).keys, ['a', 'b/', 'f']);
    assert.deepEqual(dataOf(await kv.call('list', 'b/')).keys, ['c', 'd/']);
    assert.deepEqual(dataOf(await kv.call('list', 'b')).keys, ['c', 'd/']);
    assert.deepEqual(dataOf(await kv.call('list', '', { after: 'a', limit: 1 })).keys, ['b/']);
    const empty = await kv.fail('list', 'zzz/');
    assert.equal(empty.status, 404);
    assert.deepEqual(empty.messages, []);
  });

  it('rejects a secret over 1 MiB with 413', async () => {
    const kv = makeKv({ version: '1' });
    const err = await kv.fail('update', 'big', { blob: 'x'.repeat(1024 * 1024) });
    assert.equal(err.status, 413);
    assert.deepEqual(await allKeys(kv.storage), []);
  });

  it('rejects bad paths: 400 for .., NUL, empty segments; 404 for a trailing dot', async () => {
    const kv = makeKv({ version: '1' });
    for (const p of ['a/../b', 'a\0b', 'a//b', '/a', 'a/']) {
      assert.equal((await kv.fail('update', p, { v: 1 })).status, 400, JSON.stringify(p));
    }
    assert.equal((await kv.fail('update', 'a.', { v: 1 })).status, 404);
    assert.equal((await kv.fail('list', '../')).status, 400);
    assert.deepEqual(await allKeys(kv.storage), []);
  });

  it('every operation is served on any path (no v2 sub-paths on v1)', async () => {
    const kv = makeKv({ version: '1' });
    await kv.call('update', 'data/foo', { a: 1 });
    assert.deepEqual(dataOf(await kv.call('read', 'data/foo')), { a: 1 });
    assert.deepEqual(await allKeys(kv.storage), ['data/foo']);
  });
});
