import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { isCofferError } from '../../src/core/errors.js';
import { accessorSeconds } from '../../src/core/tokens/random.js';
import { PENDING_GRACE_MS, REVOCATION_PENDING, TokenStore, type TokenEntry } from '../../src/core/tokens/store.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { allKeys, dump, H768, T0 } from './dispatch.js';

function setup(opts: { storage?: MemoryStorage; clock?: ManualClock } = {}) {
  const clock = opts.clock ?? new ManualClock(T0);
  const storage = opts.storage ?? new MemoryStorage();
  const store = new TokenStore({ storage, now: () => clock.now() });
  return { clock, storage, store };
}

async function rejects400(p: Promise<unknown>, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isCofferError(err), `expected CofferError, got ${String(err)}`);
    assert.equal(err.status, 400);
    if (typeof message === 'string') assert.equal(err.messages[0], message);
    else assert.match(err.messages[0]!, message);
    return true;
  });
}

const S = 1000;
const H = 3600 * S;

describe('token store: format and hashing', () => {
  it('issues hvs. tokens with 32 base62 characters and 24-character accessors, all distinct', async () => {
    const { store } = setup();
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const { token, entry } = await store.create({ policies: ['p1'], path: 'auth/token/create' });
      assert.match(token, /^hvs\.[A-Za-z0-9]{32}$/);
      assert.match(entry.accessor, /^[A-Za-z0-9]{24}$/);
      assert.ok(!seen.has(token) && !seen.has(entry.accessor));
      seen.add(token);
      seen.add(entry.accessor);
    }
  });

  it('stores neither tokens nor anything derived without the salt; keys are h + HMAC-SHA256(salt, token)', async () => {
    const { store, storage } = setup();
    const root = await store.create({ id: 'myCustomRootId42', policies: ['root'], path: 'auth/token/root' });
    const child = await store.create({ policies: ['p1'], parent: root.entry.id, path: 'auth/token/create', numUses: 3, meta: { app: 'x' } });
    const grandchild = await store.create({ policies: ['p1'], parent: child.entry.id, path: 'auth/token/create' });
    await store.useToken(child.entry);
    await store.renew(grandchild.entry, 60);

    const everything = await dump(storage);
    for (const t of [root.token, child.token, grandchild.token]) {
      assert.ok(!everything.includes(t), 'a raw token is in storage');
      assert.ok(!everything.includes(t.slice(4)), 'the random part of a token is in storage');
    }
    const salt = await storage.get('salt');
    assert.equal(salt?.length, 32);
    const expected = 'h' + createHmac('sha256', Buffer.from(salt!)).update(child.token).digest('hex');
    assert.equal(child.entry.id, expected);
    assert.ok((await allKeys(storage)).includes(`id/${expected}`));
    assert.equal(await store.hashToken(child.token), expected);
  });

  it('keeps the salt across restarts, so old tokens still resolve', async () => {
    const { store, storage, clock } = setup();
    const { token } = await store.create({ policies: ['p1'], path: 'auth/token/create' });
    const again = new TokenStore({ storage, now: () => clock.now() });
    assert.ok(await again.lookup(token));
    // A store over other storage has another salt: the same token hashes differently.
    const other = setup();
    await other.store.create({ policies: ['p1'], path: 'x' });
    assert.notEqual(await other.store.hashToken(token), await store.hashToken(token));
  });

  it('accepts the short constructor form new TokenStore(storage, now)', async () => {
    const clock = new ManualClock(T0);
    const store = new TokenStore(new MemoryStorage(), () => clock.now());
    const { token, entry } = await store.create({ policies: ['p1'], path: 'x', ttl: 10 });
    assert.equal(entry.expireTime, T0 + 10 * S);
    assert.ok(await store.lookup(token));
  });

  it('returns undefined for unknown, empty and malformed tokens and hashes', async () => {
    const { store } = setup();
    await store.create({ policies: ['p1'], path: 'x' });
    assert.equal(await store.lookup('hvs.doesnotexist'), undefined);
    assert.equal(await store.lookup(''), undefined);
    assert.equal(await store.lookupByHash('id/../salt'), undefined);
    assert.equal(await store.lookupByAccessor('nope'), undefined);
  });
});

