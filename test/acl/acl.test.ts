import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACL, type AclRequest } from '../../src/core/acl/acl.js';
import { DEFAULT_POLICY_TEXT, RESPONSE_WRAPPING_POLICY_TEXT, parsePolicy } from '../../src/core/acl/policy.js';
import type { Operation } from '../../src/core/logical.js';

/** Builds an ACL from policy texts (named p0, p1, ...). */
function acl(...texts: string[]): ACL {
  return new ACL(texts.map((t, i) => parsePolicy(`p${i}`, t)));
}

function allowed(a: ACL, operation: Operation, path: string, extra: Partial<AclRequest> = {}): boolean {
  return a.check({ operation, path, ...extra }).allowed;
}

const OPS: Exclude<Operation, 'help'>[] = ['read', 'create', 'update', 'patch', 'delete', 'list'];

test('policy matrix: a capability allows exactly its operation', () => {
  const capToOp: Record<string, Operation | undefined> = {
    read: 'read', create: 'create', update: 'update', patch: 'patch', delete: 'delete', list: 'list',
    sudo: undefined, subscribe: undefined, recover: undefined, deny: undefined,
  };
  for (const [cap, op] of Object.entries(capToOp)) {
    const a = acl(`path "secret/data/x" { capabilities = ["${cap}"] }\npath "secret/metadata/" { capabilities = ["${cap}"] }`);
    for (const candidate of OPS) {
      const path = candidate === 'list' ? 'secret/metadata/' : 'secret/data/x';
      const res = a.check({ operation: candidate, path });
      assert.equal(res.allowed, candidate === op, `capability ${cap}, operation ${candidate}`);
      if (!res.allowed) assert.ok(res.reason, 'a denial carries a reason');
      assert.equal(res.sudo, cap === 'sudo', `sudo flag for ${cap}`);
    }
    // help is always allowed, even on paths no rule mentions.
    assert.equal(allowed(a, 'help', 'nowhere/at/all'), true);
  }
});

test('no matching rule denies; deny beats everything including sudo', () => {
  const a = acl('path "secret/*" { capabilities = ["read", "sudo"] }\npath "secret/super-secret" { capabilities = ["deny"] }');
  assert.equal(allowed(a, 'read', 'other/x'), false);
  assert.equal(a.check({ operation: 'read', path: 'other/x' }).reason, 'no policy grants access to this path');
  // §3.3: the exact deny wins over the broader secret/*.
  const res = a.check({ operation: 'read', path: 'secret/super-secret' });
  assert.deepEqual([res.allowed, res.sudo, res.capabilities], [false, false, ['deny']]);
  assert.equal(allowed(a, 'read', 'secret/super-secret/child'), true, 'the exact deny does not cover children');
  assert.equal(a.check({ operation: 'read', path: 'secret/other' }).sudo, true);
});

test('priority: exact over glob, longest prefix wins, rules are never combined', () => {
  const a = acl(`
    path "secret/*"          { capabilities = ["read"] }
    path "secret/team/*"     { capabilities = ["list"] }
    path "secret/team/a/b"   { capabilities = ["delete"] }
    path "secret/zip-*"      { capabilities = ["update"] }
  `);
  assert.equal(allowed(a, 'read', 'secret/x'), true);
  assert.equal(allowed(a, 'read', 'secret/team/x'), false, 'longer prefix secret/team/ wins and grants only list');
  assert.equal(allowed(a, 'list', 'secret/team/x/'), true);
  assert.equal(allowed(a, 'delete', 'secret/team/a/b'), true);
  assert.equal(allowed(a, 'list', 'secret/team/a/b'), false, 'the exact rule is not combined with the prefix rule');
  assert.equal(allowed(a, 'update', 'secret/zip-zap/zong'), true, 'a * mid-segment is a plain prefix');
  assert.equal(allowed(a, 'read', 'secret/zip-zap/zong'), false);
  assert.equal(allowed(a, 'read', 'secret'), false, 'secret/* does not match "secret"');
  assert.equal(allowed(a, 'read', 'secret/'), true, 'secret/* matches "secret/" itself');
});

