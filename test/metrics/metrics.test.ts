// sys/metrics through the real HTTP API: Prometheus text parsed with a real Prometheus text parser,
// values that move as requests are made, Vault's JSON shape, the ACL, and the audit and storage series.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import type { BackendFactory } from '../../src/core/backend.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

/** One parsed metric family (parse-prometheus-text-format's shape). */
interface Family {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; count?: string; sum?: string; buckets?: Record<string, string> }[];
}

async function scrape(s: TestServer, token?: string | null): Promise<Family[]> {
  const r = await s.request('GET', '/v1/sys/metrics?format=prometheus', { token });
  assert.equal(r.status, 200, r.text);
  assert.match(r.headers['content-type']!, /^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(r.text) as Family[];
}

/** The value of the series of `name` whose labels are exactly `labels` (0 when absent). */
function value(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name);
  assert.ok(family, `${name} is exposed`);
  const series = family.metrics.find((m) => JSON.stringify(sorted(m.labels ?? {})) === JSON.stringify(sorted(labels)));
  return series ? Number(series.value ?? series.count) : 0;
}

function sorted(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
}

/** Count of a histogram series in the JSON form (the text parser flattens labelled histograms). */
async function sampleCount(s: TestServer, name: string, labels: Record<string, string>): Promise<number> {
  const r = await s.request('GET', '/v1/sys/metrics');
  assert.equal(r.status, 200);
  const sample = (r.body.Samples as { Name: string; Labels: Record<string, string>; Count: number }[]).find(
    (x) => x.Name === name && Object.entries(labels).every(([k, v]) => x.Labels[k] === v),
  );
  return sample?.Count ?? 0;
}

const KV_READ = { front: 'vault', operation: 'read', mount_type: 'kv', status: '200' };

