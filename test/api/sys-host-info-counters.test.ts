/**
 * sys/host-info (sudo) and sys/internal/counters/tokens, in Vault's shapes.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, test } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await createTestServer();
});
after(async () => s.close());

async function tokenWithPolicy(name: string, policy: string): Promise<string> {
  assert.equal((await s.request('PUT', `/v1/sys/policies/acl/${name}`, { body: { policy } })).status, 204);
  const res = await s.request('POST', '/v1/auth/token/create', { body: { policies: [name] } });
  return res.body.auth.client_token;
}

test('sys/host-info answers Vault\'s hostutil shape for a sudo token, 403 without sudo', async () => {
  const res = await s.request('GET', '/v1/sys/host-info');
  assert.equal(res.status, 200, res.text);
  const d = res.body.data;
  assert.deepEqual(Object.keys(d).sort(), ['cpu', 'cpu_times', 'disk', 'host', 'memory', 'timestamp']);
  assert.equal(d.cpu.length, os.cpus().length);
  assert.equal(typeof d.cpu[0].modelName, 'string');
  assert.equal(typeof d.cpu_times[0].user, 'number');
  assert.equal(d.host.hostname, os.hostname());
  assert.equal(d.host.kernelVersion, os.release());
  assert.equal(d.memory.total, os.totalmem());
  assert.ok(d.memory.used > 0 && d.memory.used <= d.memory.total);
  assert.equal(d.disk[0].path, '/');
  assert.ok(d.disk[0].total > 0);
  assert.match(d.timestamp, /^2026-11-22T12:00:00(\.0+)?Z$/);

  const plain = await tokenWithPolicy('host-read', 'path "sys/host-info" { capabilities = ["read"] }');
  assert.equal((await s.request('GET', '/v1/sys/host-info', { token: plain })).status, 403);
  const sudo = await tokenWithPolicy('host-sudo', 'path "sys/host-info" { capabilities = ["read", "sudo"] }');
  assert.equal((await s.request('GET', '/v1/sys/host-info', { token: sudo })).status, 200);
});

test('sys/internal/counters/tokens counts the stored tokens', async () => {
  const count = async () => {
    const res = await s.request('GET', '/v1/sys/internal/counters/tokens');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body.data), ['counters']);
    return res.body.data.counters.service_tokens.total as number;
  };
  const before = await count();
  assert.ok(before >= 1, 'the root token at least');
  const a = (await s.request('POST', '/v1/auth/token/create', { body: {} })).body.auth.client_token;
  await s.request('POST', '/v1/auth/token/create', { body: {} });
  assert.equal(await count(), before + 2);
  assert.equal((await s.request('POST', '/v1/auth/token/revoke', { body: { token: a } })).status, 204);
  assert.equal(await count(), before + 1);
});
