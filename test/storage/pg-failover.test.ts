/**
 * PostgreSQL failover with real parts: a private primary + synchronous standby
 * (test/helpers/pg-cluster.ts), a multi-host URL, write load through PostgresStorage, a
 * standby that lags (its WAL receiver frozen), then `pg_ctl stop -m immediate` on the primary
 * and `pg_ctl promote` on the standby. Writes carry
 * on by themselves, no acknowledged write is lost, and while no primary answers every call
 * fails fast with StorageUnavailableError. Prints the time from the kill (and from the
 * promotion) to the first successful write, p50 over the runs. The leader election follows too.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { isStorageUnavailableError } from '../../src/storage/errors.js';
import { PostgresCoordinator } from '../../src/storage/postgres-cluster.js';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { PgCluster, requirePgCluster } from '../helpers/pg-cluster.js';

const RUNS = Number(process.env.COFFER_FAILOVER_RUNS) || 5;
const WRITERS = 4;
/** A failed call must come back within this (ms): no hang while no primary answers. */
const FAIL_BOUND_MS = 3000;
const table = `coffer_failover_${randomBytes(4).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

if (requirePgCluster('postgres failover')) {
  describe('PostgreSQL failover (primary + synchronous standby)', () => {
    let cluster: PgCluster;
    before(async () => {
      cluster = await PgCluster.start();
    });
    after(() => cluster?.remove());

    it(`writes carry on after kill + promote; no acknowledged write lost (${RUNS} runs)`, async () => {
      const storage = await PostgresStorage.open({ connectionUrl: cluster.url(), table, connectTimeoutMs: 2000, queryTimeoutMs: 5000 });
      const fromKill: number[] = [];
      const fromPromote: number[] = [];
      const counts: string[] = [];
      try {
        for (let run = 0; run < RUNS; run++) {
          /** Acknowledged writes: key -> value; and the highest acknowledged counter per writer. */
          const acked = new Map<string, string>();
          const counter = new Array<number>(WRITERS).fill(-1);
          const failures: { err: unknown; ms: number; at: number }[] = [];
          const successes: number[] = []; // start times of successful writes
          let stop = false;
          const writer = async (w: number) => {
            for (let seq = 0; !stop; seq++) {
              const key = `r${run}/w${w}/${String(seq).padStart(6, '0')}`;
              const value = `${run}.${w}.${seq}`;
              const started = Date.now();
              try {
                // Half plain puts, half batches that also move the writer's counter.
                if (seq % 2 === 0) await storage.put(key, Buffer.from(value));
                else {
                  await storage.batch([
                    { type: 'put', key, value: Buffer.from(value) },
                    { type: 'put', key: `r${run}/counter/w${w}`, value: Buffer.from(String(seq)) },
                  ]);
                  counter[w] = seq;
                }
                acked.set(key, value);
                successes.push(started);
              } catch (err) {
                failures.push({ err, ms: Date.now() - started, at: started });
                await sleep(5);
              }
            }
          };
          const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));

          await waitFor(() => acked.size >= 100, 'writes before the kill', 20_000);
          // The standby falls behind just before the crash: without synchronous replication the
          // writes acknowledged meanwhile exist only on the primary and die with it.
          await cluster.pauseStandby();
          await sleep(300);
          const killStart = Date.now();
          await cluster.killPrimary();
          // Any write started after this went to a server that is not the old primary.
          const killedAt = Date.now();
          cluster.resumeStandby();
          // Nobody takes writes for a while: calls must fail fast and typed.
          await sleep(500);
          const promotedAt = Date.now();
          await cluster.promoteStandby();
          await waitFor(() => successes.some((t) => t > killedAt), 'the first write after the promotion', 20_000);
          const firstOk = Math.min(...successes.filter((t) => t > killedAt));
          const before = acked.size;
          await waitFor(() => acked.size >= before + 100, 'writes after the promotion', 20_000);
          stop = true;
          await Promise.all(writers);
          fromKill.push(firstOk - killStart);
          fromPromote.push(Math.max(0, firstOk - promotedAt));

          // Every failure was a StorageUnavailableError, and came back quickly.
          assert.ok(failures.length > 0, 'writes failed while no primary was reachable');
          for (const f of failures) {
            assert.ok(isStorageUnavailableError(f.err), `unexpected error: ${(f.err as Error)?.stack ?? String(f.err)}`);
            assert.match((f.err as Error).message, /^storage unavailable: no writable PostgreSQL primary reachable at 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+; retrying$/);
            assert.ok(f.ms < FAIL_BOUND_MS, `a failed call took ${f.ms} ms`);
          }

          // Nothing acknowledged is missing on the new primary (read through a fresh storage).
          const check = await PostgresStorage.open({ connectionUrl: cluster.url(), table });
          try {
            let lost = 0;
            for (let w = 0; w < WRITERS; w++) {
              const present = new Set(await check.list(`r${run}/w${w}/`));
              for (const [key, value] of acked) {
                if (!key.startsWith(`r${run}/w${w}/`)) continue;
                if (!present.has(key.slice(`r${run}/w${w}/`.length))) lost++;
                else if (Buffer.from((await check.get(key))!).toString() !== value) lost++;
              }
              const stored = await check.get(`r${run}/counter/w${w}`);
              if (counter[w]! >= 0) assert.ok(Number(Buffer.from(stored!).toString()) >= counter[w]!, `counter of writer ${w} went back`);
            }
            assert.equal(lost, 0, `run ${run}: ${lost} of ${acked.size} acknowledged writes lost`);
            counts.push(`${acked.size} acked/${failures.length} failed`);
          } finally {
            await check.close();
          }
          // A new synchronous standby for the next run (the URL keeps naming both servers).
          await cluster.rebuildStandby();
        }
      } finally {
        await storage.close();
      }
      console.log(
        `# failover (${RUNS} runs): kill -> first write ${fromKill.join(', ')} ms, p50 ${p50(fromKill)} ms (includes a 500 ms hold before promoting); ` +
          `promote -> first write ${fromPromote.join(', ')} ms, p50 ${p50(fromPromote)} ms; writes ${counts.join(', ')}, 0 acknowledged lost`,
      );
    });

    it('a primary that turns read-only (25006) is left; calls fail typed until one is writable again', async () => {
      const storage = await PostgresStorage.open({ connectionUrl: cluster.url(), table, connectTimeoutMs: 2000 });
      const readOnly = async (on: boolean) => {
        await cluster.sql(cluster.primary, `ALTER SYSTEM SET default_transaction_read_only = ${on ? 'on' : 'off'}`);
        await cluster.sql(cluster.primary, 'SELECT pg_reload_conf()');
      };
      try {
        await storage.put('ro/a', Buffer.from('1'));
        await readOnly(true);
        // The pooled session sees the reload on its next statement: 25006, then no writable host.
        await waitFor(async () => {
          try {
            await storage.put('ro/b', Buffer.from('2'));
            return false;
          } catch (err) {
            assert.ok(isStorageUnavailableError(err), `unexpected error: ${(err as Error).message}`);
            return true;
          }
        }, 'the read-only refusal', 5000);
        await readOnly(false);
        await waitFor(async () => storage.put('ro/b', Buffer.from('2')).then(() => true, () => false), 'writes again', 5000);
        assert.deepEqual(await storage.list('ro/'), ['a', 'b']);
      } finally {
        await readOnly(false).catch(() => {});
        await storage.close();
      }
    });

    it('a fast shutdown (57P01 on every session) then a promotion: typed errors, then writes carry on', async () => {
      const storage = await PostgresStorage.open({ connectionUrl: cluster.url(), table, connectTimeoutMs: 2000 });
      try {
        await storage.put('fast/a', Buffer.from('1'));
        await cluster.killPrimary('fast');
        const t0 = Date.now();
        await assert.rejects(storage.put('fast/b', Buffer.from('2')), (err: Error) => isStorageUnavailableError(err));
        assert.ok(Date.now() - t0 < FAIL_BOUND_MS, `took ${Date.now() - t0} ms`);
        await cluster.promoteStandby();
        await waitFor(async () => storage.put('fast/b', Buffer.from('2')).then(() => true, () => false), 'writes on the new primary', 5000);
        assert.deepEqual(await storage.list('fast/'), ['a', 'b']);
        await cluster.rebuildStandby();
      } finally {
        await storage.close();
      }
    });

    it('the leader steps down when the primary dies and a node leads again on the promoted one', async () => {
      const c = await PostgresCoordinator.open({ connectionUrl: cluster.url(), table, nodeId: 'n1', apiAddr: 'http://n1.test:8200', heartbeatMs: 200 });
      try {
        const events: [boolean, number][] = [];
        c.onLeadershipChange((l) => events.push([l, Date.now()]));
        await waitFor(() => c.isLeader(), 'leadership', 3000);
        const killedAt = Date.now();
        await cluster.killPrimary();
        await waitFor(() => !c.isLeader(), 'stepping down', 3000);
        const steppedDown = events.find(([l]) => !l)![1] - killedAt;
        await cluster.promoteStandby();
        await waitFor(() => c.isLeader(), 'leadership on the new primary', 5000);
        assert.equal((await c.leader())?.nodeId, 'n1');
        console.log(`# coordinator: stepped down ${steppedDown} ms after the kill; leads again ${events.at(-1)![1] - killedAt} ms after it`);
        await cluster.rebuildStandby();
      } finally {
        await c.close();
      }
    });
  });
}
