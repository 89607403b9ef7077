// Issue 7 (hardening), part 2: a bad audit device must never lock the operator out. Runs the
// real server process (SQLite-backed, restarted on the same data) and the real `coffer` CLI.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCoffer } from '../helpers/cli.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

const ROOT_TOKEN = 'root-for-audit-recovery';
const dir = mkdtempSync(join(tmpdir(), 'coffer-audit-recovery-'));
let server: ServerProcess | undefined;
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], token = ROOT_TOKEN) => runCoffer(args, { env: { COFFER_ADDR: server!.url, COFFER_TOKEN: token, HOME: dir } });

/** Log lines (pino JSON) whose message matches. */
function logLines(pattern: RegExp): Array<Record<string, unknown>> {
  return server!.log().split('\n').flatMap((l) => {
    try {
      const o = JSON.parse(l) as Record<string, unknown>;
      return typeof o.msg === 'string' && pattern.test(o.msg) ? [o] : [];
    } catch {
      return [];
    }
  });
}

test('a failing audit device never locks out a root or sudo token, also after a restart', { skip: existsSync('/dev/full') ? false : 'no /dev/full' }, async () => {
  const data = join(dir, 'data');
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  server = await startServerProcess(data, ROOT_TOKEN);

  // A device that opens but cannot write is refused up front; nothing is saved.
  const full = await cli(['audit', 'enable', 'file', 'file_path=/dev/full']);
  assert.notEqual(full.code, 0);
  assert.match(full.err, /failed its test write \(ENOSPC.*nothing was enabled.*\(400\)/s);
  assert.match((await cli(['audit', 'list'])).out, /No audit devices are enabled/);

  // An operator token with sudo on sys/audit/* (not root), and one without sudo.
  const policy = async (name: string, hcl: string) => assert.equal((await server!.request('PUT', `/v1/sys/policies/acl/${name}`, { body: { policy: hcl } })).status, 204);
  await policy('audit-admin', 'path "sys/audit/*" { capabilities = ["create", "update", "delete", "sudo"] }');
  await policy('audit-nosudo', 'path "sys/audit/*" { capabilities = ["create", "update", "delete"] }\npath "secret/*" { capabilities = ["read"] }');
  const token = async (p: string) => (await server!.request('POST', '/v1/auth/token/create', { body: { policies: [p] } })).body.auth.client_token as string;
  const admin = await token('audit-admin');
  const nosudo = await token('audit-nosudo');

  const auditFile = join(logs, 'audit.log');
  assert.equal((await cli(['audit', 'enable', 'file', `file_path=${auditFile}`])).code, 0);
  assert.equal((await server.request('POST', '/v1/secret/data/app', { body: { data: { v: 'x' } } })).status, 200);
  await server.stop();

  // While the server is down, the audit file becomes unwritable: it opens at start, every write fails.
  rmSync(auditFile);
  symlinkSync('/dev/full', auditFile);
  server = await startServerProcess(data, ROOT_TOKEN);
  const refused = await server.request('GET', '/v1/secret/data/app');
  assert.equal(refused.status, 500);
  assert.match(refused.body.errors[0], /fail closed.*root or sudo token can still disable it/s);
  // The log line travels through the child's stdout pipe and may land just after the answer.
  const failing = () => logLines(/^audit device failing/).filter((l) => l.device === 'file/').length;
  for (let i = 0; i < 50 && failing() === 0; i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(failing(), 1, 'the server log names the failing device');

  // The escape hatch is narrow: no sudo, other operations, or wrapping do not get through.
  assert.equal((await server.request('DELETE', '/v1/sys/audit/file', { token: nosudo })).status, 403);
  assert.equal((await server.request('GET', '/v1/secret/data/app', { token: nosudo })).status, 500);
  assert.equal((await server.request('GET', '/v1/sys/audit')).status, 500);
  assert.equal((await server.request('DELETE', '/v1/sys/audit/file', { headers: { 'x-vault-wrap-ttl': '60s' } })).status, 500);
  assert.equal(logLines(/operator recovery/).length, 0);

  // Replace: a root token enables a working device; that request is recorded there.
  const good = join(logs, 'good.log');
  assert.equal((await server.request('PUT', '/v1/sys/audit/good', { body: { type: 'file', options: { file_path: good } } })).status, 204);
  const goodEntries = readFileSync(good, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(goodEntries.some((e) => e.type === 'response' && e.request.path === 'sys/audit/good'), 'the enable request is on the new device');
  assert.equal((await server.request('GET', '/v1/secret/data/app')).status, 200, 'served again: one device writes');
  // Disabling the working device leaves only the failing one: the change still completes.
  assert.equal((await server.request('DELETE', '/v1/sys/audit/good')).status, 204);
  assert.equal((await server.request('GET', '/v1/secret/data/app')).status, 500);

  // Disable: a sudo (non-root) token through the real CLI, while no device can write.
  const disabled = await cli(['audit', 'disable', 'file'], admin);
  assert.equal(disabled.code, 0, disabled.err);
  assert.equal((await server.request('GET', '/v1/secret/data/app')).status, 200);

  for (let i = 0; i < 50 && logLines(/operator recovery/).length < 3; i++) await new Promise((r) => setTimeout(r, 100));
  const recoveries = logLines(/operator recovery/);
  assert.deepEqual(recoveries.map((l) => [l.operation, l.path]), [['update', 'sys/audit/good'], ['delete', 'sys/audit/good'], ['delete', 'sys/audit/file']]);
  // (The dev banner prints the root token on purpose; no other token may appear.)
  for (const raw of [admin, nosudo]) assert.equal(server.log().includes(raw), false, 'a token in the server log');

  // The table was saved without the device: a restart serves at once.
  await server.stop();
  server = await startServerProcess(data, ROOT_TOKEN);
  assert.equal((await server.request('GET', '/v1/secret/data/app')).status, 200);
  assert.deepEqual(Object.keys((await server.request('GET', '/v1/sys/audit')).body.data), []);
});
