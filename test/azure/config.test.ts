/**
 * The Key Vault base domain: `azure { base_domain = "..." }` in the server config and
 * `devBaseDomain` on the server options, validated (two or more DNS labels) and used for host
 * routing and the challenge resource.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { httpRequest } from '../helpers/server.js';
import { ConfigError, parseServerConfig } from '../../src/server/config.js';
import { runServer } from '../../src/server/run.js';

describe('Key Vault base domain', () => {
  it('is read from the azure block, lower-cased; bad values and unknown keys are config errors', () => {
    assert.equal(parseServerConfig('storage "inmem" {}\nazure { base_domain = "KV.Example.Internal." }', 'c.hcl').azureBaseDomain, 'kv.example.internal');
    assert.equal(parseServerConfig('storage "inmem" {}', 'c.hcl').azureBaseDomain, undefined);
    assert.throws(() => parseServerConfig('storage "inmem" {}\nazure { base_domain = "localhost" }', 'c.hcl'), (err: Error) => err instanceof ConfigError && /c\.hcl: azure: .*one label: use two or more/.test(err.message));
    assert.throws(() => parseServerConfig('storage "inmem" {}\nazure { base_domain = "a..b" }', 'c.hcl'), ConfigError);
    assert.throws(() => parseServerConfig('storage "inmem" {}\nazure { domain = "a.b" }', 'c.hcl'), /unknown setting "domain"/);
  });

  it('devBaseDomain moves the vault hosts and the challenge resource', async () => {
    const server = await runServer({ dev: true, devListenAddress: '127.0.0.1:0', devBaseDomain: 'KV.Example.Internal', quiet: true, logLevel: 'silent' });
    try {
      const port = new URL(server.url).port;
      const res = await httpRequest(server.url, 'GET', '/secrets?api-version=7.4', { headers: { host: `myvault.kv.example.internal:${port}` } });
      assert.equal(res.status, 401);
      assert.equal(res.headers['www-authenticate'], `Bearer authorization="http://kv.example.internal:${port}/adfs", resource="http://kv.example.internal:${port}"`);
      const old = await httpRequest(server.url, 'GET', '/secrets?api-version=7.4', { headers: { host: `myvault.vault.localhost:${port}` } });
      assert.equal(old.status, 404);
      assert.ok(Array.isArray(old.body.errors), 'not a Key Vault host any more');
    } finally {
      await server.close();
    }
  });

  it('an invalid devBaseDomain fails the start with a clear message', async () => {
    await assert.rejects(runServer({ dev: true, devListenAddress: '127.0.0.1:0', devBaseDomain: '127.0.0.1', quiet: true, logLevel: 'silent' }), (err: Error) => err instanceof ConfigError && /base domain/.test(err.message));
  });
});
