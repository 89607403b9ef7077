import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { HMAC_PREFIX, createStringHasher, hashStructure, hmacString } from '../../src/core/audit/hash.js';

const salt = Buffer.from('5b7c0c4e-1f7e-4a58-9a43-8f1d8a0e2b11');
const other = Buffer.from('0f9e8d7c-6b5a-4938-2716-0504f3e2d1c0');
const ref = (s: string, key = salt) => 'hmac-sha256:' + createHmac('sha256', key).update(s).digest('hex');

test('hmacString is hmac-sha256:<hex> of the value under the salt', () => {
  assert.equal(hmacString(salt, 'secret'), ref('secret'));
  assert.ok(hmacString(salt, 'secret').startsWith(HMAC_PREFIX));
  assert.match(hmacString(salt, ''), /^hmac-sha256:[0-9a-f]{64}$/);
  assert.equal(hmacString(salt, 'ünïcode ✓'), ref('ünïcode ✓'));
});

test('every string at any depth is hashed; numbers, booleans and null stay; keys stay', () => {
  const input = {
    a: 'x',
    n: 42,
    f: 1.5,
    t: true,
    z: null,
    nested: { b: 'y', deeper: { c: ['p', 3, false, null, { d: 'q' }, ['r']] } },
  };
  const out = hashStructure(input, salt);
  assert.deepEqual(out, {
    a: ref('x'),
    n: 42,
    f: 1.5,
    t: true,
    z: null,
    nested: { b: ref('y'), deeper: { c: [ref('p'), 3, false, null, { d: ref('q') }, [ref('r')]] } },
  });
});

test('top-level values and arrays are handled too', () => {
  assert.equal(hashStructure('s', salt), ref('s'));
  assert.equal(hashStructure(7, salt), 7);
  assert.equal(hashStructure(null, salt), null);
  assert.deepEqual(hashStructure(['a', 1], salt), [ref('a'), 1]);
});

test('returns a deep copy and leaves the input untouched', () => {
  const input = { a: 'x', inner: { b: 'y', list: ['z'] } };
  const snapshot = structuredClone(input);
  const out = hashStructure(input, salt) as typeof input;
  assert.deepEqual(input, snapshot);
  assert.notEqual(out.inner, input.inner);
  assert.notEqual(out.inner.list, input.inner.list);
});

test('nonHmacKeys leaves those top-level keys raw (deeply), and only top-level ones', () => {
  const input = { keep: 'plain', keepObj: { s: 'raw-too', n: 1 }, other: 'secret', nested: { keep: 'hashed-here' } };
  const out = hashStructure(input, salt, { nonHmacKeys: ['keep', 'keepObj'] }) as Record<string, unknown>;
  assert.equal(out.keep, 'plain');
  assert.deepEqual(out.keepObj, { s: 'raw-too', n: 1 });
  assert.notEqual(out.keepObj, input.keepObj);
  assert.equal(out.other, ref('secret'));
  assert.deepEqual(out.nested, { keep: ref('hashed-here') });
});

test('deterministic per salt, different across salts', () => {
  const input = { password: 'hunter2', list: ['a'] };
  assert.deepEqual(hashStructure(input, salt), hashStructure(input, Buffer.from(salt)));
  const a = hashStructure(input, salt) as { password: string; list: string[] };
  const b = hashStructure(input, other) as { password: string; list: string[] };
  assert.notEqual(a.password, b.password);
  assert.notEqual(a.list[0], b.list[0]);
  assert.equal(b.password, ref('hunter2', other));
});

test('binary data is hashed (not leaked as byte numbers); dates stay ISO text; __proto__ stays an own key', () => {
  const bytes = Buffer.from('binary-secret');
  const when = new Date('2026-01-02T03:04:05.000Z');
  const input = JSON.parse('{"__proto__": "p-secret", "x": 1}') as Record<string, unknown>;
  input.bin = bytes;
  input.u8 = new Uint8Array([1, 2, 3]);
  input.when = when;
  input.fn = () => 1;
  const out = hashStructure(input, salt) as Record<string, unknown>;
  assert.equal(out.bin, ref(bytes.toString('base64')));
  assert.equal(out.u8, ref(Buffer.from([1, 2, 3]).toString('base64')));
  assert.equal(out.when, '2026-01-02T03:04:05.000Z');
  assert.ok(Object.prototype.hasOwnProperty.call(out, '__proto__'));
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  const json = JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
  assert.equal(json.fn, undefined);
  assert.ok(!JSON.stringify(out).includes('p-secret'));
  assert.ok(!JSON.stringify(out).includes('binary-secret'));
  assert.equal(json.x, 1);
});

test('nesting is bounded: a subtree below MAX_HASH_DEPTH becomes a marker instead of overflowing the stack', async () => {
  const { MAX_HASH_DEPTH, TOO_DEEP_MARKER } = await import('../../src/core/audit/hash.js');
  const deep = JSON.parse('{"a":'.repeat(20_000) + '"secret-at-the-bottom"' + '}'.repeat(20_000)) as unknown;
  const out = hashStructure(deep, salt);
  const text = JSON.stringify(out); // would throw RangeError if the copy were as deep as the input
  assert.equal(text.includes('secret-at-the-bottom'), false);
  let node = out as Record<string, unknown>;
  for (let i = 0; i < MAX_HASH_DEPTH; i++) node = node.a as Record<string, unknown>;
  assert.equal(node, TOO_DEEP_MARKER);
  // Just above the bound everything is still hashed as usual.
  const shallow = JSON.parse('['.repeat(MAX_HASH_DEPTH - 1) + '"x"' + ']'.repeat(MAX_HASH_DEPTH - 1)) as unknown;
  assert.equal(JSON.stringify(hashStructure(shallow, salt)).includes(ref('x')), true);
});

