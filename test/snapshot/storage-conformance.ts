/**
 * Conformance of the whole-store copy contract (SnapshotStorage: `snapshot` and `replaceAll`),
 * run on every backend by the storage-*.test.ts files next to it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NamedStorage, StorageEntry } from '../../src/storage/types.js';

const enc = (s: string): Buffer => Buffer.from(s, 'utf8');

async function collect(s: NamedStorage, batchSize?: number): Promise<{ count: number; batches: StorageEntry[][] }> {
  const snap = await s.snapshot(batchSize === undefined ? undefined : { batchSize });
  const batches: StorageEntry[][] = [];
  for await (const b of snap.entries()) batches.push(b);
  return { count: snap.count, batches };
}

const flat = (batches: StorageEntry[][]): [string, string][] => batches.flat().map((e) => [e.key, Buffer.from(e.value).toString('utf8')]);

/** Runs the suite; `factory` gives a fresh EMPTY storage per test (the suite closes it). */
export function runSnapshotConformance(name: string, factory: () => Promise<NamedStorage>): void {
  describe(`${name}: snapshot and replaceAll`, () => {
    it('an empty store gives an empty snapshot', async () => {
      const s = await factory();
      try {
        const { count, batches } = await collect(s);
        assert.equal(count, 0);
        assert.deepEqual(batches, []);
      } finally {
        await s.close();
      }
    });

    it('gives every entry once, in key byte order, in batches of at most batchSize', async () => {
      const s = await factory();
      try {
        const keys = ['b', 'a/x', 'a/y/z', 'a0', 'é', 'z/1', 'a/b'];
        for (const k of keys) await s.put(k, enc(`v:${k}`));
        const { count, batches } = await collect(s, 3);
        assert.equal(count, keys.length);
        assert.deepEqual(batches.map((b) => b.length), [3, 3, 1]);
        const sorted = [...keys].sort((x, y) => Buffer.compare(enc(x), enc(y)));
        assert.deepEqual(flat(batches), sorted.map((k) => [k, `v:${k}`]));
      } finally {
        await s.close();
      }
    });

    it('is a point in time: writes after it was taken are not in it', async () => {
      const s = await factory();
      try {
        for (let i = 0; i < 25; i++) await s.put(`k/${String(i).padStart(2, '0')}`, enc(`old${i}`));
        const snap = await s.snapshot({ batchSize: 5 });
        const seen: [string, string][] = [];
        let first = true;
        for await (const batch of snap.entries()) {
          if (first) {
            // Mid-iteration: change, add and remove entries on both sides of the cursor.
            await s.batch([
              { type: 'put', key: 'k/00', value: enc('new') },
              { type: 'put', key: 'k/24', value: enc('new') },
              { type: 'delete', key: 'k/12' },
              { type: 'put', key: 'k/99', value: enc('added') },
            ]);
            first = false;
          }
          for (const e of batch) seen.push([e.key, Buffer.from(e.value).toString('utf8')]);
        }
        assert.equal(snap.count, 25);
        assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => [`k/${String(i).padStart(2, '0')}`, `old${i}`]));
        assert.equal(Buffer.from((await s.get('k/24'))!).toString(), 'new');
      } finally {
        await s.close();
      }
    });

    it('release() ends a snapshot early and the store keeps working', async () => {
      const s = await factory();
      try {
        for (let i = 0; i < 10; i++) await s.put(`r/${i}`, enc('v'));
        for (let round = 0; round < 3; round++) {
          const snap = await s.snapshot({ batchSize: 2 });
          for await (const _ of snap.entries()) break;
          await snap.release();
          await snap.release();
        }
        await s.put('r/after', enc('ok'));
        assert.equal((await collect(s)).count, 11);
      } finally {
        await s.close();
      }
    });

    it('replaceAll swaps the whole store: old keys gone, new keys readable and listable', async () => {
      const s = await factory();
      try {
        await s.put('old/a', enc('1'));
        await s.put('keep', enc('old'));
        async function* source() {
          yield [{ key: 'keep', value: enc('new') }, { key: 'new/x', value: enc('x') }];
          yield [{ key: 'new/y/z', value: enc('z') }];
        }
        assert.equal(await s.replaceAll(source()), 3);
        assert.equal(await s.get('old/a'), undefined);
        assert.equal(Buffer.from((await s.get('keep'))!).toString(), 'new');
        assert.deepEqual(await s.list(''), ['keep', 'new/']);
        assert.deepEqual(await s.list('new/'), ['x', 'y/']);
        assert.equal((await collect(s)).count, 3);
      } finally {
        await s.close();
      }
    });

    it('replaceAll changes nothing when the source fails, repeats a key or holds a bad key', async () => {
      const s = await factory();
      try {
        await s.put('a', enc('1'));
        await s.put('b/c', enc('2'));
        const before = flat((await collect(s)).batches);
        async function* failing() {
          yield [{ key: 'x', value: enc('x') }];
          throw new Error('source broke');
        }
        await assert.rejects(s.replaceAll(failing()), /source broke/);
        await assert.rejects(s.replaceAll([[{ key: 'x', value: enc('1') }], [{ key: 'x', value: enc('2') }]]), /appears twice/);
        await assert.rejects(s.replaceAll([[{ key: '', value: enc('1') }]]), /must not be empty/);
        assert.deepEqual(flat((await collect(s)).batches), before);
        assert.equal(Buffer.from((await s.get('a'))!).toString(), '1');
        assert.equal(await s.get('x'), undefined);
      } finally {
        await s.close();
      }
    });
  });
}
