import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorage } from '../../src/storage/memory.js';
import { runStorageConformance } from './conformance.js';

runStorageConformance('memory', async () => new MemoryStorage());

describe('MemoryStorage', () => {
  it('reports type inmem', () => {
    assert.equal(new MemoryStorage().type, 'inmem');
  });

  it('lists and pages correctly with tens of thousands of keys', async () => {
    const s = new MemoryStorage();
    const n = 30_000;
    const expected = new Set<string>();
    // Insert in a scrambled order so the sorted index is really exercised.
    for (let i = 0; i < n; i++) {
      const j = (i * 7919) % n;
      const folder = j % 3 === 0;
      await s.put(folder ? `m/d${j % 1000}/k${j}` : `m/f${j}`, new Uint8Array([j & 0xff]));
      expected.add(folder ? `d${j % 1000}/` : `f${j}`);
    }
    const want = [...expected].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const all = await s.list('m/');
    assert.deepEqual(all, want);

    const paged: string[] = [];
    let after: string | undefined;
    for (let guard = 0; ; guard++) {
      assert.ok(guard < 100, 'paging does not terminate');
      const page = await s.list('m/', { after, limit: 997 });
      if (page.length === 0) break;
      paged.push(...page);
      after = page[page.length - 1];
    }
    assert.deepEqual(paged, want);

    for (let j = 0; j < n; j += 3) await s.delete(`m/d${j % 1000}/k${j}`);
    assert.deepEqual((await s.list('m/')).filter((x) => x.endsWith('/')), []);
    assert.equal((await s.list('m/')).length, n - n / 3);
  });
});