describe('token store: creation rules', () => {
  it('sanitizes policies and adds default unless noDefaultPolicy', async () => {
    const { store } = setup();
    assert.deepEqual((await store.create({ policies: [' P2', 'p1', 'p1'], path: 'x' })).entry.policies, ['default', 'p1', 'p2']);
    assert.deepEqual((await store.create({ policies: ['p1'], noDefaultPolicy: true, path: 'x' })).entry.policies, ['p1']);
    assert.deepEqual((await store.create({ policies: ['p1', 'root'], path: 'x' })).entry.policies, ['root']);
  });

  it('defaults the TTL to 768h, caps a longer request with Vault\'s warning, honours mount TTLs', async () => {
    const { store } = setup();
    const def = await store.create({ policies: ['p1'], path: 'x' });
    assert.equal(def.entry.ttl, H768);
    assert.equal(def.entry.expireTime, T0 + H768 * S);
    assert.deepEqual(def.warnings, []);

    const long = await store.create({ policies: ['p1'], path: 'x', ttl: 8760 * 3600 });
    assert.equal(long.entry.ttl, H768);
    assert.deepEqual(long.warnings, ['TTL of "8760h0m0s" exceeded the effective max_ttl of "768h0m0s"; TTL value is capped accordingly']);

    const mount = await store.create({ policies: ['p1'], path: 'x', mountDefaultTTL: 600, mountMaxTTL: 3600 });
    assert.equal(mount.entry.ttl, 600);
    const capped = await store.create({ policies: ['p1'], path: 'x', ttl: 7200, mountMaxTTL: 3600 });
    assert.equal(capped.entry.ttl, 3600);
    assert.equal(capped.entry.maxTTL, 3600);
  });

  it('lets explicit_max_ttl and an issuer max cap the TTL', async () => {
    const { store } = setup();
    const e = await store.create({ policies: ['p1'], path: 'x', ttl: 7200, explicitMaxTTL: 1800 });
    assert.equal(e.entry.ttl, 1800);
    assert.equal(e.entry.explicitMaxTTL, 1800);
    assert.match(e.warnings[0]!, /TTL of "2h0m0s" exceeded the effective max_ttl of "30m0s"/);
    const b = await store.create({ policies: ['p1'], path: 'x', maxTTL: 900 });
    assert.equal(b.entry.ttl, 900);
  });

  it('gives root tokens without a TTL no expiry and no renewability; an explicit max still binds them', async () => {
    const { store } = setup();
    const root = await store.create({ policies: ['root'], path: 'auth/token/root' });
    assert.equal(root.entry.ttl, 0);
    assert.equal(root.entry.expireTime, 0);
    assert.equal(root.entry.renewable, false);
    assert.equal(root.entry.creationTTL, 0);
    const bounded = await store.create({ policies: ['root'], path: 'x', explicitMaxTTL: 60 });
    assert.equal(bounded.entry.ttl, 60);
    // An expiring root token cannot mint a non-expiring one.
    await rejects400(store.create({ policies: ['root'], path: 'x', parent: bounded.entry.id }), 'expiring root tokens cannot create non-expiring root tokens');
  });

  it('validates caller-chosen ids and refuses duplicates', async () => {
    const { store } = setup();
    const { token } = await store.create({ id: 'root', policies: ['root'], path: 'auth/token/root' });
    assert.equal(token, 'root');
    assert.ok(await store.lookup('root'));
    await rejects400(store.create({ id: '', policies: ['p1'], path: 'x' }), /non-empty/);
    await rejects400(store.create({ id: 'a.b', policies: ['p1'], path: 'x' }), 'custom token id cannot contain "."');
    await rejects400(store.create({ id: 'root', policies: ['root'], path: 'x' }), 'cannot create a token with a duplicate ID');
  });

  it('refuses a parent that is unknown, expired or revoked', async () => {
    const { store, clock } = setup();
    const p = await store.create({ policies: ['p1'], path: 'x', ttl: 10 });
    await rejects400(store.create({ policies: ['p1'], path: 'x', parent: 'h' + '0'.repeat(64) }), 'parent token lookup failed: no parent found');
    clock.advance(10 * S);
    await rejects400(store.create({ policies: ['p1'], path: 'x', parent: p.entry.id }), 'parent token lookup failed: no parent found');
  });

  it('hands out frozen entries so a caller cannot corrupt the cache', async () => {
    const { store } = setup();
    const { token } = await store.create({ policies: ['p1'], path: 'x' });
    const entry = (await store.lookup(token))!;
    assert.throws(() => (entry.policies as string[]).push('root'));
    assert.throws(() => { (entry as { ttl: number }).ttl = 1; });
    assert.deepEqual((await store.lookup(token))!.policies, ['default', 'p1']);
  });
});

