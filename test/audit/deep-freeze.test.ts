import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze, isDeepFrozen } from '../../src/core/deep-freeze.js';

test('deepFreeze freezes the whole tree and registers only trees that cannot change', () => {
  const tree = deepFreeze(JSON.parse('{"a":{"b":[1,"x",{"c":null}]},"__proto__":{"d":"e"}}') as Record<string, any>);
  assert.ok(isDeepFrozen(tree));
  assert.ok(isDeepFrozen(tree.a.b));
  assert.ok(Object.isFrozen(tree.a.b[2]));
  assert.throws(() => {
    tree.a.b.push(2);
  }, TypeError);
  assert.throws(() => {
    tree.a.z = 1;
  }, TypeError);
  // A class instance, a Date, an accessor: frozen as far as possible, but the tree is not registered.
  for (const odd of [{ when: new Date(0) }, { buf: Buffer.from('x') }, Object.defineProperty({}, 'g', { get: () => Math.random(), enumerable: true })]) {
    const holder = deepFreeze({ odd });
    assert.equal(isDeepFrozen(holder), false);
    assert.equal(isDeepFrozen(holder.odd), false);
  }
  // Freezing by hand is not registration.
  assert.equal(isDeepFrozen(Object.freeze({ a: 1 })), false);
  assert.equal(isDeepFrozen('text'), false);
});
