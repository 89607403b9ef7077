import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dataOf, H768, makeTokens, T0 } from './dispatch.js';

const AUTH_KEYS = ['accessor', 'client_token', 'entity_id', 'lease_duration', 'metadata', 'mfa_requirement', 'num_uses',
  'orphan', 'policies', 'renewable', 'token_policies', 'token_type'];
const LOOKUP_KEYS = ['accessor', 'creation_time', 'creation_ttl', 'display_name', 'entity_id', 'expire_time', 'explicit_max_ttl',
  'id', 'issue_time', 'meta', 'num_uses', 'orphan', 'path', 'policies', 'renewable', 'ttl', 'type'];

describe('auth/token/create', () => {
  it('answers with the auth block of spec §1.1 and no data', async () => {
    const h = await makeTokens();
    const res = await h.call('update', 'create', { policies: ['p1'] });
    assert.equal(res?.data, null);
    assert.equal(res?.warnings, undefined);
    const auth = res!.auth!;
    assert.deepEqual(Object.keys(auth).sort(), AUTH_KEYS);
    assert.match(auth.client_token, /^hvs\.[A-Za-z0-9]{32}$/);
    assert.deepEqual({ ...auth, client_token: '', accessor: '' }, {
      client_token: '', accessor: '', policies: ['default', 'p1'], token_policies: ['default', 'p1'], metadata: null,
      lease_duration: H768, renewable: true, entity_id: '', token_type: 'service', orphan: false, mfa_requirement: null, num_uses: 0,
    });
    const entry = (await h.store.lookup(auth.client_token))!;
    assert.equal(entry.accessor, auth.accessor);
    assert.equal(entry.path, 'auth/token/create');
    assert.equal(entry.parent, (await h.store.lookup(h.rootToken))!.id);
  });

  it('takes the CLI\'s string forms: ttl "1h", num_uses "3", policies "a,b", meta as JSON text', async () => {
    const h = await makeTokens();
    const res = await h.call('update', 'create', {
      policies: 'p1, p2', ttl: '1h', num_uses: '3', explicit_max_ttl: '2h', meta: '{"app":"web"}', display_name: 'my app!', renewable: 'false',
    });
    const auth = res!.auth!;
    assert.deepEqual(auth.policies, ['default', 'p1', 'p2']);
    assert.equal(auth.lease_duration, 3600);
    assert.equal(auth.num_uses, 3);
    assert.equal(auth.renewable, false);
    assert.deepEqual(auth.metadata, { app: 'web' });
    const entry = (await h.store.lookup(auth.client_token))!;
    assert.equal(entry.displayName, 'token-my-app');
    assert.equal(entry.explicitMaxTTL, 7200);
  });

  it('inherits the caller\'s policies when none are given (default only if the parent has it)', async () => {
    const h = await makeTokens();
    const rootChild = await h.call('update', 'create', {});
    assert.deepEqual(rootChild!.auth!.policies, ['root']);
    assert.equal(rootChild!.auth!.lease_duration, 0, 'a root child with no ttl never expires, like its parent');
    assert.equal(rootChild!.auth!.renewable, false);

    const parent = await h.mint({ policies: ['p1', 'p2'], no_default_policy: true });
    const child = await h.call('update', 'create', {}, parent);
    assert.deepEqual(child!.auth!.policies, ['p1', 'p2']);
  });

  it('lets a non-root caller grant only a subset of its own policies', async () => {
    const h = await makeTokens();
    const parent = await h.mint({ policies: ['p1', 'p2'] });
    const ok = await h.call('update', 'create', { policies: ['p2'] }, parent);
    assert.deepEqual(ok!.auth!.policies, ['default', 'p2']);
    const err = await h.fail('update', 'create', { policies: ['p2', 'p3'] }, parent);
    assert.equal(err.status, 400);
    assert.deepEqual(err.messages, ['child policies must be subset of parent']);
    const rootErr = await h.fail('update', 'create', { policies: ['root'] }, parent);
    assert.deepEqual(rootErr.messages, ['child policies must be subset of parent']);
  });

  it('adds default unless no_default_policy', async () => {
    const h = await makeTokens();
    assert.deepEqual((await h.call('update', 'create', { policies: ['p1'] }))!.auth!.policies, ['default', 'p1']);
    assert.deepEqual((await h.call('update', 'create', { policies: ['p1'], no_default_policy: true }))!.auth!.policies, ['p1']);
    // A non-root parent without default does not pass it on.
    const parent = await h.mint({ policies: ['p1'], no_default_policy: true });
    assert.deepEqual((await h.call('update', 'create', { policies: ['p1'] }, parent))!.auth!.policies, ['p1']);
  });

  it('warns about policies that do not exist and refuses internal ones', async () => {
    const h = await makeTokens();
    const res = await h.call('update', 'create', { policies: ['p1', 'nope'] });
    assert.deepEqual(res!.warnings, ['Policy "nope" does not exist']);
    const err = await h.fail('update', 'create', { policies: ['response-wrapping'] });
    assert.deepEqual(err.messages, ['cannot assign policy "response-wrapping"']);
  });

  it('needs root for no_parent, id and period; create-orphan needs none of it', async () => {
    const h = await makeTokens();
    const user = await h.mint({ policies: ['p1'] });
    assert.deepEqual((await h.fail('update', 'create', { no_parent: true }, user)).messages, ['root or sudo privileges required to create orphan token']);
    assert.deepEqual((await h.fail('update', 'create', { id: 'mine' }, user)).messages, ['root or sudo privileges required to specify token id']);
    assert.deepEqual((await h.fail('update', 'create', { period: '1h' }, user)).messages, ['root or sudo privileges required to create periodic token']);

    const orphan = await h.call('update', 'create-orphan', {}, user);
    assert.equal(orphan!.auth!.orphan, true);
    assert.equal((await h.store.lookup(orphan!.auth!.client_token))!.path, 'auth/token/create-orphan');

    const rootOrphan = await h.call('update', 'create', { no_parent: true, policies: ['p1'] });
    assert.equal(rootOrphan!.auth!.orphan, true);
    const custom = await h.call('update', 'create', { id: 'my-own-token', policies: ['p1'] });
    assert.equal(custom!.auth!.client_token, 'my-own-token');
    const periodic = await h.call('update', 'create', { period: '2h', policies: ['p1'] });
    assert.equal(periodic!.auth!.lease_duration, 7200);
  });

  it('refuses children of a use-limited token, negative num_uses and use-limited batch tokens', async () => {
    const h = await makeTokens();
    const limited = await h.mint({ policies: ['p1'], num_uses: 5 });
    assert.deepEqual((await h.fail('update', 'create', {}, limited)).messages, ['restricted use token cannot generate child tokens']);
    assert.deepEqual((await h.fail('update', 'create', { num_uses: -1 })).messages, ['number of uses cannot be negative']);
    assert.deepEqual((await h.fail('update', 'create', { type: 'batch', num_uses: 2 })).messages, ['batch tokens cannot have "num_uses" set']);
  });

  it('caps a TTL above the mount max with a warning', async () => {
    const h = await makeTokens({ mountMaxTTL: 3600 });
    const res = await h.call('update', 'create', { policies: ['p1'], ttl: '2h' });
    assert.equal(res!.auth!.lease_duration, 3600);
    assert.deepEqual(res!.warnings, ['TTL of "2h0m0s" exceeded the effective max_ttl of "1h0m0s"; TTL value is capped accordingly']);
  });
});

