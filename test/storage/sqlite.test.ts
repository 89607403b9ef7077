import assert from 'node:assert/strict';
import { mkdtemp, rm, stat, readdir } from 'node:fs/promises';
import type * as fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ConflictError, isStorageUnavailableError, type StorageUnavailableError } from '../../src/storage/errors.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { createStorage } from '../../src/storage/index.js';
import type { Storage } from '../../src/storage/types.js';
import { runStorageConformance } from './conformance.js';

const root = await mkdtemp(join(tmpdir(), 'coffer-sqlite-test-'));

type SyncCallback = (err: NodeJS.ErrnoException | null) => void;

/**
 * Replaces fs.fdatasync (as the storage sees it: ESM importers get it after
 * syncBuiltinESMExports) with `fake` until the returned function restores it.
 */
function fakeFdatasync(fake: (fd: number, cb: SyncCallback, real: typeof fs.fdatasync) => void): () => void {
  const cjsFs = createRequire(import.meta.url)('node:fs') as typeof fs;
  const real = cjsFs.fdatasync;
  (cjsFs as { fdatasync: unknown }).fdatasync = (fd: number, cb: SyncCallback) => fake(fd, cb, real);
  syncBuiltinESMExports();
  return () => {
    (cjsFs as { fdatasync: unknown }).fdatasync = real;
    syncBuiltinESMExports();
  };
}

const turn = () => new Promise((r) => setImmediate(r));
let counter = 0;
const paths = new WeakMap<Storage, string>();

async function fresh(): Promise<Storage> {
  const path = join(root, `db${counter++}`, 'coffer.db');
  const s = await SqliteStorage.open(path);
  paths.set(s, path);
  return s;
}

runStorageConformance('sqlite', fresh, () => rm(root, { recursive: true, force: true }), {
  reopen: async (closed) => {
    const path = paths.get(closed);
    assert.ok(path);
    return SqliteStorage.open(path);
  },
});

