// storage "sqlite" { cache_size_mb = N, mmap_size_mb = M }: accepted, passed to SQLite, and bad
// values refused at start with one message that says what to write instead (and nothing created on disk).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseServerConfig } from '../../src/server/config.js';
import { runServer } from '../../src/server/run.js';
import { httpRequest } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-sqlite-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const listener = 'listener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n';

function configFile(name: string, storageLines: string): string {
  const file = join(dir, `${name}.hcl`);
  writeFileSync(file, `storage "sqlite" {\n  path = "${join(dir, name, 'coffer.db')}"\n${storageLines}\n}\n${listener}`);
  return file;
}

test('a server starts with cache_size_mb and mmap_size_mb and serves reads and writes', async () => {
  const server = await runServer({ config: configFile('ok', '  cache_size_mb = 8\n  mmap_size_mb = 256'), quiet: true, logLevel: 'silent' });
  try {
    const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    assert.equal(init.status, 200);
    const token = init.body.root_token as string;
    assert.equal((await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys_base64[0] } })).body.sealed, false);
    assert.equal((await httpRequest(server.url, 'POST', '/v1/sys/mounts/kv', { token, body: { type: 'kv' } })).status, 204);
    assert.equal((await httpRequest(server.url, 'PUT', '/v1/kv/app', { token, body: { k: 'v' } })).status, 204);
    assert.equal((await httpRequest(server.url, 'GET', '/v1/kv/app', { token })).body.data.k, 'v');
  } finally {
    await server.close();
  }
});

test('cache_size_mb is parsed as a whole number of MiB (a quoted number too); unset means the default', () => {
  const parse = (lines: string) => parseServerConfig(`storage "sqlite" {\n  path = "/tmp/x.db"\n${lines}\n}\n`, 'coffer.hcl').storage;
  assert.equal(parse('  cache_size_mb = 256').cacheSizeMb, 256);
  assert.equal(parse('  cache_size_mb = "32"').cacheSizeMb, 32);
  assert.equal(parse('').cacheSizeMb, undefined);
});

test('bad cache_size_mb values are refused at start with the allowed range, and nothing is created', async () => {
  const bad = ['0', '-64', '1.5', '"lots"', '"64MB"', '100000', 'true', '[64]'];
  for (const [i, value] of bad.entries()) {
    const name = `bad${i}`;
    await assert.rejects(
      runServer({ config: configFile(name, `  cache_size_mb = ${value}`), quiet: true, logLevel: 'silent' }),
      (err: Error) => {
        assert.match(err.message, /storage "sqlite": "cache_size_mb" must be a whole number of MiB from 2 to 16384/, `${value}: ${err.message}`);
        assert.match(err.message, /the default is 64/);
        return true;
      },
    );
    assert.equal(existsSync(join(dir, name)), false, `${value}: the data directory was created`);
  }
});

test('cache_size_mb on another storage type is refused: it is SQLite\'s page cache', () => {
  for (const storage of ['storage "postgresql" {\n  connection_url = "postgres://coffer@db/coffer"\n  cache_size_mb = 64\n}', 'storage "inmem" {\n  cache_size_mb = 64\n}']) {
    assert.throws(() => parseServerConfig(storage, 'coffer.hcl'), /cache_size_mb applies only to storage "sqlite"/);
  }
});

test('mmap_size_mb is parsed as a whole number of MiB from 0 (off, the default) to 1048576; bad values and other storage types are refused', async () => {
  const parse = (lines: string) => parseServerConfig(`storage "sqlite" {\n  path = "/tmp/x.db"\n${lines}\n}\n`, 'coffer.hcl').storage;
  assert.equal(parse('  mmap_size_mb = 2048').mmapSizeMb, 2048);
  assert.equal(parse('  mmap_size_mb = "0"').mmapSizeMb, 0);
  assert.equal(parse('').mmapSizeMb, undefined);
  for (const [i, value] of ['-1', '1.5', '"2GB"', '1048577', 'true'].entries()) {
    const name = `badmmap${i}`;
    await assert.rejects(
      runServer({ config: configFile(name, `  mmap_size_mb = ${value}`), quiet: true, logLevel: 'silent' }),
      /storage "sqlite": "mmap_size_mb" must be a whole number of MiB from 0 to 1048576 .*the default is 0 \(off\)/,
      value,
    );
    assert.equal(existsSync(join(dir, name)), false, `${value}: the data directory was created`);
  }
  assert.throws(() => parseServerConfig('storage "inmem" {\n  mmap_size_mb = 64\n}', 'coffer.hcl'), /mmap_size_mb applies only to storage "sqlite"/);
});
