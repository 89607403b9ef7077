/**
 * TransactionalStorage on every backend: memory, sqlite and (when it answers) PostgreSQL.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConflictError } from '../../src/storage/errors.js';
import { MemoryStorage } from '../../src/storage/memory.js';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { PrefixedStorage } from '../../src/storage/prefixed.js';
import { SqliteStorage } from '../../src/storage/sqlite.js';
import { TransactionalStorage } from '../../src/storage/transaction.js';
import type { NamedStorage, Storage } from '../../src/storage/types.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';

const enc = (s: string): Uint8Array => Buffer.from(s);
const dec = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());

/** A promise and its resolver: lets a test hold a transaction open at a chosen point. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** Every page of `prefix` with `limit`, following `after`. */
async function pageAll(s: Storage, prefix: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let afterName: string | undefined;
  for (let guard = 0; guard < 1000; guard++) {
    const page = await s.list(prefix, { after: afterName, limit });
    assert.ok(page.length <= limit);
    if (page.length === 0) return out;
    out.push(...page);
    afterName = page[page.length - 1];
  }
  throw new Error('paging did not terminate');
}

/** Records onCommit / onDiscard calls. */
function record(ts: TransactionalStorage): { commits: string[][]; discards: string[][] } {
  const r = { commits: [] as string[][], discards: [] as string[][] };
  ts.onCommit((keys) => r.commits.push([...keys].sort()));
  ts.onDiscard((keys) => r.discards.push([...keys].sort()));
  return r;
}

