import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCofferError } from '../../src/core/errors.js';
import { KeyedMutex } from '../../src/core/keyed-mutex.js';
import { mergePatch } from '../../src/features/kv/merge-patch.js';
import { listPrefix, secretPath } from '../../src/features/kv/paths.js';
import { subkeys } from '../../src/features/kv/subkeys.js';
import { addVersion, autoDeletionTime, emptyMeta, versionKey } from '../../src/features/kv/v2-store.js';

describe('mergePatch (RFC 7386 examples)', () => {
  const cases: Array<[unknown, unknown, unknown]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [['a', 'b'], ['c', 'd'], ['c', 'd']],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [target, patch, expected] of cases) {
    it(`${JSON.stringify(target)} + ${JSON.stringify(patch)}`, () => {
      const before = JSON.stringify(target);
      assert.deepEqual(mergePatch(target, patch), expected);
      assert.equal(JSON.stringify(target), before, 'the target is not modified');
    });
  }
});

describe('subkeys', () => {
  it('nulls leaves; depth limits the walk', () => {
    const data = { a: { b: { c: { d: 1 } } }, e: [], f: {} };
    assert.deepEqual(subkeys(data), { a: { b: { c: { d: null } } }, e: null, f: null });
    assert.deepEqual(subkeys(data, 1), { a: null, e: null, f: null });
    assert.deepEqual(subkeys(data, 3), { a: { b: { c: null } }, e: null, f: null });
  });
});

describe('paths', () => {
  it('returns good paths unchanged', () => {
    assert.equal(secretPath('a/b-c_d.e/f g'), 'a/b-c_d.e/f g');
    assert.equal(listPrefix(''), '');
    assert.equal(listPrefix('a/b/'), 'a/b/');
    assert.equal(listPrefix('a/b'), 'a/b/');
  });

  it('explains each rejection', () => {
    const expectations: Array<[string, number, RegExp]> = [
      ['', 400, /missing path/],
      ['a/..', 400, /"\." and "\.\." segments/],
      ['..', 400, /"\." and "\.\." segments/],
      ['a/\0', 400, /NUL/],
      ['a\u0001', 400, /control characters/],
      ['a//b', 400, /empty path segments/],
      ['a/', 400, /empty path segments/],
      ['a/b.', 404, /ending in "\."/],
    ];
    for (const [path, status, message] of expectations) {
      assert.throws(() => secretPath(path), (err: unknown) => {
        assert.ok(isCofferError(err), JSON.stringify(path));
        assert.equal(err.status, status, JSON.stringify(path));
        assert.match(err.messages.join(' '), message, JSON.stringify(path));
        return true;
      });
    }
  });
});

describe('version bookkeeping', () => {
  const config = { maxVersions: 0, casRequired: false, deleteVersionAfter: 0 };

  it('keeps max versions and moves oldest like Vault', () => {
    const meta = emptyMeta();
    const pruned: number[] = [];
    for (let i = 1; i <= 11; i++) pruned.push(...addVersion(meta, 1000 + i, { ...config, maxVersions: 3 }).pruned);
    assert.deepEqual(pruned, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual(Object.keys(meta.versions), ['9', '10', '11']);
    assert.equal(meta.oldest, 9);
    assert.equal(meta.created, 1001);
    assert.equal(meta.updated, 1011);
  });

  it('auto deletion: smaller non-zero of mount and key; disabled by a negative mount value', () => {
    const meta = { ...emptyMeta(), deleteVersionAfter: 60 };
    assert.equal(autoDeletionTime(0, config, meta), 60_000);
    assert.equal(autoDeletionTime(0, { ...config, deleteVersionAfter: 30 }, meta), 30_000);
    assert.equal(autoDeletionTime(0, { ...config, deleteVersionAfter: 90 }, meta), 60_000);
    assert.equal(autoDeletionTime(0, { ...config, deleteVersionAfter: -1 }, meta), null);
    assert.equal(autoDeletionTime(0, config, emptyMeta()), null);
  });

  it('version keys are fixed-shape and distinct per path', () => {
    assert.match(versionKey('a/b', 3), /^versions\/[0-9a-f]{64}\/3$/);
    assert.notEqual(versionKey('a', 1), versionKey('a/1', 1));
    assert.notEqual(versionKey('a', 11), versionKey('a1', 1));
  });
});

describe('KeyedMutex', () => {
  it('serialises work per key, lets other keys run, and forgets idle keys', async () => {
    const mutex = new KeyedMutex();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = mutex.run('k', async () => { order.push('k1 start'); await gate; order.push('k1 end'); });
    const second = mutex.run('k', async () => { order.push('k2'); });
    const other = mutex.run('other', async () => { order.push('other'); });
    await other;
    assert.deepEqual(order, ['k1 start', 'other']);
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['k1 start', 'other', 'k1 end', 'k2']);
    assert.equal(mutex.size, 0);
  });

  it('a failing task does not block the next one', async () => {
    const mutex = new KeyedMutex();
    await assert.rejects(mutex.run('k', async () => { throw new Error('boom'); }), /boom/);
    assert.equal(await mutex.run('k', async () => 42), 42);
  });

  it('a task that throws before returning a promise rejects its run and releases the key', async () => {
    const mutex = new KeyedMutex();
    const thrower = (): Promise<number> => {
      throw new Error('sync boom');
    };
    await assert.rejects(mutex.run('k', thrower), /sync boom/);
    const held = mutex.run('k', async () => 'held');
    await assert.rejects(mutex.run('k', thrower), /sync boom/, 'queued behind another run too');
    assert.equal(await held, 'held');
    assert.equal(await mutex.run('k', async () => 7), 7);
    assert.equal(mutex.size, 0);
  });
});