test('createStringHasher gives exactly hmacString\'s output for every kind of salt and string', () => {
  const salts = [
    salt,
    Buffer.from(randomBytes(32).toString('hex')), // what sys/audit makes: 64 hex characters, one full block
    Buffer.from('k'),
    Buffer.alloc(0),
    Buffer.from('x'.repeat(65)), // longer than a block: hashed first (fallback)
    Buffer.from('sälz-nicht-ascii'), // bytes >= 0x80 (fallback)
    randomBytes(48),
  ];
  const values = ['', 'secret', 'ünïcode ✓', '\u{1F510} emoji', 'lone \ud800 surrogate', 'x'.repeat(10_000), 'hvs.CAESIJ0abc'];
  for (const key of salts) {
    const hasher = createStringHasher(key);
    for (const v of values) assert.equal(hasher(v), ref(v, key), `salt ${key.toString('hex')} value ${JSON.stringify(v.slice(0, 20))}`);
    // A hasher is reused for many strings: earlier ones leave nothing behind.
    assert.equal(hasher('secret'), ref('secret', key));
  }
  assert.deepEqual(hashStructure({ a: ['b', { c: 'd' }] }, createStringHasher(salt)), { a: [ref('b'), { c: ref('d') }] });
});

test('memo: a deeply frozen subtree is hashed once; mutable objects and other depths are hashed again', async () => {
  const { deepFreeze } = await import('../../src/core/deep-freeze.js');
  const salt = Buffer.from('memo-salt');
  let calls = 0;
  const hasher = (s: string) => {
    calls++;
    return hmacString(salt, s);
  };
  const memo = new WeakMap();
  const frozen = deepFreeze({ a: 'x', b: ['y', { c: 'z' }] });
  const first = hashStructure({ data: frozen }, hasher, { memo });
  assert.equal(calls, 3);
  const second = hashStructure({ data: frozen }, hasher, { memo });
  assert.equal(calls, 3, 'no HMAC for a frozen subtree seen before');
  assert.deepEqual(second, first);
  assert.deepEqual(first, hashStructure({ data: structuredClone(frozen) }, (s) => hmacString(salt, s)));
  // The same object one level deeper: computed for that depth (the depth cap could cut it differently).
  hashStructure({ x: { data: frozen } }, hasher, { memo });
  assert.equal(calls, 6);
  // A mutable object is never remembered: a change shows in the next copy.
  const mutable = { a: 'x' };
  hashStructure({ data: mutable }, hasher, { memo });
  mutable.a = 'changed';
  assert.equal((hashStructure({ data: mutable }, hasher, { memo }) as { data: { a: string } }).data.a, hmacString(salt, 'changed'));
  // A frozen but not deepFreeze'd object (its children may change) is not remembered either.
  const inner = { s: 'one' };
  const shallow = Object.freeze({ inner });
  hashStructure({ data: shallow }, hasher, { memo });
  inner.s = 'two';
  assert.equal((hashStructure({ data: shallow }, hasher, { memo }) as { data: { inner: { s: string } } }).data.inner.s, hmacString(salt, 'two'));
});

test('hashedJson is JSON.stringify(hashStructure(...)) byte for byte, with or without frozen subtrees', async () => {
  const { deepFreeze } = await import('../../src/core/deep-freeze.js');
  const { hashedJson } = await import('../../src/core/audit/hash.js');
  const salt = Buffer.from('json-salt');
  const hasher = (s: string) => hmacString(salt, s);
  const proto = JSON.parse('{"__proto__":{"x":"y"},"2":"two","1":"one","b":"bee"}');
  const values: unknown[] = [
    { data: { a: 'x', n: 1 }, metadata: { t: '', d: false, v: 3, c: null } },
    { u: undefined, f: () => 1, s: Symbol('s'), n: NaN, big: 5n, when: new Date(0), bin: Buffer.from('ab'), arr: [undefined, 'x', () => 1] },
    proto,
    ['top', { a: 'b' }],
    'just a string',
    {},
    { only: undefined },
  ];
  for (const v of values) {
    const want = JSON.stringify(hashStructure(v, hasher));
    assert.equal(hashedJson(v, hasher), want);
    const memo = new WeakMap();
    assert.equal(hashedJson(v, hasher, { memo }), want);
    assert.equal(hashedJson(v, hasher, { memo }), want);
    assert.equal(hashedJson(v, hasher, { memo, nonHmacKeys: ['data'] }), JSON.stringify(hashStructure(v, hasher, { nonHmacKeys: ['data'] })));
  }
  // Frozen members and a frozen top level, seen more than once.
  const memo = new WeakMap();
  const shared = deepFreeze({ a: 'x', list: ['y', { z: 'w' }], '7': 'seven' });
  const top = deepFreeze({ data: shared });
  for (let i = 0; i < 3; i++) {
    const wrapper = { data: shared, metadata: deepFreeze({ version: i }), extra: undefined };
    assert.equal(hashedJson(wrapper, hasher, { memo }), JSON.stringify(hashStructure(structuredClone(wrapper), hasher)));
    assert.equal(hashedJson(top, hasher, { memo }), JSON.stringify(hashStructure(structuredClone(top), hasher)));
    assert.equal(hashedJson({ nested: { deeper: shared } }, hasher, { memo }), JSON.stringify(hashStructure({ nested: { deeper: structuredClone(shared) } }, hasher)));
  }
});