describe('auth/token/lookup*', () => {
  it('lookup-self returns exactly the fields of spec §2.6', async () => {
    const h = await makeTokens();
    const token = await h.mint({ policies: ['p1'], ttl: '1h', meta: { team: 'a' } });
    h.clock.advance(600_000);
    const data = dataOf(await h.call('read', 'lookup-self', {}, token));
    assert.deepEqual(Object.keys(data).sort(), LOOKUP_KEYS);
    const entry = (await h.store.lookup(token))!;
    assert.deepEqual(data, {
      accessor: entry.accessor,
      creation_time: T0 / 1000,
      creation_ttl: 3600,
      display_name: 'token',
      entity_id: '',
      expire_time: '2026-11-22T05:00:00.000000000Z',
      explicit_max_ttl: 0,
      id: token,
      issue_time: '2026-11-22T04:00:00.000000000Z',
      meta: { team: 'a' },
      num_uses: 0,
      orphan: false,
      path: 'auth/token/create',
      policies: ['default', 'p1'],
      renewable: true,
      ttl: 3000,
      type: 'service',
    });
  });

  it('shows the root token as Vault does', async () => {
    const h = await makeTokens();
    const data = dataOf(await h.call('read', 'lookup-self'));
    assert.equal(data.id, 'root');
    assert.equal(data.path, 'auth/token/root');
    assert.equal(data.ttl, 0);
    assert.equal(data.expire_time, null);
    assert.deepEqual(data.policies, ['root']);
    assert.equal(data.renewable, false);
    assert.equal(data.orphan, true);
    assert.equal(data.meta, null);
  });

  it('lookup takes a token in the body (or the caller\'s when none) and answers 403 bad token for unknown ones', async () => {
    const h = await makeTokens();
    const token = await h.mint({ policies: ['p1'] });
    assert.equal(dataOf(await h.call('update', 'lookup', { token })).id, token);
    assert.equal(dataOf(await h.call('read', 'lookup', { token })).id, token);
    assert.equal(dataOf(await h.call('update', 'lookup', {}, token)).id, token);
    const err = await h.fail('update', 'lookup', { token: 'hvs.unknown' });
    assert.equal(err.status, 403);
    assert.deepEqual(err.messages, ['bad token']);
  });

  it('lookup-accessor hides the token id; unknown accessors are 400 invalid accessor', async () => {
    const h = await makeTokens();
    const res = await h.call('update', 'create', { policies: ['p1'] });
    const data = dataOf(await h.call('update', 'lookup-accessor', { accessor: res!.auth!.accessor }));
    assert.equal(data.id, '');
    assert.equal(data.accessor, res!.auth!.accessor);
    assert.deepEqual(data.policies, ['default', 'p1']);
    const bad = await h.fail('update', 'lookup-accessor', { accessor: 'nope' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.messages, ['invalid accessor']);
    assert.deepEqual((await h.fail('update', 'lookup-accessor', {})).messages, ['missing accessor']);
  });

  it('counts the lookup request itself as a use', async () => {
    const h = await makeTokens();
    const token = await h.mint({ policies: ['p1'], num_uses: 2 });
    assert.equal(dataOf(await h.call('read', 'lookup-self', {}, token)).num_uses, 1);
    // The last use still sees its own token; afterwards it is gone.
    assert.equal(dataOf(await h.call('read', 'lookup-self', {}, token)).num_uses, 0);
    const err = await h.fail('read', 'lookup-self', {}, token);
    assert.equal(err.status, 403);
    assert.equal(await h.store.lookupByHash(await h.store.hashToken(token), { includePending: true }), undefined);
  });
});

describe('auth/token/renew*', () => {
  it('renew-self returns a new lease_duration, capped with a warning at the max', async () => {
    const h = await makeTokens({ mountMaxTTL: 7200 });
    const token = await h.mint({ policies: ['p1'], ttl: '1h' });
    h.clock.advance(1800_000);
    const res = await h.call('update', 'renew-self', {}, token);
    assert.equal(res!.auth!.client_token, token);
    assert.equal(res!.auth!.lease_duration, 3600);
    assert.equal(res!.warnings, undefined);
    h.clock.advance(3000_000); // 4800s after issue: 2400s left
    const capped = await h.call('update', 'renew-self', { increment: '1h' }, token);
    assert.equal(capped!.auth!.lease_duration, 2400);
    assert.deepEqual(capped!.warnings, ['TTL of "1h0m0s" exceeded the effective max_ttl of "40m0s"; TTL value is capped accordingly']);
    assert.equal(dataOf(await h.call('read', 'lookup-self', {}, token)).ttl, 2400);
  });

  it('renew takes {token}; renew-accessor never shows the token', async () => {
    const h = await makeTokens();
    const res = await h.call('update', 'create', { policies: ['p1'], ttl: '10m' });
    const { client_token: token, accessor } = res!.auth!;
    const r1 = await h.call('update', 'renew', { token, increment: 1200 });
    assert.equal(r1!.auth!.client_token, token);
    assert.equal(r1!.auth!.lease_duration, 1200);
    const r2 = await h.call('update', 'renew-accessor', { accessor, increment: '30m' });
    assert.equal(r2!.auth!.client_token, '');
    assert.equal(r2!.auth!.lease_duration, 1800);
    assert.deepEqual((await h.fail('update', 'renew', {})).messages, ['missing token ID']);
    assert.deepEqual((await h.fail('update', 'renew', { token: 'hvs.gone' })).messages, ['token not found']);
    assert.deepEqual((await h.fail('update', 'renew-accessor', { accessor: 'nope' })).messages, ['invalid accessor']);
  });

  it('refuses to renew non-renewable and root tokens', async () => {
    const h = await makeTokens();
    const token = await h.mint({ policies: ['p1'], renewable: false });
    const err = await h.fail('update', 'renew-self', {}, token);
    assert.equal(err.status, 400);
    assert.deepEqual(err.messages, ['lease is not renewable']);
    assert.deepEqual((await h.fail('update', 'renew-self', {})).messages, ['lease is not renewable']);
  });
});

describe('auth/token/revoke*', () => {
  it('revoke is recursive and answers 204 (null), also for unknown tokens', async () => {
    const h = await makeTokens();
    const parent = await h.mint({ policies: ['p1'] });
    const child = await h.mint({ policies: ['p1'] }, parent);
    assert.equal(await h.call('update', 'revoke', { token: parent }), null);
    assert.equal(await h.store.lookup(parent), undefined);
    assert.equal(await h.store.lookup(child), undefined);
    assert.equal(await h.call('update', 'revoke', { token: 'hvs.unknown' }), null);
    assert.deepEqual((await h.fail('update', 'revoke', {})).messages, ['missing token ID']);
  });

  it('revoke-self revokes the caller and its children', async () => {
    const h = await makeTokens();
    const me = await h.mint({ policies: ['p1'] });
    const child = await h.mint({ policies: ['p1'] }, me);
    assert.equal(await h.call('update', 'revoke-self', {}, me), null);
    assert.equal(await h.store.lookup(me), undefined);
    assert.equal(await h.store.lookup(child), undefined);
    assert.equal((await h.fail('read', 'lookup-self', {}, me)).status, 403);
  });

  it('revoke-accessor revokes; an unknown accessor only warns', async () => {
    const h = await makeTokens();
    const res = await h.call('update', 'create', { policies: ['p1'] });
    assert.equal(await h.call('update', 'revoke-accessor', { accessor: res!.auth!.accessor }), null);
    assert.equal(await h.store.lookup(res!.auth!.client_token), undefined);
    const again = await h.call('update', 'revoke-accessor', { accessor: res!.auth!.accessor });
    assert.deepEqual(again!.warnings, ['No token found with this accessor']);
  });

  it('revoke-orphan is a sudo path, keeps the children as orphans, 400 for unknown tokens', async () => {
    const h = await makeTokens();
    const parent = await h.mint({ policies: ['p1'] });
    const child = await h.mint({ policies: ['p1'] }, parent);
    assert.ok(h.backend.routes.find((r) => r.pattern.test('revoke-orphan'))!.sudo);
    assert.equal((await h.fail('update', 'revoke-orphan', { token: parent }, parent)).status, 403);
    assert.equal(await h.call('update', 'revoke-orphan', { token: parent }), null);
    assert.equal(await h.store.lookup(parent), undefined);
    assert.equal(dataOf(await h.call('read', 'lookup-self', {}, child)).orphan, true);
    assert.deepEqual((await h.fail('update', 'revoke-orphan', { token: parent })).messages, ['token to revoke not found']);
  });
});

describe('auth/token/accessors', () => {
  it('lists every accessor for sudo callers only', async () => {
    const h = await makeTokens();
    const res = await h.call('update', 'create', { policies: ['p1'] });
    const keys = dataOf(await h.call('list', 'accessors/')).keys as string[];
    assert.ok(keys.includes(res!.auth!.accessor));
    assert.ok(keys.includes((await h.store.lookup(h.rootToken))!.accessor));
    assert.equal(keys.length, 2);
    assert.equal((await h.fail('list', 'accessors/', {}, res!.auth!.client_token)).status, 403);
  });
});

describe('auth/token/roles', () => {
  it('writes, reads, lists and deletes roles with Vault field names', async () => {
    const h = await makeTokens();
    assert.equal(await h.call('update', 'roles/web', { allowed_policies: 'p1,p2', token_explicit_max_ttl: 43200, orphan: true }), null);
    const data = dataOf(await h.call('read', 'roles/web'));
    assert.deepEqual(data.allowed_policies, ['p1', 'p2']);
    assert.equal(data.token_explicit_max_ttl, 43200);
    assert.equal(data.orphan, true);
    assert.equal(data.renewable, true);
    assert.equal(data.token_type, 'default-service');
    assert.equal(data.name, 'web');
    // An update keeps fields it does not mention.
    await h.call('update', 'roles/web', { renewable: false });
    assert.deepEqual(dataOf(await h.call('read', 'roles/web')).allowed_policies, ['p1', 'p2']);
    assert.deepEqual(dataOf(await h.call('list', 'roles/')).keys, ['web']);
    assert.equal(await h.call('delete', 'roles/web'), null);
    assert.equal((await h.fail('read', 'roles/web')).status, 404);
  });

  it('creates tokens against a role: allowed policies, disallowed, orphan, explicit max, path suffix', async () => {
    const h = await makeTokens();
    await h.call('update', 'roles/web', {
      allowed_policies: ['p1', 'p2'], disallowed_policies: ['p3'], orphan: true, token_explicit_max_ttl: '1h', path_suffix: 'ver1',
    });
    const user = await h.mint({ policies: ['p3'] });
    // Roles grant their allowed policies regardless of the caller's.
    const res = await h.call('update', 'create/web', { policies: ['p2'] }, user);
    const auth = res!.auth!;
    assert.deepEqual(auth.policies, ['default', 'p2']);
    assert.equal(auth.orphan, true);
    assert.equal(auth.lease_duration, 3600);
    const looked = dataOf(await h.call('update', 'lookup', { token: auth.client_token }));
    assert.equal(looked.path, 'auth/token/create/web/ver1');
    assert.equal(looked.role, 'web');
    assert.equal(looked.explicit_max_ttl, 3600);

    // No policies asked: the role's allowed list.
    assert.deepEqual((await h.call('update', 'create/web', {}))!.auth!.policies, ['default', 'p1', 'p2']);
    const notAllowed = await h.fail('update', 'create/web', { policies: ['p3'] });
    assert.match(notAllowed.messages[0]!, /^token policies \(\["default" "p3"\]\) must be subset of the role's allowed policies/);
    await h.call('update', 'roles/deny', { disallowed_policies: 'p3' });
    assert.deepEqual((await h.fail('update', 'create/deny', { policies: ['p3'] })).messages, ['token policy "p3" is disallowed by this role']);
    assert.deepEqual((await h.fail('update', 'create/missing', {})).messages, ['unknown role missing']);
  });

  it('checks role fields', async () => {
    const h = await makeTokens();
    assert.match((await h.fail('update', 'roles/x', { path_suffix: 'a/b' })).messages[0]!, /path suffix contains invalid characters/);
    assert.match((await h.fail('update', 'roles/x', { token_type: 'batch', token_period: '1h' })).messages[0]!, /cannot be 'batch' or 'default-batch' when set to generate periodic tokens/);
    assert.match((await h.fail('update', 'roles/x', { token_type: 'bulk' })).messages[0]!, /invalid 'token_type' value/);
    assert.match((await h.fail('update', 'roles/x', { token_bound_cidrs: 'not-a-cidr' })).messages[0]!, /invalid CIDR/);
  });
});
