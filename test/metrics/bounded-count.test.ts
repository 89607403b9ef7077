// The token gauge and counter on a large store, through the real HTTP API: a scrape reuses a
// recent count instead of listing every token again (src/core/metrics/bounded-count.ts), and
// counts afresh once that count is old enough. The store is made "large" by lowering the
// threshold on the live server (10,000 tokens would make a slow test); the server's manual clock
// moves time, so nothing here depends on how fast the machine is.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

describe('coffer_tokens on a large token store', () => {
  let s: TestServer;
  before(async () => {
    s = await createTestServer({ storage: 'sqlite' });
    // "Large" from 5 tokens; a count of n is reused for n x 10 s, at most 60 s.
    Object.assign(s.core.counts.tokens.options, { reuseFrom: 5, perEntryMs: 10_000, maxAgeMs: 60_000 });
  });
  after(() => s.close());

  /** coffer_tokens from the Prometheus text. */
  const gauge = async () => {
    const r = await s.request('GET', '/v1/sys/metrics?format=prometheus');
    assert.equal(r.status, 200, r.text);
    const m = /^coffer_tokens (\d+)$/m.exec(r.text);
    assert.ok(m, 'coffer_tokens is exposed');
    return Number(m[1]);
  };
  /** How many storage listings the server has made (the JSON form's storage latency samples). */
  const listings = async () => {
    const r = await s.request('GET', '/v1/sys/metrics');
    assert.equal(r.status, 200);
    const samples = r.body.Samples as { Name: string; Labels: Record<string, string>; Count: number }[];
    return samples.find((x) => x.Name === 'coffer_storage_operation_duration_seconds' && x.Labels.operation === 'list')?.Count ?? 0;
  };
  const counter = async () => (await s.request('GET', '/v1/sys/internal/counters/tokens')).body.data.counters.service_tokens.total as number;
  const createToken = async () => assert.equal((await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'] } })).status, 200);

  /** Storage listings made by three reads of the count (two scrapes, one counter call). */
  const listingsOfThreeReads = async (expected: number) => {
    const was = await listings();
    assert.equal(await gauge(), expected);
    assert.equal(await counter(), expected);
    assert.equal(await gauge(), expected);
    return (await listings()) - was;
  };

  it('reuses a recent count of a large store: scrapes do not list the tokens, until the count is old', async () => {
    for (let i = 0; i < 5; i++) await createToken();
    const counted = await gauge();
    assert.ok(counted >= 6, `the root token and five more (got ${counted})`);

    // Within the reuse window: the same count although a token was added.
    await createToken();
    const reused = await listingsOfThreeReads(counted);

    // Past the window (at most maxAgeMs): counted afresh, the new token included...
    s.clock.advance(60_001);
    assert.equal(await gauge(), counted + 1);
    // ...and with reuse off, every read lists the token store: at least three listings more than
    // while reused (the other listings, e.g. the lease gauge's, are the same in both runs).
    Object.assign(s.core.counts.tokens.options, { reuseFrom: Number.POSITIVE_INFINITY });
    const fresh = await listingsOfThreeReads(counted + 1);
    assert.ok(fresh >= reused + 3, `fresh counts list the store (${fresh} listings) where reused ones do not (${reused})`);
  });

  it('counts a small store afresh on every scrape', async () => {
    Object.assign(s.core.counts.tokens.options, { reuseFrom: 1_000_000 });
    const was = await gauge();
    await createToken();
    assert.equal(await gauge(), was + 1);
    assert.equal(await counter(), was + 1);
  });
});
