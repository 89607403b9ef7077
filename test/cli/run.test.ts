/**
 * `coffer run` against a real dev server. Most cases run the CLI in-process (runCli) with a tiny
 * node child that writes hashes or presence flags of its environment to a file (never values);
 * one case spawns the real entry point to check stdio inheritance and signal forwarding.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { runCli } from '../../src/cli/program.js';
import type { CliContext } from '../../src/cli/context.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

let server: TestServer;
let dir: string;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * The child: writes {name: sha256(value) | null} for each name in REPORT (comma list) to OUT,
 * plus the names in PRESENT that are set. Node code only, no shell.
 */
const REPORTER = `
const fs = require('fs');
const crypto = require('crypto');
const out = {};
for (const n of (process.env.REPORT || '').split(',').filter(Boolean)) {
  const v = process.env[n];
  out[n] = v === undefined ? null : crypto.createHash('sha256').update(v).digest('hex');
}
out.present = (process.env.PRESENT || '').split(',').filter((n) => n && process.env[n] !== undefined);
fs.writeFileSync(process.env.OUT, JSON.stringify(out));
process.exit(Number(process.env.EXIT_CODE || 0));
`;

before(async () => {
  server = await createTestServer();
  dir = mkdtempSync(join(tmpdir(), 'coffer-run-'));
  const put = async (method: string, path: string, body?: unknown) => {
    const res = await server.request(method, path, { body });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
  };
  await put('PUT', '/v1/secret/data/app', { data: { API_KEY: 'k-one', DB_URL: 'postgres://u:p@db/app', PORT: 8080 } });
  await put('PUT', '/v1/secret/data/bad', { data: { 'not-an-env-name': 'bad-value-zz9' } });
  await put('POST', '/v1/sys/mounts/keyvault/runvault', { type: 'keyvault' });
  await put('PUT', '/v1/keyvault/runvault/secrets/db-password', { value: 'vault-pass' });
  await put('PUT', '/v1/keyvault/runvault/secrets/off', { value: 'disabled-one', attributes: { enabled: false } });
  // Dev servers may mount the identity provider already.
  const auths = await server.request('GET', '/v1/sys/auth');
  if (!auths.body?.data?.['azure/']) await put('POST', '/v1/sys/auth/azure', { type: 'azure-ad' });
  await put('POST', '/v1/auth/azure/identity/webapp', {});
});
after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Result {
  code: number;
  out: string;
  err: string;
}

/** Runs `coffer ...argv` in this process with the given extra environment. */
async function coffer(argv: string[], env: Record<string, string> = {}): Promise<Result> {
  let out = '';
  let err = '';
  const ctx: CliContext = {
    env: { PATH: process.env.PATH, COFFER_ADDR: server.url, COFFER_TOKEN: server.rootToken, ...env },
    home: dir,
    io: {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
      stdoutIsTTY: false,
      readStdin: async () => '',
      promptSecret: async () => '',
    },
  };
  const code = await runCli(argv, ctx);
  return { code, out, err };
}

let n = 0;
function outFile(): string {
  return join(dir, `out-${++n}.json`);
}

test('--env-from a KV v2 secret and a vault: variables set, exit code forwarded, no token passed on', async () => {
  const out = outFile();
  const res = await coffer(
    ['run', '--env-from', 'secret/app', '--env-from', 'keyvault/runvault', '--', process.execPath, '-e', REPORTER],
    { OUT: out, REPORT: 'API_KEY,DB_URL,PORT,DB_PASSWORD,OFF', PRESENT: 'COFFER_TOKEN,VAULT_TOKEN,COFFER_ADDR,PATH', EXIT_CODE: '3', VAULT_TOKEN: 'hvs.parent' },
  );
  assert.equal(res.code, 3, res.err);
  const seen = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(seen.API_KEY, sha('k-one'));
  assert.equal(seen.DB_URL, sha('postgres://u:p@db/app'));
  assert.equal(seen.PORT, sha('8080'));
  // keyvault/V: upper case, "-" -> "_"; disabled secrets are skipped.
  assert.equal(seen.DB_PASSWORD, sha('vault-pass'));
  assert.equal(seen.OFF, null);
  assert.deepEqual(seen.present, ['COFFER_ADDR', 'PATH']);
  for (const v of ['k-one', 'postgres://u:p@db/app', 'vault-pass']) {
    assert.ok(!res.out.includes(v) && !res.err.includes(v), 'no secret value is printed');
  }
});

test('bad inputs: an invalid variable name, a missing secret, a missing command, no command', async () => {
  const bad = await coffer(['run', '--env-from', 'secret/bad', '--', process.execPath, '-e', '']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /"not-an-env-name" is not a valid environment variable name/);
  assert.ok(!bad.err.includes('bad-value-zz9'));

  const missing = await coffer(['run', '--env-from', 'secret/nothing-here', '--', process.execPath, '-e', '']);
  assert.equal(missing.code, 1);
  assert.match(missing.err, /no secret found at secret\/nothing-here/);

  const notFound = await coffer(['run', '--', join(dir, 'no-such-program')]);
  assert.equal(notFound.code, 127);
  assert.match(notFound.err, /command not found/);

  const none = await coffer(['run', '--env-from', 'secret/app']);
  assert.equal(none.code, 2);

  const watchless = await coffer(['run', '--watch', '--', process.execPath, '-e', '']);
  assert.equal(watchless.code, 2);
  assert.match(watchless.err, /--watch needs at least one --env-from/);
});

