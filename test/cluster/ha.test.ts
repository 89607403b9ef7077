// High availability on PostgreSQL: three real `coffer server` processes with ha_enabled on one
// table. Every node serves reads and writes with read-after-write across nodes; check-and-set,
// single-use credentials and security changes hold across nodes; one node leads background work
// and another takes over when it is killed. Skipped with the reason when PostgreSQL is absent
// (fails under CI).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requirePostgres } from '../helpers/postgres.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCoffer } from '../helpers/cli.js';
import { nodeRequest, percentile, startCluster, type TestCluster } from '../helpers/cluster.js';

if (await requirePostgres('Coffer cluster on PostgreSQL')) {
  describe('three active nodes on one PostgreSQL table', () => {
    let c: TestCluster;
    before(async () => {
      // The Key Vault front on plain HTTP stands for a TLS-terminating load balancer in front of the nodes.
      c = await startCluster({ nodes: 3, seal: 'static', listenerConfig: '  azure_allow_plaintext = true' });
      const init = await c.init(0);
      assert.equal(init.status, 200, init.text);
      // Static seal: the other nodes unseal themselves once they see the cluster initialized.
      for (let i = 0; i < 3; i++) await c.waitFor(async () => (await c.request(i, 'GET', '/v1/sys/health')).status === 200, 15_000, `node ${i} unsealed`);
      assert.equal((await c.request(1, 'POST', '/v1/sys/mounts/secret', { body: { type: 'kv-v2' } })).status, 204);
    });
    after(async () => c?.close());

    test('mounts and audit devices enabled on every node at once are all kept (none overwrites another)', async () => {
      // Each change is decided on the table its transaction reads, so a concurrent change on
      // another node conflicts and runs again instead of writing a table that lacks it.
      const names = Array.from({ length: 12 }, (_, i) => `race${i}`);
      const answers = await Promise.all(names.map((n, i) => c.request(i % 3, 'POST', `/v1/sys/mounts/${n}`, { body: { type: 'kv', options: { version: '2' } } })));
      for (const a of answers) assert.equal(a.status, 204, a.text);
      const audits = await Promise.all([0, 1, 2].map((i) => c.request(i, 'PUT', `/v1/sys/audit/race${i}`, { body: { type: 'file', options: { file_path: join(c.dir, `race-audit-${i}.log`) } } })));
      for (const a of audits) assert.equal(a.status, 204, a.text);
      for (const node of [0, 1, 2]) {
        let missing: string[] = [];
        await c.waitFor(async () => {
          const mounts = (await c.request(node, 'GET', '/v1/sys/mounts')).body?.data ?? {};
          const devices = (await c.request(node, 'GET', '/v1/sys/audit')).body?.data ?? {};
          missing = [...names.filter((n) => mounts[`${n}/`]?.type !== 'kv'), ...[0, 1, 2].map((i) => `race${i} (audit)`).filter((_, i) => devices[`race${i}/`]?.type !== 'file')];
          return missing.length === 0;
        }, 10_000, `node ${node} lists every mount and audit device`).catch((err: Error) => {
          throw new Error(`${err.message.split('\n')[0]}; missing: ${missing.join(', ')}`);
        });
      }
      await Promise.all([...names.map((n, i) => c.request(i % 3, 'DELETE', `/v1/sys/mounts/${n}`)), ...[0, 1, 2].map((i) => c.request(i, 'DELETE', `/v1/sys/audit/race${i}`))]);
      await c.waitFor(async () => {
        const left = (await c.request(0, 'GET', '/v1/sys/mounts')).body?.data ?? {};
        return names.every((n) => !left[`${n}/`]);
      }, 10_000, 'every disable applied');
    });

    test('a second init on any node is refused clearly', async () => {
      const again = await c.request(2, 'PUT', '/v1/sys/init', { token: null, body: { secret_shares: 1, secret_threshold: 1 } });
      assert.equal(again.status, 400);
      assert.match(again.text, /already initialized/);
    });

    test('a write acknowledged by one node is read by another on the very next request (1,000 writes)', async () => {
      for (let i = 0; i < 1000; i++) {
        const w = await c.request(i % 3, 'POST', '/v1/secret/data/raw', { body: { data: { n: String(i) } } });
        assert.equal(w.status, 200, w.text);
        const r = await c.request((i + 1) % 3, 'GET', '/v1/secret/data/raw');
        assert.equal(r.body?.data?.data?.n, String(i), `read on node ${(i + 1) % 3} after write ${i} on node ${i % 3}`);
        assert.equal(r.body.data.metadata.version, i + 1);
      }
    });

    test('check-and-set on three nodes at once: exactly one winner per round, versions never reused or lost (100 rounds)', async () => {
      await c.request(0, 'POST', '/v1/secret/data/cas', { body: { data: { round: 'start' } } });
      for (let round = 0; round < 100; round++) {
        const version = round + 1;
        const results = await Promise.all([0, 1, 2].map((n) => c.request(n, 'POST', '/v1/secret/data/cas', { body: { options: { cas: version }, data: { round: String(round), node: String(n) } } })));
        const winners = results.filter((r) => r.status === 200);
        assert.equal(winners.length, 1, `round ${round}: ${results.map((r) => `${r.status} ${r.text}`).join(' | ')}`);
        assert.equal(winners[0]!.body.data.version, version + 1);
        for (const r of results) if (r.status !== 200) assert.match(r.text, /check-and-set/);
      }
      const meta = await c.request(2, 'GET', '/v1/secret/metadata/cas');
      assert.equal(meta.body.data.current_version, 101);
    });

    test('a num_uses=1 secret-id used on three nodes at once logs in once (20 rounds)', async () => {
      assert.equal((await c.request(0, 'POST', '/v1/sys/auth/approle', { body: { type: 'approle' } })).status, 204);
      assert.equal((await c.request(0, 'POST', '/v1/auth/approle/role/race', { body: { secret_id_num_uses: 1, token_policies: 'default' } })).status, 204);
      const roleId = (await c.request(1, 'GET', '/v1/auth/approle/role/race/role-id')).body.data.role_id;
      for (let round = 0; round < 20; round++) {
        const secretId = (await c.request(round % 3, 'POST', '/v1/auth/approle/role/race/secret-id')).body.data.secret_id;
        const logins = await Promise.all([0, 1, 2].map((n) => c.request(n, 'POST', '/v1/auth/approle/login', { token: null, body: { role_id: roleId, secret_id: secretId } })));
        assert.equal(logins.filter((r) => r.status === 200).length, 1, `round ${round}: ${logins.map((r) => r.status).join(',')}`);
      }
    });

    test('a token with num_uses=2 serves exactly two requests across three nodes', async () => {
      for (let round = 0; round < 10; round++) {
        const token = (await c.request(0, 'POST', '/v1/auth/token/create', { body: { num_uses: 2, policies: ['default'] } })).body.auth.client_token;
        const uses = await Promise.all([0, 1, 2, 0, 1, 2].map((n) => c.request(n, 'GET', '/v1/auth/token/lookup-self', { token })));
        assert.equal(uses.filter((r) => r.status === 200).length, 2, `round ${round}: ${uses.map((r) => r.status).join(',')}`);
      }
    });

    test('revocations and policy changes made on one node are refused on the others within a bound (p50/p99 printed)', async () => {
      await c.request(0, 'PUT', '/v1/sys/policies/acl/reader', { body: { policy: 'path "secret/data/*" { capabilities = ["read"] }' } });
      const latencies: number[] = [];
      for (let round = 0; round < 40; round++) {
        const token = (await c.request(0, 'POST', '/v1/auth/token/create', { body: { policies: ['reader'] } })).body.auth.client_token;
        // Warm the other nodes' caches, so a stale cache would answer. (After an odd round the
        // policy was widened again on node 0: the other nodes may still hold the narrow one for a
        // few ms — the safe direction — so wait for the grant rather than expect it at once.)
        for (const n of [1, 2]) await c.waitFor(async () => (await c.request(n, 'GET', '/v1/secret/data/raw', { token })).status === 200, 2000, `node ${n} to allow the reader policy in round ${round}`);
        const revokedAt = performance.now();
        if (round % 2 === 0) assert.equal((await c.request(0, 'POST', '/v1/auth/token/revoke', { body: { token } })).status, 204);
        else assert.equal((await c.request(0, 'PUT', '/v1/sys/policies/acl/reader', { body: { policy: `path "secret/data/other${round}" { capabilities = ["read"] }` } })).status, 204);
        for (const n of [1, 2]) {
          await c.waitFor(async () => (await c.request(n, 'GET', '/v1/secret/data/raw', { token })).status === 403, 2000, `node ${n} to refuse after round ${round}`);
          latencies.push(performance.now() - revokedAt);
        }
        if (round % 2 === 1) await c.request(0, 'PUT', '/v1/sys/policies/acl/reader', { body: { policy: 'path "secret/data/*" { capabilities = ["read"] }' } });
      }
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      console.log(`invalidation latency across nodes (revoke / policy change on node 0, refused on 1 and 2): p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${latencies.length}`);
      // The 100 ms target is measured by `npm run bench` on a quiet machine; here, on a machine that
      // runs other test files at the same time, the bound only catches a feed that is not working.
      assert.ok(p99 <= 400, `p99 ${p99.toFixed(1)} ms`);
    });

    test('an unmount and a keyring rotation on one node are seen by the others', async () => {
      assert.equal((await c.request(0, 'POST', '/v1/sys/mounts/scratch', { body: { type: 'kv' } })).status, 204);
      assert.equal((await c.request(1, 'POST', '/v1/scratch/a', { body: { v: '1' } })).status, 204);
      assert.equal((await c.request(2, 'DELETE', '/v1/sys/mounts/scratch')).status, 204);
      await c.waitFor(async () => (await c.request(1, 'GET', '/v1/scratch/a')).status === 404, 2000, 'node 1 to drop the unmounted path');

      assert.equal((await c.request(0, 'POST', '/v1/sys/rotate')).status, 204);
      const term = (await c.request(0, 'GET', '/v1/sys/key-status')).body.data.term;
      // Written under the new term on node 0, read on the nodes that loaded the keyring before it.
      assert.equal((await c.request(0, 'POST', '/v1/secret/data/after-rotate', { body: { data: { v: 'new-term' } } })).status, 200);
      for (const n of [1, 2]) {
        assert.equal((await c.request(n, 'GET', '/v1/secret/data/after-rotate')).body.data.data.v, 'new-term');
        await c.waitFor(async () => (await c.request(n, 'GET', '/v1/sys/key-status')).body.data.term === term, 2000, `node ${n} to see term ${term}`);
      }
    });

    test('the Key Vault API: a secret set on one node is read on the others, with the same version ids', async () => {
      assert.equal((await c.request(0, 'POST', '/v1/sys/mounts/keyvault/hakv', { body: { type: 'keyvault' } })).status, 204);
      const kv = (node: number, method: string, path: string, body?: unknown) =>
        nodeRequest(c.nodes[node]!.url, method, `${path}?api-version=7.4`, {
          token: null,
          body,
          headers: { host: `hakv.vault.localhost:${c.nodes[node]!.port}`, authorization: `Bearer ${c.rootToken}` },
        });
      const versions = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const set = await kv(i % 3, 'PUT', '/secrets/shared', { value: `v${i}` });
        assert.equal(set.status, 200, set.text);
        versions.add(set.body.id.split('/').pop());
        const got = await kv((i + 1) % 3, 'GET', '/secrets/shared');
        assert.equal(got.body.value, `v${i}`);
        assert.equal(got.body.id.split('/').pop(), set.body.id.split('/').pop());
      }
      assert.equal(versions.size, 6);
      const listed = await kv(2, 'GET', '/secrets/shared/versions');
      assert.equal(listed.body.value.length, 6);
    });

    test('an audit device enabled on one node records the requests every node serves', async () => {
      const file = join(c.dir, 'cluster-audit.log');
      assert.equal((await c.request(0, 'PUT', '/v1/sys/audit/shared', { body: { type: 'file', options: { file_path: file } } })).status, 204);
      await c.waitFor(async () => {
        await c.request(2, 'GET', '/v1/secret/data/raw');
        return existsSync(file) && readFileSync(file, 'utf8').split('\n').some((l) => l.includes('"remote_address"') && l.includes(`secret/data/raw`));
      }, 3000, 'node 2 to write to the audit device node 0 enabled');
      assert.equal((await c.request(1, 'DELETE', '/v1/sys/audit/shared')).status, 204);
      await c.waitFor(async () => {
        const size = readFileSync(file).length;
        await c.request(2, 'GET', '/v1/secret/data/raw');
        await c.request(2, 'GET', '/v1/secret/data/raw');
        return readFileSync(file).length === size;
      }, 3000, 'node 2 to stop writing after node 1 disabled the device');
    });

    test('coffer status and coffer operator members show the cluster', async () => {
      const env = { COFFER_ADDR: c.nodes[1]!.url, COFFER_TOKEN: c.rootToken, HOME: c.dir };
      const status = await runCoffer(['status'], { env });
      assert.equal(status.code, 0, status.err);
      assert.match(status.out, /HA Enabled\s+true/);
      assert.match(status.out, /HA Mode\s+(active|standby)/);
      assert.match(status.out, /Active Node Address\s+http:\/\/127\.0\.0\.1:\d+/);
      const members = await runCoffer(['operator', 'members'], { env });
      assert.equal(members.code, 0, members.err);
      for (const n of c.nodes) assert.ok(members.out.includes(n.url), members.out);
      const json = await runCoffer(['operator', 'members', '-format=json'], { env });
      assert.equal(JSON.parse(json.out).Nodes.filter((n: { active_node: boolean }) => n.active_node).length, 1);
    });

    test('login failures on any node count toward one lockout', async () => {
      await c.request(0, 'POST', '/v1/sys/auth/userpass', { body: { type: 'userpass' } });
      await c.request(0, 'POST', '/v1/auth/userpass/users/alice', { body: { password: 'correct horse' } });
      for (let i = 0; i < 5; i++) {
        const r = await c.request(i % 3, 'POST', '/v1/auth/userpass/login/alice', { token: null, body: { password: 'wrong' } });
        assert.equal(r.status, 400);
      }
      for (const n of [0, 1, 2]) {
        const r = await c.request(n, 'POST', '/v1/auth/userpass/login/alice', { token: null, body: { password: 'correct horse' } });
        assert.equal(r.status, 403, `node ${n}: ${r.text}`);
      }
      const locked = await c.request(1, 'GET', '/v1/sys/locked-users');
      assert.equal(locked.body.data.total, 1);
    });

    test('sys/leader and sys/ha-status name one leader; step-down hands it on; a SIGKILLed leader is replaced within 5 s', async () => {
      const leaders = async () => {
        const answers = await Promise.all(c.nodes.map((n, i) => (n.process ? c.request(i, 'GET', '/v1/sys/leader', { token: null }) : undefined)));
        return answers.map((a, i) => (a?.body?.is_self ? i : -1)).filter((i) => i >= 0);
      };
      await c.waitFor(async () => (await leaders()).length === 1, 5000, 'one leader');
      const status = await c.request(0, 'GET', '/v1/sys/ha-status');
      assert.equal(status.body.Nodes.length, 3);
      assert.equal(status.body.Nodes.filter((n: { active_node: boolean }) => n.active_node).length, 1);
      const leader = (await leaders())[0]!;
      const leaderInfo = await c.request((leader + 1) % 3, 'GET', '/v1/sys/leader', { token: null });
      assert.equal(leaderInfo.body.ha_enabled, true);
      assert.equal(leaderInfo.body.leader_address, c.nodes[leader]!.url);
      for (const n of [0, 1, 2]) assert.equal((await c.request(n, 'GET', '/v1/sys/health')).status, 200, 'every unsealed node is healthy');

      // Asked on a node that does not lead: the leader steps down, another takes over.
      assert.equal((await c.request((leader + 1) % 3, 'PUT', '/v1/sys/step-down')).status, 204);
      await c.waitFor(async () => {
        const now = await leaders();
        return now.length === 1 && now[0] !== leader;
      }, 8000, 'another leader after step-down');

      // Tokens that expire while the leader dies are still revoked, by the new leader.
      const short: string[] = [];
      for (let i = 0; i < 5; i++) short.push((await c.request(i % 3, 'POST', '/v1/auth/token/create', { body: { ttl: '3s', policies: ['default'] } })).body.auth.client_token);
      const current = (await leaders())[0]!;
      const killedAt = performance.now();
      c.kill(current);
      await c.waitFor(async () => (await leaders()).length === 1, 5000, 'a new leader after SIGKILL');
      console.log(`leader takeover after SIGKILL: ${(performance.now() - killedAt).toFixed(0)} ms`);
      const survivor = (current + 1) % 3;
      await c.waitFor(async () => {
        const looks = await Promise.all(short.map((token) => c.request(survivor, 'POST', '/v1/auth/token/lookup', { body: { token } })));
        return looks.every((r) => r.status === 403 || r.status === 400);
      }, 10_000, 'expired tokens to be revoked by the new leader');
      await c.start(current);
      await c.waitFor(async () => (await c.request(current, 'GET', '/v1/sys/health')).status === 200, 15_000, 'the restarted node to unseal');
      assert.equal((await c.request(current, 'GET', '/v1/secret/data/raw')).body.data.data.n, '999');
    });

    test('a rolling restart under read/write load loses no acknowledged write; only the node that is down fails', async () => {
      const acknowledged: string[] = [];
      const failures: { node: number; down: number | undefined; what: string }[] = [];
      let down: number | undefined;
      let stop = false;
      const writer = async (node: number) => {
        for (let i = 0; !stop; i++) {
          const key = `roll-${node}-${i}`;
          const target = down === node ? undefined : node;
          try {
            if (target === undefined) {
              await new Promise((r) => setTimeout(r, 20));
              continue;
            }
            const r = await c.request(target, 'POST', `/v1/secret/data/${key}`, { body: { data: { v: key } } });
            if (r.status === 200) acknowledged.push(key);
            else failures.push({ node, down, what: `${r.status} ${r.text}` });
          } catch (err) {
            failures.push({ node, down, what: (err as Error).message });
          }
        }
      };
      const writers = [0, 1, 2].map(writer);
      for (const n of [0, 1, 2]) {
        await new Promise((r) => setTimeout(r, 500));
        down = n;
        const proc = c.nodes[n]!.process!;
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
        c.nodes[n]!.process = undefined;
        await c.start(n);
        await c.waitFor(async () => (await c.request(n, 'GET', '/v1/sys/health')).status === 200, 15_000, `node ${n} back`);
        down = undefined;
      }
      await new Promise((r) => setTimeout(r, 500));
      stop = true;
      await Promise.all(writers);
      // A request already in flight to the node being stopped may fail; nothing else may.
      const unexpected = failures.filter((f) => f.down !== f.node);
      assert.deepEqual(unexpected, [], 'only requests to the node that was restarting may fail');
      assert.ok(acknowledged.length > 50, `only ${acknowledged.length} writes acknowledged`);
      for (let i = 0; i < acknowledged.length; i++) {
        const key = acknowledged[i]!;
        const r = await c.request(i % 3, 'GET', `/v1/secret/data/${key}`);
        assert.equal(r.body?.data?.data?.v, key, `acknowledged write ${key} lost`);
      }
    });

    test('a node whose database connections are cut answers 503, then recovers by itself', async () => {
      const { pgCutSessions } = await import('../helpers/postgres.js');
      const cut = await pgCutSessions(c.table);
      // Each node holds pooled sessions and a change-feed session; one node also the leader lock.
      assert.ok(cut >= 6, `only ${cut} of the cluster's sessions were cut`);
      // For a while every answer is a served read or a clear 503 (never a 500, never a hang)...
      const seen = new Set<number>();
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        const r = await c.request(1, 'GET', '/v1/secret/data/raw');
        seen.add(r.status);
        assert.ok(r.status === 200 || r.status === 503, `status ${r.status}: ${r.text}`);
        if (r.status === 503) assert.match(r.text, /retry/);
        await new Promise((res) => setTimeout(res, 5));
      }
      // ...and the node serves again without a restart.
      await c.waitFor(async () => (await c.request(1, 'GET', '/v1/secret/data/raw')).status === 200, 10_000, 'node 1 to recover');
    });
  });

  describe('a Shamir-sealed cluster: init once, unseal every node with the same shares', () => {
    let c: TestCluster;
    before(async () => {
      c = await startCluster({ nodes: 2, seal: 'shamir' });
    });
    after(async () => c?.close());

    test('both nodes unseal with the shares from one init and serve the same data', async () => {
      for (const n of [0, 1]) assert.equal((await c.request(n, 'GET', '/v1/sys/health')).status, 501, 'not initialized yet');
      assert.equal((await c.init(1, { secret_shares: 3, secret_threshold: 2 })).status, 200);
      assert.equal((await c.request(0, 'PUT', '/v1/sys/init', { token: null, body: { secret_shares: 1, secret_threshold: 1 } })).status, 400, 'a second init is refused');
      for (const n of [0, 1]) assert.equal((await c.request(n, 'GET', '/v1/sys/health')).status, 503, 'initialized, sealed');
      // A wrong share combination is refused and reset, as on a single server.
      await c.request(0, 'PUT', '/v1/sys/unseal', { token: null, body: { key: c.keys[0] } });
      const wrong = await c.request(0, 'PUT', '/v1/sys/unseal', { token: null, body: { key: 'ab'.repeat(33) } });
      assert.equal(wrong.status, 400);
      for (const n of [0, 1]) await c.unseal(n);
      assert.equal((await c.request(0, 'POST', '/v1/sys/mounts/kv', { body: { type: 'kv-v2' } })).status, 204);
      assert.equal((await c.request(0, 'POST', '/v1/kv/data/s', { body: { data: { v: 'shamir' } } })).status, 200);
      assert.equal((await c.request(1, 'GET', '/v1/kv/data/s')).body.data.data.v, 'shamir');
    });
  });
}
