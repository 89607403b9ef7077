// Issue 11: the file audit device rotates by time (`rotate_period`) beside size, by the server's clock.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createTestServer } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-rotate-period-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('rotate_period rotates the audit file once the period has passed, not before', async () => {
  const s = await createTestServer();
  try {
    const bad = await s.request('PUT', '/v1/sys/audit/bad', { body: { type: 'file', options: { file_path: join(dir, 'bad.log'), rotate_period: 'soon' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0], /rotate_period.*"24h"/);

    const file = join(dir, 'audit.log');
    const on = await s.request('PUT', '/v1/sys/audit/file', { body: { type: 'file', options: { file_path: file, rotate_period: '1h' } } });
    assert.equal(on.status, 204, on.text);
    const rotated = () => readdirSync(dir).filter((n) => n.startsWith('audit.log.'));
    await s.request('GET', '/v1/sys/mounts');
    s.clock.advance(59 * 60_000);
    await s.request('GET', '/v1/sys/mounts');
    assert.deepEqual(rotated(), []);
    s.clock.advance(2 * 60_000);
    await s.request('GET', '/v1/sys/mounts');
    assert.equal(rotated().length, 1);
    // The new file starts its own period.
    s.clock.advance(30 * 60_000);
    await s.request('GET', '/v1/sys/mounts');
    assert.equal(rotated().length, 1);
    s.clock.advance(31 * 60_000);
    await s.request('GET', '/v1/sys/mounts');
    assert.equal(rotated().length, 2);
  } finally {
    await s.close();
  }
});
