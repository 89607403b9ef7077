import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatKeyValueTable,
  formatTable,
  formatValue,
  humanDuration,
  printRawField,
  secretRows,
} from '../../src/cli/output.js';
import type { Io } from '../../src/cli/context.js';

test('Key/Value tables look like the vault CLI (4-space gap, n/a for empty)', () => {
  assert.equal(
    formatKeyValueTable([
      ['created_time', '2026-01-01T00:00:00Z'],
      ['deletion_time', ''],
      ['version', 1],
    ]),
    'Key              Value\n' +
      '---              -----\n' +
      'created_time     2026-01-01T00:00:00Z\n' +
      'deletion_time    n/a\n' +
      'version          1\n',
  );
});

test('multi-column tables pad all but the last column', () => {
  assert.equal(
    formatTable([['secret/', 'kv', 'kv_1', '']], ['Path', 'Type', 'Accessor', 'Description']),
    'Path       Type    Accessor    Description\n' + '----       ----    --------    -----------\n' + 'secret/    kv      kv_1        n/a\n',
  );
});

test('values print Go style', () => {
  assert.equal(formatValue(['default', 'p1']), '[default p1]');
  assert.equal(formatValue({ b: 1, a: 'x' }), 'map[a:x b:1]');
  assert.equal(formatValue(null), '<nil>');
  assert.equal(formatValue(false), 'false');
});

test('durations print like vault (trailing zero units trimmed)', () => {
  assert.equal(humanDuration(2764800), '768h');
  assert.equal(humanDuration(5400), '1h30m');
  assert.equal(humanDuration(90), '1m30s');
  assert.equal(humanDuration(3601), '1h0m1s');
  assert.equal(humanDuration(0), '0s');
  assert.equal(humanDuration(0, true), '∞');
});

test('secretRows lists auth fields then sorted data', () => {
  const rows = secretRows({
    lease_duration: 0,
    auth: { client_token: 'tok', accessor: 'acc', policies: ['default'], lease_duration: 3600, renewable: true },
    data: { z: 1, a: 2 },
  });
  assert.deepEqual(
    rows.map(([k]) => k),
    ['token', 'token_accessor', 'token_duration', 'token_renewable', 'token_policies', 'identity_policies', 'policies', 'a', 'z'],
  );
  assert.deepEqual(rows[2], ['token_duration', '1h']);
  assert.deepEqual(secretRows({ lease_duration: 2764800, data: { k: 'v' } })[0], ['refresh_interval', '768h']);
});

test('-field output has a newline only on a terminal', () => {
  let out = '';
  const io = { out: (s: string) => (out += s), stdoutIsTTY: false } as unknown as Io;
  printRawField(io, 's3cret');
  assert.equal(out, 's3cret');
  out = '';
  printRawField({ ...io, stdoutIsTTY: true, out: (s: string) => (out += s) }, { a: 1 });
  assert.equal(out, '{"a":1}\n');
});
