import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CofferError } from '../../src/core/errors.js';
import { DEFAULT_POLICY_TEXT, RESPONSE_WRAPPING_POLICY_TEXT, parsePolicy } from '../../src/core/acl/policy.js';

function parseFails(text: string, re: RegExp): void {
  assert.throws(
    () => parsePolicy('p', text),
    (err: unknown) => {
      assert.ok(err instanceof CofferError, String(err));
      assert.equal(err.code, 'invalid_request');
      assert.equal(err.status, 400);
      assert.match(err.messages[0]!, /^failed to parse policy: /);
      assert.match(err.messages[0]!, re);
      return true;
    },
  );
}

test('the spec §3.1 example parses into normalized rules', () => {
  const text = `# comments: #, // and /* */
path "secret/data/mysql/webapp" {          # brace may be on the next line (HCL1)
  capabilities = ["read"]
}
path "/secret/restricted" {
  capabilities        = ["create"]
  allowed_parameters  = { "foo" = [], "Bar" = ["zip","zap"], "*" = [] }
  denied_parameters   = { "no_store" = [false, "false"] }
  required_parameters = ["name","ID"]
  min_wrapping_ttl    = "1s"                 # string duration or integer seconds
  max_wrapping_ttl    = 90
}
path "secret/foo" { policy = "write" }     // legacy
`;
  const p = parsePolicy('webapp', text);
  assert.equal(p.name, 'webapp');
  assert.equal(p.raw, text);
  assert.deepEqual(p.rules, [
    { path: 'secret/data/mysql/webapp', capabilities: ['read'] },
    {
      path: 'secret/restricted',
      capabilities: ['create'],
      allowedParameters: { foo: [], bar: ['zip', 'zap'], '*': [] },
      deniedParameters: { no_store: [false, 'false'] },
      requiredParameters: ['name', 'id'],
      minWrappingTTL: 1,
      maxWrappingTTL: 90,
    },
    { path: 'secret/foo', capabilities: ['create', 'read', 'update', 'delete', 'list'] },
  ]);
});

test('legacy policy = values map to capabilities (§3.2)', () => {
  const caps = (v: string) => parsePolicy('p', `path "x" { policy = "${v}" }`).rules[0]!.capabilities;
  assert.deepEqual(caps('deny'), ['deny']);
  assert.deepEqual(caps('read'), ['read', 'list']);
  assert.deepEqual(caps('write'), ['create', 'read', 'update', 'delete', 'list']);
  assert.deepEqual(caps('sudo'), ['create', 'read', 'update', 'delete', 'list', 'sudo']);
  // Legacy values add to capabilities; deny replaces them.
  assert.deepEqual(parsePolicy('p', 'path "x" { capabilities = ["patch"] policy = "read" }').rules[0]!.capabilities, ['read', 'patch', 'list']);
  assert.deepEqual(parsePolicy('p', 'path "x" { capabilities = ["read"] policy = "deny" }').rules[0]!.capabilities, ['deny']);
  parseFails('path "x" { policy = "admin" }', /invalid policy "admin"/);
});

test('JSON policies, including node-vault\'s example', () => {
  assert.deepEqual(parsePolicy('p', '{"path":{"secret/*":{"policy":"write"}}}').rules, [
    { path: 'secret/*', capabilities: ['create', 'read', 'update', 'delete', 'list'] },
  ]);
  assert.deepEqual(
    parsePolicy('p', '{"path":{"a":{"capabilities":["read"]},"b/+/c":{"capabilities":["list"],"allowed_parameters":{"X":["1"]}}}}').rules,
    [
      { path: 'a', capabilities: ['read'] },
      { path: 'b/+/c', capabilities: ['list'], allowedParameters: { x: ['1'] } },
    ],
  );
});

test('a deny rule drops its other capabilities and parameters', () => {
  const rule = parsePolicy('p', 'path "x" { capabilities = ["read", "deny", "sudo"] allowed_parameters = { a = [] } }').rules[0]!;
  assert.deepEqual(rule, { path: 'x', capabilities: ['deny'] });
});

test('every capability in the whitelist is accepted; others are errors', () => {
  const all = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'subscribe', 'recover', 'scan'];
  assert.deepEqual(parsePolicy('p', `path "x" { capabilities = ${JSON.stringify(all)} }`).rules[0]!.capabilities, all);
  parseFails('path "x" { capabilities = ["raed"] }', /path "x" \(line 1\): invalid capability "raed"/);
  parseFails('path "x" { capabilities = ["Read"] }', /invalid capability "Read"/);
  parseFails('path "x" { capabilities = ["recurse"] }', /invalid capability "recurse"/);
  parseFails('path "x" { capabilities = "read, list" }', /invalid capability "read, list"/);
  parseFails('path "x" { capabilities = [1] }', /"capabilities" \(line 1\) must be a list of strings/);
});

