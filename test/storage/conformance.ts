/**
 * The storage conformance suite: every backend must pass the same tests.
 *
 * `factory()` returns a fresh, EMPTY storage for each test (the suite closes it).
 * `cleanup()` runs once after the suite. When `options.reopen` is given, the suite also
 * checks persistence: it closes a storage and asks `reopen` for a new instance over the
 * same data.
 */

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ConflictError } from '../../src/storage/errors.js';
import type { BatchCondition, Storage } from '../../src/storage/types.js';

/** Extra capabilities of a backend under test. */
export interface ConformanceOptions {
  /** Given a storage the suite has already closed, open a new instance over the same data. */
  reopen?: (closed: Storage) => Promise<Storage>;
  /** Open a second, independent instance over the same (open) data: another node. The suite closes it. */
  peer?: (open: Storage) => Promise<Storage>;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

/** Compare bytes regardless of Buffer vs Uint8Array. */
function assertBytes(actual: Uint8Array | undefined, expected: Uint8Array, msg?: string): void {
  assert.ok(actual instanceof Uint8Array, msg ?? 'expected a Uint8Array');
  assert.deepEqual(Array.from(actual), Array.from(expected), msg);
}

/** Sort by UTF-8 bytes, the order storage promises. */
function byteSort(names: string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** Asserts that `p` rejects with a ConflictError (code storage_conflict). */
async function assertConflict(p: Promise<unknown>, msg?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ConflictError, `expected a ConflictError, got ${String(err)}`);
    assert.equal(err.code, 'storage_conflict');
    return true;
  }, msg);
}

/**
 * Read-modify-write `key` (a decimal counter) until the conditional batch commits; returns
 * the number of conflicts seen. Bounded: a livelock fails the test instead of hanging.
 */
async function increment(s: Storage, key: string): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const current = await s.get(key);
    const next = enc(String(Number(dec(current) ?? '0') + 1));
    const condition: BatchCondition = { key, value: current };
    try {
      await s.batch([{ type: 'put', key, value: next }], [condition]);
      return attempt;
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
  }
  throw new Error('increment did not commit in 500 attempts');
}

async function putAll(s: Storage, keys: string[]): Promise<void> {
  for (const k of keys) await s.put(k, enc(k));
}

/** Page through `prefix` with `limit`, following `after`. */
async function pageAll(s: Storage, prefix: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let afterName: string | undefined;
  for (let guard = 0; guard < 1_000; guard++) {
    const page = await s.list(prefix, { after: afterName, limit });
    assert.ok(page.length <= limit, `page of ${page.length} exceeds limit ${limit}`);
    if (page.length === 0) return out;
    // Fail fast instead of looping when `after` does not move the listing forward.
    if (afterName !== undefined) {
      assert.ok(Buffer.compare(Buffer.from(page[0]!), Buffer.from(afterName)) > 0, `page after ${afterName} starts at ${page[0]}`);
    }
    out.push(...page);
    afterName = page[page.length - 1];
  }
  throw new Error('paging did not terminate');
}

