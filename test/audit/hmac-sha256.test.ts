/**
 * createHmacHex (audit hashes) must give createHmac's output for every key and value, so audit
 * lines still match `sys/audit-hash` and earlier logs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createHmacHex } from '../../src/core/hmac-sha256.js';

const ref = (key: Buffer, v: string) => createHmac('sha256', key).update(v, 'utf8').digest('hex');

test('createHmacHex equals createHmac for ASCII, binary, empty, block-sized and longer keys', () => {
  const keys = [
    randomBytes(32), // binary (bytes >= 0x80 likely): the createHmac fallback
    Buffer.from(randomBytes(32).toString('hex')), // an audit salt: 64 hex characters
    Buffer.from([0x80, 0xff, 0x00, 0x7f]),
    Buffer.alloc(0),
    randomBytes(64),
    randomBytes(65), // longer than a block
    Buffer.from('plain-ascii-key'),
  ];
  const values = ['', 'hvs.CAESIJ0abcdefghijklmnopqrstuv', 'accessor\0abc', 'ünïcode ✓ \u{1F510}', 'lone \udc00 surrogate', 'y'.repeat(300), 'z'.repeat(5000), 'short'];
  for (const key of keys) {
    const hex = createHmacHex(key);
    for (const v of values) assert.equal(hex(v), ref(key, v), `key ${key.toString('hex')} value ${JSON.stringify(v.slice(0, 16))}`);
    // The hasher is reused: values hashed before leave nothing behind.
    for (const v of ['a', '', 'b'.repeat(70)]) assert.equal(hex(v), ref(key, v));
  }
});
