// Runs a real server process with debug logging, drives logins and secret traffic (good and
// bad), and checks that neither the application log nor the audit log ever contains a
// password, a secret-id, a secret value or a token other than the dev root token the banner
// prints on purpose.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/cli.js';
import { httpRequest } from '../helpers/server.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

test('no password, secret-id, secret value or token reaches the app log or the audit log', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-logs-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'server', '--dev', '--dev-listen-address', `127.0.0.1:${port}`, '--dev-root-token-id', 'root-for-log-test'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, COFFER_LOG_LEVEL: 'debug' },
  });
  let log = '';
  child.stdout.on('data', (c: Buffer) => (log += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (log += c.toString('utf8')));
  try {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await httpRequest(url, 'GET', '/v1/sys/health')).status === 200) break;
      } catch {
        /* starting */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const req = (m: string, p: string, body?: unknown, token: string | null = 'root-for-log-test') => httpRequest(url, m, p, { token, body });
    const PASSWORD = 'Pa55-word-that-must-not-leak';
    const VALUE = 'secret-value-that-must-not-leak';
    await req('PUT', '/v1/sys/audit/file', { type: 'file', options: { file_path: join(dir, 'audit.log') } });
    await req('POST', '/v1/sys/auth/userpass', { type: 'userpass' });
    await req('POST', '/v1/sys/auth/approle', { type: 'approle' });
    await req('POST', '/v1/auth/userpass/users/alice', { password: PASSWORD, token_policies: 'default' });
    await req('POST', '/v1/auth/approle/role/app', { token_policies: 'default' });
    const roleId = (await req('GET', '/v1/auth/approle/role/app/role-id')).body.data.role_id;
    const secretId = (await req('POST', '/v1/auth/approle/role/app/secret-id')).body.data.secret_id;
    const tokens: string[] = [];
    tokens.push((await req('POST', '/v1/auth/userpass/login/alice', { password: PASSWORD }, null)).body.auth.client_token);
    tokens.push((await req('POST', '/v1/auth/approle/login', { role_id: roleId, secret_id: secretId }, null)).body.auth.client_token);
    tokens.push((await req('POST', '/v1/auth/token/create', { policies: ['default'] })).body.auth.client_token);
    await req('POST', '/v1/auth/userpass/login/alice', { password: `${PASSWORD}-wrong` }, null);
    await req('POST', '/v1/auth/approle/login', { role_id: roleId, secret_id: `${secretId.slice(0, -4)}ffff` }, null);
    await req('POST', '/v1/secret/data/app', { data: { value: VALUE } });
    await req('GET', '/v1/secret/data/app');
    await req('GET', '/v1/secret/data/app', undefined, 'hvs.garbage-token-that-must-not-leak');
    await req('POST', '/v1/secret/data/app', undefined, null);
    await req('POST', '/v1/secret/data/bad', undefined, tokens[0]!);
    await httpRequest(url, 'POST', '/v1/secret/data/app', { token: 'root-for-log-test', rawBody: `{"data":{"value":"${VALUE}"` });

    const audit = readFileSync(join(dir, 'audit.log'), 'utf8');
    assert.ok(audit.length > 1000, 'the audit log was written');
    const forbidden = [PASSWORD, VALUE, secretId, secretId.slice(0, -4), 'hvs.garbage-token-that-must-not-leak', ...tokens];
    for (const needle of forbidden) {
      assert.equal(log.includes(needle), false, `app log contains ${needle.slice(0, 6)}…`);
      assert.equal(audit.includes(needle), false, `audit log contains ${needle.slice(0, 6)}…`);
    }
    assert.equal(audit.includes('root-for-log-test'), false, 'the audit log hashes even the root token');
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.on('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
});