test('priority: + segments vs * (Vault priority order)', () => {
  const a = acl(`
    path "secret/*"            { capabilities = ["read"] }
    path "secret/+/teamb"      { capabilities = ["update"] }
    path "secret/+/teamb/*"    { capabilities = ["delete"] }
    path "secret/+/+/x"        { capabilities = ["list"] }
    path "secret/a/+/x"        { capabilities = ["patch"] }
    path "secret/a/b*"         { capabilities = ["create"] }
  `);
  // + matches exactly one segment.
  assert.equal(allowed(a, 'update', 'secret/foo/teamb'), true);
  assert.equal(allowed(a, 'update', 'secret/foo/bar/teamb'), false);
  assert.equal(allowed(a, 'read', 'secret/foo/bar/teamb'), true, 'falls back to secret/*');
  // Same first wildcard position (7): rule 2, secret/* ends in * so secret/+/teamb wins.
  assert.equal(allowed(a, 'read', 'secret/foo/teamb'), false, 'secret/+/teamb beats secret/*');
  // Both end in * at position 7: rule 3, secret/+/teamb/* has more + segments, so secret/* wins (Vault's order).
  assert.equal(allowed(a, 'delete', 'secret/foo/teamb/deeper'), false);
  assert.equal(allowed(a, 'read', 'secret/foo/teamb/deeper'), true);
  // Rule 1: secret/a/+/x (+ at 9) beats secret/+/+/x (+ at 7).
  assert.equal(allowed(a, 'patch', 'secret/a/q/x'), true);
  assert.equal(allowed(a, 'list', 'secret/a/q/x'), false);
  assert.equal(allowed(a, 'list', 'secret/z/q/x'), true);
  // Rule 1 again: secret/a/b* (* at 10) beats secret/a/+/x (+ at 9) for secret/a/bc/x.
  assert.equal(allowed(a, 'create', 'secret/a/bc/x'), true);
  assert.equal(allowed(a, 'patch', 'secret/a/bc/x'), false);
});

test('priority: same first wildcard, prefix vs non-prefix, wildcard count, length', () => {
  // Rule 2: foo/+/bar beats foo/+/ba*.
  let a = acl('path "foo/+/bar" { capabilities = ["read"] }\npath "foo/+/ba*" { capabilities = ["list"] }');
  assert.equal(allowed(a, 'read', 'foo/x/bar'), true);
  assert.equal(allowed(a, 'list', 'foo/x/bar'), false);
  assert.equal(allowed(a, 'list', 'foo/x/baz'), true);
  // Rule 3: foo/+/bar/+ vs foo/+/+/baz — same first +, neither prefix; fewer + wins... both have 2; use 1 vs 2.
  a = acl('path "foo/+/+" { capabilities = ["read"] }\npath "foo/+/c" { capabilities = ["list"] }');
  assert.equal(allowed(a, 'list', 'foo/x/c'), true, 'foo/+/c (one +) beats foo/+/+ (two +)');
  assert.equal(allowed(a, 'read', 'foo/x/c'), false);
  assert.equal(allowed(a, 'read', 'foo/x/d'), true);
  // Rule 4: foo/+/bar/ba* beats foo/+/bar/b* (longer).
  a = acl('path "foo/+/bar/b*" { capabilities = ["read"] }\npath "foo/+/bar/ba*" { capabilities = ["list"] }');
  assert.equal(allowed(a, 'list', 'foo/x/bar/baz'), true);
  assert.equal(allowed(a, 'read', 'foo/x/bar/baz'), false);
  assert.equal(allowed(a, 'read', 'foo/x/bar/bz'), true);
  // Rule 1 with a plain prefix: foo/a* (* at 5) beats foo/+ (+ at 4).
  a = acl('path "foo/+" { capabilities = ["read"] }\npath "foo/a*" { capabilities = ["list"] }');
  assert.equal(allowed(a, 'list', 'foo/abc'), true);
  assert.equal(allowed(a, 'read', 'foo/abc'), false);
  assert.equal(allowed(a, 'read', 'foo/xyz'), true);
  // Rule 2 with a plain prefix at the same position: foo/+ beats foo/*.
  a = acl('path "foo/*" { capabilities = ["list"] }\npath "foo/+" { capabilities = ["read"] }');
  assert.equal(allowed(a, 'read', 'foo/abc'), true);
  assert.equal(allowed(a, 'list', 'foo/abc'), false);
  assert.equal(allowed(a, 'list', 'foo/abc/def'), true, 'foo/+ does not match two segments');
  // + leading and alone.
  a = acl('path "+/config" { capabilities = ["read"] }\npath "+" { capabilities = ["list"] }');
  assert.equal(allowed(a, 'read', 'kv/config'), true);
  assert.equal(allowed(a, 'list', 'anything'), true);
  assert.equal(allowed(a, 'list', 'a/b'), false);
});

