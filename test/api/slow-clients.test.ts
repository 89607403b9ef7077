// Issue 7.6: slow clients held connections for minutes (Node's 300 s request timeout, headers
// cut after ~90 s, no connection cap). The listener block now sets header, request and idle
// timeouts and connection caps; this server is configured with small values (whole seconds,
// as the config takes them) so every case finishes in a few seconds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runServer, type RunningServer } from '../../src/server/run.js';
import { httpRequest } from '../helpers/server.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-slow-'));
let server: RunningServer;
let port: number;

function writeConfig(name: string, listenerExtra: string): string {
  const file = join(dir, name);
  writeFileSync(file, `storage "inmem" {}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n${listenerExtra}\n}\n`);
  return file;
}

before(async () => {
  const config = writeConfig('slow.hcl', [
    '  http_read_header_timeout = "1s"',
    '  http_read_timeout = "2s"',
    '  http_idle_timeout = "1s"',
    '  max_connections = 200',
    '  max_connections_per_client = 8',
  ].join('\n'));
  server = await runServer({ config, quiet: true, logLevel: 'silent' });
  port = Number(new URL(server.url).port);
  // Initialize and unseal through the API, so "healthy" below means sys/health 200.
  const init = await httpRequest(server.url, 'PUT', '/v1/sys/init', { body: { secret_shares: 1, secret_threshold: 1 } });
  assert.equal(init.status, 200, init.text);
  assert.equal((await httpRequest(server.url, 'PUT', '/v1/sys/unseal', { body: { key: init.body.keys_base64[0] } })).status, 200);
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What happened to a raw connection: when the server closed it (ms after connecting) and what it sent. */
interface Outcome {
  closedAfterMs: number | undefined;
  received: string;
}

/**
 * Opens a raw connection, writes `first`, then writes `drip` every `everyMs` until the server
 * closes the connection or `giveUpMs` passes (then the test side closes it: bounded either way).
 */
function trickle(first: string, drip: string, everyMs: number, giveUpMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const started = Date.now();
    let received = '';
    let closedAfterMs: number | undefined;
    const sock = net.connect(port, '127.0.0.1', () => {
      if (first) sock.write(first);
    });
    const timer = setInterval(() => {
      if (!sock.destroyed && drip) sock.write(drip);
    }, everyMs);
    let gaveUp = false;
    const giveUp = setTimeout(() => {
      gaveUp = true;
      sock.destroy();
    }, giveUpMs);
    sock.on('data', (d) => (received += d.toString('latin1')));
    sock.on('error', () => {}); // a reset is one way for the server to close it
    sock.on('end', () => (closedAfterMs ??= Date.now() - started));
    sock.on('close', () => {
      // A close we caused ourselves at giveUpMs does not count as the server closing it.
      if (!gaveUp) closedAfterMs ??= Date.now() - started;
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ closedAfterMs, received });
    });
  });
}

async function healthy(): Promise<void> {
  const res = await httpRequest(server.url, 'GET', '/v1/sys/health');
  assert.equal(res.status, 200, res.text);
}

describe('slow clients are cut off by the configured limits', () => {
  it('a header trickle is closed after http_read_header_timeout (1 s), not ~90 s', async () => {
    const out = await trickle('GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n', 'X-Slow: 1\r\n', 200, 6000);
    assert.ok(out.closedAfterMs !== undefined && out.closedAfterMs < 2500, `closed after ${out.closedAfterMs} ms`);
    assert.match(out.received, /^HTTP\/1\.1 408/);
    await healthy();
  });

  it('a body trickle is closed after http_read_timeout (2 s), not 300 s', async () => {
    const head = 'PUT /v1/sys/policy/slow HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    const out = await trickle(head, ' ', 200, 8000);
    assert.ok(out.closedAfterMs !== undefined && out.closedAfterMs < 4000, `closed after ${out.closedAfterMs} ms`);
    assert.match(out.received, /^HTTP\/1\.1 408/);
    await healthy();
  });

  it('an idle keep-alive connection is closed after http_idle_timeout (1 s)', async () => {
    const out = await trickle('GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n', '', 1000, 6000);
    assert.match(out.received, /^HTTP\/1\.1 200/);
    // Node keeps the socket about a second past keepAliveTimeout (measured ~2.0 s here); its default would be 5 s.
    assert.ok(out.closedAfterMs !== undefined && out.closedAfterMs < 3500, `closed after ${out.closedAfterMs} ms`);
  });

  it('50 slow clients from one address: all but max_connections_per_client (8) are refused at once, the rest cut by the timeouts', async () => {
    const head = 'PUT /v1/sys/policy/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n';
    const started = Date.now();
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => trickle(head, ' ', 300, 10_000)));
    const elapsed = Date.now() - started;
    const closed = outcomes.filter((o) => o.closedAfterMs !== undefined);
    assert.equal(closed.length, 50, 'every connection was closed by the server');
    const refused = outcomes.filter((o) => o.received === '' && o.closedAfterMs! < 1000);
    assert.ok(refused.length >= 42, `${refused.length} refused at once`);
    const served = outcomes.filter((o) => o.received.startsWith('HTTP/1.1 408'));
    assert.ok(served.length <= 8, `${served.length} were let in`);
    assert.ok(elapsed < 5000, `all 50 gone after ${elapsed} ms (was over 160 s)`);
    await healthy();
  });

  it('a client that connects and sends nothing is closed too', async () => {
    const out = await trickle('', '', 1000, 6000);
    assert.ok(out.closedAfterMs !== undefined && out.closedAfterMs < 2500, `closed after ${out.closedAfterMs} ms`);
  });
});

describe('listener limit settings', () => {
  for (const [setting, message] of [
    ['http_read_timeout = "soon"', /"http_read_timeout" must be a duration/],
    ['http_idle_timeout = "0s"', /"http_idle_timeout" must be at least 1s/],
    ['max_connections = -1', /"max_connections" must be a whole number/],
    ['max_connections_per_client = "many"', /"max_connections_per_client" must be a whole number/],
    ['http_read_header_timeout = "1m"\n  http_read_timeout = "30s"', /http_read_header_timeout \(60s\) cannot be longer than http_read_timeout \(30s\)/],
  ] as const) {
    it(`refuses ${setting.split('\n')[0]} with a message naming the setting`, async () => {
      await assert.rejects(runServer({ config: writeConfig('bad.hcl', `  ${setting}`), quiet: true, logLevel: 'silent' }), (err: Error) => {
        assert.equal(err.name, 'ConfigError');
        assert.match(err.message, message);
        return true;
      });
    });
  }
});
