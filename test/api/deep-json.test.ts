// Issue 7.7: a body nested a few thousand levels deep overflowed the stack in audit hashing and
// came back as a 500 ("audit log could not be written"), on the Vault front and through Key
// Vault `tags`. Both fronts now refuse nesting deeper than 64 levels with a 400 that says so.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { startTlsServer } from '../azure/fixtures/harness.js';

/** `levels` nested objects around `leaf`: nest(2, '"x"') is `{"a":{"a":"x"}}`. */
const nest = (levels: number, leaf = '"leaf"') => '{"a":'.repeat(levels) + leaf + '}'.repeat(levels);

let s: TestServer;
let dir: string;
before(async () => {
  s = await createTestServer();
  dir = mkdtempSync(join(tmpdir(), 'coffer-deep-'));
  // Hashing for the audit log is where the stack overflowed, so a device must be on.
  assert.equal((await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: join(dir, 'audit.log') } } })).status, 204);
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('deeply nested JSON', () => {
  it('Vault front: thousands of levels get a 400 naming the limit, and nothing is written', async () => {
    for (const [method, path, headers] of [
      ['POST', '/v1/secret/data/deep', { 'content-type': 'application/json' }],
      ['PUT', '/v1/cubbyhole/deep', {}],
      ['PATCH', '/v1/secret/data/deep', { 'content-type': 'application/merge-patch+json' }],
    ] as const) {
      const res = await s.request(method, path, { rawBody: `{"data":${nest(4500)}}`, headers });
      assert.equal(res.status, 400, `${method} ${path}: ${res.text.slice(0, 300)}`);
      assert.match(res.body.errors[0], /error parsing JSON body: the JSON is nested more than 64 levels deep/);
    }
    // Arrays count too.
    const arrays = await s.request('POST', '/v1/secret/data/deep', { rawBody: `{"data":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}` });
    assert.equal(arrays.status, 400, arrays.text.slice(0, 300));
    assert.equal((await s.request('GET', '/v1/secret/data/deep')).status, 404, 'nothing was written');
    assert.equal((await s.request('GET', '/v1/cubbyhole/deep')).status, 404, 'nothing was written');
  });

  it('Vault front: 64 levels (the outer object included) are fine, 65 are not; brackets inside strings do not count', async () => {
    const ok = await s.request('POST', '/v1/secret/data/deep64', { rawBody: `{"data":${nest(63)}}` });
    assert.equal(ok.status, 200, ok.text.slice(0, 300));
    const read = await s.request('GET', '/v1/secret/data/deep64');
    assert.equal(JSON.stringify(read.body.data.data), nest(62, '{"a":"leaf"}'));
    const tooDeep = await s.request('POST', '/v1/secret/data/deep65', { rawBody: `{"data":${nest(64)}}` });
    assert.equal(tooDeep.status, 400);
    const brackets = '['.repeat(1000) + '{'.repeat(1000) + '\\"' + '['.repeat(10);
    const inString = await s.request('POST', '/v1/secret/data/brackets', { rawBody: `{"data":{"v":"${brackets}"}}` });
    assert.equal(inString.status, 200, inString.text.slice(0, 300));
  });

  it('Key Vault front: deep tags get a 400 BadParameter, not a 500', async () => {
    // The Key Vault API is HTTPS only: a TLS dev server of its own, with audit on (where it overflowed).
    const tls = await startTlsServer();
    try {
      assert.equal((await tls.api('PUT', 'sys/audit/file', { type: 'file', options: { file_path: join(dir, 'kv-audit.log') } })).status, 204);
      assert.equal((await tls.api('POST', 'sys/mounts/keyvault/deepvault', { type: 'keyvault' })).status, 204);
      const kv = (body: string) =>
        tls.raw('PUT', '/secrets/deep?api-version=7.4', {
          host: `deepvault.vault.localhost:${tls.port}`,
          body,
          headers: { authorization: `Bearer ${tls.rootToken}`, 'content-type': 'application/json' },
        });
      const res = await kv(`{"value":"v","tags":${nest(4500)}}`);
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assert.equal(res.body.error.code, 'BadParameter');
      assert.match(res.body.error.message, /nested more than 64 levels deep/);
      const fine = await kv('{"value":"v","tags":{"team":"a"}}');
      assert.equal(fine.status, 200, fine.text.slice(0, 300));
      assert.equal((await tls.api('GET', 'sys/health')).status, 200);
    } finally {
      await tls.close();
    }
  });

  it('the audit log kept working and the server is healthy', async () => {
    assert.equal((await s.request('GET', '/v1/sys/health')).status, 200);
    const lines = readFileSync(join(dir, 'audit.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => l.type === 'response' && l.request?.path === 'secret/data/deep64'));
  });
});
