// Bad cluster configurations get one clear message that says what to fix, and write nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, parseServerConfig } from '../../src/server/config.js';
import { runServer } from '../../src/server/run.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-ha-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('ha_enabled on SQLite or in-memory storage is refused with what to do instead', () => {
  for (const storage of ['storage "sqlite" {\n  path = "/tmp/x.db"\n  ha_enabled = true\n}', 'storage "inmem" {\n  ha_enabled = true\n}']) {
    assert.throws(() => parseServerConfig(storage, 'coffer.hcl'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /ha_enabled needs storage "postgresql"/);
      assert.match(err.message, /remove ha_enabled or move to PostgreSQL/);
      return true;
    });
  }
});

test('ha_enabled and api_addr are read from a PostgreSQL config', () => {
  const cfg = parseServerConfig('storage "postgresql" {\n  connection_url = "postgres://coffer@db1:5432,db2:5432/coffer"\n  ha_enabled = true\n}\napi_addr = "https://coffer-1:8200"\n', 'coffer.hcl');
  assert.equal(cfg.storage.haEnabled, true);
  assert.equal(cfg.apiAddr, 'https://coffer-1:8200');
});

test('an unreachable database at start: one clear message naming the hosts, no password, in bounded time', async () => {
  const file = join(dir, 'unreachable.hcl');
  writeFileSync(file, 'storage "postgresql" {\n  connection_url = "postgres://coffer:hunter2-secret@127.0.0.1:1,127.0.0.1:2/coffer"\n  ha_enabled = true\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n');
  const started = Date.now();
  await assert.rejects(runServer({ config: file, quiet: true, logLevel: 'silent' }), (err: Error) => {
    assert.match(err.message, /127\.0\.0\.1:1, 127\.0\.0\.1:2/);
    assert.doesNotMatch(err.message, /hunter2/);
    return true;
  });
  assert.ok(Date.now() - started < 30_000, `took ${Date.now() - started} ms`);
});
