import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareKeys } from '../../src/storage/keys.js';
import { SortedKeys } from '../../src/storage/sorted-keys.js';

/** Deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('SortedKeys', () => {
  it('matches a sorted-array model under random adds, deletes and range reads', () => {
    const rand = rng(42);
    const set = new SortedKeys();
    const model = new Set<string>();
    const alphabet = ['a', 'b', '/', 'é', '\uFF5E', '🔑', 'z'];
    const randomKey = () => {
      let k = '';
      const len = 1 + Math.floor(rand() * 5);
      for (let i = 0; i < len; i++) k += alphabet[Math.floor(rand() * alphabet.length)];
      return k + Math.floor(rand() * 800);
    };
    for (let step = 0; step < 20_000; step++) {
      const key = randomKey();
      // Phases of mostly-add then mostly-delete, so blocks split and empty out.
      const adding = Math.floor(step / 5000) % 2 === 0 ? rand() < 0.8 : rand() < 0.2;
      if (adding) {
        assert.equal(set.add(key), !model.has(key));
        model.add(key);
      } else {
        // Mostly delete keys that exist, so whole blocks empty out.
        const victim = rand() < 0.9 && model.size > 0 ? [...model][Math.floor(rand() * model.size)]! : key;
        assert.equal(set.delete(victim), model.delete(victim));
      }
      if (step % 997 === 0 || step === 19_999) {
        const sorted = [...model].sort(compareKeys);
        assert.deepEqual([...set.from('')], sorted);
        const lower = randomKey();
        assert.deepEqual([...set.from(lower)], sorted.filter((k) => compareKeys(k, lower) >= 0));
      }
    }
    set.clear();
    assert.deepEqual([...set.from('')], []);
  });

  it('orders by code point, not UTF-16 unit', () => {
    assert.ok(compareKeys('\uFF5E', '🔑') < 0);
    assert.ok(compareKeys('a', 'ab') < 0);
    assert.ok(compareKeys('b', 'ab') > 0);
    assert.equal(compareKeys('é/x', 'é/x'), 0);
    const words = ['🔑', '\uFF5E', 'z', 'é', '\uD7FF', '\uE000', '\u{10000}', 'a'];
    const bytewise = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    assert.deepEqual([...words].sort(compareKeys), bytewise);
  });
});