describe('sys/metrics on SQLite', () => {
  let s: TestServer;
  before(async () => {
    s = await createTestServer({ storage: 'sqlite' });
    assert.equal((await s.request('POST', '/v1/secret/data/team-a/db-password', { body: { data: { v: 'hunter2-metrics' } } })).status, 200);
  });
  after(() => s.close());

  it('counts requests by front, operation, mount type and status, never by path', async () => {
    const before = await scrape(s);
    for (let i = 0; i < 3; i++) assert.equal((await s.request('GET', '/v1/secret/data/team-a/db-password')).status, 200);
    assert.equal((await s.request('GET', '/v1/secret/data/team-a/missing')).status, 404);
    assert.equal((await s.request('GET', '/v1/secret/data/team-a/db-password', { token: 'hvs.not-a-token' })).status, 403);
    const now = await scrape(s);
    assert.equal(value(now, 'coffer_requests_total', KV_READ) - value(before, 'coffer_requests_total', KV_READ), 3);
    const notFound = { ...KV_READ, status: '404' };
    assert.equal(value(now, 'coffer_requests_total', notFound) - value(before, 'coffer_requests_total', notFound), 1);
    const denied = { ...KV_READ, status: '403' };
    assert.equal(value(now, 'coffer_requests_total', denied) - value(before, 'coffer_requests_total', denied), 1);

    const text = (await s.request('GET', '/v1/sys/metrics?format=prometheus')).text;
    assert.doesNotMatch(text, /team-a|db-password|hunter2|hvs\./, 'no path, secret or token in any label');
    assert.equal(value(now, 'coffer_sealed'), 0);
  });

  it('observes request latency and storage operation latency', async () => {
    const latency = { front: 'vault', operation: 'read', mount_type: 'kv' };
    const was = await sampleCount(s, 'coffer_request_duration_seconds', latency);
    const gets = await sampleCount(s, 'coffer_storage_operation_duration_seconds', { operation: 'get' });
    const commits = await sampleCount(s, 'coffer_storage_operation_duration_seconds', { operation: 'batch' });
    assert.equal((await s.request('GET', '/v1/secret/data/team-a/db-password')).status, 200);
    assert.equal((await s.request('POST', '/v1/secret/data/team-a/other', { body: { data: { v: 'x' } } })).status, 200);
    assert.equal((await sampleCount(s, 'coffer_request_duration_seconds', latency)) - was, 1);
    assert.ok((await sampleCount(s, 'coffer_storage_operation_duration_seconds', { operation: 'get' })) > gets);
    assert.ok((await sampleCount(s, 'coffer_storage_operation_duration_seconds', { operation: 'batch' })) > commits, 'the write committed one batch');
  });

  it('reports the number of tokens, computed from storage', async () => {
    const was = value(await scrape(s), 'coffer_tokens');
    assert.ok(was >= 1);
    for (let i = 0; i < 2; i++) assert.equal((await s.request('POST', '/v1/auth/token/create', { body: { policies: ['default'] } })).status, 200);
    assert.equal(value(await scrape(s), 'coffer_tokens'), was + 2);
  });

  it('counts token and ACL cache hits and misses', async () => {
    assert.equal((await s.request('PUT', '/v1/sys/policies/acl/kv-reader', { body: { policy: 'path "secret/*" { capabilities = ["read"] }' } })).status, 204);
    const token = (await s.request('POST', '/v1/auth/token/create', { body: { policies: ['kv-reader'] } })).body.auth.client_token as string;
    const before = await scrape(s);
    for (let i = 0; i < 3; i++) assert.equal((await s.request('GET', '/v1/secret/data/team-a/db-password', { token })).status, 200);
    const now = await scrape(s);
    const delta = (labels: Record<string, string>) => value(now, 'coffer_cache_lookups_total', labels) - value(before, 'coffer_cache_lookups_total', labels);
    // Three requests with the same token and policy set: at least two are served from each cache.
    assert.ok(delta({ cache: 'token', result: 'hit' }) >= 2, 'token cache hits');
    assert.ok(delta({ cache: 'acl', result: 'hit' }) >= 2, 'ACL cache hits');
    assert.ok(delta({ cache: 'token', result: 'hit' }) + delta({ cache: 'token', result: 'miss' }) >= 3);
  });

  it('counts failed logins and lockouts', async () => {
    assert.equal((await s.request('POST', '/v1/sys/auth/userpass', { body: { type: 'userpass' } })).status, 204);
    assert.equal((await s.request('POST', '/v1/auth/userpass/users/alice', { body: { password: 'right-password-1' } })).status, 204);
    const before = await scrape(s);
    // The default lockout threshold is 5 failures.
    for (let i = 0; i < 5; i++) assert.equal((await s.request('POST', '/v1/auth/userpass/login/alice', { token: null, body: { password: 'wrong-password-zq' } })).status, 400);
    const now = await scrape(s);
    assert.equal(value(now, 'coffer_login_failures_total') - value(before, 'coffer_login_failures_total'), 5);
    assert.equal(value(now, 'coffer_login_lockouts_total') - value(before, 'coffer_login_lockouts_total'), 1);
    const text = (await s.request('GET', '/v1/sys/metrics?format=prometheus')).text;
    assert.doesNotMatch(text, /alice|wrong-password-zq/, 'no user name or password in any label');
  });

  it('answers in Vault\'s JSON shape without format', async () => {
    const r = await s.request('GET', '/v1/sys/metrics');
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type']!, /application\/json/);
    assert.ok(!Number.isNaN(Date.parse(r.body.Timestamp)));
    assert.deepEqual(Object.keys(r.body).sort(), ['Counters', 'Gauges', 'Points', 'Samples', 'Timestamp']);
    const counter = r.body.Counters.find((c: { Name: string; Labels: Record<string, string> }) => c.Name === 'coffer_requests_total' && c.Labels.mount_type === 'kv' && c.Labels.status === '200' && c.Labels.operation === 'read');
    assert.ok(counter.Count >= 3);
    assert.equal(r.body.Gauges.find((g: { Name: string }) => g.Name === 'coffer_sealed').Value, 0);
  });

  it('needs read on sys/metrics; refuses an unknown format with a 400 that names the fix', async () => {
    assert.equal((await s.request('GET', '/v1/sys/metrics?format=prometheus', { token: null })).status, 403);
    const policy = async (name: string, hcl: string) => assert.equal((await s.request('PUT', `/v1/sys/policies/acl/${name}`, { body: { policy: hcl } })).status, 204);
    await policy('metrics-reader', 'path "sys/metrics" { capabilities = ["read"] }');
    await policy('kv-only', 'path "secret/*" { capabilities = ["read"] }');
    const token = async (p: string) => (await s.request('POST', '/v1/auth/token/create', { body: { policies: [p] } })).body.auth.client_token as string;
    assert.equal((await s.request('GET', '/v1/sys/metrics?format=prometheus', { token: await token('kv-only') })).status, 403);
    const reader = await token('metrics-reader');
    assert.ok(value(await scrape(s, reader), 'coffer_requests_total', KV_READ) >= 3);

    const bad = await s.request('GET', '/v1/sys/metrics?format=xml', { token: reader });
    assert.equal(bad.status, 400);
    assert.match(bad.body.errors[0], /unknown metrics format "xml": use format=prometheus/);
  });
});

