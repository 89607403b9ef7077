/**
 * Multi-host PostgreSQL URLs (libpq's form): parsing, and connecting to the writable host when
 * the first one is down or is a standby. The standby cases build a private cluster
 * (test/helpers/pg-cluster.ts); the others use the test server (test/helpers/postgres.ts).
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isStorageUnavailableError } from '../../src/storage/errors.js';
import { parseConnectionUrl, redactConnectionUrl } from '../../src/storage/postgres-hosts.js';
import { PostgresStorage } from '../../src/storage/postgres.js';
import { PgCluster, requirePgCluster } from '../helpers/pg-cluster.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';

const table = `coffer_hosts_test_${process.pid}_${randomBytes(4).toString('hex')}`;
/** How `pg` itself reads one of the split URLs. */
const asPg = (url: string) => {
  const c = new pg.Client({ connectionString: url }) as unknown as { host: string; port: number; user: string; password: string; database: string };
  return { host: c.host, port: c.port, user: c.user, password: c.password, database: c.database };
};

describe('parseConnectionUrl', () => {
  it('a single host gets the default port and keeps user, password and database', () => {
    const t = parseConnectionUrl('postgres://coffer:pa%40ss@db.example/coffer');
    assert.deepEqual(t.hosts, [{ host: 'db.example', port: 5432 }]);
    assert.equal(t.targetSessionAttrs, 'read-write');
    assert.deepEqual(asPg(t.urls[0]!), { host: 'db.example', port: 5432, user: 'coffer', password: 'pa@ss', database: 'coffer' });
  });

  it('several hosts with and without ports; other parameters stay, target_session_attrs is resolved', () => {
    const t = parseConnectionUrl('postgresql://u@h1:5433,h2/db?target_session_attrs=primary&sslmode=disable&application_name=coffer');
    assert.deepEqual(t.hosts, [{ host: 'h1', port: 5433 }, { host: 'h2', port: 5432 }]);
    assert.equal(t.targetSessionAttrs, 'primary');
    assert.deepEqual(t.urls, [
      'postgresql://u@h1:5433/db?sslmode=disable&application_name=coffer',
      'postgresql://u@h2:5432/db?sslmode=disable&application_name=coffer',
    ]);
    assert.equal(new pg.Client({ connectionString: t.urls[1] }).ssl, false);
  });

  it('IPv6 addresses in brackets', () => {
    const t = parseConnectionUrl('postgres://u@[::1]:5433,[2001:db8::7]/db');
    assert.deepEqual(t.hosts, [{ host: '::1', port: 5433 }, { host: '2001:db8::7', port: 5432 }]);
    assert.deepEqual(asPg(t.urls[0]!), { host: '::1', port: 5433, user: 'u', password: null, database: 'db' });
    assert.equal(asPg(t.urls[1]!).host, '2001:db8::7');
  });

  it('host and port query parameters (one port for all, or one per host), and Unix socket directories', () => {
    assert.deepEqual(parseConnectionUrl('postgres:///db?host=a,b&port=6000').hosts, [{ host: 'a', port: 6000 }, { host: 'b', port: 6000 }]);
    assert.deepEqual(parseConnectionUrl('postgres://u@x/db?host=a,b&port=6000,6001').hosts, [{ host: 'a', port: 6000 }, { host: 'b', port: 6001 }]);
    const sock = parseConnectionUrl('postgres://u@%2Fvar%2Frun%2Fpostgresql:5433,h2/db');
    assert.deepEqual(sock.hosts[0], { host: '/var/run/postgresql', port: 5433 });
    assert.equal(asPg(sock.urls[0]!).host, '/var/run/postgresql');
    assert.equal(parseConnectionUrl('postgres:///db').hosts[0]!.host, 'localhost');
    assert.equal(parseConnectionUrl('postgres://u@h/db?target_session_attrs=any').targetSessionAttrs, 'any');
  });

  it('bad URLs get a message that says how to fix them, never the password', () => {
    const cases: [string, RegExp][] = [
      ['postgres://u:hunter2@h1:54x2,h2/db', /port "54x2" of host "h1" is invalid/],
      ['postgres://u:hunter2@h1:99999/db', /port "99999"/],
      ['postgres://u:hunter2@h1,h2/db?target_session_attrs=read-only', /would send Coffer's writes to a standby; use read-write/],
      ['postgres://u:hunter2@h1,h2/db?target_session_attrs=prefer-standby', /would send Coffer's writes to a standby/],
      ['postgres://u:hunter2@h1,h2/db?target_session_attrs=bogus', /target_session_attrs "bogus" is unknown; use read-write/],
      ['postgres://u:hunter2@h1,,h2/db', /empty host/],
      ['postgres://u:hunter2@x/db?host=a,b,c&port=1,2', /3 host\(s\) but 2 ports/],
      ['postgres://u:hunter2@[::1/db', /unclosed "\["/],
      ['host=h1 password=hunter2', /must be a URL like "postgres:\/\//],
    ];
    for (const [url, message] of cases) {
      assert.throws(() => parseConnectionUrl(url), (err: Error) => {
        assert.match(err.message, message);
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      });
    }
  });

  it('bad pool settings are refused before connecting', async () => {
    await assert.rejects(PostgresStorage.open({ connectionUrl: 'postgres://u@h1,h2/db', connectTimeoutMs: 0 }), /connectTimeoutMs must be a positive integer \(got 0\)/);
    await assert.rejects(PostgresStorage.open({ connectionUrl: 'postgres://u@h1,h2/db', queryTimeoutMs: 1.5 }), /queryTimeoutMs must be a positive integer/);
  });

  it('redactConnectionUrl hides the password of a multi-host URL too', () => {
    assert.equal(redactConnectionUrl('postgres://u:hunter2@h1:5432,h2:5432/db'), 'postgres://u:***@h1:5432,h2:5432/db');
    assert.equal(redactConnectionUrl('postgres://u@h1,h2/db'), 'postgres://u@h1,h2/db');
  });
});

if (await requirePostgres('multi-host URL on the test server')) {
  describe('multi-host URL on the test server', () => {
    after(() => pgAdmin(`DROP TABLE IF EXISTS "${table}"`));
    // A port nothing listens on: connecting is refused at once.
    const dead = 1;
    const withDeadFirst = pgUrl.replace(/^(postgres(?:ql)?:\/\/(?:[^@/]*@)?)/, `$1127.0.0.1:${dead},`);

    it('skips a first host that is down', async () => {
      const s = await PostgresStorage.open({ connectionUrl: withDeadFirst, table, connectTimeoutMs: 2000 });
      try {
        await s.put('hosts/a', Buffer.from('1'));
        assert.equal(Buffer.from((await s.get('hosts/a'))!).toString(), '1');
      } finally {
        await s.close();
      }
    });

    it('a first host that accepts TCP but never answers costs one connect timeout, no hang', async () => {
      // A black hole: accepts connections and says nothing (a frozen or partitioned server).
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((sock) => sockets.add(sock));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const port = (silent.address() as net.AddressInfo).port;
      try {
        const url = pgUrl.replace(/^(postgres(?:ql)?:\/\/(?:[^@/]*@)?)/, `$1127.0.0.1:${port},`);
        const t0 = Date.now();
        const s = await PostgresStorage.open({ connectionUrl: url, table, connectTimeoutMs: 1000 });
        try {
          await s.put('hosts/c', Buffer.from('3'));
        } finally {
          await s.close();
        }
        const ms = Date.now() - t0;
        assert.ok(ms >= 900 && ms < 4000, `took ${ms} ms`);
        // Only the black hole listed: a typed error after the timeout.
        const t1 = Date.now();
        await assert.rejects(
          PostgresStorage.open({ connectionUrl: `postgres://u@127.0.0.1:${port}/db`, table, connectTimeoutMs: 1000 }),
          (err: Error) => isStorageUnavailableError(err.cause),
        );
        assert.ok(Date.now() - t1 < 4000, `took ${Date.now() - t1} ms`);
      } finally {
        for (const sock of sockets) sock.destroy();
        await new Promise((r) => silent.close(r));
      }
    });

    it('no host answering: StorageUnavailableError naming the hosts, quickly, without the password', async () => {
      const url = `postgres://u:hunter2@127.0.0.1:${dead},127.0.0.1:2/db`;
      const t0 = Date.now();
      await assert.rejects(PostgresStorage.open({ connectionUrl: url, table, connectTimeoutMs: 2000 }), (err: Error) => {
        assert.ok(isStorageUnavailableError(err.cause), 'the cause is a StorageUnavailableError');
        assert.match(err.message, /no writable PostgreSQL primary reachable at 127\.0\.0\.1:1, 127\.0\.0\.1:2; retrying/);
        assert.doesNotMatch(err.message, /hunter2/);
        return true;
      });
      assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
    });
  });
}

if (requirePgCluster('multi-host URL on a primary + standby cluster')) {
  describe('multi-host URL on a primary + standby cluster', () => {
    let cluster: PgCluster;
    before(async () => {
      cluster = await PgCluster.start();
    });
    after(() => cluster?.remove());

    it('a standby listed first: Coffer writes to the primary', async () => {
      // nodes[1] is the standby; swap lists it first.
      const s = await PostgresStorage.open({ connectionUrl: cluster.url({ swap: true }), table });
      try {
        await s.put('hosts/b', Buffer.from('2'));
        assert.equal(Buffer.from((await s.get('hosts/b'))!).toString(), '2');
      } finally {
        await s.close();
      }
      const onPrimary = await cluster.sql(cluster.primary, `SELECT value FROM "${table}" WHERE key = $1`, [Buffer.from('hosts/b')]);
      assert.equal(onPrimary.length, 1);
      // Synchronous replication: the acknowledged write is on the standby already.
      const onStandby = await cluster.sql(cluster.standby!, `SELECT value FROM "${table}" WHERE key = $1`, [Buffer.from('hosts/b')]);
      assert.equal(onStandby.length, 1);
    });

    it('only a standby listed: a clear error that says it is a standby', async () => {
      const standby = cluster.standby!;
      await assert.rejects(
        PostgresStorage.open({ connectionUrl: `postgres://postgres@127.0.0.1:${standby.port}/postgres`, table }),
        (err: Error) => {
          assert.match(err.message, new RegExp(`no writable PostgreSQL primary reachable at 127\\.0\\.0\\.1:${standby.port}`));
          assert.match(((err.cause as { reasons: string[] }).reasons ?? []).join(), /standby \(in recovery\)/);
          return true;
        },
      );
    });
  });
}