/** Register the conformance tests for one backend. */
export function runStorageConformance(
  name: string,
  factory: () => Promise<Storage>,
  cleanup?: () => Promise<void>,
  options: ConformanceOptions = {},
): void {
  describe(`storage conformance: ${name}`, () => {
    if (cleanup) after(cleanup);

    /** Run `fn` with a fresh storage and close it afterwards. */
    const withStorage = (fn: (s: Storage) => Promise<void>) => async () => {
      const s = await factory();
      try {
        await fn(s);
      } finally {
        await s.close();
      }
    };

    it('get of a missing key is undefined', withStorage(async (s) => {
      assert.equal(await s.get('missing'), undefined);
      assert.equal(await s.get('no/such/key'), undefined);
      assert.deepEqual(await s.list(''), []);
    }));

    it('put, get, overwrite, delete', withStorage(async (s) => {
      await s.put('a/b', enc('one'));
      assert.equal(dec(await s.get('a/b')), 'one');
      await s.put('a/b', enc('two'));
      assert.equal(dec(await s.get('a/b')), 'two');
      assert.deepEqual(await s.list('a/'), ['b']);
      await s.delete('a/b');
      assert.equal(await s.get('a/b'), undefined);
      assert.deepEqual(await s.list('a/'), []);
      assert.deepEqual(await s.list(''), []);
      await s.delete('a/b'); // deleting a missing key is fine
      await s.delete('never/existed');
    }));

    it('keys are exact: no prefix or case matching', withStorage(async (s) => {
      await s.put('abc', enc('x'));
      assert.equal(await s.get('ab'), undefined);
      assert.equal(await s.get('abcd'), undefined);
      assert.equal(await s.get('ABC'), undefined);
      assert.equal(await s.get('abc/'), undefined);
    }));

    it('stores binary values exactly: all 256 byte values, empty, large, views', withStorage(async (s) => {
      const all = new Uint8Array(256).map((_, i) => i);
      await s.put('bin/all', all);
      assertBytes(await s.get('bin/all'), all);

      await s.put('bin/empty', new Uint8Array(0));
      const empty = await s.get('bin/empty');
      assert.notEqual(empty, undefined, 'an empty value is a value, not a missing key');
      assertBytes(empty, new Uint8Array(0));

      const big = new Uint8Array(1 << 20).map((_, i) => (i * 31 + 7) & 0xff);
      await s.put('bin/big', big);
      assertBytes(await s.get('bin/big'), big);

      // A view into a larger buffer: only the viewed bytes are stored.
      const backing = new Uint8Array(64).map((_, i) => i);
      await s.put('bin/view', backing.subarray(10, 20));
      assertBytes(await s.get('bin/view'), backing.slice(10, 20));
      await s.put('bin/buffer', Buffer.from('buffer value'));
      assert.equal(dec(await s.get('bin/buffer')), 'buffer value');
    }));

    it('stored values do not alias caller buffers', withStorage(async (s) => {
      const input = enc('original');
      await s.put('alias', input);
      input.fill(0);
      assert.equal(dec(await s.get('alias')), 'original');
      const read = await s.get('alias');
      read!.fill(0);
      assert.equal(dec(await s.get('alias')), 'original');
    }));

    it('rejects invalid keys with a message naming the problem', withStorage(async (s) => {
      const v = enc('v');
      const bad: [unknown, RegExp][] = [
        ['', /empty/],
        ['a\0b', /NUL/],
        ['/a', /start with "\/"/],
        ['a\uD800b', /lone surrogate/],
        [42, /string/],
        [undefined, /string/],
      ];
      for (const [key, msg] of bad) {
        await assert.rejects(s.put(key as string, v), msg, `put ${JSON.stringify(key)}`);
        await assert.rejects(s.get(key as string), msg, `get ${JSON.stringify(key)}`);
        await assert.rejects(s.delete(key as string), msg, `delete ${JSON.stringify(key)}`);
        await assert.rejects(s.batch([{ type: 'put', key: key as string, value: v }]), msg);
      }
      await assert.rejects(s.put('k', 'not bytes' as unknown as Uint8Array), /Uint8Array/);
      await assert.rejects(s.list('/a/'), /start with "\/"/);
      await assert.rejects(s.list('a\0/'), /NUL/);
      await assert.rejects(s.list('a/', { limit: -1 }), /limit/);
      await assert.rejects(s.list('a/', { limit: 1.5 }), /limit/);
      assert.deepEqual(await s.list(''), [], 'nothing was written');
    }));

    it('lists one level with nested folders collapsed', withStorage(async (s) => {
      await putAll(s, ['a', 'b/c', 'b/d/e', 'b/d/f', 'b/d/g/h', 'x/y/z', 'c/']);
      assert.deepEqual(await s.list(''), ['a', 'b/', 'c/', 'x/']);
      assert.deepEqual(await s.list('b/'), ['c', 'd/']);
      assert.deepEqual(await s.list('b/d/'), ['e', 'f', 'g/']);
      assert.deepEqual(await s.list('b/d/g/'), ['h']);
      assert.deepEqual(await s.list('x/'), ['y/']);
      assert.deepEqual(await s.list('nope/'), []);
      assert.deepEqual(await s.list('b/d/e/'), [], 'a file is not a folder');
    }));

    it('scans every key below a prefix recursively, relative, in byte order', withStorage(async (s) => {
      await putAll(s, ['a', 'b/c', 'b/d/e', 'b/d/f', 'b/d/g/h', 'b-x', 'b0', 'x/y/z', 'bb/q', 'u/\uFF5E', 'u/🔑/k']);
      assert.deepEqual(await s.scan('b/'), ['c', 'd/e', 'd/f', 'd/g/h'], 'no neighbours (b-x, b0, bb/) and no folder entries');
      assert.deepEqual(await s.scan('b/d/g/'), ['h']);
      assert.deepEqual(await s.scan('nope/'), []);
      assert.deepEqual(await s.scan('u/'), byteSort(['\uFF5E', '🔑/k']));
      assert.deepEqual(await s.scan(''), byteSort(['a', 'b/c', 'b/d/e', 'b/d/f', 'b/d/g/h', 'b-x', 'b0', 'x/y/z', 'bb/q', 'u/\uFF5E', 'u/🔑/k']));
      assert.deepEqual(await s.scan('b/', { limit: 2 }), ['c', 'd/e']);
      assert.deepEqual(await s.scan('b/', { after: 'd/e', limit: 2 }), ['d/f', 'd/g/h']);
      assert.deepEqual(await s.scan('b/', { after: 'd/g/h', limit: 2 }), []);
      assert.deepEqual(await s.scan('b/', { after: 'c' }), ['d/e', 'd/f', 'd/g/h'], '"after" is exclusive');
      await assert.rejects(s.scan('/b/'), /start with "\/"/);
      await assert.rejects(s.scan('b/', { limit: -1 }), /limit/);
    }));

    it('pages a scan of 1,200 keys in order with no gaps or duplicates', withStorage(async (s) => {
      const keys: string[] = [];
      for (let i = 0; i < 1200; i++) keys.push(`p/f${i % 7}/${i % 3 === 0 ? 'sub/' : ''}k${i}`);
      await s.batch(keys.map((key) => ({ type: 'put' as const, key, value: enc('v') })));
      await s.put('p-neighbour', enc('v'));
      const seen: string[] = [];
      let after: string | undefined;
      for (let guard = 0; guard < 100; guard++) {
        const page = await s.scan('p/', { after, limit: 97 });
        if (page.length === 0) break;
        assert.ok(page.length <= 97);
        seen.push(...page);
        after = page[page.length - 1];
      }
      assert.deepEqual(seen, byteSort(keys.map((k) => k.slice(2))));
    }));

    it('deduplicates folders and sorts by byte order', withStorage(async (s) => {
      // '-' (0x2d) < '/' (0x2f) < '0' (0x30): the folder "b/" sorts between "b-x" and "b0".
      await putAll(s, ['s/b0', 's/b/c', 's/b-x', 's/B', 's/b/d', 's/b/e/f', 's/b/', 's/a/1', 's/a/2']);
      assert.deepEqual(await s.list('s/'), ['B', 'a/', 'b-x', 'b/', 'b0']);
      assert.deepEqual(await s.list('s/b/'), ['c', 'd', 'e/']);
    }));

    it('handles unicode keys in UTF-8 byte order', withStorage(async (s) => {
      // UTF-16 order would put U+1F511 (a surrogate pair) before U+FF5E; byte order does not.
      const names = ['z', 'a', 'é', '日本', '\uFF5E', '🔑', 'ü/x', '🔑/inner', 'Ω'];
      await putAll(s, names.map((n) => `u/${n}`));
      const expected = byteSort(['z', 'a', 'é', '日本', '\uFF5E', '🔑', 'ü/', '🔑/', 'Ω']);
      assert.deepEqual(await s.list('u/'), expected);
      assert.deepEqual(await s.list('u/🔑/'), ['inner']);
      assert.equal(dec(await s.get('u/日本')), 'u/日本');
      assert.equal(dec(await s.get('u/🔑/inner')), 'u/🔑/inner');
      assert.deepEqual(await pageAll(s, 'u/', 2), expected);
    }));

    it('pages with after/limit over more than 100 files and folders', withStorage(async (s) => {
      const keys: string[] = [];
      for (let i = 0; i < 150; i++) keys.push(`p/f${String(i).padStart(3, '0')}`);
      for (let i = 0; i < 60; i++) {
        const d = `p/d${String(i).padStart(3, '0')}`;
        keys.push(`${d}/x`, `${d}/y`, `${d}/z/w`);
      }
      keys.push('p/big/' + 'q', ...Array.from({ length: 120 }, (_, i) => `p/big/${i}`));
      keys.push('outside', 'p0', 'o/p/q');
      await s.batch(keys.map((key) => ({ type: 'put' as const, key, value: enc(key) })));

      const all = await s.list('p/');
      const expected = byteSort([
        ...Array.from({ length: 150 }, (_, i) => `f${String(i).padStart(3, '0')}`),
        ...Array.from({ length: 60 }, (_, i) => `d${String(i).padStart(3, '0')}/`),
        'big/',
      ]);
      assert.equal(all.length, 211);
      assert.deepEqual(all, expected);
      for (const limit of [1, 2, 7, 50, 210, 211, 1000]) {
        assert.deepEqual(await pageAll(s, 'p/', limit), expected, `limit ${limit}`);
      }
      assert.deepEqual(await s.list('p/', { limit: 3 }), expected.slice(0, 3));
      assert.deepEqual(await s.list('p/', { limit: 0 }), expected, 'limit 0 means no limit');
      // `after` is exclusive, need not exist, and a folder name skips the whole folder.
      assert.deepEqual(await s.list('p/', { after: 'f100', limit: 2 }), ['f101', 'f102']);
      assert.deepEqual(await s.list('p/', { after: 'f100x', limit: 2 }), ['f101', 'f102']);
      assert.deepEqual(await s.list('p/', { after: 'd010/', limit: 2 }), ['d011/', 'd012/']);
      assert.deepEqual(await s.list('p/', { after: 'd010', limit: 1 }), ['d010/']);
      assert.deepEqual(await s.list('p/', { after: 'big/', limit: 1 }), ['d000/']);
      assert.deepEqual(await s.list('p/', { after: 'f149' }), []);
      assert.deepEqual(await s.list('p/', { after: '' , limit: 1 }), ['big/']);
      assert.deepEqual(await pageAll(s, 'p/big/', 7), byteSort(['q', ...Array.from({ length: 120 }, (_, i) => `${i}`)]));
      assert.deepEqual(await s.list(''), ['o/', 'outside', 'p/', 'p0']);
    }));

    it('lists a raw prefix that does not end in "/"', withStorage(async (s) => {
      await putAll(s, ['r/ab', 'r/ac/d', 'r/b']);
      assert.deepEqual(await s.list('r/a'), ['b', 'c/']);
    }));

    it('deleting a folder-like key does not remove its siblings or children', withStorage(async (s) => {
      await putAll(s, ['f/a', 'f/sub/x', 'f/sub/y/z', 'f/sub/']);
      assert.deepEqual(await s.list('f/'), ['a', 'sub/']);
      assert.deepEqual(await s.list('f/sub/'), ['x', 'y/'], 'the key equal to the prefix is not listed');
      await s.delete('f/sub/');
      await s.delete('f/sub');
      await s.delete('f/sub/y/');
      assert.deepEqual(await s.list('f/'), ['a', 'sub/']);
      assert.deepEqual(await s.list('f/sub/'), ['x', 'y/']);
      assert.equal(dec(await s.get('f/sub/x')), 'f/sub/x');
      assert.equal(dec(await s.get('f/sub/y/z')), 'f/sub/y/z');
      await s.delete('f/sub/x');
      await s.delete('f/sub/y/z');
      assert.deepEqual(await s.list('f/'), ['a'], 'an emptied folder disappears');
      assert.deepEqual(await s.list('f/sub/'), []);
    }));

    it('applies a batch in order', withStorage(async (s) => {
      await putAll(s, ['k/old', 'k/keep']);
      await s.batch([
        { type: 'put', key: 'k/new', value: enc('1') },
        { type: 'delete', key: 'k/old' },
        { type: 'put', key: 'k/twice', value: enc('first') },
        { type: 'put', key: 'k/twice', value: enc('second') },
        { type: 'put', key: 'k/gone', value: enc('x') },
        { type: 'delete', key: 'k/gone' },
        { type: 'delete', key: 'k/never' },
      ]);
      assert.deepEqual(await s.list('k/'), ['keep', 'new', 'twice']);
      assert.equal(dec(await s.get('k/twice')), 'second');
      await s.batch([]);
    }));

    it('a conditional batch applies when every condition holds', withStorage(async (s) => {
      await putAll(s, ['cb/a', 'cb/b']);
      await s.batch(
        [{ type: 'put', key: 'cb/a', value: enc('A2') }, { type: 'delete', key: 'cb/b' }, { type: 'put', key: 'cb/new', value: enc('N') }],
        [
          { key: 'cb/a', value: enc('cb/a') },
          { key: 'cb/b', value: Buffer.from('cb/b') },
          { key: 'cb/new', value: undefined },
          { key: 'cb/unwritten', value: undefined }, // a condition on a key the batch does not write
        ],
      );
      assert.equal(dec(await s.get('cb/a')), 'A2');
      assert.equal(await s.get('cb/b'), undefined);
      assert.equal(dec(await s.get('cb/new')), 'N');
      assert.equal(await s.get('cb/unwritten'), undefined, 'checking absence does not create the key');
      assert.deepEqual(await s.list('cb/'), ['a', 'new']);
      // Empty values are values; an empty condition list is an unconditional batch.
      await s.put('cb/empty', new Uint8Array(0));
      await s.batch([{ type: 'delete', key: 'cb/empty' }], [{ key: 'cb/empty', value: new Uint8Array(0) }]);
      assert.equal(await s.get('cb/empty'), undefined);
      await s.batch([{ type: 'put', key: 'cb/x', value: enc('x') }], []);
      assert.equal(dec(await s.get('cb/x')), 'x');
      // Conditions alone (no ops) check and write nothing.
      await s.batch([], [{ key: 'cb/x', value: enc('x') }]);
      await assertConflict(s.batch([], [{ key: 'cb/x', value: enc('y') }]));
    }));

    it('a conditional batch whose condition fails writes nothing (ConflictError)', withStorage(async (s) => {
      await putAll(s, ['cc/a', 'cc/b']);
      const ops = [
        { type: 'put' as const, key: 'cc/a', value: enc('changed') },
        { type: 'delete' as const, key: 'cc/b' },
        { type: 'put' as const, key: 'cc/c', value: enc('new') },
      ];
      const unchanged = async (what: string) => {
        assert.equal(dec(await s.get('cc/a')), 'cc/a', what);
        assert.equal(dec(await s.get('cc/b')), 'cc/b', what);
        assert.equal(await s.get('cc/c'), undefined, what);
        assert.deepEqual(await s.list('cc/'), ['a', 'b'], what);
      };
      // value changed (same length, one byte differs)
      await assertConflict(s.batch(ops, [{ key: 'cc/a', value: enc('cc/A') }]), 'value changed');
      await unchanged('value changed');
      // expected absent, but present
      await assertConflict(s.batch(ops, [{ key: 'cc/b', value: undefined }]), 'expected absent');
      await unchanged('expected absent');
      // expected present, but deleted (or never written)
      await s.put('cc/gone', enc('g'));
      await s.delete('cc/gone');
      await assertConflict(s.batch(ops, [{ key: 'cc/gone', value: enc('g') }]), 'expected present');
      await unchanged('expected present');
      // the last condition fails, the first ones hold
      await assertConflict(
        s.batch(ops, [{ key: 'cc/a', value: enc('cc/a') }, { key: 'cc/c', value: undefined }, { key: 'cc/b', value: enc('cc/bb') }]),
        'last condition',
      );
      await unchanged('last condition');
    }));

    it('rejects malformed conditions before writing anything', withStorage(async (s) => {
      const op = [{ type: 'put' as const, key: 'cm/a', value: enc('1') }];
      await assert.rejects(s.batch(op, 'x' as never), /conditions must be an array/);
      await assert.rejects(s.batch(op, [null as never]), /batch condition 0 must be an object/);
      await assert.rejects(s.batch(op, [{ key: '', value: undefined }]), /batch condition 0: storage key must not be empty/);
      await assert.rejects(s.batch(op, [{ key: 'ok', value: 'text' as never }]), /batch condition 0: expected value/);
      assert.equal(await s.get('cm/a'), undefined);
    }));

    it('conditional writers racing on one key lose no update', withStorage(async (s) => {
      const racers = 20;
      const conflicts = await Promise.all(Array.from({ length: racers }, () => increment(s, 'race/counter')));
      assert.equal(dec(await s.get('race/counter')), String(racers));
      // Racing from a clean start: the first writer of an absent key wins, the others conflict.
      const created = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) => s.batch([{ type: 'put', key: 'race/once', value: enc(`w${i}`) }], [{ key: 'race/once', value: undefined }])),
      );
      assert.equal(created.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one creator wins');
      for (const r of created) if (r.status === 'rejected') assert.ok(r.reason instanceof ConflictError);
      assert.ok(conflicts.every((n) => n >= 0));
    }));

    if (options.peer) {
      const peer = options.peer;
      it('two instances (two nodes) racing conditional writes on one key lose no update', withStorage(async (s) => {
        const t = await peer(s);
        try {
          const per = 10;
          await Promise.all(Array.from({ length: 2 * per }, (_, i) => increment(i % 2 === 0 ? s : t, 'nodes/counter')));
          assert.equal(dec(await s.get('nodes/counter')), String(2 * per));
          assert.equal(dec(await t.get('nodes/counter')), String(2 * per));
          const created = await Promise.allSettled(
            [s, t, s, t].map((x, i) => x.batch([{ type: 'put', key: 'nodes/once', value: enc(`w${i}`) }], [{ key: 'nodes/once', value: undefined }])),
          );
          assert.equal(created.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one creator wins');
        } finally {
          await t.close();
        }
      }));
    }

    it('a batch with an invalid operation in the middle changes nothing', withStorage(async (s) => {
      await putAll(s, ['t/a', 't/b']);
      const bads: unknown[] = [
        { type: 'put', key: '', value: enc('x') },
        { type: 'put', key: 'bad\0key', value: enc('x') },
        { type: 'put', key: '/abs', value: enc('x') },
        { type: 'put', key: 't/novalue' },
        { type: 'rename', key: 't/a' },
        null,
      ];
      for (const bad of bads) {
        await assert.rejects(
          s.batch([
            { type: 'put', key: 't/a', value: enc('changed') },
            { type: 'delete', key: 't/b' },
            bad as never,
            { type: 'put', key: 't/c', value: enc('new') },
          ]),
          /batch operation 2/,
        );
        assert.equal(dec(await s.get('t/a')), 't/a');
        assert.equal(dec(await s.get('t/b')), 't/b');
        assert.equal(await s.get('t/c'), undefined);
        assert.deepEqual(await s.list('t/'), ['a', 'b']);
      }
    }));

    it('survives concurrent writes', withStorage(async (s) => {
      const n = 300;
      const results = await Promise.allSettled([
        ...Array.from({ length: n }, (_, i) => s.put(`c/${i}`, enc(`v${i}`))),
        s.batch([{ type: 'put', key: 'c/batch', value: enc('b') }, { type: 'put', key: '', value: enc('bad') }]),
        s.batch([{ type: 'put', key: 'c/batch2', value: enc('b2') }, { type: 'delete', key: 'c/0' }]),
        ...Array.from({ length: 20 }, (_, i) => s.put('c/same', enc(`s${i}`))),
      ]);
      const rejected = results.filter((r) => r.status === 'rejected');
      assert.equal(rejected.length, 1, 'only the invalid batch fails');
      assert.equal(await s.get('c/batch'), undefined);
      assert.equal(dec(await s.get('c/batch2')), 'b2');
      for (let i = 1; i < n; i++) assert.equal(dec(await s.get(`c/${i}`)), `v${i}`);
      assert.match(dec(await s.get('c/same')) ?? '', /^s\d+$/);
      const listed = await s.list('c/');
      assert.equal(listed.length, n - 1 + 2);
      assert.deepEqual(listed, byteSort(listed));
      // Reads interleaved with writes see either the old or the new value, never garbage.
      await Promise.all(Array.from({ length: 50 }, async (_, i) => {
        await s.put(`c/${i + 1}`, enc(`w${i}`));
        assert.equal(dec(await s.get(`c/${i + 1}`)), `w${i}`);
      }));
    }));

    it('rejects calls after close', async () => {
      const s = await factory();
      await s.put('x', enc('1'));
      await s.close();
      await assert.rejects(s.get('x'), /closed/);
      await assert.rejects(s.put('x', enc('2')), /closed/);
      await assert.rejects(s.list(''), /closed/);
      await s.close(); // idempotent
    });

    if (options.reopen) {
      const reopen = options.reopen;
      it('persists data across close and reopen', async () => {
        const s = await factory();
        await s.put('persist/a', enc('A'));
        await s.put('persist/dir/b', new Uint8Array([0, 255, 0]));
        await s.batch([
          { type: 'put', key: 'persist/c', value: enc('C') },
          { type: 'put', key: 'persist/tmp', value: enc('T') },
          { type: 'delete', key: 'persist/tmp' },
        ]);
        // Close right after unawaited writes: close must not lose acknowledged-to-be writes.
        const late = s.put('persist/late', enc('L'));
        await s.close();
        await late;
        const t = await reopen(s);
        try {
          assert.equal(dec(await t.get('persist/a')), 'A');
          assertBytes(await t.get('persist/dir/b'), new Uint8Array([0, 255, 0]));
          assert.equal(dec(await t.get('persist/late')), 'L');
          assert.equal(await t.get('persist/tmp'), undefined);
          assert.deepEqual(await t.list('persist/'), ['a', 'c', 'dir/', 'late']);
        } finally {
          await t.close();
        }
      });
    }
  });
}
