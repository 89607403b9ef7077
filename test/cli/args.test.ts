import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeArgv, parseGoBool } from '../../src/cli/args.js';

const info = {
  booleanFlags: new Set(['orphan', 'no-store', 'cas-required', 'no-cas-required', 'f']),
  valueFlags: new Set(['format', 'key-shares', 'description', 'field']),
};

test('single-dash words longer than one letter become GNU long flags', () => {
  assert.deepEqual(normalizeArgv(['kv', 'get', '-format=json', '-field', 'password', 'secret/foo'], info), [
    'kv',
    'get',
    '--format=json',
    '--field',
    'password',
    'secret/foo',
  ]);
  assert.deepEqual(normalizeArgv(['operator', 'init', '-key-shares', '5', '-key-threshold=3'], info), [
    'operator',
    'init',
    '--key-shares',
    '5',
    '--key-threshold=3',
  ]);
});

test('GNU style, one-letter flags, "-" alone and negative numbers are left alone', () => {
  assert.deepEqual(normalizeArgv(['--format', 'json', '-f', '-', '-5', '-1.5', '-h'], info), [
    '--format',
    'json',
    '-f',
    '-',
    '-5',
    '-1.5',
    '-h',
  ]);
});

test('k=v arguments are never rewritten, even when the value starts with a dash', () => {
  assert.deepEqual(normalizeArgv(['write', 'secret/x', 'password=-abc', 'k=-', 'n=-3'], info), [
    'write',
    'secret/x',
    'password=-abc',
    'k=-',
    'n=-3',
  ]);
});

test('everything after -- is passed through unchanged', () => {
  assert.deepEqual(normalizeArgv(['kv', 'put', '-cas=0', '--', '-weird=1', '-format'], info), [
    'kv',
    'put',
    '--cas=0',
    '--',
    '-weird=1',
    '-format',
  ]);
});

test('the value of a value flag is kept even when it looks like a flag', () => {
  assert.deepEqual(normalizeArgv(['secrets', 'enable', '-description', '-dashed-text', 'kv'], info), [
    'secrets',
    'enable',
    '--description',
    '-dashed-text',
    'kv',
  ]);
  // With "=" the next word is not a value.
  assert.deepEqual(normalizeArgv(['-description=x', '-orphan'], info), ['--description=x', '--orphan']);
});

test('boolean flags accept =true / =false like Go flags', () => {
  assert.deepEqual(normalizeArgv(['-orphan=true', '-no-store=false', '-orphan=1'], info), ['--orphan', '--orphan']);
  // A false value uses the --no- negation when the program defines one.
  assert.deepEqual(normalizeArgv(['-cas-required=false', '-cas-required=true'], info), [
    '--no-cas-required',
    '--cas-required',
  ]);
  // Not a boolean word: left for commander to reject.
  assert.deepEqual(normalizeArgv(['-orphan=maybe'], info), ['--orphan=maybe']);
});

test('a name that is boolean in one command and takes a value in another keeps its value', () => {
  const both = { booleanFlags: new Set(['version']), valueFlags: new Set(['version']) };
  assert.deepEqual(normalizeArgv(['secrets', 'enable', '-version=1', 'kv'], both), ['secrets', 'enable', '--version=1', 'kv']);
  assert.deepEqual(normalizeArgv(['kv', 'get', '-version', '2', 'secret/x'], both), ['kv', 'get', '--version', '2', 'secret/x']);
});

test('words that are not flag-shaped are left alone', () => {
  assert.deepEqual(normalizeArgv(['-with space', '-9lives'], info), ['-with space', '-9lives']);
});

test('parseGoBool follows strconv.ParseBool', () => {
  for (const t of ['1', 't', 'T', 'true', 'TRUE', 'True']) assert.equal(parseGoBool(t), true);
  for (const f of ['0', 'f', 'F', 'false', 'FALSE', 'False']) assert.equal(parseGoBool(f), false);
  for (const x of ['yes', '', 'tRuE', '2']) assert.equal(parseGoBool(x), undefined);
});