test('LIST also tries the exact rule without the trailing slash', () => {
  const a = acl('path "secret/metadata/foo" { capabilities = ["list"] }\npath "secret/metadata/*" { capabilities = ["read"] }');
  assert.equal(allowed(a, 'list', 'secret/metadata/foo/'), true);
  assert.equal(allowed(a, 'read', 'secret/metadata/foo/'), true, 'non-LIST uses the glob rule, not the bare exact rule');
  assert.equal(allowed(a, 'list', 'secret/metadata/bar/'), false, 'the glob grants only read');
  // An exact rule on the slashed path is preferred.
  const b = acl('path "x/" { capabilities = ["list"] }\npath "x" { capabilities = ["deny"] }');
  assert.equal(allowed(b, 'list', 'x/'), true);
});

test('leading slashes in the request path are ignored', () => {
  const a = acl('path "/secret/foo" { capabilities = ["read"] }');
  assert.equal(allowed(a, 'read', 'secret/foo'), true);
  assert.equal(allowed(a, 'read', '//secret/foo'), true);
});

test('policies combine: union per pattern, deny wins and clears parameters, smaller TTLs', () => {
  const a = acl(
    'path "s/x" { capabilities = ["read"] allowed_parameters = { a = ["1"] } }',
    'path "s/x" { capabilities = ["update"] allowed_parameters = { a = ["2"], b = [] } required_parameters = ["a"] }',
  );
  assert.equal(allowed(a, 'read', 's/x', { data: { a: '2' } }), true);
  assert.equal(allowed(a, 'read', 's/x'), false, 'the merged required parameter applies to read too');
  assert.equal(allowed(a, 'update', 's/x', { data: { a: '1' } }), true);
  assert.equal(allowed(a, 'update', 's/x', { data: { a: '2', b: 'anything' } }), true);
  assert.equal(allowed(a, 'update', 's/x', { data: { a: '3' } }), false);
  assert.equal(allowed(a, 'update', 's/x', { data: { b: 'x' } }), false, 'required a is missing');

  const emptyWins = acl('path "s/x" { capabilities = ["update"] allowed_parameters = { a = ["1"] } }', 'path "s/x" { capabilities = ["update"] allowed_parameters = { a = [] } }');
  assert.equal(allowed(emptyWins, 'update', 's/x', { data: { a: 'anything' } }), true, 'an empty list anywhere means any value');

  const denied = acl('path "s/*" { capabilities = ["read", "update"] allowed_parameters = { a = [] } }', 'path "s/*" { capabilities = ["deny"] }', 'path "s/*" { capabilities = ["list"] }');
  const res = denied.check({ operation: 'read', path: 's/q' });
  assert.deepEqual([res.allowed, res.capabilities], [false, ['deny']]);
  assert.deepEqual(denied.capabilities('s/q'), ['deny']);

  const ttl = acl('path "w" { capabilities = ["read"] max_wrapping_ttl = "1h" min_wrapping_ttl = 60 }', 'path "w" { capabilities = ["read"] max_wrapping_ttl = "10m" min_wrapping_ttl = 30 }');
  assert.equal(allowed(ttl, 'read', 'w', { wrapTTL: 600 }), true);
  assert.equal(allowed(ttl, 'read', 'w', { wrapTTL: 601 }), false, 'the smaller max (10m) applies');
  assert.equal(allowed(ttl, 'read', 'w', { wrapTTL: 30 }), true, 'the smaller min (30s) applies');
  assert.equal(allowed(ttl, 'read', 'w', { wrapTTL: 29 }), false);

  // The same pattern twice in one policy is merged as well.
  const one = acl('path "d" { capabilities = ["read"] }\npath "d" { capabilities = ["delete"] }');
  assert.deepEqual(one.capabilities('d'), ['delete', 'read']);
});

