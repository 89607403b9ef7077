/**
 * GET sys/audit-log/<device>: a file device's log read back through HTTP, newest first, with
 * filters, pages (cursor) across rotated files, bounded limits, and clear 400s.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
let dir: string;
let file: string;

before(async () => {
  s = await createTestServer();
  dir = mkdtempSync(join(tmpdir(), 'coffer-audit-log-'));
  file = join(dir, 'audit.log');
  const res = await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: file } } });
  assert.equal(res.status, 204, JSON.stringify(res.body));
});
after(async () => {
  await s?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Entry = { time: string; type: string; error?: string; auth?: { accessor?: string }; request?: { path?: string; operation?: string } };
type Page = { entries: Entry[]; next_cursor: string | null; scanned_bytes: number; skipped: number; budget_exhausted: boolean };

async function log(query: Record<string, string> = {}, token?: string): Promise<Page> {
  const qs = new URLSearchParams(query).toString();
  const res = await s.request('GET', `/v1/sys/audit-log/file${qs ? `?${qs}` : ''}`, { token });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.data as Page;
}

describe('sys/audit-log', () => {
  it('returns the newest entries first, filters by path, operation, status and type', async () => {
    await s.request('POST', '/v1/secret/data/auditlog/a', { body: { data: { k: 'v' } } });
    await s.request('GET', '/v1/secret/data/auditlog/a');
    await s.request('GET', '/v1/secret/data/auditlog/missing');
    const all = await log({ path: 'secret/data/auditlog/' });
    assert.ok(all.entries.length >= 6, JSON.stringify(all));
    const times = all.entries.map((e) => Date.parse(e.time));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
    assert.equal(all.entries[0]!.request!.path, 'secret/data/auditlog/missing');

    const reads = await log({ path: 'secret/data/auditlog/', operation: 'read', type: 'response' });
    assert.equal(reads.entries.length, 2);
    const errors = await log({ path: 'secret/data/auditlog/', status: 'error' });
    assert.ok(errors.entries.every((e) => typeof e.error === 'string' && e.error.length > 0));
    const ok = await log({ path: 'secret/data/auditlog/', status: 'ok', operation: 'create' });
    assert.equal(ok.entries.length, 2);
    assert.ok(ok.entries.every((e) => e.error === undefined));
  });

  it('matches a plain accessor against its HMAC, or the hmac-sha256 value as written', async () => {
    const created = await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'] } });
    const { client_token: token, accessor } = created.body.auth;
    await s.request('GET', '/v1/auth/token/lookup-self', { token });
    const byPlain = await log({ accessor });
    assert.ok(byPlain.entries.length >= 2, JSON.stringify(byPlain));
    const hashed = byPlain.entries[0]!.auth!.accessor!;
    assert.match(hashed, /^hmac-sha256:/);
    const viaHash = (await s.request('POST', '/v1/sys/audit-hash/file', { body: { input: accessor } })).body.hash;
    assert.equal(viaHash, hashed);
    assert.equal((await log({ accessor: hashed })).entries.length, byPlain.entries.length);
  });

  it('pages with a cursor across the current and the rotated files; since/until bound the time', async () => {
    // An older rotated file with 3000 synthetic entries (~200 bytes each: many 64 KiB chunks).
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const time = new Date(Date.UTC(2020, 0, 1, 0, 0, i)).toISOString();
      lines.push(JSON.stringify({ time, type: 'response', auth: { accessor: 'old' }, request: { id: `r${i}`, operation: 'read', path: `old/p${i % 3}` } }));
    }
    writeFileSync(join(dir, 'audit.log.20200101T010000.000Z'), lines.join('\n') + '\n');

    const seen: Entry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await log({ path: 'old/', limit: '700', ...(cursor ? { cursor } : {}) });
      assert.ok(page.entries.length <= 700);
      seen.push(...page.entries);
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    assert.equal(seen.length, 3000);
    assert.equal(pages, 5);
    const ids = seen.map((e) => (e.request as { id: string }).id);
    assert.equal(new Set(ids).size, 3000, 'no entry twice');
    assert.equal(ids[0], 'r2999');
    assert.equal(ids[2999], 'r0');

    const window = await log({ path: 'old/', since: '2020-01-01T00:10:00Z', until: '2020-01-01T00:10:09.999Z' });
    assert.deepEqual(window.entries.map((e) => (e.request as { id: string }).id), ['r609', 'r608', 'r607', 'r606', 'r605', 'r604', 'r603', 'r602', 'r601', 'r600']);
    assert.equal(window.next_cursor, null);
  });

  it('refuses bad input with a clear 400, an unknown device, and a token without sudo', async () => {
    const bad = async (qs: string, re: RegExp) => {
      const res = await s.request('GET', `/v1/sys/audit-log/file?${qs}`);
      assert.equal(res.status, 400, qs);
      assert.match(res.body.errors[0], re);
    };
    await bad('since=yesterday', /invalid "since": expected an RFC 3339 time/);
    await bad('limit=5000', /limit/);
    await bad('status=500', /invalid "status"/);
    await bad('operation=fly', /invalid "operation"/);
    await bad('cursor=xyz', /invalid "cursor"/);
    await bad('since=2020-01-02T00:00:00Z&until=2020-01-01T00:00:00Z', /"until" is before "since"/);
    const none = await s.request('GET', '/v1/sys/audit-log/nope');
    assert.equal(none.status, 400);
    assert.match(none.body.errors[0], /no audit device is enabled at "nope\/"/);

    await s.request('PUT', '/v1/sys/policies/acl/audit-reader', { body: { policy: 'path "sys/audit-log/*" { capabilities = ["read"] }' } });
    const token = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['audit-reader'] } })).body.auth.client_token;
    assert.equal((await s.request('GET', '/v1/sys/audit-log/file', { token })).status, 403);
    await s.request('PUT', '/v1/sys/policies/acl/audit-reader', { body: { policy: 'path "sys/audit-log/*" { capabilities = ["read", "sudo"] }' } });
    const page = await log({ path: 'sys/audit-log/', limit: '1' }, token);
    assert.equal(page.entries.length, 1, 'the read of the log is itself audited');
  });
});