describe('token store: expiry and the sweeper', () => {
  it('treats a token as gone from the moment now >= expireTime', async () => {
    const { store, clock } = setup();
    const { token } = await store.create({ policies: ['p1'], path: 'x', ttl: 60 });
    clock.advance(59_999);
    assert.ok(await store.lookup(token));
    clock.advance(1);
    assert.equal(await store.lookup(token), undefined);
  });

  it('sweeps expired tokens after a restart (a new store over the same storage), leaving live ones', async () => {
    const { store, storage, clock } = setup();
    const short = await store.create({ policies: ['p1'], path: 'x', ttl: 60 });
    const shortChild = await store.create({ policies: ['p1'], path: 'x', ttl: 3600, parent: short.entry.id });
    const long = await store.create({ policies: ['p1'], path: 'x', ttl: 3600 });
    const root = await store.create({ policies: ['root'], path: 'x' });

    clock.advance(61 * S);
    const restarted = new TokenStore({ storage, now: () => clock.now() });
    const revoked: string[] = [];
    restarted.onRevoke(async (hash) => { revoked.push(hash); });
    assert.equal(await restarted.sweepExpired(), 1);

    // The expired token and its child (revocation is recursive) are gone with all their keys.
    assert.deepEqual(revoked, [shortChild.entry.id, short.entry.id]);
    const keys = await allKeys(storage);
    assert.ok(!keys.some((k) => k.includes(short.entry.id) || k.includes(shortChild.entry.id)), keys.join('\n'));
    assert.equal(await restarted.lookupByAccessor(short.entry.accessor), undefined);
    assert.ok(await restarted.lookup(long.token));
    assert.ok(await restarted.lookup(root.token));
    // Only the live expiring token remains in the expiry index.
    assert.deepEqual(keys.filter((k) => k.startsWith('expire/')), [`expire/${String(long.entry.expireTime).padStart(16, '0')}_${long.entry.id}`]);
    // A second pass has nothing to do.
    assert.equal(await restarted.sweepExpired(), 0);
  });

  it('reads only the due part of the expiry index', async () => {
    const { store, storage, clock } = setup();
    for (let i = 1; i <= 20; i++) await store.create({ policies: ['p1'], path: 'x', ttl: i * 60 });
    const listed: string[][] = [];
    const origList = storage.list.bind(storage);
    storage.list = async (prefix, options) => {
      const out = await origList(prefix, options);
      if (prefix === 'expire/') listed.push(out);
      return out;
    };
    clock.advance(5 * 60 * S);
    assert.equal(await store.sweepExpired(), 5);
    assert.equal((await allKeys(storage)).filter((k) => k.startsWith('id/')).length, 15);
    assert.ok(listed.length >= 1);
  });

  it('moves a token in the expiry index when it is renewed, so the sweeper does not revoke it early', async () => {
    const { store, storage, clock } = setup();
    const { token, entry } = await store.create({ policies: ['p1'], path: 'x', ttl: 60 });
    clock.advance(30 * S);
    await store.renew(entry, 600);
    clock.advance(60 * S);
    assert.equal(await store.sweepExpired(), 0);
    assert.ok(await store.lookup(token));
    assert.equal((await allKeys(storage)).filter((k) => k.startsWith('expire/')).length, 1);
  });

  it('startSweeper runs on a timer and can be stopped', async () => {
    const { store, clock } = setup();
    const { token } = await store.create({ policies: ['p1'], path: 'x', ttl: 1 });
    clock.advance(2 * S);
    let revoked = 0;
    store.onRevoke(async () => { revoked++; });
    const stop = store.startSweeper(5);
    try {
      for (let i = 0; i < 200 && revoked === 0; i++) await new Promise((r) => setTimeout(r, 5));
    } finally {
      stop();
    }
    assert.equal(revoked, 1);
    assert.equal(await store.lookupByHash(await store.hashToken(token), { includePending: true }), undefined);
  });
});

