// sys/tools/random and sys/tools/hash (Vault's general-purpose tools) through the real node-vault
// client: byte counts, formats, algorithms, clear 400s; the default policy grants hash, not random.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import nodeVault from 'node-vault';
import { createTestServer, type TestServer } from '../helpers/server.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('sys/tools', () => {
  let server: TestServer;
  let vault: ReturnType<typeof nodeVault>;
  before(async () => {
    server = await createTestServer();
    vault = nodeVault({ endpoint: server.url, token: server.rootToken });
  });
  after(() => server?.close());

  it('random: 32 base64 bytes by default, a count in the path or body, hex on request', async () => {
    assert.equal(Buffer.from((await vault.write('sys/tools/random', {})).data.random_bytes, 'base64').length, 32);
    assert.equal(Buffer.from((await vault.write('sys/tools/random/64', {})).data.random_bytes, 'base64').length, 64);
    assert.match((await vault.write('sys/tools/random/platform/8', { format: 'hex' })).data.random_bytes, /^[0-9a-f]{16}$/);
    const a = (await vault.write('sys/tools/random', { bytes: 16 })).data.random_bytes;
    const b = (await vault.write('sys/tools/random', { bytes: 16 })).data.random_bytes;
    assert.notEqual(a, b);
    const bad = await server.request('POST', '/v1/sys/tools/random', { body: { format: 'base32' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0], /must be "hex" or "base64"/);
    assert.equal((await server.request('POST', '/v1/sys/tools/random/abc')).status, 400);
  });

  it('hash: sha2-256 hex by default, other algorithms and base64 output, bad input refused', async () => {
    assert.equal((await vault.write('sys/tools/hash', { input: b64('hello') })).data.sum, createHash('sha256').update('hello').digest('hex'));
    assert.equal((await vault.write('sys/tools/hash/sha2-512', { input: b64('hello'), format: 'base64' })).data.sum, createHash('sha512').update('hello').digest('base64'));
    assert.equal((await vault.write('sys/tools/hash', { input: b64('x'), algorithm: 'sha3-256' })).data.sum, createHash('sha3-256').update('x').digest('hex'));
    const bad = await server.request('POST', '/v1/sys/tools/hash/md5', { body: { input: b64('x') } });
    assert.equal(bad.status, 400, bad.text);
  });

  it('the default policy allows hash but not random', async () => {
    const token = (await vault.tokenCreate({ policies: ['default'] })).auth.client_token;
    const hashed = await server.request('POST', '/v1/sys/tools/hash', { token, body: { input: b64('a') } });
    assert.equal(hashed.status, 200, hashed.text);
    assert.equal((await server.request('POST', '/v1/sys/tools/random', { token, body: {} })).status, 403);
  });
});