test('a child killed by a signal gives 128 + the signal number', async () => {
  const res = await coffer(['run', '--', process.execPath, '-e', "process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 5000)"]);
  assert.equal(res.code, 143);
});

test('--watch restarts the command when a new version is written', { timeout: 30_000 }, async () => {
  await server.request('PUT', '/v1/secret/data/watched', { body: { data: { TOKEN: 'watch-first-v' } } });
  const log = join(dir, 'watch.log');
  // Each start appends the hash of TOKEN; the start that sees "second" exits 7, the others wait to be stopped.
  const child = `
    const fs = require('fs');
    const h = require('crypto').createHash('sha256').update(process.env.TOKEN || '').digest('hex');
    fs.appendFileSync(process.env.LOG, h + '\\n');
    if (h === process.env.TARGET) process.exit(7);
    setInterval(() => {}, 1000);
  `;
  const running = coffer(['run', '--env-from', 'secret/watched', '--watch', '--interval', '200ms', '--', process.execPath, '-e', child], {
    LOG: log,
    TARGET: sha('watch-second-v'),
  });
  // Wait for the first start, then write a new version.
  for (let i = 0; i < 200 && !(existsSync(log) && readFileSync(log, 'utf8').length > 0); i++) await new Promise((r) => setTimeout(r, 25));
  const put = await server.request('PUT', '/v1/secret/data/watched', { body: { data: { TOKEN: 'watch-second-v' } } });
  assert.equal(put.status, 200);
  const res = await running;
  assert.equal(res.code, 7, res.err);
  assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [sha('watch-first-v'), sha('watch-second-v')]);
  assert.match(res.err, /secrets changed; restarting/);
  assert.ok(!res.err.includes('watch-first-v') && !res.err.includes('watch-second-v'));
});

test('--identity: the child gets a working local managed-identity endpoint, closed afterwards', async () => {
  const out = outFile();
  // The child asks the endpoint for a token the way the Azure SDK's App Service source does.
  const child = `
    const http = require('http');
    const fs = require('fs');
    const url = new URL(process.env.IDENTITY_ENDPOINT);
    url.searchParams.set('api-version', '2019-08-01');
    url.searchParams.set('resource', 'https://vault.localhost:8200');
    http.get(url, { headers: { 'x-identity-header': process.env.IDENTITY_HEADER } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        const j = JSON.parse(body);
        fs.writeFileSync(process.env.OUT, JSON.stringify({
          status: res.statusCode, hasToken: typeof j.access_token === 'string' && j.access_token.length > 20,
          endpoint: process.env.IDENTITY_ENDPOINT, sameMsi: process.env.MSI_ENDPOINT === process.env.IDENTITY_ENDPOINT,
          sameSecret: process.env.MSI_SECRET === process.env.IDENTITY_HEADER, clientId: process.env.AZURE_CLIENT_ID ?? null,
        }));
      });
    });
  `;
  const res = await coffer(['run', '--identity', 'webapp', '--', process.execPath, '-e', child], { OUT: out, AZURE_CLIENT_ID: 'inherited' });
  assert.equal(res.code, 0, res.err);
  const seen = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(seen.status, 200);
  assert.equal(seen.hasToken, true);
  assert.equal(seen.sameMsi, true);
  assert.equal(seen.sameSecret, true);
  assert.equal(seen.clientId, null, 'an inherited AZURE_CLIENT_ID would select another identity');
  assert.match(seen.endpoint, /^http:\/\/127\.0\.0\.1:\d+\/msi\/token$/);
  // The endpoint is gone once the command has ended.
  const refused = await fetch(seen.endpoint).then(
    () => 'answered',
    () => 'refused',
  );
  assert.equal(refused, 'refused');

  const unknown = await coffer(['run', '--identity', 'nobody', '--', process.execPath, '-e', '']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /nobody/);
});

test('spawned: stdio is inherited and SIGTERM is forwarded; the exit code is the child\'s', { timeout: 30_000 }, async () => {
  const child = `
    const h = require('crypto').createHash('sha256').update(process.env.API_KEY).digest('hex');
    console.log('hash ' + h);
    process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(42); });
    console.log('ready');
    setInterval(() => {}, 1000);
  `;
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: dir, COFFER_ADDR: server.url, COFFER_TOKEN: server.rootToken };
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, 'run', '--env-from', 'secret/app', '--', process.execPath, '-e', child], {
    cwd: ROOT,
    env: env as NodeJS.ProcessEnv,
  });
  let out = '';
  let err = '';
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const ready = new Promise<void>((resolve) => {
    proc.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('ready')) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  await Promise.race([ready, exited]);
  proc.kill('SIGTERM');
  const code = await exited;
  assert.equal(code, 42, err);
  assert.match(out, new RegExp(`hash ${sha('k-one')}`));
  assert.match(out, /got SIGTERM/);
  assert.ok(!out.includes('k-one') && !err.includes('k-one'));
});
