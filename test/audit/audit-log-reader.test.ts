/**
 * The audit log reader's bounds: one request scans at most MAX_SCAN_BYTES and hands back a
 * cursor to go on; a line longer than MAX_LINE_BYTES is skipped, not buffered; a torn last
 * line and the device prefix are handled.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MAX_LINE_BYTES, MAX_SCAN_BYTES, readAuditLog } from '../../src/core/system/audit-log.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-audit-reader-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const line = (i: number, path: string, pad = 0) => JSON.stringify({ time: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(), type: 'response', request: { id: `r${i}`, operation: 'read', path }, pad: 'x'.repeat(pad) });

test('a scan stops at the byte budget with a cursor, and following it finds the older match', async () => {
  const file = join(dir, 'budget.log');
  writeFileSync(file, line(0, 'wanted/one') + '\n');
  // ~20 MiB of entries that do not match, after the one that does.
  const filler = Array.from({ length: 2000 }, (_, i) => line(i + 1, 'other/x', 10_000)).join('\n') + '\n';
  appendFileSync(file, filler);
  const first = await readAuditLog(file, '', { limit: 10, pathPrefix: 'wanted/' });
  assert.equal(first.entries.length, 0);
  assert.equal(first.budget_exhausted, true);
  assert.ok(first.scanned_bytes <= MAX_SCAN_BYTES + 64 * 1024, `scanned ${first.scanned_bytes}`);
  assert.ok(first.next_cursor);
  const second = await readAuditLog(file, '', { limit: 10, pathPrefix: 'wanted/', cursor: first.next_cursor! });
  assert.deepEqual(second.entries.map((e) => (e.request as { id: string }).id), ['r0']);
  assert.equal(second.next_cursor, null);
  assert.equal(second.budget_exhausted, false);
});

test('an over-long line is skipped; a torn last line is skipped; the prefix is stripped', async () => {
  const file = join(dir, 'odd.log');
  const huge = JSON.stringify({ time: '2026-01-01T00:00:00Z', type: 'request', request: { path: 'big' }, pad: 'y'.repeat(MAX_LINE_BYTES + 10) });
  writeFileSync(file, ['AUDIT:' + line(1, 'a/1'), 'AUDIT:' + huge, 'AUDIT:' + line(2, 'a/2')].join('\n') + '\nAUDIT:{"time":"2026-01-01T00:0');
  const page = await readAuditLog(file, 'AUDIT:', { limit: 100 });
  assert.deepEqual(page.entries.map((e) => (e.request as { path: string }).path), ['a/2', 'a/1']);
  assert.equal(page.skipped, 2);
});
