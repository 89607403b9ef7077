import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorage } from '../../src/storage/memory.js';
import { PrefixedStorage } from '../../src/storage/prefixed.js';
import type { Storage } from '../../src/storage/types.js';
import { runStorageConformance } from './conformance.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** An inner store with neighbours the view must never see or touch. */
async function innerWithNeighbours(): Promise<MemoryStorage> {
  const inner = new MemoryStorage();
  for (const k of ['logical/abc', 'logical/abcd/x', 'logical/ab/y', 'logical/abc0', 'other/z', 'logical/abc\u00e9/q']) {
    await inner.put(k, enc('neighbour'));
  }
  return inner;
}

/** The view under test; closing it also closes its private inner store (the view itself does not). */
async function view(): Promise<Storage> {
  const inner = await innerWithNeighbours();
  const v = new PrefixedStorage(inner, 'logical/abc/');
  return {
    get: (k) => v.get(k),
    put: (k, val) => v.put(k, val),
    delete: (k) => v.delete(k),
    list: (p, o) => v.list(p, o),
    scan: (p, o) => v.scan(p, o),
    batch: (ops, conditions) => v.batch(ops, conditions),
    close: async () => {
      await v.close();
      await inner.close();
    },
  };
}

runStorageConformance('prefixed view over memory', view);

describe('PrefixedStorage', () => {
  it('stores under the prefix and lists relative names', async () => {
    const inner = await innerWithNeighbours();
    const v = new PrefixedStorage(inner, 'logical/abc/');
    assert.equal(v.prefix, 'logical/abc/');
    await v.put('config', enc('c'));
    await v.put('data/one', enc('1'));
    await v.batch([{ type: 'put', key: 'data/two', value: enc('2') }, { type: 'delete', key: 'config' }]);
    assert.equal(new TextDecoder().decode(await inner.get('logical/abc/data/one')), '1');
    assert.equal(await inner.get('logical/abc/config'), undefined);
    assert.deepEqual(await v.list(''), ['data/']);
    assert.deepEqual(await v.list('data/'), ['one', 'two']);
    assert.deepEqual(await v.list('data/', { after: 'one' }), ['two']);
    assert.deepEqual(await inner.list('logical/'), ['ab/', 'abc', 'abc/', 'abc0', 'abcd/', 'abc\u00e9/']);
    await v.delete('data/one');
    assert.equal(await inner.get('logical/abc/data/one'), undefined);
    assert.equal(await v.get('abcd/x'), undefined, 'keys are relative to the view: no neighbour is visible');
  });

  it('refuses keys and prefixes that could leave the view', async () => {
    const inner = await innerWithNeighbours();
    const v = new PrefixedStorage(inner, 'logical/abc/');
    for (const key of ['../abcd/x', 'a/../../other/z', '..', 'a/..', '/other/z', 'a...b/../x', 'x..y/..', 'a//../b', '.../..']) {
      await assert.rejects(v.get(key), /"\.\." segments|start with "\/"/, key);
      await assert.rejects(v.put(key, enc('x')), /"\.\." segments|start with "\/"/, key);
      await assert.rejects(v.delete(key), /"\.\." segments|start with "\/"/, key);
      await assert.rejects(v.list(key.endsWith('/') ? key : key + '/'), /"\.\." segments|start with "\/"/, key);
    }
    await assert.rejects(
      v.batch([{ type: 'put', key: 'ok', value: enc('x') }, { type: 'delete', key: '../abcd/x' }]),
      /batch operation 1.*"\.\." segments/,
    );
    assert.equal(await v.get('ok'), undefined, 'the rejected batch wrote nothing');
    assert.equal(new TextDecoder().decode(await inner.get('logical/abcd/x')), 'neighbour');
    // Dots that are not a whole segment are ordinary characters.
    await v.put('a..b/.hidden/...', enc('fine'));
    assert.deepEqual(await v.list('a..b/.hidden/'), ['...']);
    for (const key of ['..a', 'a..', 'x/..y/z..', '.../....', 'a/./b']) {
      await v.put(key, enc('fine'));
      assert.equal(new TextDecoder().decode(await v.get(key)), 'fine', key);
    }
  });

  it('validates its prefix', () => {
    const inner = new MemoryStorage();
    assert.throws(() => new PrefixedStorage(inner, ''), /empty/);
    assert.throws(() => new PrefixedStorage(inner, 'logical/abc'), /end with "\/"/);
    assert.throws(() => new PrefixedStorage(inner, '/logical/abc/'), /start with "\/"/);
    assert.throws(() => new PrefixedStorage(inner, 'logical/../sys/'), /"\.\." segments/);
    assert.throws(() => new PrefixedStorage(inner, 'a\0/'), /NUL/);
  });

  it('closing the view leaves the inner storage open', async () => {
    const inner = await innerWithNeighbours();
    const v = new PrefixedStorage(inner, 'logical/abc/');
    await v.close();
    assert.equal(new TextDecoder().decode(await inner.get('other/z')), 'neighbour');
  });

  it('nests', async () => {
    const inner = new MemoryStorage();
    const outer = new PrefixedStorage(inner, 'logical/');
    const mount = new PrefixedStorage(outer, 'uuid-1/');
    await mount.put('k', enc('v'));
    assert.deepEqual(await inner.list('logical/uuid-1/'), ['k']);
  });
});
