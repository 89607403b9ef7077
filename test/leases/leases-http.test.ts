// Leases through the HTTP API. No shipped engine issues leases yet (KV does not), so this test
// mounts a small dynamic engine of its own that hands out credentials with leases and records
// revocations, the way a database engine would.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BackendFactory } from '../../src/core/backend.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

const revoked: string[] = [];
const dynamicEngine: BackendFactory = {
  type: 'test-dynamic',
  kind: 'secret',
  create: () => ({
    routes: [
      {
        pattern: /^creds\/(?<role>[^/]+)$/,
        operations: {
          read: async (req) => {
            const username = `${req.params.role}-${Math.random().toString(36).slice(2, 8)}`;
            return { data: { username, password: 'generated' }, lease: { ttl: 60, maxTTL: 300, renewable: true, internal: { username } } };
          },
        },
      },
    ],
    revokeLease: async (internal) => {
      revoked.push(String(internal.username));
    },
  }),
};

let s: TestServer;
before(async () => {
  s = await createTestServer({ extraFeatures: [dynamicEngine] });
  await s.request('POST', '/v1/sys/mounts/db', { body: { type: 'test-dynamic' } });
});
after(async () => s.close());

describe('leases', () => {
  it('a dynamic secret carries a lease that can be looked up, renewed (capped) and revoked', async () => {
    const creds = await s.request('GET', '/v1/db/creds/app');
    assert.equal(creds.status, 200);
    assert.match(creds.body.lease_id, /^db\/creds\/app\/.+/);
    assert.equal(creds.body.lease_duration, 60);
    assert.equal(creds.body.renewable, true);
    const id = creds.body.lease_id;

    const look = await s.request('PUT', '/v1/sys/leases/lookup', { body: { lease_id: id } });
    assert.equal(look.body.data.id, id);
    assert.equal(look.body.data.ttl, 60);

    s.clock.advance(30_000);
    const renewed = await s.request('PUT', '/v1/sys/leases/renew', { body: { lease_id: id, increment: '1h' } });
    assert.equal(renewed.status, 200);
    assert.equal(renewed.body.lease_id, id);
    assert.equal(renewed.body.lease_duration, 270, 'capped by the 300 s max TTL');
    assert.match(renewed.body.warnings[0], /capped/);

    const listed = await s.request('LIST', '/v1/sys/leases/lookup/db/creds/app/');
    assert.equal(listed.body.data.keys.length, 1);

    assert.equal((await s.request('PUT', '/v1/sys/leases/revoke', { body: { lease_id: id } })).status, 204);
    assert.ok(revoked.includes(creds.body.data.username));
    assert.equal((await s.request('PUT', '/v1/sys/leases/lookup', { body: { lease_id: id } })).status, 400);
    assert.equal((await s.request('PUT', '/v1/sys/leases/renew', { body: { lease_id: id } })).status, 400);
  });

  it('expired leases are revoked by the expiration manager', async () => {
    const creds = await s.request('GET', '/v1/db/creds/expiring');
    s.clock.advance(61_000);
    await s.core.tick();
    assert.ok(revoked.includes(creds.body.data.username));
    assert.equal((await s.request('PUT', '/v1/sys/leases/lookup', { body: { lease_id: creds.body.lease_id } })).status, 400);
  });

  it('revoke-prefix needs sudo and revokes everything under the prefix', async () => {
    const a = await s.request('GET', '/v1/db/creds/bulk');
    const b = await s.request('GET', '/v1/db/creds/bulk');
    await s.request('PUT', '/v1/sys/policies/acl/lease-nosudo', { body: { policy: 'path "sys/leases/*" { capabilities = ["update"] }' } });
    const t = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['lease-nosudo'] } })).body.auth.client_token;
    assert.equal((await s.request('PUT', '/v1/sys/leases/revoke-prefix/db/creds/bulk', { token: t })).status, 403);
    assert.equal((await s.request('PUT', '/v1/sys/leases/revoke-prefix/db/creds/bulk')).status, 204);
    assert.ok(revoked.includes(a.body.data.username) && revoked.includes(b.body.data.username));
  });

  it('leases survive in storage: disabling the mount revokes them', async () => {
    const c = await s.request('GET', '/v1/db/creds/unmount');
    assert.equal((await s.request('DELETE', '/v1/sys/mounts/db')).status, 204);
    assert.ok(revoked.includes(c.body.data.username));
  });
});

describe('leases across a restart', () => {
  it('a lease issued before a restart is revoked on time after it', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'coffer-lease-restart-'));
    try {
      const first = await createTestServer({ dir, extraFeatures: [dynamicEngine], rootTokenId: 'root' });
      await first.request('POST', '/v1/sys/mounts/db', { body: { type: 'test-dynamic' } });
      const creds = await first.request('GET', '/v1/db/creds/restart');
      assert.equal(creds.status, 200);
      await first.close();

      const second = await createTestServer({ dir, extraFeatures: [dynamicEngine], rootTokenId: 'root' });
      try {
        assert.equal((await second.request('PUT', '/v1/sys/leases/lookup', { body: { lease_id: creds.body.lease_id } })).status, 200);
        assert.equal(revoked.includes(creds.body.data.username), false);
        second.clock.advance(61_000);
        await second.core.tick();
        assert.ok(revoked.includes(creds.body.data.username), 'revoked by the new process');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
