/**
 * The token routes over real HTTP, through core (authentication, ACL, use counting) and the
 * Vault front, plus node-vault's token calls.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessorSeconds } from '../../src/core/tokens/random.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

const require = createRequire(import.meta.url);

describe('auth/token over HTTP', () => {
  let s: TestServer;
  before(async () => {
    s = await createTestServer();
    // `default` does not allow auth/token/create; this policy does.
    const pol = await s.request('PUT', '/v1/sys/policies/acl/token-maker', {
      body: { policy: 'path "auth/token/create" { capabilities = ["update"] }\npath "auth/token/create-orphan" { capabilities = ["update"] }\n' },
    });
    assert.equal(pol.status, 204, pol.text);
  });
  after(async () => { await s.close(); });

  async function create(body: Record<string, unknown>, token?: string): Promise<{ token: string; accessor: string; body: any }> {
    const res = await s.request('POST', '/v1/auth/token/create', { body, token });
    assert.equal(res.status, 200, res.text);
    return { token: res.body.auth.client_token, accessor: res.body.auth.accessor, body: res.body };
  }

  it('issues distinct, uniformly drawn tokens and accessors (the pooled random source)', async () => {
    // 300 tokens use more than the 4 KiB pool once over, so a refill is crossed too.
    const tokens = new Set<string>();
    const accessors = new Set<string>();
    const counts = new Map<string, number>();
    for (let i = 0; i < 300; i++) {
      const t = await create({ policies: ['default'], ttl: '1h' });
      assert.match(t.token, /^hvs\.[A-Za-z0-9]{32}$/);
      assert.match(t.accessor, /^[A-Za-z0-9]{24}$/);
      tokens.add(t.token);
      accessors.add(t.accessor);
      // An accessor is its creation second (6 characters) and 18 random ones.
      assert.equal(accessorSeconds(t.accessor), Math.floor(s.clock.now() / 1000));
      for (const c of t.token.slice(4) + t.accessor.slice(6)) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    assert.equal(tokens.size, 300, 'no token repeats');
    assert.equal(accessors.size, 300, 'no accessor repeats');
    // 15,000 random characters over 62 symbols: ~242 each. A biased or stuck source is far outside these bounds.
    assert.equal(counts.size, 62, 'every base62 character occurs');
    for (const [c, n] of counts) assert.ok(n > 160 && n < 330, `character ${c} drawn ${n} times`);
  });

  it('creates a token: 200, envelope with auth and data null', async () => {
    const res = await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'], ttl: '1h', meta: { app: 'web' } } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data, null);
    assert.equal(res.body.warnings, null);
    const auth = res.body.auth;
    assert.match(auth.client_token, /^hvs\.[A-Za-z0-9]{32}$/);
    assert.match(auth.accessor, /^[A-Za-z0-9]{24}$/);
    assert.deepEqual(auth.policies, ['default']);
    assert.deepEqual(auth.token_policies, ['default']);
    assert.deepEqual(auth.metadata, { app: 'web' });
    assert.equal(auth.lease_duration, 3600);
    assert.equal(auth.renewable, true);
    assert.equal(auth.entity_id, '');
    assert.equal(auth.token_type, 'service');
    assert.equal(auth.orphan, false);
    assert.equal(auth.mfa_requirement, null);
    assert.equal(auth.num_uses, 0);
  });

  it('looks up the calling token (allowed by the default policy)', async () => {
    const { token, accessor } = await create({ policies: ['default'], ttl: '1h' });
    const res = await s.request('GET', '/v1/auth/token/lookup-self', { token });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.id, token);
    assert.equal(res.body.data.accessor, accessor);
    assert.equal(res.body.data.path, 'auth/token/create');
    assert.equal(res.body.data.ttl, 3600);
    assert.equal(res.body.data.type, 'service');
    assert.match(res.body.data.expire_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  });

  it('shows the root token with path auth/token/root and no expiry', async () => {
    const res = await s.request('GET', '/v1/auth/token/lookup-self');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.data.path, 'auth/token/root');
    assert.equal(res.body.data.ttl, 0);
    assert.equal(res.body.data.expire_time, null);
    assert.deepEqual(res.body.data.policies, ['root']);
  });

  it('answers 403 bad token for lookup of an unknown token, 400 invalid accessor for an unknown accessor', async () => {
    const a = await s.request('POST', '/v1/auth/token/lookup', { body: { token: 'hvs.nosuchtokenatall' } });
    assert.equal(a.status, 403);
    assert.deepEqual(a.body.errors, ['bad token']);
    const b = await s.request('POST', '/v1/auth/token/lookup-accessor', { body: { accessor: 'nosuchaccessor' } });
    assert.equal(b.status, 400);
    assert.deepEqual(b.body.errors, ['invalid accessor']);
  });

  it('refuses a child policy the caller does not hold', async () => {
    const { token } = await create({ policies: ['default'] });
    const maker = await create({ policies: ['token-maker'] });
    const bad = await s.request('POST', '/v1/auth/token/create', { token: maker.token, body: { policies: ['root'] } });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.errors, ['child policies must be subset of parent']);
    const ok = await s.request('POST', '/v1/auth/token/create', { token: maker.token, body: { policies: ['token-maker'] } });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.body.auth.policies, ['default', 'token-maker']);
    // A token with only `default` may not create tokens at all.
    assert.equal((await s.request('POST', '/v1/auth/token/create', { token, body: {} })).status, 403);
  });

  it('expires tokens on the clock', async () => {
    const { token } = await create({ policies: ['default'], ttl: '60s' });
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token })).status, 200);
    s.clock.advance(60_000);
    const res = await s.request('GET', '/v1/auth/token/lookup-self', { token });
    assert.equal(res.status, 403);
    assert.ok(res.body.errors.some((e: string) => e.includes('permission denied')));
  });

  it('enforces num_uses: the last use is served, the next request is 403', async () => {
    const { token } = await create({ policies: ['default'], num_uses: 2 });
    const first = await s.request('GET', '/v1/auth/token/lookup-self', { token });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.data.num_uses, 1);
    const second = await s.request('GET', '/v1/auth/token/lookup-self', { token });
    assert.equal(second.status, 200, second.text);
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token })).status, 403);
  });

  it('renews with a capped TTL and the warning', async () => {
    const { token } = await create({ policies: ['default'], ttl: '1h', explicit_max_ttl: '90m' });
    s.clock.advance(59 * 60_000); // 31 minutes left before the explicit max
    const res = await s.request('POST', '/v1/auth/token/renew-self', { token, body: { increment: '1h' } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.auth.lease_duration, 1860);
    assert.equal(res.body.auth.client_token, token);
    assert.deepEqual(res.body.warnings, ['TTL of "1h0m0s" exceeded the effective max_ttl of "31m0s"; TTL value is capped accordingly']);
    const looked = await s.request('GET', '/v1/auth/token/lookup-self', { token });
    assert.equal(looked.body.data.ttl, 1860);
    assert.ok(looked.body.data.last_renewal_time > 0);
  });

  it('revoke-self is 204 and revokes the children too', async () => {
    const parent = await create({ policies: ['token-maker'] });
    const child = await create({ policies: ['token-maker'] }, parent.token);
    const orphan = await s.request('POST', '/v1/auth/token/create-orphan', { token: parent.token, body: {} });
    assert.equal(orphan.status, 200, orphan.text);
    assert.equal(orphan.body.auth.orphan, true);
    const res = await s.request('POST', '/v1/auth/token/revoke-self', { token: parent.token });
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token: parent.token })).status, 403);
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token: child.token })).status, 403);
    // The orphan survives its creator.
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token: orphan.body.auth.client_token })).status, 200);
  });

  it('revoke revokes recursively', async () => {
    const parent = await create({ policies: ['token-maker'] });
    const child = await create({ policies: ['token-maker'] }, parent.token);
    assert.equal((await s.request('POST', '/v1/auth/token/revoke', { body: { token: parent.token } })).status, 204);
    assert.equal((await s.request('GET', '/v1/auth/token/lookup-self', { token: child.token })).status, 403);
  });

  it('lists accessors with a real LIST for root only', async () => {
    const { token, accessor } = await create({ policies: ['default'] });
    const res = await s.request('LIST', '/v1/auth/token/accessors');
    assert.equal(res.status, 200, res.text);
    assert.ok(res.body.data.keys.includes(accessor));
    const viaQuery = await s.request('GET', '/v1/auth/token/accessors?list=true');
    assert.equal(viaQuery.status, 200, viaQuery.text);
    assert.equal((await s.request('LIST', '/v1/auth/token/accessors', { token })).status, 403);
  });

  it('works with node-vault\'s token calls', async () => {
    const vault = require('node-vault')({ endpoint: s.url, token: s.rootToken });
    const created = await vault.tokenCreate({ policies: ['default'], ttl: '1h' });
    const token = created.auth.client_token;
    // tokenCreate is a "token source": node-vault now uses the new token.
    assert.equal(vault.token, token);
    const self = await vault.tokenLookupSelf();
    assert.equal(self.data.id, token);
    const renewed = await vault.tokenRenewSelf({ increment: '30m' });
    assert.equal(renewed.auth.lease_duration, 1800);
    await vault.tokenRevokeSelf();
    await assert.rejects(vault.tokenLookupSelf(), (err: any) => err.response?.statusCode === 403);

    const admin = require('node-vault')({ endpoint: s.url, token: s.rootToken });
    const accessors = await admin.tokenAccessors();
    assert.ok(Array.isArray(accessors.data.keys));
  });
});

describe('auth/token over HTTP with persistent storage', () => {
  it('keeps tokens across a restart and expires them afterwards', async () => {
    // Our own directory: the harness deletes a temp dir it made itself on close.
    const dir = mkdtempSync(join(tmpdir(), 'coffer-tokens-'));
    const first = await createTestServer({ storage: 'sqlite', dir, rootTokenId: 'root' });
    let token: string;
    let accessor: string;
    try {
      const res = await first.request('POST', '/v1/auth/token/create', { body: { policies: ['default'], ttl: '1h' } });
      assert.equal(res.status, 200, res.text);
      token = res.body.auth.client_token;
      accessor = res.body.auth.accessor;
    } finally {
      await first.close().catch(() => {});
    }
    const second = await createTestServer({ storage: 'sqlite', dir, rootTokenId: 'root' });
    try {
      assert.equal((await second.request('GET', '/v1/auth/token/lookup-self', { token })).status, 200);
      second.clock.advance(2 * 3600_000);
      assert.equal((await second.request('GET', '/v1/auth/token/lookup-self', { token })).status, 403);
      await second.core.tick();
      const res = await second.request('POST', '/v1/auth/token/lookup-accessor', { body: { accessor } });
      assert.equal(res.status, 400, 'the sweeper removed the expired token and its accessor');
    } finally {
      await second.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
