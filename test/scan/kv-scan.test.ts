/**
 * Recursive KV listing (OpenBao's SCAN) through the real HTTP API and the `coffer` CLI, on a
 * SQLite-backed server and on a server on the real PostgreSQL: 1,100 keys across folders paged
 * in order without gaps or duplicates, the SCAN verb and `?scan=true`, ACL filtering per folder,
 * the custom-metadata filter, and bad input.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runServer } from '../../src/server/run.js';
import { runCoffer } from '../helpers/cli.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';
import { createTestServer, httpRequest, type TestResponse } from '../helpers/server.js';

type Req = (method: string, path: string, opts?: { token?: string; body?: unknown }) => Promise<TestResponse>;

/** Byte order, the order storage (and so SCAN) promises. */
const byteSort = (xs: string[]): string[] => [...xs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

/** The 1,100 secrets: three top-level files, and folders two and three deep. */
function layout(): string[] {
  const keys = ['top-1', 'top-2', 'top-3'];
  for (let i = 0; i < 1097; i++) keys.push(`${i % 2 === 0 ? 'team-a' : 'team-b'}/app${i % 9}/${i % 4 === 0 ? 'db/' : ''}k${i}`);
  return keys;
}

/** Every page of a SCAN of `path` with `limit`, following `after` (or `next_after`). */
async function scanPages(req: Req, path: string, limit: number, token?: string, extra = ''): Promise<string[][]> {
  const pages: string[][] = [];
  let after = '';
  for (let guard = 0; guard < 500; guard++) {
    const res = await req('GET', `${path}?scan=true&limit=${limit}${after ? `&after=${encodeURIComponent(after)}` : ''}${extra}`, { token });
    if (res.status === 404) return pages;
    assert.equal(res.status, 200, res.text);
    const keys: string[] = res.body.data.keys;
    pages.push(keys);
    const next: string | undefined = res.body.data.next_after ?? (keys.length === limit ? keys[keys.length - 1] : undefined);
    if (next === undefined) return pages;
    assert.ok(next !== after, 'the cursor moves forward');
    after = next;
  }
  throw new Error('scan paging does not terminate');
}

/** The shared scenario, against one running server. */
function scenario(name: string, setup: () => Promise<{ url: string; root: string; close: () => Promise<void> }>): void {
  describe(`SCAN on ${name}`, () => {
    let url = '';
    let root = '';
    let close: () => Promise<void> = async () => {};
    let req: Req;
    const keys = layout();
    const alice = new Set(keys.filter((_, i) => i % 50 === 7));

    before(async () => {
      ({ url, root, close } = await setup());
      req = (method, path, opts = {}) => httpRequest(url, method, `/v1/${path}`, { token: opts.token ?? root, body: opts.body });
      const mounted = await req('POST', 'sys/mounts/kvs', { body: { type: 'kv', options: { version: '2' } } });
      assert.equal(mounted.status, 204, mounted.text);
      assert.equal((await req('POST', 'sys/mounts/kv1', { body: { type: 'kv', options: { version: '1' } } })).status, 204);
      // 20 writes in flight at a time keeps the setup to seconds.
      for (let i = 0; i < keys.length; i += 20) {
        await Promise.all(keys.slice(i, i + 20).map(async (k) => {
          assert.equal((await req('POST', `kvs/data/${k}`, { body: { data: { v: 'x' } } })).status, 200);
          if (alice.has(k)) assert.equal((await req('POST', `kvs/metadata/${k}`, { body: { custom_metadata: { owner: 'alice' } } })).status, 204);
          else if (k.endsWith('0')) assert.equal((await req('POST', `kvs/metadata/${k}`, { body: { custom_metadata: { owner: 'bob' } } })).status, 204);
        }));
      }
      for (const k of ['a', 'b/c', 'b/d/e']) assert.equal((await req('POST', `kv1/${k}`, { body: { v: 1 } })).status, 204);
    });
    after(() => close());

    it('pages 1,100 keys in byte order with no gaps or duplicates', async () => {
      for (const limit of [97, 1000]) {
        const pages = await scanPages(req, 'kvs/metadata/', limit);
        for (const page of pages) assert.ok(page.length <= limit);
        assert.deepEqual(pages.flat(), byteSort(keys), `limit ${limit}`);
      }
      const unpaged = await req('GET', 'kvs/metadata/?scan=true');
      assert.deepEqual(unpaged.body.data.keys, byteSort(keys));
      const folder = await req('GET', 'kvs/metadata/team-a/app0?scan=true');
      assert.deepEqual(folder.body.data.keys, byteSort(keys.filter((k) => k.startsWith('team-a/app0/')).map((k) => k.slice('team-a/app0/'.length))));
      assert.deepEqual((await req('GET', 'kv1/?scan=true')).body.data.keys, ['a', 'b/c', 'b/d/e'], 'KV v1 scans too');
    });

    it('accepts the SCAN verb like GET ?scan=true', async () => {
      const res = await req('SCAN', 'kvs/metadata/team-b/app1?limit=3');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.data.keys, byteSort(keys.filter((k) => k.startsWith('team-b/app1/')).map((k) => k.slice(12))).slice(0, 3));
    });

    it('returns only the keys in folders the token may list, in full pages', async () => {
      const policy = 'path "kvs/metadata/*" { capabilities = ["scan"] }\npath "kvs/metadata/team-a/*" { capabilities = ["list"] }\n';
      assert.equal((await req('PUT', 'sys/policies/acl/scan-team-a', { body: { policy } })).status, 204);
      const token: string = (await req('POST', 'auth/token/create', { body: { policies: ['scan-team-a'] } })).body.auth.client_token;
      const pages = await scanPages(req, 'kvs/metadata/', 50, token);
      const want = byteSort(keys.filter((k) => k.startsWith('team-a/')));
      assert.deepEqual(pages.flat(), want);
      for (const page of pages.slice(0, -1)) assert.equal(page.length, 50, 'hidden names do not shorten pages');
      // A folder it may not list at all: nothing, as a 404.
      assert.equal((await req('GET', 'kvs/metadata/team-b/?scan=true', { token })).status, 404);

      // `list` alone does not grant recursion (OpenBao's `scan` capability; deny by default).
      assert.equal((await req('PUT', 'sys/policies/acl/list-only', { body: { policy: 'path "kvs/metadata/*" { capabilities = ["list"] }' } })).status, 204);
      const lister: string = (await req('POST', 'auth/token/create', { body: { policies: ['list-only'] } })).body.auth.client_token;
      assert.equal((await req('GET', 'kvs/metadata/?scan=true', { token: lister })).status, 403);
      assert.equal((await req('LIST', 'kvs/metadata/', { token: lister })).status, 200);
    });

    it('filters by custom metadata', async () => {
      const pages = await scanPages(req, 'kvs/metadata/', 5, undefined, '&filter=custom_metadata.owner%3Dalice');
      assert.deepEqual(pages.flat(), byteSort([...alice]));
      const any = await scanPages(req, 'kvs/metadata/', 1000, undefined, '&filter=custom_metadata.owner');
      assert.deepEqual(any.flat(), byteSort(keys.filter((k) => alice.has(k) || k.endsWith('0'))));
      const bad = await req('GET', 'kvs/metadata/?scan=true&filter=owner%3Dalice');
      assert.equal(bad.status, 400);
      assert.match(bad.body.errors[0], /custom_metadata\.<key>=<value>/);
      assert.equal((await req('GET', 'kv1/?scan=true&filter=custom_metadata.a%3Db')).status, 400);
    });

    it('answers bad input with a 4xx', async () => {
      assert.equal((await req('GET', 'kvs/metadata/?scan=maybe')).status, 400);
      assert.equal((await req('GET', 'kvs/metadata/?scan=true&limit=-1')).status, 400);
      const big = await req('GET', 'kvs/metadata/?scan=true&limit=10001');
      assert.equal(big.status, 400);
      assert.match(big.body.errors[0], /at most 10000 keys per SCAN page/);
      assert.equal((await req('GET', 'kvs/metadata/nothing-here/?scan=true')).status, 404);
    });

    it('keeps the after cursor inside the scanned folder and bounds its length', async () => {
      const inFolder = byteSort(keys.filter((k) => k.startsWith('team-b/app1/')).map((k) => k.slice('team-b/app1/'.length)));
      // The cursor is appended to the folder: "../" or a sibling's name cannot widen the range.
      for (const after of ['../', '../../team-a/app0/x', '/', 'app0/k1', 'db/k100']) {
        const res = await req('GET', `kvs/metadata/team-b/app1/?scan=true&limit=5&after=${encodeURIComponent(after)}`);
        assert.equal(res.status, 200, `${after}: ${res.text}`);
        assert.deepEqual(res.body.data.keys, inFolder.filter((k) => Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0).slice(0, 5), after);
      }
      // Past every key: an empty page (404), not a read of the rest of the store.
      assert.equal((await req('GET', `kvs/metadata/team-b/app1/?scan=true&after=${encodeURIComponent('\uffff')}`)).status, 404);
      const long = await req('GET', `kvs/metadata/?scan=true&after=${'a'.repeat(4097)}`);
      assert.equal(long.status, 400, long.text);
      assert.match(long.body.errors[0], /"after": at most 4096 bytes/);
      assert.equal((await req('GET', `kvs/metadata/?scan=true&after=%00`)).status, 400);
    });

    it('coffer kv list -recursive pages through SCAN', async () => {
      const env = { HOME: mkdtempSync(join(tmpdir(), 'coffer-scan-home-')), COFFER_ADDR: url, COFFER_TOKEN: root };
      try {
        const all = await runCoffer(['kv', 'list', '-recursive', 'kvs/'], { env });
        assert.equal(all.code, 0, all.err);
        assert.deepEqual(all.out.trimEnd().split('\n'), byteSort(keys), 'more than one 1,000-key page');
        const filtered = await runCoffer(['kv', 'list', '-recursive', '-format=json', '-filter=custom_metadata.owner=alice', 'kvs/team-a'], { env });
        assert.equal(filtered.code, 0, filtered.err);
        assert.deepEqual(JSON.parse(filtered.out), byteSort([...alice].filter((k) => k.startsWith('team-a/')).map((k) => k.slice(7))));
        const none = await runCoffer(['kv', 'list', '-recursive', 'kvs/nothing'], { env });
        assert.equal(none.code, 2);
      } finally {
        rmSync(env.HOME, { recursive: true, force: true });
      }
    });
  });
}

scenario('SQLite', async () => {
  const s = await createTestServer({ storage: 'sqlite' });
  return { url: s.url, root: s.rootToken, close: () => s.close() };
});

if (await requirePostgres('SCAN on PostgreSQL')) {
  scenario('PostgreSQL', async () => {
    const table = `coffer_scan_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const dir = mkdtempSync(join(tmpdir(), 'coffer-pg-scan-'));
    const cfg = join(dir, 'coffer.hcl');
    writeFileSync(cfg, `storage "postgresql" {\n  connection_url = "${pgUrl}"\n  table = "${table}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
    const server = await runServer({ config: cfg, quiet: true, logLevel: 'silent' });
    const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys[0] } });
    // Serve only once the node reports itself active (bounded wait).
    for (let i = 0; i < 50 && (await httpRequest(server.url, 'GET', '/v1/sys/health')).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    return {
      url: server.url,
      root: init.body.root_token,
      close: async () => {
        await server.close();
        rmSync(dir, { recursive: true, force: true });
        await pgAdmin(`DROP TABLE IF EXISTS "${table}"`);
      },
    };
  });
}
