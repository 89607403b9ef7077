import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValueCache } from '../../src/storage/value-cache.js';

const value = (s: string) => Buffer.from(s);

describe('ValueCache admission', () => {
  it('keeps a key on its second read, not its first', () => {
    const cache = new ValueCache(100, 1 << 20);
    cache.set('a', value('1'));
    assert.equal(cache.get('a'), undefined, 'a first read is not cached');
    cache.set('a', value('1'));
    assert.deepEqual(cache.get('a'), value('1'));
    cache.set('gone', null);
    cache.set('gone', null);
    assert.equal(cache.get('gone'), null, 'a known absence is cached too');
  });

  it('keeps its own copy of a value', () => {
    const cache = new ValueCache(100, 1 << 20);
    const v = value('abc');
    cache.set('k', v);
    cache.set('k', v);
    v.fill(0);
    assert.deepEqual(cache.get('k'), value('abc'));
  });

  it('never holds a value older than the last commit of its key, admitted or not', () => {
    const cache = new ValueCache(100, 1 << 20);
    cache.set('hot', value('v1'));
    cache.set('hot', value('v1'));
    cache.apply([{ type: 'put', key: 'hot', value: value('v2') }]);
    assert.deepEqual(cache.get('hot'), value('v2'), 'a cached key follows its commit');
    cache.apply([{ type: 'delete', key: 'hot' }]);
    assert.equal(cache.get('hot'), undefined);
    cache.set('x', value('old'));
    cache.set('x', value('old'));
    // Many other keys, so x's sketch counters may have aged: the commit must still replace or drop it.
    for (let i = 0; i < 5000; i++) cache.set(`other-${i}`, value('o'));
    cache.apply([{ type: 'put', key: 'x', value: value('new') }]);
    const x = cache.get('x');
    assert.ok(x === undefined || (x !== null && x.equals(value('new'))), 'x is the new value or not cached');
  });

  it('a pass over cold keys does not flush the hot ones', () => {
    const cache = new ValueCache(2000, 64 << 20);
    for (let round = 0; round < 2; round++) for (let i = 0; i < 1000; i++) cache.set(`hot/${i}`, value(`h${i}`));
    for (let i = 0; i < 100_000; i++) {
      cache.set(`cold/${i}`, value('c'));
      if (i % 100 === 0) for (let h = 0; h < 1000; h += 50) cache.get(`hot/${h}`);
    }
    let hot = 0;
    for (let i = 0; i < 1000; i++) if (cache.get(`hot/${i}`) !== undefined) hot++;
    assert.ok(hot >= 990, `hot keys still cached: ${hot} of 1000`);
    assert.ok(cache.size <= 2000);
  });
});
