/**
 * Every policy parse error sent over HTTP starts with `line N, column C: ` where the position is
 * known (syntax and semantic errors alike), so an editor can mark the line.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await createTestServer();
});
after(async () => s.close());

async function putFails(policy: string): Promise<string> {
  const res = await s.request('PUT', '/v1/sys/policies/acl/x', { body: { policy } });
  assert.equal(res.status, 400, JSON.stringify(res.body));
  return res.body.errors[0] as string;
}

describe('PUT sys/policies/acl/x: parse errors name their line and column', () => {
  it('a syntax error', async () => {
    assert.match(await putFails('path "a" {\n  capabilities = ["read"\n}'), /^failed to parse policy: line 3, column 1: expected ',' or '\]'/);
  });

  it('an invalid capability points at its capabilities key', async () => {
    const msg = await putFails('path "a" {\n  capabilities = ["read"]\n}\n\npath "b" {\n    capabilities = ["raed"]\n}');
    assert.match(msg, /^failed to parse policy: line 6, column 5: path "b" \(line 5\): invalid capability "raed"/);
  });

  it('an unknown key, a bad top-level key, a bad duration, a bad parameter block', async () => {
    assert.match(await putFails('path "a" {\n  capabilities = ["read"]\n  capabilites = ["list"]\n}'), /^failed to parse policy: line 3, column 3: .*invalid key "capabilites"/);
    assert.match(await putFails('path "a" { capabilities = ["read"] }\nfoo = 1'), /^failed to parse policy: line 2, column 1: invalid key "foo"/);
    assert.match(await putFails('path "a" {\n capabilities = ["read"]\n min_wrapping_ttl = "soon"\n}'), /^failed to parse policy: line 3, column 2: /);
    assert.match(await putFails('path "a" {\n capabilities = ["read"]\n allowed_parameters = 5\n}'), /^failed to parse policy: line 3, column 2: /);
    assert.match(await putFails('path "a+*" { capabilities = ["read"] }'), /^failed to parse policy: line 1, column \d+: .*wildcards/);
  });

  it('JSON policies have no positions: the message stays without a prefix, and nothing is stored', async () => {
    const msg = await putFails('{"path": {"a": {"capabilities": ["fly"]}}}');
    assert.match(msg, /^failed to parse policy: path "a": invalid capability "fly"/);
    assert.equal((await s.request('GET', '/v1/sys/policies/acl/x')).status, 404);
  });
});
