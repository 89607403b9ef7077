import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createStorage, MemoryStorage, SqliteStorage, type StorageConfig } from '../../src/storage/index.js';

describe('createStorage', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('opens an inmem storage', async () => {
    const s = await createStorage({ type: 'inmem' });
    assert.ok(s instanceof MemoryStorage);
    assert.equal(s.type, 'inmem');
    await s.close();
  });

  it('opens a sqlite storage at path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'coffer-create-'));
    dirs.push(dir);
    const s = await createStorage({ type: 'sqlite', path: join(dir, 'x', 'c.db') });
    assert.ok(s instanceof SqliteStorage);
    assert.equal(s.type, 'sqlite');
    await s.put('a', new Uint8Array([1]));
    await s.close();
  });

  it('explains bad configuration', async () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /must be an object/],
      [{}, /unknown storage type undefined; use one of inmem, sqlite, postgresql/],
      [{ type: 'memory' }, /unknown storage type "memory"; use one of inmem, sqlite, postgresql/],
      [{ type: 'sqlite' }, /"sqlite" needs "path"/],
      [{ type: 'sqlite', path: '' }, /"path" must be a non-empty string/],
      [{ type: 'sqlite', path: 42 }, /"path" must be a non-empty string/],
      [{ type: 'sqlite', path: '/tmp/x.db', connectionUrl: 'postgres://x' }, /"connectionUrl" does not apply to storage type "sqlite"/],
      [{ type: 'postgresql' }, /"postgresql" needs "connectionUrl"/],
      [{ type: 'postgresql', connectionUrl: 'postgres://x/y', path: '/tmp/x' }, /"path" does not apply/],
      [{ type: 'postgresql', connectionUrl: 'postgres://x/y', table: 'bad-name' }, /table name "bad-name" is invalid/],
      [{ type: 'inmem', path: '/tmp/x' }, /"path" does not apply to storage type "inmem"/],
      [{ type: 'inmem', ha: { nodeId: 'a' } }, /"ha" needs storage type "postgresql" \(got "inmem"\)/],
      [{ type: 'sqlite', path: '/tmp/x.db', ha: { nodeId: 'a' } }, /"ha" needs storage type "postgresql"/],
    ];
    for (const [config, msg] of cases) {
      await assert.rejects(createStorage(config as StorageConfig), msg, JSON.stringify(config));
    }
  });
});