test('root: a root policy in the set allows everything with sudo', () => {
  for (const a of [ACL.root(), new ACL([parsePolicy('root', ''), parsePolicy('other', 'path "x" { capabilities = ["deny"] }')])]) {
    assert.equal(a.isRoot, true);
    const res = a.check({ operation: 'delete', path: 'sys/raw/anything', data: { x: 1 } });
    assert.deepEqual(res, { allowed: true, sudo: true, capabilities: ['root'] });
    assert.deepEqual(a.capabilities('x'), ['root']);
    assert.equal(a.hasMountAccess('secret/'), true);
  }
  assert.equal(acl('path "x" { capabilities = ["sudo"] }').isRoot, false);
});

test('parameter constraints: required, denied, allowed (§3.5)', () => {
  const a = acl(`
    path "req" { capabilities = ["create", "update"] required_parameters = ["Name", "id"] }
    path "den" { capabilities = ["update", "read"] denied_parameters = { "no_store" = [false, "false"], "secret" = [] } }
    path "denall" { capabilities = ["update"] denied_parameters = { "*" = [] } }
    path "allow" { capabilities = ["update"] allowed_parameters = { "foo" = [], "bar" = ["zip", "zap"] } }
    path "allowstar" { capabilities = ["update"] allowed_parameters = { "*" = [] } }
    path "allowmix" { capabilities = ["update"] allowed_parameters = { "*" = [], "env" = ["prod"] } }
    path "glob" { capabilities = ["update"] allowed_parameters = { "role" = ["dev-*", "*-ro", "*mid*"] } }
    path "noparam" { capabilities = ["delete", "list", "update"] denied_parameters = { "*" = [] } required_parameters = ["x"] }
  `);
  // Required: every key present (compared lower-cased).
  assert.equal(allowed(a, 'create', 'req', { data: { name: 'n', id: 1 } }), true);
  assert.equal(allowed(a, 'create', 'req', { data: { NAME: 'n', ID: 1 } }), true);
  assert.equal(allowed(a, 'create', 'req', { data: { name: 'n' } }), false);
  assert.match(a.check({ operation: 'create', path: 'req', data: {} }).reason!, /missing required parameter "name"/);
  // No data: allowed (when nothing is required).
  assert.equal(allowed(a, 'update', 'den'), true);
  assert.equal(allowed(a, 'update', 'denall', { data: {} }), true);
  // Denied values, any value for an empty list, and the key compared lower-cased.
  assert.equal(allowed(a, 'update', 'den', { data: { no_store: true } }), true);
  assert.equal(allowed(a, 'update', 'den', { data: { no_store: false } }), false);
  assert.equal(allowed(a, 'update', 'den', { data: { NO_STORE: 'false' } }), false);
  assert.equal(allowed(a, 'update', 'den', { data: { Secret: 'x' } }), false);
  assert.equal(allowed(a, 'read', 'den', { data: { secret: 'x' } }), false, 'constraints also apply to read');
  assert.equal(allowed(a, 'update', 'denall', { data: { anything: 1 } }), false);
  // Allowed: listed keys only; values from the list; empty list = any value.
  assert.equal(allowed(a, 'update', 'allow', { data: { foo: 'whatever', bar: 'zap' } }), true);
  assert.equal(allowed(a, 'update', 'allow', { data: { bar: 'nope' } }), false);
  assert.equal(allowed(a, 'update', 'allow', { data: { FOO: 1 } }), true);
  assert.match(a.check({ operation: 'update', path: 'allow', data: { other: 1 } }).reason!, /parameter "other" is not allowed/);
  assert.equal(allowed(a, 'update', 'allowstar', { data: { any: 1, thing: 2 } }), true);
  assert.equal(allowed(a, 'update', 'allowmix', { data: { any: 1, env: 'prod' } }), true);
  assert.equal(allowed(a, 'update', 'allowmix', { data: { any: 1, env: 'dev' } }), false);
  // Globs at the start and/or end.
  for (const [role, ok] of [['dev-1', true], ['x-ro', true], ['amidb', true], ['prod-1', false], ['dev', false]] as const) {
    assert.equal(allowed(a, 'update', 'glob', { data: { role } }), ok, role);
  }
  // Values compare as typed JSON scalars: 1 is not "1".
  const typed = acl('path "t" { capabilities = ["update"] allowed_parameters = { n = [1, true] } }');
  assert.equal(allowed(typed, 'update', 't', { data: { n: 1 } }), true);
  assert.equal(allowed(typed, 'update', 't', { data: { n: true } }), true);
  assert.equal(allowed(typed, 'update', 't', { data: { n: '1' } }), false);
  // Parameter constraints are not checked for delete and list.
  assert.equal(allowed(a, 'delete', 'noparam', { data: { y: 1 } }), true);
  assert.equal(allowed(a, 'list', 'noparam/', { data: { y: 1 } }), true);
  assert.equal(allowed(a, 'update', 'noparam', { data: { y: 1 } }), false);
});

