import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HclError, blocks, hclPosition, labeledBlocks, mergeBlocks, parseHcl } from '../../src/core/hcl/parser.js';

function errorOf(text: string): HclError {
  try {
    parseHcl(text);
  } catch (err) {
    assert.ok(err instanceof HclError, `expected HclError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected a parse error for ${JSON.stringify(text)}`);
}

test('attributes: strings, numbers, bools, lists', () => {
  const doc = parseHcl(`
    s = "hello"
    i = 42
    neg = -7
    f = 1.5
    e = -2.5e3
    hex = 0x1F
    t = true
    fl = false
    l = ["a", 1, true, ["x"]]
    empty = []
  `);
  assert.deepEqual(doc, { s: 'hello', i: 42, neg: -7, f: 1.5, e: -2500, hex: 31, t: true, fl: false, l: ['a', 1, true, ['x']], empty: [] });
});

test('comments of all three kinds, trailing commas, optional commas between items', () => {
  const doc = parseHcl(`
    # hash comment
    a = 1 // slash comment
    /* block
       comment */ b = [1, 2,]  # trailing comma
    c = { x = 1, y = 2, }
    d = { x = 1 y = 2 }
  `);
  assert.deepEqual(doc, { a: 1, b: [1, 2], c: [{ x: 1, y: 2 }], d: [{ x: 1, y: 2 }] });
});

test('string escapes', () => {
  const doc = parseHcl(String.raw`s = "q\" b\\ n\n t\t u\u00e9 U\U0001F600 slash\/"`);
  assert.equal(doc.s, 'q" b\\ n\n t\t ué U😀 slash/');
});

test('a labeled block is nesting: path "a" {..} and path { a {..} } and path = { "a" = {..} } agree', () => {
  const expected = { path: [{ 'secret/foo': [{ capabilities: ['read'] }] }] };
  assert.deepEqual(parseHcl('path "secret/foo" { capabilities = ["read"] }'), expected);
  assert.deepEqual(parseHcl('path { "secret/foo" { capabilities = ["read"] } }'), expected);
  assert.deepEqual(parseHcl('path = { "secret/foo" = { capabilities = ["read"] } }'), expected);
  assert.deepEqual(parseHcl('{"path": {"secret/foo": {"capabilities": ["read"]}}}'), expected);
});

test('brace on the next line (HCL1), as in hashi-vault-js admin-policy.hcl', () => {
  const doc = parseHcl(`path "sys/auth/*"
{
  capabilities = ["create", "update", "delete", "sudo"]
}

path "sys/auth"
{
  capabilities = ["read"]
}
`);
  assert.deepEqual(doc, {
    path: [{ 'sys/auth/*': [{ capabilities: ['create', 'update', 'delete', 'sudo'] }] }, { 'sys/auth': [{ capabilities: ['read'] }] }],
  });
});

test('repeated blocks collect into an array in source order', () => {
  const doc = parseHcl('path "a" { x = 1 }\npath "b" { x = 2 }\npath "a" { x = 3 }');
  assert.deepEqual(doc, { path: [{ a: [{ x: 1 }] }, { b: [{ x: 2 }] }, { a: [{ x: 3 }] }] });
  assert.deepEqual(
    labeledBlocks(doc, 'path').map((b) => [b.label, b.body]),
    [['a', { x: 1 }], ['b', { x: 2 }], ['a', { x: 3 }]],
  );
});

test('several labels nest in order; generic config layout', () => {
  const doc = parseHcl(`
    storage "raft" {
      path = "/var/lib/coffer"
    }
    listener "tcp" { address = "127.0.0.1:8200" tls_disable = 1 }
    listener "tcp" { address = "0.0.0.0:8201" }
    seal "static" "primary" { key_file = "/etc/k" }
    ui = true
  `);
  assert.deepEqual(doc.ui, true);
  assert.deepEqual(labeledBlocks(doc, 'listener').map((b) => b.body.address), ['127.0.0.1:8200', '0.0.0.0:8201']);
  assert.deepEqual(doc.seal, [{ static: [{ primary: [{ key_file: '/etc/k' }] }] }]);
  assert.deepEqual(blocks(doc.storage, 'storage'), [{ raft: [{ path: '/var/lib/coffer' }] }]);
});

test('nested control_group blocks inside an object', () => {
  const doc = parseHcl(`path "secret/x" {
    capabilities = ["read"]
    control_group = { factor "x" { identity { group_names = ["a"] approvals = 1 } } }
  }`);
  const body = labeledBlocks(doc, 'path')[0]!.body;
  assert.deepEqual(body.control_group, [{ factor: [{ x: [{ identity: [{ group_names: ['a'], approvals: 1 }] }] }] }]);
});

test('heredocs: <<EOF keeps text, <<-EOF strips the closing marker indentation', () => {
  const doc = parseHcl('a = <<EOF\nline 1\n  line 2\nEOF\nb = <<-EOT\n    x\n      y\n    EOT\nc = 1');
  assert.equal(doc.a, 'line 1\n  line 2\n');
  assert.equal(doc.b, 'x\n  y\n');
  assert.equal(doc.c, 1);
  // A policy embedded in a heredoc parses too.
  const outer = parseHcl('policy = <<EOF\npath "x" { capabilities = ["read"] }\nEOF\n');
  assert.deepEqual(parseHcl(outer.policy as string), { path: [{ x: [{ capabilities: ['read'] }] }] });
});

test('JSON input is normalized to the HCL shape; lists of objects are block lists', () => {
  const doc = parseHcl('  \n{"path": {"a/*": {"policy": "write"}, "b": {"capabilities": []}}, "x": [{"k": 1}, {"k": 2}], "n": null}');
  assert.deepEqual(doc, {
    path: [{ 'a/*': [{ policy: 'write' }], b: [{ capabilities: [] }] }],
    x: [{ k: 1 }, { k: 2 }],
    n: null,
  });
  // The HCL list-of-objects form has the same shape.
  assert.deepEqual(parseHcl('x = [{ k = 1 }, { k = 2 }]'), { x: [{ k: 1 }, { k: 2 }] });
});

test('mergeBlocks merges map-like blocks', () => {
  const doc = parseHcl('p { a = [] }\np { b = ["x"] }');
  assert.deepEqual(mergeBlocks(blocks(doc.p, 'p')), { a: [], b: ['x'] });
  assert.throws(() => blocks(parseHcl('p = "s"').p, 'p'), HclError);
});

test('__proto__ is an ordinary key, never a prototype change', () => {
  const doc = parseHcl('__proto__ = 1\n"constructor" { polluted = true }');
  assert.equal(Object.getPrototypeOf(doc), Object.prototype);
  assert.deepEqual(Object.keys(doc), ['__proto__', 'constructor']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  const json = parseHcl('{"__proto__": {"polluted": true}}');
  assert.equal(Object.getPrototypeOf(json), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('hclPosition reports where keys were written (with positions: true)', () => {
  const text = '\n\npath "a" {\n  capabilities = ["read"]\n}';
  assert.equal(hclPosition(parseHcl(text), 'path'), undefined, 'off by default');
  const doc = parseHcl(text, { positions: true });
  const entry = labeledBlocks(doc, 'path')[0]!;
  assert.deepEqual(hclPosition(doc, 'path'), { line: 3, column: 1 });
  assert.deepEqual(hclPosition(entry.wrapper, 'a'), { line: 3, column: 6 });
  assert.deepEqual(hclPosition(entry.body, 'capabilities'), { line: 4, column: 3 });
  assert.equal(hclPosition(parseHcl('{"a": 1}', { positions: true }), 'a'), undefined);
});

test('syntax errors carry line and column', () => {
  const cases: Array<[string, number, number, RegExp]> = [
    ['path "a" {\n  capabilities = ["read"\n}', 3, 1, /expected ',' or '\]'/],
    ['path "a" {\n  capabilities = ["read"]\n', 3, 1, /missing '}' for the '{' at line 1, column 10/],
    ['a = 1\n}', 2, 1, /unexpected '}'/],
    ['x {\n ttl = 1h\n}', 2, 8, /expected a value but found "1h"/],
    ['x = foo', 1, 5, /expected a value but found "foo"/],
    ['a = "abc\ndef"', 1, 5, /unterminated string/],
    ['a = "\\q"', 1, 6, /invalid escape/],
    ['a = 1\n\n /* open', 3, 2, /unterminated \/\* comment/],
    ['a = <<EOF\nno end\n', 1, 5, /unterminated heredoc/],
    ['a = 1\na = 2', 2, 1, /duplicate key "a" \(first set at line 1, column 1\)/],
    ['a { }\na = 2', 2, 1, /duplicate key "a"/],
    ['path "a" "b" = 1', 1, 14, /labels are only allowed on blocks/],
    ['path "a" ; ', 1, 10, /expected '=' or '\{' after "path"/],
    ['= 1', 1, 1, /expected a key/],
    ['{\n  "path": {\n    "x": {"capabilities": ["read",]}\n  }\n}', 3, 35, /invalid JSON: expected a value/],
    ['{"a": 1} trailing', 1, 10, /invalid JSON: unexpected text/],
    ['{"a": "b\\x"}', 1, 9, /invalid JSON: invalid escape/],
  ];
  for (const [text, line, column, re] of cases) {
    const err = errorOf(text);
    assert.match(err.message, re, text);
    assert.deepEqual([err.line, err.column], [line, column], `${JSON.stringify(text)} → ${err.message}`);
    assert.ok(err.message.startsWith(`line ${line}, column ${column}: `), err.message);
  }
});

test('deep nesting is refused, not a stack overflow', () => {
  assert.match(errorOf(`a = ${'['.repeat(5000)}`).message, /nesting deeper/);
  assert.match(errorOf(`${'a { '.repeat(5000)}`).message, /nesting deeper/);
  assert.match(errorOf(`{"a":${'{"a":'.repeat(500)}1${'}'.repeat(501)}`).message, /nesting deeper/);
});

test('a byte-order mark, CRLF line endings and an empty document are fine', () => {
  assert.deepEqual(parseHcl('\uFEFFa = 1\r\nb = <<EOF\r\nx\r\nEOF\r\n'), { a: 1, b: 'x\n' });
  assert.deepEqual(parseHcl(''), {});
  assert.deepEqual(parseHcl('  # only a comment\n'), {});
});