describe('token store: revocation', () => {
  async function tree() {
    const s = setup();
    const root = await s.store.create({ policies: ['root'], path: 'auth/token/root' });
    const a = await s.store.create({ policies: ['p1'], path: 'x', parent: root.entry.id });
    const b = await s.store.create({ policies: ['p1'], path: 'x', parent: a.entry.id });
    const c = await s.store.create({ policies: ['p1'], path: 'x', parent: b.entry.id });
    const d = await s.store.create({ policies: ['p1'], path: 'x', parent: a.entry.id });
    return { ...s, root, a, b, c, d };
  }

  it('revokes recursively, children before parents, and leaves nothing behind', async () => {
    const t = await tree();
    const order: string[] = [];
    t.store.onRevoke(async (hash, entry) => {
      assert.equal(entry.id, hash);
      order.push(hash);
    });
    await t.store.revoke(t.a.entry.id);
    for (const x of [t.a, t.b, t.c, t.d]) assert.equal(await t.store.lookup(x.token), undefined);
    assert.ok(await t.store.lookup(t.root.token));
    assert.equal(order.length, 4);
    assert.ok(order.indexOf(t.c.entry.id) < order.indexOf(t.b.entry.id));
    assert.ok(order.indexOf(t.b.entry.id) < order.indexOf(t.a.entry.id));
    assert.ok(order.indexOf(t.d.entry.id) < order.indexOf(t.a.entry.id));
    const keys = await allKeys(t.storage);
    assert.ok(!keys.some((k) => [t.a, t.b, t.c, t.d].some((x) => k.includes(x.entry.id))), keys.join('\n'));
    assert.deepEqual(await t.store.listAccessors(), [t.root.entry.accessor]);
    // Revoking something unknown is a no-op.
    await t.store.revoke(t.a.entry.id);
  });

  it('revoke-orphan keeps the children and makes them orphans', async () => {
    const t = await tree();
    await t.store.revokeOrphan(t.a.entry.id);
    assert.equal(await t.store.lookup(t.a.token), undefined);
    for (const x of [t.b, t.d]) {
      const e = (await t.store.lookup(x.token))!;
      assert.equal(e.parent, '');
      assert.equal(e.orphan, true);
    }
    // The grandchild keeps its parent.
    assert.equal((await t.store.lookup(t.c.token))!.parent, t.b.entry.id);
    // Revoking the old grandparent no longer reaches them; revoking b still takes c.
    await t.store.revoke(t.root.entry.id);
    assert.ok(await t.store.lookup(t.b.token));
    await t.store.revoke(t.b.entry.id);
    assert.equal(await t.store.lookup(t.c.token), undefined);
    assert.ok(await t.store.lookup(t.d.token));
    // The orphaning survives a restart.
    const again = new TokenStore({ storage: t.storage, now: () => t.clock.now() });
    assert.equal((await again.lookup(t.d.token))!.orphan, true);
  });

  it('revokes by accessor and reports unknown accessors', async () => {
    const t = await tree();
    assert.equal(await t.store.revokeByAccessor('no-such-accessor'), false);
    assert.equal(await t.store.revokeByAccessor(t.b.entry.accessor), true);
    assert.equal(await t.store.lookup(t.b.token), undefined);
    assert.equal(await t.store.lookup(t.c.token), undefined);
    assert.ok(await t.store.lookup(t.d.token));
  });

  it('revokes every token created under a path prefix', async () => {
    const { store } = setup();
    const a = await store.create({ policies: ['p1'], path: 'auth/approle/login' });
    const b = await store.create({ policies: ['p1'], path: 'auth/approle/login' });
    const c = await store.create({ policies: ['p1'], path: 'auth/userpass/login/bob' });
    assert.equal(await store.revokeByPathPrefix('auth/approle/'), 2);
    assert.equal(await store.lookup(a.token), undefined);
    assert.equal(await store.lookup(b.token), undefined);
    assert.ok(await store.lookup(c.token));
  });

  it('a failing hook leaves the token dead but stored; the sweeper finishes the job after the grace time', async () => {
    const { store, storage, clock } = setup();
    const { token, entry } = await store.create({ policies: ['p1'], path: 'x' });
    let fail = true;
    const seen: string[] = [];
    store.onRevoke(async (hash) => {
      seen.push(hash);
      if (fail) throw new Error('cubbyhole wipe failed');
    });
    await assert.rejects(store.revoke(entry.id), /cubbyhole wipe failed/);
    assert.equal(await store.lookup(token), undefined, 'a half-revoked token must not authenticate');
    assert.ok((await allKeys(storage)).includes(`id/${entry.id}`));

    fail = false;
    assert.equal(await store.sweepExpired(), 0, 'within the grace time the sweeper leaves it');
    clock.advance(PENDING_GRACE_MS);
    assert.equal(await store.sweepExpired(), 1);
    assert.deepEqual(seen, [entry.id, entry.id]);
    assert.ok(!(await allKeys(storage)).some((k) => k.includes(entry.id)));
  });

  it('invalidates the cache on revoke, so a cached token stops working at once', async () => {
    const { store } = setup();
    const { token, entry } = await store.create({ policies: ['p1'], path: 'x' });
    assert.ok(await store.lookup(token)); // now cached
    await store.revoke(entry.id);
    assert.equal(await store.lookup(token), undefined);
  });

  it('keeps a token in use cached while many new tokens churn the bounded cache', async () => {
    const clock = new ManualClock(T0);
    const store = new TokenStore({ storage: new MemoryStorage(), now: () => clock.now(), cacheSize: 100 });
    const { token } = await store.create({ policies: ['p1'], path: 'x' });
    const first = (await store.create({ policies: ['p1'], path: 'x' })).token;
    for (let i = 0; i < 1000; i++) {
      await store.create({ policies: ['p1'], path: 'x' });
      if (i % 40 === 0) {
        const misses = store.cacheStats.misses;
        assert.ok(await store.lookup(token));
        assert.equal(store.cacheStats.misses, misses, `the token in use was evicted after ${i} creations`);
      }
    }
    const misses = store.cacheStats.misses;
    assert.ok(await store.lookup(first)); // not used since: evicted, read from storage
    assert.equal(store.cacheStats.misses, misses + 1);
  });
});

