// sys/storage/snapshot and `coffer operator snapshot` on a server with SQLite storage.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCoffer } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { snapshotScenarios } from './scenario.js';

let server: TestServer;
before(async () => {
  server = await createTestServer({ storage: 'sqlite' });
});
after(() => server.close());

describe('snapshots on SQLite (HTTP)', () => {
  snapshotScenarios(() => ({ url: server.url, token: server.rootToken }));
});

describe('coffer operator snapshot (CLI)', () => {
  const home = mkdtempSync(join(tmpdir(), 'coffer-snap-cli-'));
  after(() => rmSync(home, { recursive: true, force: true }));
  const env = () => ({ HOME: home, COFFER_ADDR: server.url, COFFER_TOKEN: server.rootToken });

  it('saves to a 0600 file, refuses to overwrite, refuses a damaged file, and restores', async () => {
    assert.equal((await server.request('POST', '/v1/secret/data/cli/s', { body: { data: { v: 'one' } } })).status, 200);
    const file = join(home, 'coffer.snap');
    const saved = await runCoffer(['operator', 'snapshot', 'save', file], { env: env() });
    assert.equal(saved.code, 0, saved.err);
    assert.match(saved.out, /Saved a snapshot of \d+ entries/);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!readFileSync(file).includes('one'), 'values stay encrypted in the file');

    const again = await runCoffer(['operator', 'snapshot', 'save', file], { env: env() });
    assert.notEqual(again.code, 0);
    assert.match(again.err, /already exists/);

    assert.equal((await server.request('POST', '/v1/secret/data/cli/s', { body: { data: { v: 'two' } } })).status, 200);
    const bad = join(home, 'bad.snap');
    writeFileSync(bad, readFileSync(file).subarray(0, 100));
    const refused = await runCoffer(['operator', 'snapshot', 'restore', bad], { env: env() });
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /nothing was changed: the snapshot is truncated/);
    assert.equal((await server.request('GET', '/v1/secret/data/cli/s')).body.data.data.v, 'two');

    const restored = await runCoffer(['operator', 'snapshot', 'restore', file], { env: env() });
    assert.equal(restored.code, 0, restored.err);
    assert.match(restored.out, /Restored \d+ entries/);
    assert.equal((await server.request('GET', '/v1/secret/data/cli/s')).body.data.data.v, 'one');
  });
});