test('parameter constraints: lists in the request are checked element by element', () => {
  const a = acl(`
    path "allow" { capabilities = ["update"] allowed_parameters = { "policies" = ["a", "b-*"] } }
    path "deny" { capabilities = ["update"] denied_parameters = { "policies" = ["root"] } }
  `);
  assert.equal(allowed(a, 'update', 'allow', { data: { policies: ['a', 'b-1'] } }), true);
  assert.equal(allowed(a, 'update', 'allow', { data: { policies: ['a', 'c'] } }), false);
  assert.equal(allowed(a, 'update', 'allow', { data: { policies: [] } }), false, 'an empty list is not silently allowed');
  assert.equal(allowed(a, 'update', 'deny', { data: { policies: ['x', 'root'] } }), false);
  assert.equal(allowed(a, 'update', 'deny', { data: { policies: ['x', 'y'] } }), true);
});

test('wrapping TTL bounds', () => {
  const a = acl('path "w" { capabilities = ["read", "list"] min_wrapping_ttl = "1m" max_wrapping_ttl = "1h" }\npath "max" { capabilities = ["read"] max_wrapping_ttl = 90 }');
  assert.equal(allowed(a, 'read', 'w'), false, 'an unwrapped request is denied');
  assert.equal(allowed(a, 'read', 'w', { wrapTTL: 59 }), false);
  assert.equal(allowed(a, 'read', 'w', { wrapTTL: 60 }), true);
  assert.equal(allowed(a, 'read', 'w', { wrapTTL: 3600 }), true);
  assert.equal(allowed(a, 'read', 'w', { wrapTTL: 3601 }), false);
  assert.equal(allowed(a, 'list', 'w/', { wrapTTL: 120 }), true, 'bounds apply to every operation');
  assert.equal(allowed(a, 'list', 'w/'), false);
  assert.match(a.check({ operation: 'read', path: 'w', wrapTTL: 5000 }).reason!, /at most 3600s/);
  assert.equal(allowed(a, 'read', 'max'), false);
  assert.equal(allowed(a, 'read', 'max', { wrapTTL: 1 }), true);
});