describe('token store: num_uses', () => {
  it('counts uses, marks the last one pending, and expects a revoke after that request', async () => {
    const { store } = setup();
    const { token, entry } = await store.create({ policies: ['p1'], path: 'x', numUses: 2 });
    const first = (await store.useToken(entry))!;
    assert.equal(first.revokeAfterRequest, false);
    assert.equal(first.entry.numUses, 1);
    assert.equal((await store.lookup(token))!.numUses, 1);

    const second = (await store.useToken((await store.lookup(token))!))!;
    assert.equal(second.revokeAfterRequest, true);
    assert.equal(second.entry.numUses, REVOCATION_PENDING);
    // Other requests no longer see it; the running request still does.
    assert.equal(await store.lookup(token), undefined);
    assert.ok(await store.lookupByHash(entry.id, { includePending: true }));
    assert.equal(await store.useToken(second.entry), undefined);

    await store.revoke(entry.id);
    assert.equal(await store.lookupByHash(entry.id, { includePending: true }), undefined);
  });

  it('unlimited tokens cost nothing to use', async () => {
    const { store, storage } = setup();
    const { entry } = await store.create({ policies: ['p1'], path: 'x' });
    const before = await dump(storage);
    const r = (await store.useToken(entry))!;
    assert.equal(r.revokeAfterRequest, false);
    assert.equal(await dump(storage), before);
  });

  it('never grants more uses than allowed under concurrency', async () => {
    const { store } = setup();
    const { entry } = await store.create({ policies: ['p1'], path: 'x', numUses: 3 });
    const results = await Promise.all(Array.from({ length: 6 }, () => store.useToken(entry)));
    const granted = results.filter((r) => r !== undefined);
    assert.equal(granted.length, 3);
    assert.equal(granted.filter((r) => r!.revokeAfterRequest).length, 1);
  });

  it('a used-up token whose revoke never came (crash) is swept after a restart', async () => {
    const { store, storage, clock } = setup();
    const { entry } = await store.create({ policies: ['p1'], path: 'x', numUses: 1 });
    assert.equal((await store.useToken(entry))!.revokeAfterRequest, true);
    // "crash": no revoke. A new process over the same storage:
    const restarted = new TokenStore({ storage, now: () => clock.now() });
    assert.equal(await restarted.sweepExpired(), 0, 'its last request might still be running');
    clock.advance(PENDING_GRACE_MS);
    assert.equal(await restarted.sweepExpired(), 1);
    assert.ok(!(await allKeys(storage)).some((k) => k.includes(entry.id)));
  });
});

