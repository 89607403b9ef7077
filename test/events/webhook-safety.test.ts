// Issue 11 gap 5: where webhooks may go and how many of one subscription's deliveries are in
// flight. Link-local and metadata addresses are refused by default (at subscription time for a
// literal address, at delivery on the resolved address for a name); the server's
// `events { webhook_allowed_hosts / webhook_denied_addresses }` change that; a receiver that never
// answers holds at most MAX_IN_FLIGHT_PER_SUBSCRIPTION connections and its deliveries end in
// the dead-letter list.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runServer, type RunningServer } from '../../src/server/run.js';
import { createTestServer, httpRequest, type TestServer } from '../helpers/server.js';
import { startReceiver, type Receiver } from './receiver.js';

const SECRET = 'whsec-0123456789abcdef';

describe('webhook destinations: the default policy', () => {
  let s: TestServer;
  before(async () => {
    s = await createTestServer();
  });
  after(() => s.close());

  it('refuses link-local and metadata addresses with a 400 that says how to allow one', async () => {
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/hook', 'http://[fd00:ec2::254]/', 'http://100.100.100.200/', 'http://0.0.0.0:8080/']) {
      const res = await s.request('PUT', '/v1/sys/events/subscriptions/meta', { body: { url, secret: SECRET } });
      assert.equal(res.status, 400, `${url}: ${res.text}`);
      assert.match(res.text, /link-local or metadata address; allow it in the server's events \{ webhook_allowed_hosts \}/, url);
    }
    // Ordinary names and private addresses stay allowed by default.
    for (const url of ['https://hooks.example.com/coffer', 'http://10.1.2.3:8080/hook']) {
      assert.equal((await s.request('PUT', '/v1/sys/events/subscriptions/ok', { body: { url, secret: SECRET } })).status, 204, url);
    }
  });
});

