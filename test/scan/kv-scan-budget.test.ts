/**
 * A filtered SCAN reads at most 2,000 secrets' metadata per page: past that it answers 200 with
 * the keys found so far and `next_after` (not a 404 that would end the caller's paging), and the
 * next page continues from there; the CLI follows `next_after`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCoffer } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
const N = 2050;
const name = (i: number): string => `f${i % 5}/k${String(i).padStart(5, '0')}`;

before(async () => {
  s = await createTestServer();
  assert.equal((await s.request('POST', '/v1/sys/mounts/kvs', { body: { type: 'kv', options: { version: '2' } } })).status, 204);
  for (let i = 0; i < N; i += 25) {
    await Promise.all(Array.from({ length: Math.min(25, N - i) }, async (_, j) => {
      assert.equal((await s.request('POST', `/v1/kvs/metadata/${name(i + j)}`, { body: { max_versions: 1 } })).status, 204);
    }));
  }
  // The only match sorts last: the first page runs out of budget before reaching it.
  assert.equal((await s.request('POST', '/v1/kvs/metadata/f4/zz-last', { body: { custom_metadata: { owner: 'alice' } } })).status, 204);
});
after(() => s.close());

test('a filtered page that runs out of budget returns next_after, and paging continues', async () => {
  const first = await s.request('GET', '/v1/kvs/metadata/?scan=true&filter=custom_metadata.owner%3Dalice');
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.body.data.keys, []);
  const cursor: string = first.body.data.next_after;
  assert.equal(typeof cursor, 'string');
  const second = await s.request('GET', `/v1/kvs/metadata/?scan=true&filter=custom_metadata.owner%3Dalice&after=${encodeURIComponent(cursor)}`);
  assert.equal(second.status, 200, second.text);
  assert.deepEqual(second.body.data.keys, ['f4/zz-last']);
  assert.equal(second.body.data.next_after, undefined);

  const home = mkdtempSync(join(tmpdir(), 'coffer-scan-home-'));
  try {
    const cli = await runCoffer(['kv', 'list', '-recursive', '-filter=custom_metadata.owner=alice', 'kvs/'], { env: { HOME: home, COFFER_ADDR: s.url, COFFER_TOKEN: s.rootToken } });
    assert.equal(cli.code, 0, cli.err);
    assert.equal(cli.out, 'f4/zz-last\n');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
