/**
 * `coffer audit log <device>`: the real CLI entry point, spawned, against a real dev server
 * with a file audit device; filters, JSON output, paging with --cursor and --all.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCoffer, type CliRun } from '../helpers/cli.js';
import { createTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
let home: string;

before(async () => {
  server = await createTestServer();
  home = mkdtempSync(join(tmpdir(), 'coffer-cli-audit-'));
});
after(async () => {
  await server?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Runs the real `coffer` against the test server, with HOME in a temp directory. */
function coffer(args: string[]): Promise<CliRun> {
  return runCoffer(args, { env: { HOME: home, COFFER_ADDR: server.url, COFFER_TOKEN: server.rootToken } });
}

test('audit log: table, filters, JSON, cursor pages and errors', { timeout: 120_000 }, async () => {
  const file = join(home, 'audit.log');
  const enabled = await coffer(['audit', 'enable', 'file', `file_path=${file}`]);
  assert.equal(enabled.code, 0, enabled.err);
  for (const k of ['a', 'b', 'c']) assert.equal((await server.request('POST', `/v1/secret/data/clilog/${k}`, { body: { data: { v: 1 } } })).status, 200);

  const table = await coffer(['audit', 'log', 'file', '--path', 'secret/data/clilog/', '--type', 'response']);
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /Time\s+Type\s+Operation\s+Path/);
  const rows = table.out.split('\n').filter((l) => l.includes('secret/data/clilog/'));
  assert.equal(rows.length, 3);
  assert.match(rows[0]!, /secret\/data\/clilog\/c/, 'newest first');
  assert.match(rows[0]!, /hmac-sha256:/, 'the accessor as written (hashed)');

  const first = await coffer(['audit', 'log', 'file', '--path', 'secret/data/clilog/', '--type', 'response', '--limit', '2', '--format', 'json']);
  assert.equal(first.code, 0, first.err);
  const page = JSON.parse(first.out) as { entries: Array<{ request: { path: string } }>; next_cursor: string };
  assert.deepEqual(page.entries.map((e) => e.request.path), ['secret/data/clilog/c', 'secret/data/clilog/b']);
  assert.ok(page.next_cursor);
  const second = await coffer(['audit', 'log', 'file', '--path', 'secret/data/clilog/', '--type', 'response', '--limit', '2', '--format', 'json', '--cursor', page.next_cursor]);
  assert.deepEqual((JSON.parse(second.out) as typeof page).entries.map((e) => e.request.path), ['secret/data/clilog/a']);

  const all = await coffer(['audit', 'log', 'file', '--path', 'secret/data/clilog/', '--limit', '1', '--all', '--format', 'json']);
  assert.equal(all.code, 0, all.err);
  assert.equal((JSON.parse(all.out) as typeof page).entries.length, 6);

  const none = await coffer(['audit', 'log', 'file', '--path', 'nothing/here/']);
  assert.equal(none.code, 0, none.err);
  assert.match(none.out, /No matching audit entries/);

  const bad = await coffer(['audit', 'log', 'file', '--since', 'yesterday']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /invalid "since": expected an RFC 3339 time/);
});
