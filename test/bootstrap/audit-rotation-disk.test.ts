// Issue 11: the file audit device rotates by time (`rotate_period`, by the server clock) and warns when its disk is nearly full (`min_free_space`).
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

test('min_free_space: a nearly full audit disk shows in sys/health and the broker getter', async () => {
  const s = await createTestServer();
  try {
    const bad = await s.request('PUT', '/v1/sys/audit/bad', { body: { type: 'file', options: { file_path: join(dir, 'bad2.log'), min_free_space: 'lots' } } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0], /min_free_space/);

    const ok = await s.request('PUT', '/v1/sys/audit/roomy', { body: { type: 'file', options: { file_path: join(dir, 'roomy.log'), min_free_space: '1' } } });
    assert.equal(ok.status, 204, ok.text);
    assert.equal((await s.request('GET', '/v1/sys/health')).body.audit_disk_low, undefined);

    // No disk has an exbibyte free: this device's threshold is always crossed.
    const tight = await s.request('PUT', '/v1/sys/audit/tight', { body: { type: 'file', options: { file_path: join(dir, 'tight.log'), min_free_space: '1000000000GiB' } } });
    assert.equal(tight.status, 204, tight.text);
    const health = await s.request('GET', '/v1/sys/health', { token: null });
    assert.equal(health.status, 200);
    assert.equal(health.body.audit_disk_low, true);
    const spaces = s.core.audit.diskSpace();
    assert.deepEqual(spaces.map((d) => [d.path, d.low]).sort(), [['roomy/', false], ['tight/', true]]);
    assert.ok(spaces[0]!.freeBytes > 0);
    // Requests still work: it is a warning, not a failure.
    assert.equal((await s.request('GET', '/v1/sys/mounts')).status, 200);
  } finally {
    await s.close();
  }
});

test('disk space gauges in sys/metrics: each file audit device\'s free bytes and low flag, and the SQLite data disk', async () => {
  const s = await createTestServer({ storage: 'sqlite' });
  try {
    assert.equal((await s.request('PUT', '/v1/sys/audit/roomy', { body: { type: 'file', options: { file_path: join(dir, 'm-roomy.log'), min_free_space: '1' } } })).status, 204);
    assert.equal((await s.request('PUT', '/v1/sys/audit/tight', { body: { type: 'file', options: { file_path: join(dir, 'm-tight.log'), min_free_space: '1000000000GiB' } } })).status, 204);
    const text = (await s.request('GET', '/v1/sys/metrics?format=prometheus')).text;
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      assert.ok(line, `${series} is in the scrape:\n${text.split('\n').filter((l) => l.includes('disk')).join('\n')}`);
      return Number(line.slice(series.length + 1));
    };
    assert.ok(value('coffer_audit_disk_free_bytes{device="roomy/"}') > 0);
    assert.ok(value('coffer_audit_disk_free_bytes{device="tight/"}') > 0);
    assert.equal(value('coffer_audit_disk_low{device="roomy/"}'), 0);
    assert.equal(value('coffer_audit_disk_low{device="tight/"}'), 1);
    assert.ok(value('coffer_storage_disk_free_bytes') > 0);
    // The JSON form carries the same gauges.
    const json = await s.request('GET', '/v1/sys/metrics');
    const gauge = json.body.Gauges.find((g: any) => g.Name === 'coffer_audit_disk_low' && g.Labels.device === 'tight/');
    assert.equal(gauge?.Value, 1, json.text.slice(0, 400));
    // Disabling a device removes its series.
    assert.equal((await s.request('DELETE', '/v1/sys/audit/tight')).status, 204);
    const after = (await s.request('GET', '/v1/sys/metrics?format=prometheus')).text;
    assert.equal(after.includes('device="tight/"'), false);
  } finally {
    await s.close();
  }
});

test('an in-memory server reports no storage disk gauge value', async () => {
  const s = await createTestServer();
  try {
    const text = (await s.request('GET', '/v1/sys/metrics?format=prometheus')).text;
    assert.equal(/^coffer_storage_disk_free_bytes /m.test(text), false);
  } finally {
    await s.close();
  }
});
