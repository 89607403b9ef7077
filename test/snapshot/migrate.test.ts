// `coffer operator migrate`: 100,000 entries SQLite -> PostgreSQL -> SQLite through the real CLI,
// with count and checksum checked independently of the command (direct SQL reads), a refused
// non-empty destination, -force, a storage still in use, and bad configs.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { runCoffer } from '../helpers/cli.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-migrate-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Count and SHA-256 over (key, value) rows in key byte order: computed here, not by Coffer. */
function digest(rows: Iterable<{ key: Buffer | string; value: Buffer }>): { count: number; sha: string } {
  const h = createHash('sha256');
  let count = 0;
  for (const r of rows) {
    const k = Buffer.isBuffer(r.key) ? r.key : Buffer.from(r.key, 'utf8');
    h.update(k).update('\0').update(String(r.value.length)).update('\0').update(r.value);
    count++;
  }
  return { count, sha: h.digest('hex') };
}

function sqliteDigest(path: string) {
  const db = new Database(path, { readonly: true });
  try {
    return digest(db.prepare('SELECT key, value FROM coffer_kv ORDER BY key').iterate() as Iterable<{ key: string; value: Buffer }>);
  } finally {
    db.close();
  }
}

async function pgDigest(table: string) {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const res = await client.query<{ key: Buffer; value: Buffer }>(`SELECT key, value FROM "${table}" ORDER BY key`);
    return digest(res.rows);
  } finally {
    await client.end();
  }
}

const config = (name: string, text: string): string => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('coffer operator migrate: bad configs', () => {
  it('says what to fix and copies nothing', async () => {
    const cases: [string, RegExp][] = [
      ['storage_source "sqlite" { path = "/tmp/x.db" }\n', /exactly one storage_destination block is required/],
      ['storage_source "sqlite" { path = "a.db" }\nstorage_destination "mysql" { path = "b" }\n', /unknown storage type/],
      ['storage_source "sqlite" { path = "a.db" }\nstorage_destination "sqlite" { path = "a.db" }\n', /the same storage/],
      ['storage_source "sqlite" { }\nstorage_destination "sqlite" { path = "b.db" }\n', /"path" is required/],
      ['storage "sqlite" { path = "a.db" }\n', /unknown setting "storage"/],
      ['storage_source "sqlite" { path = \n', /migrate-bad-5\.hcl/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const res = await runCoffer(['operator', 'migrate', '-config', config(`migrate-bad-${i}.hcl`, text)]);
      assert.notEqual(res.code, 0, text);
      assert.match(res.err, message, text);
    }
    const missing = await runCoffer(['operator', 'migrate']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /-config FILE/);
  });
});

if (await requirePostgres('migration between SQLite and PostgreSQL')) {
  const table = `coffer_migrate_${process.pid}_${randomBytes(4).toString('hex')}`;
  after(() => pgAdmin(`DROP TABLE IF EXISTS "${table}"`));
  const N = 100_000;

  describe('coffer operator migrate: SQLite <-> PostgreSQL', () => {
    const src = join(dir, 'source.db');
    const back = join(dir, 'back.db');
    const toPg = config('to-pg.hcl', `storage_source "sqlite" {\n  path = "${src}"\n}\nstorage_destination "postgresql" {\n  connection_url = "${pgUrl}"\n  table = "${table}"\n}\n`);
    const toSqlite = config('to-sqlite.hcl', `storage_source "postgresql" {\n  connection_url = "${pgUrl}"\n  table = "${table}"\n}\nstorage_destination "sqlite" {\n  path = "${back}"\n}\n`);

    it(`copies ${N.toLocaleString('en')} entries both ways with equal counts and checksums`, { timeout: 60_000 }, async () => {
      const s = await SqliteStorage.open(src);
      await s.replaceAll(
        (function* () {
          for (let b = 0; b < N / 1000; b++) {
            yield Array.from({ length: 1000 }, (_, i) => {
              const n = b * 1000 + i;
              return { key: `logical/${n % 97}/k${n}${n % 3 === 0 ? '/deep' : ''}`, value: randomBytes(16 + (n % 64)) };
            });
          }
        })(),
      );
      await s.close();
      const original = sqliteDigest(src);
      assert.equal(original.count, N);

      const there = await runCoffer(['operator', 'migrate', '-config', toPg]);
      assert.equal(there.code, 0, there.err);
      assert.match(there.out, new RegExp(`Copied ${N} entries`));
      assert.deepEqual(await pgDigest(table), original);

      const home = await runCoffer(['operator', 'migrate', '-config', toSqlite]);
      assert.equal(home.code, 0, home.err);
      assert.deepEqual(sqliteDigest(back), original);
      // Both runs report the same checksum for the same content.
      assert.equal(/checksum ([0-9a-f]{64})/.exec(there.out)?.[1], /checksum ([0-9a-f]{64})/.exec(home.out)?.[1]);
    });

    it('refuses a non-empty destination without -force (nothing changes), replaces it with -force', { timeout: 60_000 }, async () => {
      const other = join(dir, 'other.db');
      const s = await SqliteStorage.open(other);
      await s.put('only/here', Buffer.from('x'));
      await s.close();
      const cfg = config('to-other.hcl', `storage_source "sqlite" {\n  path = "${src}"\n}\nstorage_destination "sqlite" {\n  path = "${other}"\n}\n`);
      const before = sqliteDigest(other);
      const refused = await runCoffer(['operator', 'migrate', '-config', cfg]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.err, /destination storage is not empty \(1 entries\); nothing was copied\. Pass -force/);
      assert.deepEqual(sqliteDigest(other), before);

      const forced = await runCoffer(['operator', 'migrate', '-config', cfg, '-force']);
      assert.equal(forced.code, 0, forced.err);
      assert.deepEqual(sqliteDigest(other), sqliteDigest(src));
    });

    it('refuses a storage that a running server holds', async () => {
      const held = await SqliteStorage.open(src);
      try {
        const res = await runCoffer(['operator', 'migrate', '-config', toPg, '-force']);
        assert.notEqual(res.code, 0);
        assert.match(res.err, /storage_source .*in use by another process.*Stop every server/);
      } finally {
        await held.close();
      }
    });
  });
}
