/**
 * Events on PostgreSQL storage: the outbox, the delivery queue, the expiry indexes and the
 * recent-events log rely on ordered listings and atomic batches, so they run here on the real
 * database too. Skipped with the reason when PostgreSQL is not there (fails under CI).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { runServer } from '../../src/server/run.js';
import { pgAdmin, pgUrl, requirePostgres } from '../helpers/postgres.js';
import { httpRequest } from '../helpers/server.js';
import { signatureValid, startReceiver } from './receiver.js';

const SECRET = 'pg-webhook-secret-0123456789';
const DAY = 86_400_000;

if (await requirePostgres('events on PostgreSQL')) {
  const table = `coffer_events_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'coffer-pg-events-'));
  const cfg = join(dir, 'coffer.hcl');
  writeFileSync(cfg, `storage "postgresql" {\n  connection_url = "${pgUrl}"\n  table = "${table}"\n}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n`);
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await pgAdmin(`DROP TABLE IF EXISTS "${table}"`);
  });

  test('new-version, near-expiry, retry and dead-letter on PostgreSQL', { timeout: 60_000 }, async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 22, 12, 0, 0));
    const server = await runServer({ config: cfg, clock, quiet: true, logLevel: 'silent' });
    const rx = await startReceiver();
    try {
      const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys[0] } });
      const req = (method: string, path: string, body?: unknown) => httpRequest(server.url, method, path, { token: init.body.root_token, body });
      assert.equal((await req('POST', '/v1/sys/mounts/secret', { type: 'kv-v2' })).status, 204);
      assert.equal((await req('POST', '/v1/sys/mounts/keyvault/pg', { type: 'keyvault' })).status, 204);
      assert.equal((await req('PUT', '/v1/sys/events/subscriptions/pg', { url: rx.url, secret: SECRET, max_attempts: 2 })).status, 204);

      await req('POST', '/v1/secret/data/a', { data: { v: '1' } });
      await req('POST', '/v1/secret/metadata/a', { custom_metadata: { expires_at: new Date(clock.now() + 31 * DAY).toISOString() } });
      const set = await req('PUT', '/v1/keyvault/pg/secrets/b', { value: 'never-sent', attributes: { exp: Math.floor(clock.now() / 1000) + 3 * 86400 } });
      assert.equal(set.status, 200, set.text);
      await server.core.tick();
      const kinds = () => rx.received.map((r) => `${r.events[0].eventType} ${r.events[0].subject}`).sort();
      assert.deepEqual(kinds(), ['Coffer.KV.SecretNewVersionCreated a', 'Microsoft.KeyVault.SecretNearExpiry b', 'Microsoft.KeyVault.SecretNewVersionCreated b']);
      for (const r of rx.received) assert.ok(signatureValid(SECRET, r.body, r.signature));

      clock.advance(2 * DAY);
      rx.mode = 'fail';
      await server.core.tick();
      assert.equal(rx.received.length, 4, 'NearExpiry of a, refused');
      clock.advance(10_000);
      await server.core.tick();
      assert.equal(rx.received.length, 5, 'retried once');
      const dead = await req('GET', '/v1/sys/events/dead-letters');
      assert.deepEqual(dead.body.data.dead_letters.map((d: any) => [d.event_type, d.subject, d.attempts, d.last_error]), [['Coffer.KV.SecretNearExpiry', 'a', 2, 'HTTP 503']]);

      const first = await req('GET', '/v1/sys/events/wait');
      const waiting = req('GET', `/v1/sys/events/wait?after=${first.body.data.cursor}&timeout=10s`);
      await new Promise((r) => setTimeout(r, 300));
      await req('POST', '/v1/secret/data/c', { data: { v: '1' } });
      assert.deepEqual((await waiting).body.data.events.map((e: any) => e.subject), ['c']);
    } finally {
      await rx.close();
      await server.close();
    }
  });
}
