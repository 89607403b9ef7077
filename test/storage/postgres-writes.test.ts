/**
 * PostgreSQL prepared statements: the group writer's batch statement (src/storage/postgres-writes.ts)
 * keeps its cached generic plan on key lookups after the table grows, and a server that loses or
 * cannot run it falls back to the inline statement with the same meaning (conditions still
 * checked, nothing applied twice); reads (PostgresStorage.get) use a named statement and fall back
 * to unnamed ones the same way. Needs a server like test/storage/postgres.test.ts.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { ConflictError } from '../../src/storage/errors.js';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { PgGroupWriter } from '../../src/storage/postgres-writes.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';

const table = `coffer_pgw_test_${process.pid}_${randomBytes(4).toString('hex')}`;
const quoted = `"${table}"`;

if (await requirePostgres('postgres group writer')) {
  describe('PgGroupWriter (prepared batch statement)', () => {
    after(() => pgAdmin(`DROP TABLE IF EXISTS ${quoted}`));

    /** A writer on ONE pooled connection, so the test can look at that connection's session. */
    async function setup(): Promise<{ pool: pg.Pool; writer: PgGroupWriter }> {
      await pgAdmin(`DROP TABLE IF EXISTS ${quoted}`);
      await pgAdmin(`CREATE TABLE ${quoted} (key BYTEA PRIMARY KEY, value BYTEA NOT NULL)`);
      const pool = new pg.Pool({ connectionString: pgUrl, max: 1 });
      return { pool, writer: new PgGroupWriter({ connect: () => pool.connect(), table: quoted, maxGroups: 1 }) };
    }

    const value = async (pool: pg.Pool, key: string): Promise<string | undefined> =>
      (await pool.query<{ value: Buffer }>(`SELECT value FROM ${quoted} WHERE key = $1`, [Buffer.from(key)])).rows[0]?.value.toString();

    it('keeps the generic plan on index lookups after the table grows from empty', async () => {
      const { pool, writer } = await setup();
      try {
        // First write on an empty table: the generic plan is made (and cached) now.
        await writer.write([{ type: 'put', key: 'g/a', value: Buffer.from('1') }], [{ key: 'g/a', value: undefined }]);
        await pgAdmin(`INSERT INTO ${quoted} SELECT convert_to('fill/' || g, 'UTF8'), '\\x00' FROM generate_series(1, 20000) g`);
        // (No ANALYZE: it would invalidate the cached plan; growth alone does not.)
        const names = (await pool.query<{ name: string; generic_plans: string }>(`SELECT name, generic_plans FROM pg_prepared_statements`)).rows;
        assert.equal(names.length, 1, 'one prepared statement on the writer\'s connection');
        assert.ok(Number(names[0]!.generic_plans) >= 1, 'the write used the generic plan');
        // The plan the next write would run (same session, same transaction settings).
        const client = await pool.connect();
        let plan: string;
        try {
          await client.query('BEGIN');
          await client.query(`SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true), set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true)`);
          const rows = (await client.query<{ 'QUERY PLAN': string }>(
            `EXPLAIN EXECUTE ${names[0]!.name}(ARRAY[convert_to('g/a', 'UTF8')], ARRAY['\\x31'::bytea], ARRAY[convert_to('g/a', 'UTF8')], ARRAY['\\x32'::bytea], '{}'::bytea[])`,
          )).rows;
          plan = rows.map((r) => r['QUERY PLAN']).join('\n');
        } finally {
          await client.query('ROLLBACK');
          client.release();
        }
        assert.doesNotMatch(plan, /Seq Scan|Hash Join|Hash Right Join|Merge Join/, plan);
        assert.match(plan, /Index Scan using/, plan);
        // And it still checks conditions: a stale one is refused, the current one applies.
        await assert.rejects(writer.write([{ type: 'put', key: 'g/a', value: Buffer.from('x') }], [{ key: 'g/a', value: Buffer.from('0') }]), ConflictError);
        await writer.write([{ type: 'put', key: 'g/a', value: Buffer.from('2') }], [{ key: 'g/a', value: Buffer.from('1') }]);
        assert.equal(await value(pool, 'g/a'), '2');
      } finally {
        await pool.end();
      }
    });

    it('falls back to the inline statement when the prepared one is gone, applying each batch once', async () => {
      const { pool, writer } = await setup();
      try {
        await writer.write([{ type: 'put', key: 'f/a', value: Buffer.from('1') }], undefined);
        // A proxy that moved the session (or anyone) dropped it behind the writer's back.
        await pool.query('DEALLOCATE ALL');
        await writer.write(
          [{ type: 'put', key: 'f/a', value: Buffer.from('2') }, { type: 'put', key: 'f/b', value: Buffer.from('b') }],
          [{ key: 'f/a', value: Buffer.from('1') }, { key: 'f/none', value: undefined }],
        );
        assert.equal(await value(pool, 'f/a'), '2');
        assert.equal(await value(pool, 'f/b'), 'b');
        // Conditions are still checked on the inline path, and the writer did not prepare again.
        await assert.rejects(writer.write([{ type: 'delete', key: 'f/a' }], [{ key: 'f/a', value: Buffer.from('1') }]), ConflictError);
        assert.equal(await value(pool, 'f/a'), '2');
        await writer.write([{ type: 'delete', key: 'f/a' }], [{ key: 'f/a', value: Buffer.from('2') }]);
        assert.equal(await value(pool, 'f/a'), undefined);
        assert.equal((await pool.query('SELECT name FROM pg_prepared_statements')).rows.length, 0);
      } finally {
        await pool.end();
      }
    });
  });

  describe('PostgresStorage reads (named statement)', () => {
    const readTable = `${table}_r`;
    after(() => pgAdmin(`DROP TABLE IF EXISTS "${readTable}"`));

    it('reads through a named statement, and through unnamed ones once the server lost it', async () => {
      // Not exclusive: no value cache, every get goes to the database (one pooled connection).
      const s = await PostgresStorage.open({ connectionUrl: pgUrl, table: readTable, maxConnections: 1 });
      // The pool, to look at (and spoil) the session the reads use.
      const pool = (s as unknown as { pool: { query: (sql: string) => Promise<pg.QueryResult<{ name: string }>> } }).pool;
      try {
        await s.put('r/a', Buffer.from('1'));
        assert.equal(Buffer.from((await s.get('r/a'))!).toString(), '1');
        const names = (await pool.query('SELECT name FROM pg_prepared_statements')).rows.map((r) => r.name);
        assert.ok(names.some((n) => n.startsWith('coffer_get_')), names.join(','));
        await pool.query('DEALLOCATE ALL');
        assert.equal(Buffer.from((await s.get('r/a'))!).toString(), '1');
        await s.put('r/a', Buffer.from('2'));
        assert.equal(Buffer.from((await s.get('r/a'))!).toString(), '2');
        assert.equal(await s.get('r/none'), undefined);
      } finally {
        await s.close();
      }
    });
  });
}
