import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACL } from '../../src/core/acl/acl.js';
import { AclCache } from '../../src/core/acl/cache.js';
import { parsePolicy, type Policy } from '../../src/core/acl/policy.js';

/** A policy store whose loads are counted. */
function store(texts: Record<string, string>) {
  const loads: string[] = [];
  const load = async (name: string): Promise<Policy | undefined> => {
    loads.push(name);
    const text = texts[name];
    return text === undefined ? undefined : parsePolicy(name, text);
  };
  return { texts, loads, load };
}

test('compiled ACLs are cached by the sorted, de-duplicated policy set', async () => {
  const s = store({ a: 'path "x" { capabilities = ["read"] }', b: 'path "y" { capabilities = ["list"] }' });
  const cache = new AclCache();
  const first = await cache.get(['b', 'a'], s.load);
  const second = await cache.get(['a', 'b', 'a'], s.load);
  assert.equal(first, second, 'the same compiled ACL object is returned');
  assert.deepEqual(s.loads.sort(), ['a', 'b'], 'each policy loaded once');
  assert.equal(first.check({ operation: 'read', path: 'x' }).allowed, true);
  assert.equal(first.check({ operation: 'list', path: 'y/' }).allowed, true);
  assert.notEqual(await cache.get(['a'], s.load), first, 'a different set is a different entry');
  assert.equal(cache.size, 2);
});

test('concurrent gets share one load', async () => {
  const s = store({ a: 'path "x" { capabilities = ["read"] }' });
  const cache = new AclCache();
  const [x, y] = await Promise.all([cache.get(['a'], s.load), cache.get(['a'], s.load)]);
  assert.equal(x, y);
  assert.deepEqual(s.loads, ['a']);
});

test('invalidate() makes the next get see policy changes', async () => {
  const s = store({ a: 'path "x" { capabilities = ["read"] }' });
  const cache = new AclCache();
  assert.equal((await cache.get(['a'], s.load)).check({ operation: 'read', path: 'x' }).allowed, true);
  s.texts.a = 'path "x" { capabilities = ["deny"] }';
  assert.equal((await cache.get(['a'], s.load)).check({ operation: 'read', path: 'x' }).allowed, true, 'still cached');
  cache.invalidate();
  assert.equal(cache.size, 0);
  assert.equal((await cache.get(['a'], s.load)).check({ operation: 'read', path: 'x' }).allowed, false);
});

test('a load that finishes after invalidate() is not served to later requests', async () => {
  const s = store({ a: 'path "x" { capabilities = ["read"] }' });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slowLoad = async (name: string) => {
    await gate;
    return s.load(name);
  };
  const cache = new AclCache();
  const stale = cache.get(['a'], slowLoad);
  cache.invalidate();
  s.texts.a = 'path "x" { capabilities = ["deny"] }';
  const fresh = cache.get(['a'], s.load);
  release();
  await stale;
  assert.equal((await fresh).check({ operation: 'read', path: 'x' }).allowed, false);
  assert.equal((await cache.get(['a'], s.load)).check({ operation: 'read', path: 'x' }).allowed, false);
});

test('missing policies are skipped; root short-circuits; failed loads are not cached', async () => {
  const s = store({ a: 'path "x" { capabilities = ["read"] }' });
  const cache = new AclCache();
  const acl = await cache.get(['a', 'gone'], s.load);
  assert.equal(acl.check({ operation: 'read', path: 'x' }).allowed, true);
  const root = await cache.get(['default', 'root'], s.load);
  assert.equal(root, ACL.root());
  assert.equal(root.isRoot, true);
  assert.ok(!s.loads.includes('root'));

  let fail = true;
  const flaky = async (name: string) => {
    if (fail) throw new Error('storage down');
    return s.load(name);
  };
  await assert.rejects(cache.get(['a', 'b'], flaky), /storage down/);
  fail = false;
  assert.equal((await cache.get(['a', 'b'], flaky)).check({ operation: 'read', path: 'x' }).allowed, true);
});

test('the least recently used set is evicted beyond maxEntries', async () => {
  const s = store({ a: '', b: '', c: '' });
  const cache = new AclCache({ maxEntries: 2 });
  const a = await cache.get(['a'], s.load);
  await cache.get(['b'], s.load);
  await cache.get(['a'], s.load); // a is now the most recent
  await cache.get(['c'], s.load); // evicts b
  assert.equal(cache.size, 2);
  assert.equal(await cache.get(['a'], s.load), a);
  const before = s.loads.length;
  await cache.get(['b'], s.load);
  assert.equal(s.loads.length, before + 1, 'b was evicted and is loaded again');
});
