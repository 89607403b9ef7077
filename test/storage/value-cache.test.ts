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

/** Offers a value twice, so admission keeps it. */
function put(cache: ValueCache, key: string, v: Buffer | null): void {
  cache.set(key, v);
  cache.set(key, v);
}

describe('ValueCache recency and bounds', () => {
  it('keeps an entry hit at least once per maxEntries/2 insertions, while churn evicts the rest', () => {
    const c = new ValueCache(1000, 1 << 20);
    put(c, 'hot', value('h'));
    put(c, 'absent', null);
    for (let i = 0; i < 20_000; i++) {
      put(c, `cold/${i}`, Buffer.from([i & 255]));
      if (i % 400 === 0) {
        assert.deepEqual(c.get('hot'), value('h'), `hot entry evicted after ${i} insertions`);
        assert.equal(c.get('absent'), null);
      }
    }
    assert.equal(c.get('cold/0'), undefined, 'old entries are evicted');
    assert.deepEqual(c.get('cold/19999'), Buffer.from([19999 & 255]));
    assert.ok(c.size <= 1000);
  });

  it('never holds more than maxEntries entries or maxBytes bytes, and evicts the least recently used first', () => {
    const c = new ValueCache(100, 1000);
    for (let i = 0; i < 100; i++) put(c, `k${i}`, Buffer.alloc(5));
    assert.ok(c.get('k0')); // k0 is in the older half: moved to the back
    put(c, 'k100', Buffer.alloc(5)); // over the entry bound: the oldest go, k0 stays
    assert.ok(c.get('k0'));
    assert.equal(c.get('k1'), undefined);
    assert.ok(c.get('k100'));
    // Bytes: 15 bytes per value, 1000 bytes at most.
    for (let i = 0; i < 200; i++) put(c, `b${i}`, Buffer.alloc(15));
    let bytes = 0;
    let entries = 0;
    for (let i = 0; i < 200; i++) {
      const v = c.get(`b${i}`);
      if (v) { bytes += v.length; entries++; }
    }
    assert.ok(bytes <= 1000 && entries > 0, `bytes ${bytes}`);
    assert.equal(c.get('b199')?.length, 15);
  });

  it('serves a hot key at a cost that does not grow with the cache (no tombstone chains)', () => {
    // Four hot keys read over and over, in a cache holding `size` other admitted entries.
    const perHit = (size: number): number => {
      const c = new ValueCache(size, 1 << 30);
      const hot = ['h0', 'h1', 'h2', 'h3'];
      const v = Buffer.alloc(8);
      for (const h of hot) put(c, h, v);
      for (let i = 0; i < size; i++) put(c, `warm/${i}`, v);
      for (const h of hot) put(c, h, v);
      let best = Infinity;
      for (let r = 0; r < 5; r++) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < 20_000; i++) for (const h of hot) c.get(h);
        best = Math.min(best, Number(process.hrtime.bigint() - t0));
      }
      return best;
    };
    const small = perHit(500);
    const large = perHit(40_000);
    // Moving the entry on every hit: ~100x slower at 40,000 entries than at 500. Allow noise, not growth.
    assert.ok(large < small * 8, `40,000 entries: ${(large / 1e6).toFixed(1)} ms, 500 entries: ${(small / 1e6).toFixed(1)} ms`);
  });
});

describe('AgingLru', () => {
  it('without a weight bound, evicts the oldest down to 15/16 of its entries and keeps an entry hit once per half', async () => {
    const { AgingLru } = await import('../../src/storage/aging-lru.js');
    const lru = new AgingLru<number>(160);
    lru.set('hot', 0);
    for (let i = 0; i < 1000; i++) {
      lru.set(`k${i}`, i);
      if (i % 50 === 0) assert.equal(lru.get('hot'), 0, `hot still held after ${i} insertions`);
    }
    assert.ok(lru.size <= 160 && lru.size >= 150, `size ${lru.size}`);
    assert.equal(lru.get('k999'), 999);
    assert.equal(lru.get('k0'), undefined, 'the oldest went');
  });

  it('with a weight bound, evicts by weight too', async () => {
    const { AgingLru } = await import('../../src/storage/aging-lru.js');
    const lru = new AgingLru<Buffer>(1000, 1024, (b) => b.length);
    for (let i = 0; i < 100; i++) lru.set(`k${i}`, Buffer.alloc(100));
    assert.ok(lru.size <= 10, `at most 1024 bytes held: ${lru.size} entries of 100`);
    assert.equal(lru.get('k99')?.length, 100);
  });
});