describe('webhook destinations: events { ... } in the server config', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-hooks-'));
  let server: RunningServer;
  let token: string;
  let rx: Receiver;
  let local: Receiver;
  before(async () => {
    rx = await startReceiver('127.0.0.2');
    local = await startReceiver();
    const config = join(dir, 'coffer.hcl');
    // 127.0.0.2 is allowed by address block even though 127.0.0.0/8 is denied; "localhost" is an
    // allowed name, but it resolves into the denied block and is refused at delivery.
    writeFileSync(
      config,
      'storage "inmem" {}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n' +
        'events {\n  webhook_allowed_hosts = ["127.0.0.2/32", "localhost", "*.example.com"]\n  webhook_denied_addresses = ["127.0.0.0/8", "::1/128", "169.254.0.0/16"]\n}\n',
    );
    server = await runServer({ config, quiet: true, logLevel: 'silent' });
    const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
    await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys[0] } });
    token = init.body.root_token;
    assert.equal((await httpRequest(server.url, 'POST', '/v1/sys/mounts/secret', { token, body: { type: 'kv-v2' } })).status, 204);
  });
  after(async () => {
    await server?.close();
    await rx?.close();
    await local?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const sub = (name: string, url: string) => httpRequest(server.url, 'PUT', `/v1/sys/events/subscriptions/${name}`, { token, body: { url, secret: SECRET, max_attempts: 1, timeout: 2 } });

  it('refuses an address outside the allow list, and accepts the names it holds', async () => {
    const refused = await sub('other', 'http://10.9.8.7/x');
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.text, /destination address 10\.9\.8\.7 is not in the server's events \{ webhook_allowed_hosts \}/);
    const meta = await sub('meta', 'http://169.254.169.254/');
    assert.equal(meta.status, 400, meta.text);
    assert.equal((await sub('named', 'https://hooks.example.com/x')).status, 204);
  });

  it('delivers to an allowed address block, and refuses a name that resolves to a denied address at delivery', async () => {
    const port = new URL(local.url).port;
    assert.equal((await sub('direct', rx.url)).status, 204);
    assert.equal((await sub('byname', `http://localhost:${port}/hook`)).status, 204, 'a name on the allow list is accepted when written');
    await httpRequest(server.url, 'DELETE', '/v1/sys/events/subscriptions/named', { token });
    assert.equal((await httpRequest(server.url, 'POST', '/v1/secret/data/app', { token, body: { data: { a: '1' } } })).status, 200);
    // The background tick (every second) delivers; the name's delivery fails on its resolved address.
    const deadline = Date.now() + 20_000;
    let letters: any[] = [];
    while (Date.now() < deadline) {
      const dead = await httpRequest(server.url, 'GET', '/v1/sys/events/dead-letters', { token });
      letters = dead.body.data.dead_letters;
      if (rx.received.length >= 1 && letters.length >= 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(rx.received.length, 1, `only the literal, allowed address was delivered to; ${JSON.stringify(letters.map((l) => [l.subscription, l.last_error]))}`);
    assert.equal(local.received.length, 0, 'nothing reached the address behind the name');
    assert.equal(letters.length, 1, JSON.stringify(letters));
    assert.equal(letters[0].subscription, 'byname');
    assert.match(letters[0].last_error, /destination address (127\.0\.0\.1|::1) is refused/);
  });

  it('with only names allowed, refuses any other host when the subscription is written', async () => {
    const config = join(dir, 'names.hcl');
    writeFileSync(config, 'storage "inmem" {}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\nevents {\n  webhook_allowed_hosts = ["*.example.com"]\n}\n');
    const other = await runServer({ config, quiet: true, logLevel: 'silent' });
    try {
      const init = await httpRequest(other.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
      await httpRequest(other.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys[0] } });
      const put = (url: string) => httpRequest(other.url, 'PUT', '/v1/sys/events/subscriptions/x', { token: init.body.root_token, body: { url, secret: SECRET } });
      const name = await put('https://hooks.other.org/x');
      assert.equal(name.status, 400, name.text);
      assert.match(name.text, /host .{0,2}hooks\.other\.org.{0,2} is not in the server's events \{ webhook_allowed_hosts \}/);
      assert.equal((await put('http://127.0.0.1:9/x')).status, 400);
      assert.equal((await put('https://example.com/x')).status, 400, '"*.example.com" names subdomains only');
      assert.equal((await put('https://a.b.EXAMPLE.com/x')).status, 204);
    } finally {
      await other.close();
    }
  });

  it('refuses a bad events block when the server starts', async () => {
    for (const [block, message] of [
      ['webhook_allowed_hosts = ["10.0.0.0/99"]', /"10\.0\.0\.0\/99" is not an address or address block/],
      ['webhook_allowed_hosts = ["not a host"]', /is not a host name/],
      ['webhook_denied_addresses = "169.254.0.0/16"', /must be a list of strings/],
      ['webhook_allow = []', /unknown setting "webhook_allow"/],
    ] as const) {
      const config = join(dir, 'bad.hcl');
      writeFileSync(config, `storage "inmem" {}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\nevents {\n  ${block}\n}\n`);
      await assert.rejects(runServer({ config, quiet: true, logLevel: 'silent' }), message, block);
    }
  });
});

describe('webhook deliveries: a receiver that never answers', { timeout: 60_000 }, () => {
  let s: TestServer;
  let slow: Receiver;
  let fast: Receiver;
  before(async () => {
    s = await createTestServer();
    slow = await startReceiver();
    fast = await startReceiver();
    slow.mode = 'hang';
  });
  after(async () => {
    await slow?.close();
    await fast?.close();
    await s?.close();
  });

  it('holds at most 4 of its deliveries in flight, does not starve another subscription, and ends in dead letters', async () => {
    assert.equal((await s.request('PUT', '/v1/sys/events/subscriptions/slow', { body: { url: slow.url, secret: SECRET, max_attempts: 1, timeout: 1 } })).status, 204);
    assert.equal((await s.request('PUT', '/v1/sys/events/subscriptions/fast', { body: { url: fast.url, secret: SECRET } })).status, 204);
    for (let i = 0; i < 10; i++) assert.equal((await s.request('POST', `/v1/secret/data/pile/${i}`, { body: { data: { i: String(i) } } })).status, 200);
    const deadLetters = async () => (await s.request('GET', '/v1/sys/events/dead-letters')).body.data.dead_letters.filter((d: any) => d.subscription === 'slow');
    const started = Date.now();
    await s.core.tick();
    assert.ok(Date.now() - started < 5_000, 'a tick is bounded by the timeout');
    assert.equal(slow.maxOpen, 4, 'at most 4 deliveries of one subscription at once');
    assert.equal(fast.received.length, 4, 'the other subscription was served in the same tick');
    assert.equal((await deadLetters()).length, 4);
    await s.core.tick();
    await s.core.tick();
    assert.equal(slow.maxOpen, 4);
    const letters = await deadLetters();
    assert.equal(letters.length, 10);
    for (const d of letters) assert.match(d.last_error, /no answer within 1 s/);
    assert.equal(fast.received.length, 10);
  });
});

describe('Event Grid endpoints: the validation handshake', () => {
  let s: TestServer;
  let rx: Receiver;
  before(async () => {
    s = await createTestServer();
    rx = await startReceiver();
  });
  after(async () => {
    await rx?.close();
    await s?.close();
  });

  it('sends a SubscriptionValidationEvent and stores the subscription only when the code is echoed', async () => {
    const put = (name: string, body: Record<string, unknown>) => s.request('PUT', `/v1/sys/events/subscriptions/${name}`, { body: { url: rx.url, secret: SECRET, ...body } });
    const bad = await put('eg', { endpoint_type: 'azure' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /endpoint_type/);

    for (const [mode, why] of [['ignore', /has no validationResponse/], ['wrong', /is not the validationCode sent/]] as const) {
      rx.handshake = mode;
      const refused = await put('eg', { endpoint_type: 'eventgrid' });
      assert.equal(refused.status, 400, refused.text);
      assert.match(refused.text, why);
      assert.equal((await s.request('GET', '/v1/sys/events/subscriptions/eg')).status, 404, 'nothing stored');
    }
    rx.handshake = 'echo';
    rx.validations.length = 0;
    const ok = await put('eg', { endpoint_type: 'eventgrid' });
    assert.equal(ok.status, 204, ok.text);
    assert.equal(rx.validations.length, 1);
    const [v] = rx.validations;
    assert.equal(v!.headers['aeg-event-type'], 'SubscriptionValidation');
    assert.equal(v!.events.length, 1);
    assert.equal(v!.events[0].eventType, 'Microsoft.EventGrid.SubscriptionValidationEvent');
    assert.match(v!.events[0].data.validationCode, /^[0-9a-f-]{36}$/);
    for (const k of ['id', 'topic', 'subject', 'eventTime', 'dataVersion', 'metadataVersion']) assert.ok(k in v!.events[0], k);
    assert.equal((await s.request('GET', '/v1/sys/events/subscriptions/eg')).body.data.endpoint_type, 'eventgrid');

    // Changing only the filters does not validate again; a new URL does.
    assert.equal((await put('eg', { event_types: ['SecretExpired'] })).status, 204);
    assert.equal(rx.validations.length, 1);
    const other = await startReceiver();
    try {
      other.handshake = 'ignore';
      const moved = await s.request('PUT', '/v1/sys/events/subscriptions/eg', { body: { url: other.url } });
      assert.equal(moved.status, 400, moved.text);
      assert.equal((await s.request('GET', '/v1/sys/events/subscriptions/eg')).body.data.url, rx.url, 'the validated URL stays');
    } finally {
      await other.close();
    }
    // Events then flow as to any webhook.
    assert.equal((await put('eg', { event_types: [] })).status, 204);
    assert.equal((await s.request('POST', '/v1/secret/data/eg', { body: { data: { a: '1' } } })).status, 200);
    await s.core.tick();
    assert.equal(rx.received.length, 1);
    assert.equal(rx.received[0]!.events[0].eventType, 'Coffer.KV.SecretNewVersionCreated');
    // A plain webhook gets no handshake.
    rx.validations.length = 0;
    assert.equal((await put('plain', {})).status, 204);
    assert.equal(rx.validations.length, 0);
  });
});