test('capabilities(): sorted, deny when nothing matches, LIST fallback', () => {
  const a = acl(`
    path "secret/data/*" { capabilities = ["update", "read", "create", "sudo"] }
    path "secret/metadata/foo" { capabilities = ["list"] }
    path "secret/none" { capabilities = [] }
  `);
  assert.deepEqual(a.capabilities('secret/data/x'), ['create', 'read', 'sudo', 'update']);
  assert.deepEqual(a.capabilities('/secret/data/x'), ['create', 'read', 'sudo', 'update']);
  assert.deepEqual(a.capabilities('secret/metadata/foo/'), ['list']);
  assert.deepEqual(a.capabilities('nothing/here'), ['deny']);
  assert.deepEqual(a.capabilities('secret/none'), ['deny']);
});

test('hasMountAccess(): the sys/internal/ui/mounts preflight rule', () => {
  const cases: Array<[string, string, boolean]> = [
    ['path "secret/data/app/*" { capabilities = ["read"] }', 'secret/', true],
    ['path "secret/data/app" { capabilities = ["read"] }', 'secret', true],
    ['path "secret/*" { capabilities = ["list"] }', 'secret/', true],
    ['path "sec*" { capabilities = ["read"] }', 'secret/', true],
    ['path "secret" { capabilities = ["list"] }', 'secret/', true],
    ['path "secret/+/app" { capabilities = ["read"] }', 'secret/', true],
    ['path "+/data/*" { capabilities = ["read"] }', 'secret/', true],
    ['path "kv/+/x" { capabilities = ["read"] }\npath "secret/+/x" { capabilities = ["deny"] }', 'secret/', false],
    ['path "secret/data/app" { capabilities = ["deny"] }', 'secret/', false],
    ['path "secret/data/app" { capabilities = [] }', 'secret/', false],
    ['path "other/*" { capabilities = ["read"] }', 'secret/', false],
    ['path "secretive/*" { capabilities = ["read"] }', 'secret/', false],
    ['path "team/a/+/x" { capabilities = ["read"] }', 'team/b/', false],
    ['path "team/a/+/x" { capabilities = ["read"] }', 'team/a/', true],
    ['path "team/+/c*" { capabilities = ["read"] }', 'team/x/cat/', true],
    ['path "team/+/c*" { capabilities = ["read"] }', 'team/x/dog/', false],
  ];
  for (const [policy, mount, expected] of cases) {
    assert.equal(acl(policy).hasMountAccess(mount), expected, `${policy} on ${mount}`);
  }
  // The default policy alone reaches cubbyhole but not secret/.
  const def = new ACL([parsePolicy('default', DEFAULT_POLICY_TEXT)]);
  assert.equal(def.hasMountAccess('cubbyhole/'), true);
  assert.equal(def.hasMountAccess('secret/'), false);
});

test('the default and response-wrapping policies behave as in Vault', () => {
  const def = new ACL([parsePolicy('default', DEFAULT_POLICY_TEXT)]);
  assert.equal(allowed(def, 'read', 'auth/token/lookup-self'), true);
  assert.equal(allowed(def, 'update', 'auth/token/renew-self'), true);
  assert.equal(allowed(def, 'create', 'cubbyhole/my/secret'), true);
  assert.equal(allowed(def, 'list', 'cubbyhole/'), true);
  assert.equal(allowed(def, 'read', 'secret/data/x'), false);
  assert.equal(allowed(def, 'update', 'sys/tools/hash/sha2-256'), true);
  const wrap = new ACL([parsePolicy('response-wrapping', RESPONSE_WRAPPING_POLICY_TEXT)]);
  assert.equal(allowed(wrap, 'read', 'cubbyhole/response'), true);
  assert.equal(allowed(wrap, 'update', 'sys/wrapping/unwrap'), true);
  assert.equal(allowed(wrap, 'delete', 'cubbyhole/response'), false);
});

