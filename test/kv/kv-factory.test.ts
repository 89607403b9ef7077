import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCofferError } from '../../src/core/errors.js';
import { kvFactory, validateKvOptions } from '../../src/features/kv/index.js';
import { dataOf, makeKv } from './dispatch.js';

describe('KV factory', () => {
  it('is the secret engine "kv" with the kv-v2 and generic aliases', () => {
    assert.equal(kvFactory.type, 'kv');
    assert.equal(kvFactory.kind, 'secret');
    assert.deepEqual(kvFactory.aliases, { 'kv-v2': { version: '2' }, generic: {} });
  });

  it('normalises version to "1" or "2" (strings or numbers; default "1") and keeps other options', () => {
    assert.deepEqual(validateKvOptions({}), { version: '1' });
    assert.deepEqual(validateKvOptions({ version: '' }), { version: '1' });
    assert.deepEqual(validateKvOptions({ version: '2' }), { version: '2' });
    assert.deepEqual(validateKvOptions({ version: 2 as unknown as string }), { version: '2' });
    assert.deepEqual(validateKvOptions({ version: 1 as unknown as string, other: 'x' }), { version: '1', other: 'x' });
  });

  it('rejects any other version with a clear 400', () => {
    for (const bad of ['3', '0', 'v2', '2.0', 'two']) {
      assert.throws(() => validateKvOptions({ version: bad }), (err: unknown) => {
        assert.ok(isCofferError(err));
        assert.equal(err.status, 400);
        assert.match(err.messages[0]!, /KV version must be 1 or 2/);
        return true;
      });
    }
  });

  it('builds a v1 or v2 backend from the mount options', async () => {
    const v1 = makeKv({ version: '1' });
    await v1.call('update', 'foo', { a: 1 });
    assert.deepEqual(dataOf(await v1.call('read', 'foo')), { a: 1 });
    const v2 = makeKv({ version: '2' });
    const res = await v2.call('update', 'foo', { a: 1 });
    assert.equal(res?.status, 404, 'a v2 mount refuses a v1-style path');
  });
});
