/**
 * The PostgreSQL change feed (HA): two PostgresStorage instances ("nodes") on one table, a
 * fresh table per test. Needs a server (see test/helpers/postgres.ts).
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { changeChannel } from '../../src/storage/postgres-changes.js';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { TransactionalStorage } from '../../src/storage/transaction.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';

const enc = (s: string): Buffer => Buffer.from(s);

/** Collects what a node's feed emits. */
function collect(s: PostgresStorage): { keys: string[]; all: number; waitFor: (key: string, ms?: number) => Promise<void> } {
  const out = { keys: [] as string[], all: 0, waiters: new Map<string, () => void>() };
  s.changes!.subscribe((keys) => {
    if (keys === 'all') {
      out.all++;
      return;
    }
    for (const k of keys) {
      out.keys.push(k);
      out.waiters.get(k)?.();
    }
  });
  return {
    get keys() {
      return out.keys;
    },
    get all() {
      return out.all;
    },
    waitFor: (key, ms = 5_000) =>
      out.keys.includes(key)
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`timed out waiting ${ms} ms for a change`)), ms);
            out.waiters.set(key, () => {
              clearTimeout(timer);
              out.waiters.delete(key);
              resolve();
            });
          }),
  };
}

/** Polls `cond` every 10 ms for at most `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<number> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > ms) throw new Error(`not ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - start;
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

if (await requirePostgres('postgres change feed')) {
  describe('PostgreSQL change feed (ha)', () => {
    const tables: string[] = [];
    after(async () => {
      for (const t of tables) await pgAdmin(`DROP TABLE IF EXISTS "${t}", "${t}_changes"`);
    });
    /** Two nodes on a fresh table. */
    const nodes = async (maxLagMs?: number) => {
      const table = `coffer_ch_${process.pid}_${randomBytes(3).toString('hex')}`;
      tables.push(table);
      const open = (nodeId: string) => PostgresStorage.open({ connectionUrl: pgUrl, table, ha: { nodeId, ...(maxLagMs ? { maxLagMs } : {}) } });
      const a = await open('node-a');
      const b = await open('node-b');
      return { table, a, b, close: () => Promise.all([a.close(), b.close()]) };
    };

    it("node B sees node A's writes (put, delete, batch, transactions); A's own writes are not echoed", async () => {
      const { a, b, close } = await nodes();
      try {
        assert.ok(a.changes && b.changes);
        assert.ok(a.changes.isCurrent() && b.changes.isCurrent(), 'current right after open');
        const seenByA = collect(a);
        const seenByB = collect(b);
        const latencies: number[] = [];
        for (let i = 0; i < 200; i++) {
          const key = `lat/${i}`;
          const t = performance.now();
          await a.put(key, enc('v'));
          await seenByB.waitFor(key);
          latencies.push(performance.now() - t);
        }
        latencies.sort((x, y) => x - y);
        console.log(
          `change feed latency, write start to seen on the other node, 200 writes: p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms, max ${latencies[latencies.length - 1]!.toFixed(1)} ms`,
        );
        await a.delete('lat/0');
        await seenByB.waitFor('lat/0'); // already seen once; the delete arrives too
        await a.batch([{ type: 'put', key: 'bt/x', value: enc('1') }, { type: 'delete', key: 'bt/y' }]);
        await Promise.all([seenByB.waitFor('bt/x'), seenByB.waitFor('bt/y')]);
        const tx = new TransactionalStorage(a);
        await tx.run(async () => {
          await tx.put('tx/one', enc('1'));
          await tx.put('tx/two', enc('2'));
        });
        await Promise.all([seenByB.waitFor('tx/one'), seenByB.waitFor('tx/two')]);
        // B's writes reach A; A never saw its own.
        await b.put('from/b', enc('b'));
        await seenByA.waitFor('from/b');
        assert.deepEqual(seenByA.keys, ['from/b']);
        assert.ok(!seenByB.keys.includes('from/b'));
        assert.equal(seenByA.all + seenByB.all, 0, 'no "all" while connected');
      } finally {
        await close();
      }
    });

    it('a lower seq that commits after a higher one is not missed', async () => {
      const { table, a, b, close } = await nodes();
      const late = new pg.Client({ connectionString: pgUrl });
      await late.connect();
      try {
        const seenByB = collect(b);
        // A third writer takes a seq and holds its transaction open ...
        await late.query('BEGIN');
        const { rows } = await late.query<{ seq: string }>(
          `INSERT INTO "${table}_changes" (node_id, keys, at) VALUES ('node-c', ARRAY['late/key'], clock_timestamp()) RETURNING seq`,
        );
        // ... while A writes (a higher seq) and B has seen it, so the lower seq is now a hole.
        await a.put('early/key', enc('1'));
        await seenByB.waitFor('early/key');
        const high = await late.query<{ seq: string }>(`SELECT max(seq) AS seq FROM "${table}_changes"`);
        assert.ok(Number(rows[0]!.seq) < Number(high.rows[0]!.seq));
        await late.query(`SELECT pg_notify($1, $2)`, [changeChannel(`"${table}"`), rows[0]!.seq]);
        await late.query('COMMIT');
        await seenByB.waitFor('late/key', 3_000);
        // And a hole that is never filled (rolled back) costs nothing visible.
        await late.query('BEGIN');
        await late.query(`INSERT INTO "${table}_changes" (node_id, keys) VALUES ('node-c', ARRAY['never'])`);
        await late.query('ROLLBACK');
        await a.put('after/rollback', enc('1'));
        await seenByB.waitFor('after/rollback');
        assert.ok(!seenByB.keys.includes('never'));
        assert.ok(b.changes!.isCurrent());
      } finally {
        await late.end();
        await close();
      }
    });

    it('a killed LISTEN connection: not current at once, "all", then current again and still delivering', async () => {
      const { a, b, close } = await nodes();
      try {
        const seenByB = collect(b);
        assert.ok(b.changes!.isCurrent());
        const killed = performance.now();
        await pgAdmin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'coffer-changes:node-b'`);
        const down = await until(() => !b.changes!.isCurrent(), 1_000, 'not current');
        // Written while B's feed is down: covered by the 'all' on reconnect.
        await a.put('during/outage', enc('1'));
        const up = await until(() => b.changes!.isCurrent() && seenByB.all > 0, 5_000, 'current again');
        console.log(`LISTEN connection killed: not current after ${down.toFixed(0)} ms, current again ${(performance.now() - killed).toFixed(0)} ms after the kill (${up.toFixed(0)} ms after going down)`);
        assert.equal(seenByB.all, 1);
        await a.put('after/reconnect', enc('1'));
        await seenByB.waitFor('after/reconnect');
        assert.ok(a.changes!.isCurrent(), "the other node's feed was not affected");
      } finally {
        await close();
      }
    });

    it('isCurrent() turns false when the feed cannot confirm within maxLagMs', async () => {
      const { table, b, close } = await nodes(300);
      const locker = new pg.Client({ connectionString: pgUrl });
      await locker.connect();
      try {
        assert.ok(b.changes!.isCurrent());
        // An exclusive lock blocks the feed's confirmation query: no round trip succeeds.
        await locker.query('BEGIN');
        await locker.query(`LOCK TABLE "${table}_changes" IN ACCESS EXCLUSIVE MODE`);
        await until(() => !b.changes!.isCurrent(), 2_000, 'not current');
        await locker.query('ROLLBACK');
        await until(() => b.changes!.isCurrent(), 3_000, 'current again');
      } finally {
        await locker.end();
        await close();
      }
    });

    it('without ha: no changes table, no feed', async () => {
      const table = `coffer_ch_${process.pid}_${randomBytes(3).toString('hex')}`;
      tables.push(table);
      const s = await PostgresStorage.open({ connectionUrl: pgUrl, table });
      try {
        await s.put('k', enc('v'));
        await s.batch([{ type: 'put', key: 'k2', value: enc('v') }], [{ key: 'k2', value: undefined }]);
        assert.equal(s.changes, undefined);
        const client = new pg.Client({ connectionString: pgUrl });
        await client.connect();
        const res = await client.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [`"${table}_changes"`]);
        await client.end();
        assert.equal(res.rows[0]!.t, null);
      } finally {
        await s.close();
      }
    });

    it('rejects a bad ha configuration', async () => {
      await assert.rejects(PostgresStorage.open({ connectionUrl: pgUrl, table: 'x_cfg', ha: { nodeId: '' } }), /ha.nodeId must be a non-empty string/);
      await assert.rejects(PostgresStorage.open({ connectionUrl: pgUrl, table: 'x_cfg', ha: { nodeId: 'n', maxLagMs: 5 } }), /maxLagMs/);
      await assert.rejects(PostgresStorage.open({ connectionUrl: pgUrl, table: 'x'.repeat(60), ha: { nodeId: 'n' } }), /at most 52 characters/);
      await pgAdmin('DROP TABLE IF EXISTS x_cfg');
    });
  });
}
