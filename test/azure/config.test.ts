/**
 * The Key Vault base domain: `azure { base_domain = "..." }` in the server config and
 * `devBaseDomain` on the server options, validated (two or more DNS labels) and used for host
 * routing, the challenge resource and (without api_addr) the token issuer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseServerConfig } from '../../src/server/config.js';
import { runServer } from '../../src/server/run.js';
import { startTlsServer } from './fixtures/harness.js';

describe('Key Vault base domain', () => {
  it('is read from the azure block, lower-cased; bad values and unknown keys are config errors', () => {
    assert.equal(parseServerConfig('storage "inmem" {}\nazure { base_domain = "KV.Example.Internal." }', 'c.hcl').azureBaseDomain, 'kv.example.internal');
    assert.equal(parseServerConfig('storage "inmem" {}', 'c.hcl').azureBaseDomain, undefined);
    assert.throws(() => parseServerConfig('storage "inmem" {}\nazure { base_domain = "localhost" }', 'c.hcl'), (err: Error) => err instanceof ConfigError && /c\.hcl: azure: .*one label: use two or more/.test(err.message));
    assert.throws(() => parseServerConfig('storage "inmem" {}\nazure { base_domain = "a..b" }', 'c.hcl'), ConfigError);
    assert.throws(() => parseServerConfig('storage "inmem" {}\nazure { domain = "a.b" }', 'c.hcl'), /unknown setting "domain"/);
  });

  it('devBaseDomain moves the vault hosts, the challenge resource and the token issuer', async () => {
    const server = await startTlsServer({ devBaseDomain: 'KV.Example.Internal' });
    try {
      const port = server.port;
      const res = await server.raw('GET', '/secrets?api-version=7.4', { host: `myvault.kv.example.internal:${port}` });
      assert.equal(res.status, 401);
      assert.equal(res.headers['www-authenticate'], `Bearer authorization="https://kv.example.internal:${port}/adfs", resource="https://kv.example.internal:${port}"`);
      const oidc = await server.raw('GET', '/adfs/.well-known/openid-configuration');
      assert.equal(oidc.body.issuer, `https://kv.example.internal:${port}/adfs`);
      const old = await server.raw('GET', '/secrets?api-version=7.4', { host: `myvault.vault.localhost:${port}` });
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
