// Issue 7.1: an empty or slashes-only path under /v1/ once sent the mount lookup into an endless
// loop (one unauthenticated request took the whole server down). The server runs in its own
// process so a hang shows up as a request timeout here instead of freezing the test.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { boundedRequest, startServerProcess, type ServerProcess } from '../helpers/server-process.js';

const ROOT_TOKEN = 'root-for-empty-path-test';
let server: ServerProcess;

before(async () => {
  server = await startServerProcess(['--dev', '--dev-listen-address', '127.0.0.1:0', '--dev-root-token-id', ROOT_TOKEN, '--log-level', 'warn']);
});
after(async () => server?.stop());

const EMPTY_PATHS = ['/v1/', '/v1//', '/v1///', '/v1/%2F', '/v1/%2F%2F', '/v1//%2F/', '/v1/?list=true', '/v1/?help=1'];

describe('empty and slashes-only paths', () => {
  for (const token of [undefined, ROOT_TOKEN]) {
    it(`answer with a 4xx at once (${token ? 'root token' : 'no token'})`, async () => {
      const headers: Record<string, string> = token ? { 'x-vault-token': token } : {};
      for (const path of EMPTY_PATHS) {
        for (const method of ['GET', 'PUT', 'DELETE', 'LIST']) {
          const res = await boundedRequest(server.url, method, path, { headers, timeoutMs: 3000 });
          assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} → ${res.status} ${res.text}`);
          assert.ok(Array.isArray(res.body?.errors), `${method} ${path}: Vault error shape, got ${res.text}`);
        }
      }
      // With a token the caller learns there is nothing there (Vault's "no handler for route").
      if (token) assert.equal((await boundedRequest(server.url, 'GET', '/v1/', { headers, timeoutMs: 3000 })).status, 404);
    });
  }

  it('the unauthenticated UI-mounts preflight with an empty mount path answers too', async () => {
    for (const path of ['/v1/sys/internal/ui/mounts//', '/v1/sys/internal/ui/mounts/%2F']) {
      const res = await boundedRequest(server.url, 'GET', path, { timeoutMs: 3000 });
      assert.ok(res.status >= 400 && res.status < 500, `${path} → ${res.status} ${res.text}`);
    }
  });

  it('empty segments inside a path get a 400 saying so (LIST cubbyhole// was a 500)', async () => {
    const headers = { 'x-vault-token': ROOT_TOKEN, 'content-type': 'application/json' };
    for (const [method, path] of [['LIST', '/v1/cubbyhole//'], ['LIST', '/v1/cubbyhole/%2F'], ['LIST', '/v1/cubbyhole///'], ['GET', '/v1/cubbyhole//x'], ['PUT', '/v1/cubbyhole/a//b'], ['GET', '/v1/secret//data/x']]) {
      const res = await boundedRequest(server.url, method!, path!, { headers, body: method === 'PUT' ? '{"k":"v"}' : undefined, timeoutMs: 3000 });
      assert.equal(res.status, 400, `${method} ${path} → ${res.status} ${res.text}`);
      assert.match(res.body.errors[0], /empty path segments/);
    }
    // One trailing slash is how a LIST names a folder, and stays fine.
    assert.equal((await boundedRequest(server.url, 'LIST', '/v1/cubbyhole/', { headers, timeoutMs: 3000 })).status, 404);
  });

  it('the server stays healthy and serves secrets afterwards', async () => {
    assert.equal((await boundedRequest(server.url, 'GET', '/v1/sys/health', { timeoutMs: 3000 })).status, 200);
    const headers = { 'x-vault-token': ROOT_TOKEN, 'content-type': 'application/json' };
    const put = await boundedRequest(server.url, 'POST', '/v1/secret/data/after-empty-path', { headers, body: JSON.stringify({ data: { k: 'v' } }), timeoutMs: 3000 });
    assert.equal(put.status, 200, put.text);
    const read = await boundedRequest(server.url, 'GET', '/v1/secret/data/after-empty-path', { headers, timeoutMs: 3000 });
    assert.equal(read.body?.data?.data?.k, 'v');
  });
});