function transactionSuite(name: string, open: () => Promise<NamedStorage>, cleanup?: () => Promise<void>): void {
  describe(`TransactionalStorage over ${name}`, () => {
    if (cleanup) after(cleanup);
    const withTs = (fn: (ts: TransactionalStorage, inner: NamedStorage) => Promise<void>) => async () => {
      const inner = await open();
      const ts = new TransactionalStorage(inner);
      try {
        await fn(ts, inner);
      } finally {
        await ts.close();
      }
    };

    it('passes calls straight through outside run() and reports the inner type', withTs(async (ts, inner) => {
      assert.equal(ts.type, inner.type);
      assert.equal(ts.inTransaction(), false);
      await ts.put('o/a', enc('1'));
      assert.equal(dec(await inner.get('o/a')), '1', 'written at once');
      await ts.batch([{ type: 'delete', key: 'o/a' }]);
      assert.equal(await inner.get('o/a'), undefined);
    }));

    it('reads its own writes; other readers see nothing until commit; then all at once', withTs(async (ts, inner) => {
      const r = record(ts);
      await inner.put('r/old', enc('old'));
      await inner.put('r/gone', enc('g'));
      const mid = gate();
      const resume = gate();
      const done = ts.run(async () => {
        assert.equal(ts.inTransaction(), true);
        await ts.put('r/new', enc('n'));
        await ts.put('r/old', enc('changed'));
        await ts.delete('r/gone');
        await ts.batch([{ type: 'put', key: 'r/b1', value: enc('1') }, { type: 'put', key: 'r/b2', value: enc('2') }]);
        assert.equal(dec(await ts.get('r/new')), 'n');
        assert.equal(dec(await ts.get('r/old')), 'changed');
        assert.equal(await ts.get('r/gone'), undefined);
        assert.deepEqual(await ts.list('r/'), ['b1', 'b2', 'new', 'old']);
        mid.open();
        await resume.wait;
        return 'result';
      });
      await mid.wait;
      // Outside the transaction (another request): the committed state only.
      assert.equal(ts.inTransaction(), false);
      assert.equal(await ts.get('r/new'), undefined);
      assert.equal(dec(await ts.get('r/old')), 'old');
      assert.equal(dec(await ts.get('r/gone')), 'g');
      assert.deepEqual(await ts.list('r/'), ['gone', 'old']);
      assert.deepEqual(r.commits, []);
      resume.open();
      assert.equal(await done, 'result');
      assert.deepEqual(await inner.list('r/'), ['b1', 'b2', 'new', 'old']);
      assert.equal(dec(await inner.get('r/old')), 'changed');
      assert.deepEqual(r.commits, [['r/b1', 'r/b2', 'r/gone', 'r/new', 'r/old']]);
      assert.deepEqual(r.discards, []);
    }));

    it('discards the writes when fn throws', withTs(async (ts, inner) => {
      const r = record(ts);
      await inner.put('d/keep', enc('k'));
      const boom = new Error('boom');
      await assert.rejects(
        ts.run(async () => {
          await ts.put('d/new', enc('n'));
          await ts.delete('d/keep');
          throw boom;
        }),
        (err) => err === boom,
      );
      assert.equal(await inner.get('d/new'), undefined);
      assert.equal(dec(await inner.get('d/keep')), 'k');
      assert.deepEqual(r.commits, []);
      assert.deepEqual(r.discards, [['d/keep', 'd/new']]);
    }));

    it('a read-only transaction commits nothing and never conflicts', withTs(async (ts, inner) => {
      const r = record(ts);
      await inner.put('ro/k', enc('1'));
      const v = await ts.run(async () => {
        const first = dec(await ts.get('ro/k'));
        await inner.put('ro/k', enc('2')); // changed underneath
        assert.equal(dec(await ts.get('ro/k')), '1', 'reads inside are repeatable');
        return first;
      });
      assert.equal(v, '1');
      assert.deepEqual(r.commits, []);
      assert.deepEqual(r.discards, []);
    }));

    it('two read-modify-write transactions on one key: one commits, the other gets ConflictError', withTs(async (ts, inner) => {
      const r = record(ts);
      await inner.put('c/n', enc('10'));
      const bothRead = [gate(), gate()];
      const incr = (i: number) =>
        ts.run(async () => {
          const n = Number(dec(await ts.get('c/n')));
          bothRead[i]!.open();
          await Promise.all(bothRead.map((g) => g.wait));
          await ts.put('c/n', enc(String(n + 1)));
          await ts.put(`c/by${i}`, enc('x'));
        });
      const results = await Promise.allSettled([incr(0), incr(1)]);
      assert.equal(results.filter((x) => x.status === 'fulfilled').length, 1);
      const lost = results.find((x) => x.status === 'rejected') as PromiseRejectedResult;
      assert.ok(lost.reason instanceof ConflictError, String(lost.reason));
      assert.equal(dec(await inner.get('c/n')), '11');
      assert.equal((await inner.list('c/')).length, 2, 'the loser wrote nothing');
      assert.equal(r.commits.length, 1);
      assert.equal(r.discards.length, 1);
      assert.ok(r.discards[0]!.includes('c/n'));
      // Retrying the loser's fn, as core does, now succeeds on the new value.
      await ts.run(async () => ts.put('c/n', enc(String(Number(dec(await ts.get('c/n'))) + 1))));
      assert.equal(dec(await inner.get('c/n')), '12');
    }));

    it('a key read as absent that another writer creates conflicts; a changed plain read conflicts too', withTs(async (ts, inner) => {
      await assert.rejects(
        ts.run(async () => {
          assert.equal(await ts.get('a/lock'), undefined);
          await inner.put('a/lock', enc('other'));
          await ts.put('a/lock', enc('mine'));
        }),
        ConflictError,
      );
      assert.equal(dec(await inner.get('a/lock')), 'other');
      // Write skew: the transaction read a/policy (and did not write it), another writer changed it.
      await inner.put('a/policy', enc('allow'));
      await assert.rejects(
        ts.run(async () => {
          assert.equal(dec(await ts.get('a/policy')), 'allow');
          await inner.put('a/policy', enc('deny'));
          await ts.put('a/token', enc('granted'));
        }),
        ConflictError,
      );
      assert.equal(await inner.get('a/token'), undefined);
    }));

    it('a nested run() joins the outer transaction and commits with it', withTs(async (ts, inner) => {
      const r = record(ts);
      await ts.run(async () => {
        await ts.put('n/outer', enc('o'));
        const v = await ts.run(async () => {
          await ts.put('n/inner', enc('i'));
          return dec(await ts.get('n/outer'));
        });
        assert.equal(v, 'o');
        assert.equal(await inner.get('n/inner'), undefined, 'the nested run did not commit alone');
      });
      assert.deepEqual(r.commits, [['n/inner', 'n/outer']]);
      assert.deepEqual(await inner.list('n/'), ['inner', 'outer']);
    }));

    it('views above it (PrefixedStorage) join the transaction', withTs(async (ts, inner) => {
      const view = new PrefixedStorage(ts, 'logical/m1/');
      await assert.rejects(
        ts.run(async () => {
          await view.put('secret', enc('s'));
          assert.equal(dec(await view.get('secret')), 's');
          assert.deepEqual(await view.list(''), ['secret']);
          throw new Error('abort');
        }),
        /abort/,
      );
      assert.deepEqual(await inner.list('logical/'), []);
      await ts.run(async () => view.batch([{ type: 'put', key: 'secret', value: enc('s2') }], [{ key: 'secret', value: undefined }]));
      assert.equal(dec(await inner.get('logical/m1/secret')), 's2');
      // A condition that does not hold in the transaction's view fails at once.
      await assert.rejects(
        ts.run(async () => view.batch([{ type: 'put', key: 'secret', value: enc('s3') }], [{ key: 'secret', value: undefined }])),
        ConflictError,
      );
      assert.equal(dec(await inner.get('logical/m1/secret')), 's2');
    }));

    it('lists merge buffered puts and deletes with the committed data, with after/limit', withTs(async (ts, inner) => {
      const keys = ['l/a', 'l/b', 'l/c', 'l/d/x', 'l/e/y', 'l/e/z', 'l/g/', 'l/g/h', 'outside'];
      for (let i = 0; i < 40; i++) keys.push(`l/m${String(i).padStart(2, '0')}`);
      await inner.batch(keys.map((key) => ({ type: 'put' as const, key, value: enc(key) })));
      const seen: Record<string, string[]> = {};
      await ts.run(async () => {
        await ts.delete('l/b'); // a file goes
        await ts.put('l/bb', enc('1')); // a file appears between existing ones
        await ts.delete('l/d/x'); // a folder empties: d/ goes
        await ts.delete('l/e/y'); // a folder keeps a key: e/ stays
        await ts.delete('l/g/h'); // the key named like the folder keeps g/
        await ts.put('l/f/z', enc('2')); // a new folder
        await ts.put('l/zz', enc('3')); // after every committed name
        for (let i = 0; i < 40; i += 2) await ts.delete(`l/m${String(i).padStart(2, '0')}`);
        seen.all = await ts.list('l/');
        for (const limit of [1, 2, 3, 7, 30]) seen[`limit ${limit}`] = await pageAll(ts, 'l/', limit);
        seen['after c'] = await ts.list('l/', { after: 'c', limit: 3 });
        seen['after e/'] = await ts.list('l/', { after: 'e/', limit: 2 });
        seen['after m37'] = await ts.list('l/', { after: 'm37' });
        seen['folder d/'] = await ts.list('l/d/');
      });
      const truth = await inner.list('l/'); // the committed result is the reference
      assert.ok(!truth.includes('b') && !truth.includes('d/') && truth.includes('e/') && truth.includes('g/') && truth.includes('f/'));
      assert.deepEqual(seen.all, truth);
      for (const limit of [1, 2, 3, 7, 30]) assert.deepEqual(seen[`limit ${limit}`], truth, `limit ${limit}`);
      const from = (name: string, n?: number) => truth.filter((x) => Buffer.compare(Buffer.from(x), Buffer.from(name)) > 0).slice(0, n);
      assert.deepEqual(seen['after c'], from('c', 3));
      assert.deepEqual(seen['after e/'], from('e/', 2));
      assert.deepEqual(seen['after m37'], from('m37'));
      assert.deepEqual(seen['folder d/'], []);
    }));

    it('a write issued after run() settled never joins its commit: refused while transactions run; bad keys refused inside run()', withTs(async (ts, inner) => {
      const commits = record(ts).commits;
      let late: Promise<void> | undefined;
      let releaseOther!: () => void;
      // Another transaction is still running when the stray write lands.
      const other = ts.run(() => new Promise<void>((r) => (releaseOther = r)));
      await ts.run(async () => {
        await ts.put('in/tx', enc('x'));
        // Started inside run(), not awaited: it lands after the commit, in the finished transaction.
        late = new Promise((r) => setTimeout(r, 20)).then(() => ts.put('late/x', enc('x')));
        await assert.rejects(ts.put('', enc('x')), /must not be empty/);
        await assert.rejects(ts.get('/abs'), /start with "\/"/);
      });
      await assert.rejects(late!, /already finished/);
      assert.equal(await inner.get('late/x'), undefined);
      releaseOther();
      await other;

      // With no transaction running the async context is off (see settled()): the stray write is a
      // plain write of its own, still outside the settled transaction's commit.
      await ts.run(async () => {
        await ts.put('in/tx2', enc('y'));
        late = new Promise((r) => setTimeout(r, 20)).then(() => ts.put('late/y', enc('y')));
      });
      await late;
      assert.deepEqual(commits, [['in/tx'], ['in/tx2']]);
      assert.equal(dec(await inner.get('late/y')), 'y');
      assert.equal(ts.inTransaction(), false);
    }));
  });
}

transactionSuite('memory', async () => new MemoryStorage());

const dir = await mkdtemp(join(tmpdir(), 'coffer-tx-test-'));
let n = 0;
transactionSuite('sqlite', () => SqliteStorage.open(join(dir, `db${n++}.db`)), () => rm(dir, { recursive: true, force: true }));

if (await requirePostgres('TransactionalStorage over postgresql')) {
  const table = `coffer_tx_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  transactionSuite(
    'postgresql',
    async () => {
      const s = await PostgresStorage.open({ connectionUrl: pgUrl, table });
      await pgAdmin(`DELETE FROM "${table}"`);
      return s;
    },
    () => pgAdmin(`DROP TABLE IF EXISTS "${table}"`),
  );
}