describe('active leases', () => {
  // No shipped engine issues leases yet: a minimal dynamic engine, as in test/leases.
  const dynamic: BackendFactory = {
    type: 'metrics-dynamic',
    kind: 'secret',
    create: () => ({
      routes: [{ pattern: /^creds$/, operations: { read: async () => ({ data: { password: 'generated' }, lease: { ttl: 60, renewable: true, internal: {} } }) } }],
      revokeLease: async () => undefined,
    }),
  };
  let s: TestServer;
  before(async () => {
    s = await createTestServer({ extraFeatures: [dynamic] });
    assert.equal((await s.request('POST', '/v1/sys/mounts/db', { body: { type: 'metrics-dynamic' } })).status, 204);
  });
  after(() => s.close());

  it('counts leases from storage as they are issued and revoked', async () => {
    assert.equal(value(await scrape(s), 'coffer_leases'), 0);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await s.request('GET', '/v1/db/creds')).body.lease_id);
    assert.equal(value(await scrape(s), 'coffer_leases'), 3);
    assert.equal((await s.request('PUT', '/v1/sys/leases/revoke', { body: { lease_id: ids[0] } })).status, 204);
    assert.equal(value(await scrape(s), 'coffer_leases'), 2);
  });
});

describe('audit write latency and failures', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-metrics-audit-'));
  const logs = join(dir, 'logs');
  const rootTokenId = 'metrics-audit-root';
  let s: TestServer | undefined;
  after(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('times each audit entry and counts the writes a failing device lost', async () => {
    mkdirSync(logs);
    s = await createTestServer({ storage: 'sqlite', dir: join(dir, 'data'), rootTokenId });
    for (const name of ['good', 'bad']) {
      assert.equal((await s.request('PUT', `/v1/sys/audit/${name}`, { body: { type: 'file', options: { file_path: join(logs, `${name}.log`) } } })).status, 204);
    }
    const families = await scrape(s);
    // The request and response entries of the scrape before were written and timed.
    assert.ok(value(families, 'coffer_audit_write_duration_seconds') >= 2);
    assert.equal(value(families, 'coffer_audit_write_failures_total', { device: 'bad/' }), 0);
    await s.close();

    // While the server is down one device's file becomes unwritable: it opens, every write fails.
    rmSync(join(logs, 'bad.log'));
    symlinkSync('/dev/full', join(logs, 'bad.log'));
    s = await createTestServer({ storage: 'sqlite', dir: join(dir, 'data'), rootTokenId });
    assert.equal((await s.request('GET', '/v1/secret/data/nothing')).status, 404, 'the good device keeps requests going');
    // The failing device's write rejects on its own schedule (after the good one answered): wait, bounded.
    let failed = 0;
    for (const deadline = Date.now() + 5000; failed < 2 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      failed = value(await scrape(s), 'coffer_audit_write_failures_total', { device: 'bad/' });
    }
    assert.ok(failed >= 2, `the failing device's lost entries are counted (${failed})`);
    assert.equal(value(await scrape(s), 'coffer_audit_write_failures_total', { device: 'good/' }), 0);
  });
});
