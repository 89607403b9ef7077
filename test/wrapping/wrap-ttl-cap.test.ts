/**
 * X-Vault-Wrap-TTL beyond the system max: the wrapping token is capped at 768h, and the
 * response reports the TTL that was applied, with a warning.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

const SYSTEM_MAX = 768 * 3600;
let s: TestServer;
before(async () => {
  s = await createTestServer();
});
after(async () => s.close());

test('a wrap TTL above the system max reports the capped TTL and warns', async () => {
  await s.request('POST', '/v1/secret/data/capped', { body: { data: { k: 'v' } } });
  const res = await s.request('GET', '/v1/secret/data/capped', { headers: { 'x-vault-wrap-ttl': '99999999999h' } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.wrap_info.ttl, SYSTEM_MAX);
  assert.ok(Array.isArray(res.body.warnings), `warnings expected: ${res.text}`);
  assert.match(res.body.warnings.join('\n'), /capped/);
  assert.match(res.body.warnings.join('\n'), /768h/);

  const token = res.body.wrap_info.token;
  const lookup = await s.request('POST', '/v1/sys/wrapping/lookup', { token: null, body: { token } });
  assert.equal(lookup.body.data.creation_ttl, SYSTEM_MAX);
  // It lives exactly the reported TTL.
  s.clock.advance(SYSTEM_MAX * 1000);
  const expired = await s.request('POST', '/v1/sys/wrapping/unwrap', { token });
  assert.equal(expired.status, 400);
});

test('a wrap TTL within the max is reported as asked, without warnings', async () => {
  const res = await s.request('POST', '/v1/sys/wrapping/wrap', { body: { a: 'b' }, headers: { 'x-vault-wrap-ttl': '2h' } });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.wrap_info.ttl, 7200);
  assert.equal(res.body.warnings, null);
});