test('unknown keys are errors, at the top level and in a path block, with line numbers', () => {
  parseFails('path "x" { capabilities = ["read"] }\nfoo = 1', /invalid key "foo" \(line 2\)/);
  parseFails('path "x" {\n  capabilities = ["read"]\n  capabilites = ["list"]\n}', /path "x" \(line 1\): invalid key "capabilites" \(line 3\)/);
  parseFails('{"path":{"x":{"bogus":1}}}', /invalid key "bogus"/);
  parseFails('path "x" { expiration = "1h" }', /"expiration".*not supported/);
  // Accepted and ignored: name, comment, mfa_methods, control_group.
  const p = parsePolicy('p', `name = "p"
path "x" {
  capabilities = ["read"]
  comment = "why"
  mfa_methods = ["m"]
  control_group = { factor "x" { identity { group_names = ["a"] approvals = 1 } } }
}`);
  assert.deepEqual(p.rules, [{ path: 'x', capabilities: ['read'] }]);
});

test('path shape errors and wildcard rules', () => {
  parseFails('path "secret/+*" { capabilities = ["read"] }', /'\+\*' is forbidden/);
  parseFails('path = "x"', /must be a block/);
  parseFails('path "x" "y" { capabilities = ["read"] }', /invalid key "y"/);
  // Templated paths are kept as literal text.
  assert.equal(parsePolicy('p', 'path "identity/entity/id/{{identity.entity.id}}" { capabilities = ["read"] }').rules[0]!.path, 'identity/entity/id/{{identity.entity.id}}');
  // Only one leading slash is removed.
  assert.equal(parsePolicy('p', 'path "/a/b" { capabilities = ["read"] }').rules[0]!.path, 'a/b');
  // The same path twice stays two rules (the ACL unions them).
  assert.equal(parsePolicy('p', 'path "a" { capabilities = ["read"] }\npath "a" { capabilities = ["list"] }').rules.length, 2);
});

test('wrapping TTLs: durations or integers; max below min is an error', () => {
  const r = parsePolicy('p', 'path "x" { capabilities = ["read"] min_wrapping_ttl = 30 max_wrapping_ttl = "1h30m" }').rules[0]!;
  assert.equal(r.minWrappingTTL, 30);
  assert.equal(r.maxWrappingTTL, 5400);
  parseFails('path "x" { min_wrapping_ttl = "10m" max_wrapping_ttl = "5m" }', /max_wrapping_ttl cannot be less than min_wrapping_ttl/);
  parseFails('path "x" { min_wrapping_ttl = "soon" }', /min_wrapping_ttl.*not a duration/);
  parseFails('path "x" { max_wrapping_ttl = -5 }', /max_wrapping_ttl.*non-negative/);
  parseFails('path "x" { max_wrapping_ttl = [1] }', /max_wrapping_ttl.*must be a duration/);
});

test('parameter maps: lower-cased keys, scalar values become one-element lists', () => {
  const r = parsePolicy('p', 'path "x" {\n capabilities = ["update"]\n allowed_parameters { "TTL" = "1h" }\n allowed_parameters { "Policies" = ["a-*"] }\n}').rules[0]!;
  assert.deepEqual(r.allowedParameters, { ttl: ['1h'], policies: ['a-*'] });
  parseFails('path "x" { allowed_parameters = ["a"] }', /allowed_parameters.*must be a block/);
  // A parameter called __proto__ is an ordinary own key.
  const proto = parsePolicy('p', 'path "x" { denied_parameters = { "__proto__" = [] } }').rules[0]!;
  assert.deepEqual(Object.keys(proto.deniedParameters!), ['__proto__']);
  assert.equal(Object.getPrototypeOf(proto.deniedParameters), Object.prototype);
});

test('syntax errors become 400 failed to parse policy with the line', () => {
  parseFails('path "x" {\n  capabilities = ["read"\n}', /line 3, column 1: expected ',' or '\]'/);
  parseFails('{"path": }', /invalid JSON/);
});

test('built-in policy texts parse', () => {
  const def = parsePolicy('default', DEFAULT_POLICY_TEXT);
  const byPath = new Map(def.rules.map((r) => [r.path, r.capabilities]));
  assert.deepEqual(byPath.get('auth/token/lookup-self'), ['read']);
  assert.deepEqual(byPath.get('auth/token/renew-self'), ['update']);
  assert.deepEqual(byPath.get('auth/token/revoke-self'), ['update']);
  assert.deepEqual(byPath.get('sys/capabilities-self'), ['update']);
  assert.deepEqual(byPath.get('cubbyhole/*'), ['create', 'read', 'update', 'delete', 'list']);
  assert.deepEqual(byPath.get('sys/wrapping/unwrap'), ['update']);
  assert.deepEqual(byPath.get('sys/tools/hash/*'), ['update']);
  assert.deepEqual(byPath.get('sys/leases/lookup'), ['update']);
  const wrap = parsePolicy('response-wrapping', RESPONSE_WRAPPING_POLICY_TEXT);
  assert.deepEqual(wrap.rules, [
    { path: 'cubbyhole/response', capabilities: ['create', 'read'] },
    { path: 'sys/wrapping/unwrap', capabilities: ['update'] },
  ]);
});