test('many rules: lookups stay correct against a brute-force reference', () => {
  // Random exact/prefix/+ rules; compare the compiled lookup with a direct implementation of §3.3.
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const segs = ['a', 'b', 'ab', 'abc', '+'];
  const patterns = new Set<string>();
  while (patterns.size < 60) {
    const depth = 1 + rand(3);
    let p = Array.from({ length: depth }, () => segs[rand(segs.length)]).join('/');
    const kind = rand(3);
    if (kind === 1) p += '*';
    if (kind === 2) p += '/*';
    if (!p.includes('+*')) patterns.add(p);
  }
  const caps = ['read', 'list', 'update', 'delete', 'create', 'patch'];
  const rules = [...patterns].map((p, i) => ({ p, cap: caps[i % caps.length]! }));
  const a = acl(rules.map((r) => `path "${r.p}" { capabilities = ["${r.cap}"] }`).join('\n'));

  type Desc = { first: number; prefix: boolean; wc: number; base: string; cap: string };
  const lower = (x: Desc, y: Desc): boolean => {
    if (x.first !== y.first) return x.first < y.first;
    if (x.prefix !== y.prefix) return x.prefix;
    if (x.wc !== y.wc) return x.wc > y.wc;
    if (x.base.length !== y.base.length) return x.base.length < y.base.length;
    return x.base < y.base;
  };
  const reference = (rawPath: string): string | undefined => {
    const path = rawPath.replace(/^\/+/, '');
    const exact = rules.find((r) => !r.p.endsWith('*') && !r.p.split('/').includes('+') && r.p === path);
    if (exact) return exact.cap;
    const found: Desc[] = [];
    let bestPrefix: Desc | undefined;
    for (const r of rules) {
      const isSeg = r.p.split('/').includes('+');
      const prefix = r.p.endsWith('*');
      const base = prefix ? r.p.slice(0, -1) : r.p;
      if (!isSeg) {
        if (prefix && path.startsWith(base) && (!bestPrefix || base.length > bestPrefix.base.length)) {
          bestPrefix = { first: base.length, prefix: true, wc: 0, base, cap: r.cap };
        }
        continue;
      }
      const ap = base.split('/');
      const pp = path.split('/');
      if (pp.length < ap.length || (!prefix && pp.length !== ap.length)) continue;
      const ok = ap.every((s, i) => s === '+' || s === pp[i] || (prefix && i === ap.length - 1 && pp[i]!.startsWith(s)));
      if (ok) found.push({ first: r.p.indexOf('+'), prefix, wc: ap.filter((s) => s === '+').length, base, cap: r.cap });
    }
    if (bestPrefix) found.push(bestPrefix);
    if (found.length === 0) return undefined;
    return found.reduce((best, d) => (lower(best, d) ? d : best)).cap;
  };
  const pathSegs = ['a', 'b', 'ab', 'abc', 'abcd', 'x', ''];
  for (let i = 0; i < 3000; i++) {
    const path = Array.from({ length: 1 + rand(4) }, () => pathSegs[rand(pathSegs.length)]).join('/');
    const expected = reference(path);
    assert.deepEqual(a.check({ operation: 'read', path }).capabilities, expected ? [expected] : [], path);
  }
});

test('longest-prefix lookup matches a brute-force scan (nested and sibling prefixes)', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const word = (max: number) => Array.from({ length: rand(max + 1) }, () => 'ab/'[rand(3)]).join('');
  for (let round = 0; round < 20; round++) {
    const keys = [...new Set(Array.from({ length: 1 + rand(40) }, () => word(6)))].filter((k) => !k.startsWith('/'));
    const caps = ['read', 'list', 'update', 'delete', 'create', 'patch', 'sudo'];
    const a = acl(keys.map((k, i) => `path "${k}*" { capabilities = ["${caps[i % caps.length]}"] }`).join('\n'));
    for (let i = 0; i < 300; i++) {
      const path = word(9).replace(/^\/+/, '');
      let best = -1;
      keys.forEach((k, j) => {
        if (path.startsWith(k) && (best < 0 || k.length > keys[best]!.length)) best = j;
      });
      const expected = best < 0 ? [] : [caps[best % caps.length]!];
      assert.deepEqual(a.check({ operation: 'read', path }).capabilities, expected, `${path} in ${JSON.stringify(keys)}`);
    }
  }
});