describe('token store: renewal', () => {
  it('renews to the original TTL, caps at the max TTL with Vault\'s warning, then the token expires', async () => {
    // A login-style token: ttl 1h, max 4h.
    const { store, clock } = setup();
    const { token, entry } = await store.create({ policies: ['p1'], path: 'auth/approle/login', ttl: 3600, maxTTL: 4 * 3600 });
    clock.advance(0.5 * H);
    let r = await store.renew(entry);
    assert.equal(r.ttl, 3600);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.entry.expireTime, clock.now() + 3600 * S);
    assert.equal(r.entry.lastRenewalTime, clock.now());

    for (let i = 0; i < 2; i++) {
      clock.advance(0.9 * H);
      r = await store.renew(r.entry);
      assert.equal(r.ttl, 3600);
    }
    clock.advance(0.9 * H); // 3.2h after issue: 48 minutes left
    r = await store.renew(r.entry);
    assert.equal(r.ttl, 2880);
    assert.deepEqual(r.warnings, ['TTL of "1h0m0s" exceeded the effective max_ttl of "48m0s"; TTL value is capped accordingly']);
    assert.equal(r.entry.expireTime, T0 + 4 * H);

    clock.advance(0.8 * H); // exactly the max
    assert.equal(await store.lookup(token), undefined);
    await rejects400(store.renew(r.entry), 'token not found');
  });

  it('honours an increment, capped by explicit_max_ttl', async () => {
    const { store, clock } = setup();
    const { entry } = await store.create({ policies: ['p1'], path: 'x', ttl: 600, explicitMaxTTL: 3600 });
    clock.advance(60 * S);
    let r = await store.renew(entry, 1200);
    assert.equal(r.ttl, 1200);
    for (let i = 0; i < 2; i++) {
      clock.advance(1000 * S);
      r = await store.renew(r.entry, 1200);
      assert.equal(r.ttl, 1200);
    }
    clock.advance(1000 * S); // 3060s after issue: 540s left
    r = await store.renew(r.entry, 1200);
    assert.equal(r.ttl, 540);
    assert.equal(r.warnings.length, 1);
  });

  it('renews periodic tokens to their period, past the system max TTL', async () => {
    const { store, clock } = setup();
    const { token, entry } = await store.create({ policies: ['p1'], path: 'x', period: 3600 });
    assert.equal(entry.ttl, 3600);
    let cur: TokenEntry = entry;
    for (let i = 0; i < 1000; i++) {
      clock.advance(3000 * S);
      const r = await store.renew(cur, 99999);
      assert.equal(r.ttl, 3600);
      cur = r.entry;
    }
    assert.ok(clock.now() - T0 > H768 * S, 'ran past the 768h max');
    assert.ok(await store.lookup(token));
  });

  it('refuses non-renewable and non-expiring tokens', async () => {
    const { store } = setup();
    const fixed = await store.create({ policies: ['p1'], path: 'x', renewable: false });
    await rejects400(store.renew(fixed.entry), 'lease is not renewable');
    const root = await store.create({ policies: ['root'], path: 'auth/token/root' });
    await rejects400(store.renew(root.entry), 'lease is not renewable');
  });
});

