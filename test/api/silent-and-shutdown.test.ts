/**
 * Connections that never let go: a client that opens a connection and sends nothing is closed
 * after http_read_header_timeout (Node itself times headers only from their first byte), and a
 * stopping server's close() is not held open by such a connection.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runServer } from '../../src/server/run.js';

const dir = mkdtempSync(join(tmpdir(), 'coffer-silent-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function start(listenerExtra: string) {
  const config = join(dir, `c${Math.random().toString(36).slice(2)}.hcl`);
  writeFileSync(config, `storage "inmem" {}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n${listenerExtra}\n}\n`);
  return runServer({ config, quiet: true, logLevel: 'silent' });
}

describe('connections that never let go', () => {
  it('a connection that sends nothing is closed after http_read_header_timeout (1 s), whatever http_read_timeout is (30 s)', async () => {
    const server = await start('  http_read_header_timeout = "1s"\n  http_read_timeout = "30s"');
    try {
      const port = Number(new URL(server.url).port);
      const closedAfter = await new Promise<number>((resolve) => {
        const t0 = Date.now();
        const sock = net.connect(port, '127.0.0.1');
        const giveUp = setTimeout(() => sock.destroy(), 25_000);
        // Read what arrives: when Node's own connection check fires first, fastify answers 408
        // before closing, and a paused socket with unread data never emits 'close' (the flake
        // of a CI run, reproduced under load: the server had closed, the test did not see it).
        sock.resume();
        sock.on('close', () => {
          clearTimeout(giveUp);
          resolve(Date.now() - t0);
        });
        sock.on('error', () => {});
      });
      assert.ok(closedAfter < 5000, `closed after ${closedAfter} ms`);
    } finally {
      await server.close();
    }
  });

  it('close() finishes although a client holds a silent connection (as browsers keep spare ones)', async () => {
    const server = await start('  http_read_header_timeout = "1s"');
    const port = Number(new URL(server.url).port);
    const silent = net.connect(port, '127.0.0.1');
    silent.on('error', () => {});
    await new Promise((r) => silent.once('connect', r));
    try {
      const t0 = Date.now();
      const outcome = await Promise.race([server.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('still waiting'), 5000))]);
      assert.equal(outcome, 'closed', `close() after ${Date.now() - t0} ms`);
    } finally {
      silent.destroy();
      await server.close();
    }
  });
});
