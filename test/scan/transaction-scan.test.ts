/**
 * TransactionalStorage.scan: a transaction's recursive scan sees its own buffered puts and
 * deletes, in order and paginated, before they commit (memory and SQLite backends).
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorage } from '../../src/storage/memory.js';
import { PrefixedStorage } from '../../src/storage/prefixed.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { TransactionalStorage } from '../../src/storage/transaction.js';
import type { NamedStorage, Storage } from '../../src/storage/types.js';

const enc = (s: string): Uint8Array => Buffer.from(s);

/** Every page of a scan of `prefix` with `limit`, following `after`. */
async function scanAll(s: Storage, prefix: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let after: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await s.scan(prefix, { after, limit });
    if (page.length === 0) return out;
    out.push(...page);
    after = page[page.length - 1];
  }
  throw new Error('scan paging does not terminate');
}

const backends: [string, () => Promise<NamedStorage>][] = [
  ['memory', async () => new MemoryStorage()],
  ['sqlite', () => SqliteStorage.open(':memory:')],
];

for (const [name, open] of backends) {
  describe(`transactional scan on ${name}`, () => {
    it('merges buffered puts and deletes into every page', async () => {
      const inner = await open();
      const ts = new TransactionalStorage(inner);
      const view = new PrefixedStorage(ts, 'm/');
      for (const k of ['a/1', 'a/2', 'b/x/1', 'b/x/2', 'c', 'd/e/f']) await inner.put(`m/${k}`, enc(k));
      await ts.run(async () => {
        await view.delete('a/2');
        await view.delete('b/x/1');
        await view.put('b/new', enc('n'));
        await view.put('a/0', enc('n'));
        await view.put('z/last', enc('n'));
        const want = ['a/0', 'a/1', 'b/new', 'b/x/2', 'c', 'd/e/f', 'z/last'];
        assert.deepEqual(await view.scan(''), want);
        for (const limit of [1, 2, 3, 5]) assert.deepEqual(await scanAll(view, '', limit), want, `limit ${limit}`);
        assert.deepEqual(await view.scan('b/'), ['new', 'x/2']);
        assert.deepEqual(await view.scan('', { after: 'b/new', limit: 2 }), ['b/x/2', 'c']);
        assert.deepEqual(await inner.scan('m/'), ['a/1', 'a/2', 'b/x/1', 'b/x/2', 'c', 'd/e/f'], 'nothing committed yet');
      });
      assert.deepEqual(await inner.scan('m/'), ['a/0', 'a/1', 'b/new', 'b/x/2', 'c', 'd/e/f', 'z/last']);
      await ts.close();
    });
  });
}
