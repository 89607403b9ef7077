// sys/metrics through the real `coffer` command: `coffer read -format=json sys/metrics` prints
// Vault's JSON shape, and a token without read on sys/metrics is refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCoffer } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => {
  s = await createTestServer();
});
after(() => s.close());

test('coffer read -format=json sys/metrics', async () => {
  assert.equal((await s.request('GET', '/v1/secret/data/nothing')).status, 404);
  const env = { COFFER_ADDR: s.url, COFFER_TOKEN: s.rootToken, HOME: s.dir ?? '/nonexistent' };
  const r = await runCoffer(['read', '-format=json', 'sys/metrics'], { env });
  assert.equal(r.code, 0, r.err);
  const body = JSON.parse(r.out);
  const notFound = body.Counters.find((c: { Name: string; Labels: Record<string, string> }) => c.Name === 'coffer_requests_total' && c.Labels.mount_type === 'kv' && c.Labels.status === '404');
  assert.equal(notFound.Count, 1);

  const token = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'] } })).body.auth.client_token as string;
  const denied = await runCoffer(['read', '-format=json', 'sys/metrics'], { env: { ...env, COFFER_TOKEN: token } });
  assert.notEqual(denied.code, 0);
  assert.match(denied.err, /permission denied/);
});

test('coffer read sys/metrics prints a table of the series (and other raw answers their top-level fields)', async () => {
  assert.equal((await s.request('GET', '/v1/secret/data/table-probe')).status, 404);
  const env = { COFFER_ADDR: s.url, COFFER_TOKEN: s.rootToken, HOME: s.dir ?? '/nonexistent' };
  const r = await runCoffer(['read', 'sys/metrics'], { env });
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.match(lines[0]!, /^Timestamp: \d{4}-\d\d-\d\dT/);
  assert.match(r.out, /^Type\s+Name\s+Labels\s+Value$/m);
  assert.match(r.out, /^counter\s+coffer_requests_total\s+front=vault,mount_type=kv,operation=read,status=404\s+[1-9]\d*$/m);
  assert.match(r.out, /^gauge\s+coffer_sealed\s+n\/a\s+0$/m);
  assert.match(r.out, /^sample\s+coffer_request_duration_seconds\s+front=vault,\S+\s+count=\d+ mean=[\d.e-]+s$/m);
  const ts = await runCoffer(['read', '-field=Timestamp', 'sys/metrics'], { env });
  assert.equal(ts.code, 0, ts.err);
  assert.match(ts.out, /^\d{4}-\d\d-\d\dT[\d:.]+Z\n?$/);

  const health = await runCoffer(['read', 'sys/health'], { env });
  assert.equal(health.code, 0, health.err);
  assert.match(health.out, /^initialized\s+true$/m);
  assert.match(health.out, /^sealed\s+false$/m);
});