describe('SqliteStorage', () => {
  const dir = join(tmpdir(), `coffer-sqlite-extra-${process.pid}-${Date.now()}`);
  after(() => rm(dir, { recursive: true, force: true }));

  it('creates missing directories and files with owner-only modes', async () => {
    const path = join(dir, 'a', 'b', 'coffer.db');
    const s = await SqliteStorage.open(path);
    try {
      assert.equal(s.type, 'sqlite');
      assert.equal(s.path, path);
      await s.put('k', new Uint8Array([1, 2, 3]));
      const files = await readdir(join(dir, 'a', 'b'));
      assert.ok(files.includes('coffer.db') && files.includes('coffer.db-wal'));
      // Exclusive locking keeps the WAL index in memory, so there is no -shm file.
      for (const f of files.filter((name) => name.startsWith('coffer.db'))) {
        const mode = (await stat(join(dir, 'a', 'b', f))).mode & 0o777;
        assert.equal(mode.toString(8), '600', `${f} has mode 0600`);
      }
      assert.equal(((await stat(join(dir, 'a'))).mode & 0o077), 0, 'created directory is private');
    } finally {
      await s.close();
    }
  });

  it('tightens the mode of an existing database file', async () => {
    const path = join(dir, 'loose.db');
    const first = await SqliteStorage.open(path);
    await first.close();
    const { chmod } = await import('node:fs/promises');
    await chmod(path, 0o644);
    const s = await SqliteStorage.open(path);
    try {
      assert.equal(((await stat(path)).mode & 0o777).toString(8), '600');
    } finally {
      await s.close();
    }
  });

  it('is used by one server at a time, in WAL mode', async () => {
    const path = join(dir, 'wal.db');
    const s = await SqliteStorage.open(path);
    await s.put('x/y', Buffer.from('z'));
    await assert.rejects(SqliteStorage.open(path), /in use by another process/);
    await s.close();
    const other = new Database(path, { readonly: true });
    try {
      assert.equal(other.pragma('journal_mode', { simple: true }), 'wal');
      const row = other.prepare('SELECT value FROM coffer_kv WHERE key = ?').get('x/y') as { value: Buffer };
      assert.equal(row.value.toString(), 'z');
    } finally {
      other.close();
    }
  });

  it('acknowledged writes are on disk before close', async () => {
    const path = join(dir, 'ack.db');
    const s = await SqliteStorage.open(path);
    try {
      await Promise.all(Array.from({ length: 100 }, (_, i) => s.put(`k/${i}`, Buffer.from(String(i)))));
      // Copy the files as they are on disk right now (as a crash would leave them) and read the copy.
      const { copyFileSync, existsSync } = await import('node:fs');
      const copy = join(dir, 'ack-copy.db');
      copyFileSync(path, copy);
      if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
      const other = new Database(copy, { readonly: true });
      try {
        const n = other.prepare('SELECT count(*) AS n FROM coffer_kv').get() as { n: number };
        assert.equal(n.n, 100);
      } finally {
        other.close();
      }
    } finally {
      await s.close();
    }
  });

  it('no reader sees a commit before the WAL sync that acknowledges it', async () => {
    const s = await SqliteStorage.open(join(dir, 'sync.db'));
    try {
      await s.put('s/a', Buffer.from('0'));
      const acked: string[] = [];
      const write = s.put('s/a', Buffer.from('1')).then(() => acked.push('write'));
      // One loop turn: the group is committed in SQLite, its fdatasync is still under way.
      await new Promise((r) => setImmediate(r));
      const read = s.get('s/a').then((v) => (acked.push('get'), Buffer.from(v!).toString()));
      const listed = s.list('s/').then((names) => (acked.push('list'), names));
      assert.equal(await read, '1');
      assert.deepEqual(await listed, ['a']);
      await write;
      assert.deepEqual(acked, ['write', 'get', 'list'], 'the read answered only after the write was acknowledged');
    } finally {
      await s.close();
    }
  });

  it('rolls back a batch that fails inside the database, without failing its neighbours', async () => {
    const path = join(dir, 'trigger.db');
    // A trigger makes one key fail at write time, after validation: only the transaction can
    // make the batch all-or-nothing. It is installed before the server takes its lock.
    const setup = new Database(path);
    setup.exec('CREATE TABLE coffer_kv (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID');
    setup.exec("CREATE TRIGGER boom BEFORE INSERT ON coffer_kv WHEN NEW.key = 't/boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
    setup.close();
    const s = await SqliteStorage.open(path);
    try {
      await s.put('t/keep', Buffer.from('k'));
      const results = await Promise.allSettled([
        s.put('t/before', Buffer.from('1')),
        s.batch([
          { type: 'put', key: 't/new', value: Buffer.from('n') },
          { type: 'delete', key: 't/keep' },
          { type: 'put', key: 't/boom', value: Buffer.from('x') },
        ]),
        s.put('t/after', Buffer.from('2')),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.match(String((results[1] as PromiseRejectedResult).reason), /boom/);
      assert.deepEqual(await s.list('t/'), ['after', 'before', 'keep']);
    } finally {
      await s.close();
    }
  });

  it('a conditional write that fails in a commit group fails alone, in group order, and leaves the cache right', async () => {
    const s = await SqliteStorage.open(join(dir, 'cond.db'));
    const b = (t: string) => Buffer.from(t);
    try {
      await s.put('g/k', b('0'));
      assert.equal(Buffer.from((await s.get('g/k'))!).toString(), '0'); // now cached
      // Issued in one event-loop turn: one commit group, checked in order.
      const results = await Promise.allSettled([
        s.put('g/before', b('1')),
        s.put('g/k', b('1')),
        s.batch([{ type: 'put', key: 'g/k', value: b('stale') }, { type: 'put', key: 'g/side', value: b('x') }], [{ key: 'g/k', value: b('0') }]),
        s.batch([{ type: 'put', key: 'g/k', value: b('2') }], [{ key: 'g/k', value: b('1') }]),
        s.put('g/after', b('3')),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      assert.ok((results[2] as PromiseRejectedResult).reason instanceof ConflictError);
      assert.equal(Buffer.from((await s.get('g/k'))!).toString(), '2', 'the cache holds the committed value');
      assert.equal(await s.get('g/side'), undefined, 'the conflicted batch wrote nothing');
      assert.deepEqual(await s.list('g/'), ['after', 'before', 'k']);
    } finally {
      await s.close();
    }
    // The file agrees with what the cache served.
    const again = await SqliteStorage.open(join(dir, 'cond.db'));
    try {
      assert.equal(Buffer.from((await again.get('g/k'))!).toString(), '2');
      assert.equal(await again.get('g/side'), undefined);
    } finally {
      await again.close();
    }
  });

  it('refuses an empty path and a database from a newer schema', async () => {
    await assert.rejects(SqliteStorage.open(''), /needs a database file path/);
    const path = join(dir, 'future.db');
    const db = new Database(path);
    db.pragma('user_version = 99');
    db.close();
    await assert.rejects(SqliteStorage.open(path), /schema version 99/);
  });

  it('sets a bounded page cache: 64 MiB by default, cacheSizeMb when given (also through createStorage)', async () => {
    const pageCache = (s: Storage) => (s as unknown as { db: Database.Database }).db.pragma('cache_size', { simple: true });
    const byDefault = await SqliteStorage.open(join(dir, 'cache-default.db'));
    const configured = await SqliteStorage.open(join(dir, 'cache-8.db'), { cacheSizeMb: 8 });
    const viaFactory = await createStorage({ type: 'sqlite', path: join(dir, 'cache-16.db'), cacheSizeMb: 16 });
    try {
      // Negative: KiB, a fixed cap whatever the size of the data.
      assert.equal(pageCache(byDefault), -64 * 1024);
      assert.equal(pageCache(configured), -8 * 1024);
      assert.equal(pageCache(viaFactory), -16 * 1024);
    } finally {
      await Promise.all([byDefault.close(), configured.close(), viaFactory.close()]);
    }
    for (const bad of [0, 1, 1.5, -64, 16_385, Number.NaN]) {
      await assert.rejects(SqliteStorage.open(join(dir, 'cache-bad.db'), { cacheSizeMb: bad }), /cacheSizeMb must be a whole number from 2 to 16384/);
    }
  });

  it('maps the file for reads only when mmapSizeMb is given (off by default: mapped pages count in RSS)', async () => {
    const mapped = (s: Storage) => (s as unknown as { db: Database.Database }).db.pragma('mmap_size', { simple: true });
    const byDefault = await SqliteStorage.open(join(dir, 'mmap-default.db'));
    const viaFactory = await createStorage({ type: 'sqlite', path: join(dir, 'mmap-64.db'), mmapSizeMb: 64 });
    try {
      assert.equal(mapped(byDefault), 0);
      assert.equal(mapped(viaFactory), 64 * 1024 * 1024);
      await viaFactory.put('k', Buffer.from('v'));
      assert.deepEqual(Buffer.from((await viaFactory.get('k'))!), Buffer.from('v'));
    } finally {
      await Promise.all([byDefault.close(), viaFactory.close()]);
    }
    for (const bad of [-1, 1.5, 1_048_577, Number.NaN]) {
      await assert.rejects(SqliteStorage.open(join(dir, 'mmap-bad.db'), { mmapSizeMb: bad }), /mmapSizeMb must be a whole number from 0 to 1048576/);
    }
  });

  it('writes queued while a WAL sync runs commit as one group when it ends, and are acknowledged only by the next sync', async () => {
    const s = await SqliteStorage.open(join(dir, 'deferred.db'));
    // Every sync waits until the test releases it.
    const held: (() => void)[] = [];
    const restore = fakeFdatasync((fd, cb, real) => held.push(() => real(fd, cb)));
    const inner = s as unknown as { applyAll: (group: unknown[]) => boolean[] };
    const applyAll = inner.applyAll;
    const groups: number[] = [];
    inner.applyAll = (group) => (groups.push(group.length), applyAll(group));
    try {
      const acked: string[] = [];
      const first = s.put('d/first', Buffer.from('1')).then(() => acked.push('first'));
      await turn();
      assert.deepEqual(groups, [1], 'committed on the next turn: the disk was idle');
      assert.equal(held.length, 1, 'its sync is running');
      // Five writes in five turns while that sync runs: none commits yet.
      const later: Promise<unknown>[] = [];
      for (let i = 0; i < 5; i++) {
        later.push(s.put(`d/${i}`, Buffer.from(String(i))).then(() => acked.push(`w${i}`)));
        await turn();
      }
      assert.deepEqual(groups, [1]);
      assert.equal(await s.get('d/0'), undefined, 'an uncommitted write is not visible');
      held.shift()!();
      await first;
      assert.deepEqual(groups, [1, 5], 'the first sync ended: the queue committed as one group');
      await turn();
      assert.deepEqual(acked, ['first'], 'they wait for a sync that started after their commit');
      assert.equal(held.length, 1, 'that sync started at once');
      held.shift()!();
      await Promise.all(later);
      assert.deepEqual(acked, ['first', 'w0', 'w1', 'w2', 'w3', 'w4']);
      assert.equal(Buffer.from((await s.get('d/4'))!).toString(), '4');
    } finally {
      inner.applyAll = applyAll;
      restore();
      for (const release of held) release();
      await s.close();
    }
  });

  it('a condition on a key whose commit awaits its sync is checked against that commit, not the value cache', async () => {
    const s = await SqliteStorage.open(join(dir, 'cond-unsynced.db'));
    const b = (t: string) => Buffer.from(t);
    await s.put('c/k', b('0'));
    assert.equal(Buffer.from((await s.get('c/k'))!).toString(), '0'); // the cache now holds '0'
    const held: (() => void)[] = [];
    const restore = fakeFdatasync((fd, cb, real) => held.push(() => real(fd, cb)));
    try {
      const first = s.put('c/k', b('1'));
      await turn(); // committed; its sync is held, so the cache still says '0'
      const stale = assert.rejects(s.batch([{ type: 'put', key: 'c/other', value: b('x') }], [{ key: 'c/k', value: b('0') }]), ConflictError);
      const fresh = s.batch([{ type: 'put', key: 'c/k', value: b('2') }], [{ key: 'c/k', value: b('1') }]);
      // Commit the queue now, while that sync still runs (as close() and replaceAll() do).
      (s as unknown as { flush: () => void }).flush();
      restore(); // later syncs run as usual
      while (held.length) held.shift()!();
      await first;
      await stale;
      await fresh;
      assert.equal(Buffer.from((await s.get('c/k'))!).toString(), '2');
      assert.equal(await s.get('c/other'), undefined);
    } finally {
      restore();
      for (const release of held) release();
      await s.close();
    }
  });

  it('a failed WAL sync fails the writes it was to acknowledge, the writes queued behind it and every later call', async () => {
    const s = await SqliteStorage.open(join(dir, 'eio.db'));
    await s.put('f/ok', Buffer.from('0'));
    let fail!: () => void;
    const restore = fakeFdatasync((_fd, cb) => {
      fail = () => cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    });
    try {
      const committed = s.put('f/a', Buffer.from('1'));
      await turn(); // committed; its sync is running
      const queued = s.put('f/b', Buffer.from('2'));
      await turn();
      fail();
      await assert.rejects(committed, /syncing the write-ahead log failed/);
      await assert.rejects(queued, /syncing the write-ahead log failed/);
      await assert.rejects(s.get('f/ok'), /syncing the write-ahead log failed/);
      await assert.rejects(s.put('f/c', Buffer.from('3')), /syncing the write-ahead log failed/);
    } finally {
      restore();
      await s.close();
    }
  });

  it('a full disk refuses the write with a 503-class error that says so, applies nothing, and writes again once there is room', async () => {
    const s = await SqliteStorage.open(join(dir, 'full.db'));
    // SQLite's max_page_count answers exactly as a full disk does (SQLITE_FULL).
    const db = (s as unknown as { db: Database.Database }).db;
    try {
      await s.put('full/small', Buffer.from('kept'));
      db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true })) + 2}`);
      const big = Buffer.alloc(64 * 1024, 7);
      // Alone, and inside a group with a write that fits: only the big one fails.
      const alone = s.put('full/big', big);
      await assert.rejects(alone, (err: Error) => isStorageUnavailableError(err) && (err as StorageUnavailableError).notApplied &&
        /disk holding the SQLite database is full; this write was not applied/.test(err.message));
      const [bigInGroup, fits] = await Promise.allSettled([s.put('full/big2', big), s.put('full/fits', Buffer.from('y'))]);
      assert.equal(bigInGroup.status, 'rejected');
      assert.equal(fits.status, 'fulfilled');
      assert.equal(await s.get('full/big'), undefined);
      assert.equal(await s.get('full/big2'), undefined);
      assert.equal(Buffer.from((await s.get('full/small'))!).toString(), 'kept');
      db.pragma('max_page_count = 1073741823');
      await s.put('full/big', big);
      assert.equal((await s.get('full/big'))!.length, big.length);
    } finally {
      await s.close();
    }
  });

  it('supports :memory:', async () => {
    const s = await SqliteStorage.open(':memory:');
    try {
      await s.put('a', Buffer.from('b'));
      assert.equal(Buffer.from((await s.get('a'))!).toString(), 'b');
    } finally {
      await s.close();
    }
  });
});