describe('token store: accessors', () => {
  it('looks tokens up by accessor and lists every accessor', async () => {
    const { store } = setup();
    const a = await store.create({ policies: ['p1'], path: 'x' });
    const b = await store.create({ policies: ['p2'], path: 'x', ttl: 5 });
    assert.equal((await store.lookupByAccessor(a.entry.accessor))!.id, a.entry.id);
    assert.deepEqual(await store.listAccessors(), [a.entry.accessor, b.entry.accessor].sort());
    await store.revoke(b.entry.id);
    assert.deepEqual(await store.listAccessors(), [a.entry.accessor]);
    assert.equal(await store.hashForAccessor(b.entry.accessor), undefined);
  });

  it('keys the accessor index by the creation second the accessor carries, so entries written together sit together', async () => {
    const { store, storage, clock } = setup();
    const first = await store.create({ policies: ['p1'], path: 'x' });
    clock.advance(1500);
    const second = await store.create({ policies: ['p1'], path: 'x' });
    const third = await store.create({ policies: ['p1'], path: 'x' });
    assert.equal(accessorSeconds(first.entry.accessor), Math.floor(T0 / 1000));
    assert.equal(accessorSeconds(second.entry.accessor), Math.floor((T0 + 1500) / 1000));
    const keys = (await allKeys(storage, 'accessor/')).sort();
    assert.equal(keys.length, 3);
    for (const k of keys) assert.match(k, /^accessor\/\d{11}_[0-9a-f]{64}$/);
    // Sorted by second: the first token's entry first, the two later ones next to each other.
    assert.ok(keys[0]!.startsWith(`accessor/${String(Math.floor(T0 / 1000)).padStart(11, '0')}_`));
    assert.ok(keys[1]!.startsWith(`accessor/${String(Math.floor((T0 + 1500) / 1000)).padStart(11, '0')}_`));
    // Nothing about the accessor but its second is readable from a key (the rest is a salted hash).
    for (const t of [first, second, third]) assert.ok(!keys.some((k) => k.includes(t.entry.accessor.slice(6))));
    // Odd strings are simply unknown accessors.
    for (const odd of ['x', '!!!!!!!!', 'é'.repeat(24), first.entry.accessor.slice(0, 5)]) assert.equal(await store.hashForAccessor(odd), undefined);
  });

  it('still finds, lists and revokes a token whose accessor index entry is under the key used before (accessor/<hash>)', async () => {
    const { store, storage } = setup();
    const { entry } = await store.create({ policies: ['p1'], path: 'x' });
    // Rewrite the index entry the way an earlier version stored it.
    const [timed] = await allKeys(storage, 'accessor/');
    const value = await storage.get(timed!);
    const legacy = `accessor/${timed!.slice(timed!.indexOf('_') + 1)}`;
    await storage.batch([{ type: 'delete', key: timed! }, { type: 'put', key: legacy, value: value! }]);
    assert.equal(await store.hashForAccessor(entry.accessor), entry.id);
    assert.equal((await store.lookupByAccessor(entry.accessor))!.id, entry.id);
    assert.deepEqual(await store.listAccessors(), [entry.accessor]);
    await store.revoke(entry.id);
    assert.deepEqual(await allKeys(storage, 'accessor/'), []);
    assert.equal(await store.hashForAccessor(entry.accessor), undefined);
  });
});
