/**
 * End to end: the real `coffer` entry point, spawned as a process, against a real dev server
 * (test/helpers/server.ts). Few tests, each a user-visible flow.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestServer, type TestServer } from '../helpers/server.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

let server: TestServer;
let home: string;

before(async () => {
  server = await createTestServer();
  home = mkdtempSync(join(tmpdir(), 'coffer-e2e-home-'));
});
after(async () => {
  await server?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Run `coffer ...args` in a child process; env defaults: the test server and its root token. */
function coffer(args: string[], opts: { env?: Record<string, string | undefined>; stdin?: string } = {}): Promise<Run> {
  const env: Record<string, string | undefined> = {};
  // Only what node needs: no COFFER_* / VAULT_* leaking in from the developer's shell.
  for (const k of ['PATH', 'NODE_OPTIONS', 'TMPDIR', 'SYSTEMROOT']) if (process.env[k] !== undefined) env[k] = process.env[k];
  Object.assign(env, { HOME: home, COFFER_ADDR: server.url, COFFER_TOKEN: server.rootToken }, opts.env ?? {});
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: env as NodeJS.ProcessEnv });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(opts.stdin ?? '');
  });
}

test('status: an unsealed dev server exits 0', async () => {
  const table = await coffer(['status']);
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /Sealed\s+false/);
});

test('kv v2: put, get (table, -field, json), list, metadata get', async () => {
  const put = await coffer(['kv', 'put', 'secret/e2e/app', 'password=s3cret', 'user=admin']);
  assert.equal(put.code, 0, put.err);
  assert.match(put.out, /secret\/data\/e2e\/app/);

  const field = await coffer(['kv', 'get', '-field=password', 'secret/e2e/app']);
  assert.equal(field.code, 0, field.err);
  assert.equal(field.out, 's3cret');

  const json = await coffer(['kv', 'get', '--format', 'json', 'secret/e2e/app']);
  assert.equal(json.code, 0, json.err);
  assert.deepEqual(JSON.parse(json.out).data.data, { password: 's3cret', user: 'admin' });

  const list = await coffer(['kv', 'list', 'secret/e2e']);
  assert.equal(list.code, 0, list.err);
  assert.equal(list.out, 'app\n');

  const meta = await coffer(['kv', 'metadata', 'get', '-format=json', 'secret/e2e/app']);
  assert.equal(meta.code, 0, meta.err);
  assert.equal(JSON.parse(meta.out).data.current_version, 1);

  const missing = await coffer(['kv', 'get', 'secret/e2e/nothing']);
  assert.equal(missing.code, 2);
  assert.match(missing.err, /No value found at secret\/data\/e2e\/nothing/);
});

test('policy from stdin, a token with it, lookup, and a denied write that names the path', async () => {
  const policy = 'path "secret/data/e2e/*" {\n  capabilities = ["read"]\n}\n';
  const w = await coffer(['policy', 'write', 'e2e-readers', '-'], { stdin: policy });
  assert.equal(w.code, 0, w.err);
  const stored = await server.request('GET', '/v1/sys/policies/acl/e2e-readers');
  assert.equal(stored.status, 200);
  assert.equal(stored.body.data.policy, policy);

  const created = await coffer(['token', 'create', '-policy=e2e-readers', '-ttl=1h', '-format=json']);
  assert.equal(created.code, 0, created.err);
  const child = JSON.parse(created.out).auth.client_token as string;
  assert.ok(child);

  const lookup = await coffer(['token', 'lookup', '-format=json'], { env: { COFFER_TOKEN: child } });
  assert.equal(lookup.code, 0, lookup.err);
  assert.ok(JSON.parse(lookup.out).data.policies.includes('e2e-readers'));

  await coffer(['kv', 'put', 'secret/e2e/app', 'password=s3cret']);
  const read = await coffer(['kv', 'get', '-field=password', 'secret/e2e/app'], { env: { COFFER_TOKEN: child } });
  assert.equal(read.code, 0, read.err);
  const denied = await coffer(['kv', 'put', 'secret/e2e/app', 'password=x'], { env: { COFFER_TOKEN: child } });
  assert.equal(denied.code, 1);
  assert.match(denied.err, /Error writing secret\/data\/e2e\/app: permission denied \(403\)/);
  assert.ok(!denied.err.includes(child), 'the token never appears in an error');
});

test('secrets enable / list', async () => {
  const en = await coffer(['secrets', 'enable', '-path=e2e-kv1', '-version=1', '-description=e2e store', 'kv']);
  assert.equal(en.code, 0, en.err);
  assert.equal(en.out, 'Success! Enabled the kv secrets engine at: e2e-kv1/\n');
  const list = await coffer(['secrets', 'list']);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /^e2e-kv1\/\s+kv\s+\S+\s+e2e store$/m);
  // A KV v1 mount: kv put/get go to the path itself.
  const put = await coffer(['kv', 'put', 'e2e-kv1/thing', 'k=v']);
  assert.equal(put.code, 0, put.err);
  assert.equal(put.out, 'Success! Data written to: e2e-kv1/thing\n');
  const stored = await server.request('GET', '/v1/e2e-kv1/thing');
  assert.deepEqual(stored.body.data, { k: 'v' });
});

test('errors: a bad token and an unreachable server', async () => {
  const bad = await coffer(['kv', 'get', 'secret/e2e/app'], { env: { COFFER_TOKEN: 'hvs.not-a-real-token' } });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /permission denied \(403\)/);
  assert.ok(!bad.err.includes('hvs.not-a-real-token'));

  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const dead = await coffer(['status'], { env: { COFFER_ADDR: `http://127.0.0.1:${port}` } });
  assert.equal(dead.code, 1);
  assert.match(dead.err, /cannot reach the Coffer server at http:\/\/127\.0\.0\.1:\d+ \(connection refused\)\. Is it running\? Set COFFER_ADDR\./);
});

test('login stores the token in ~/.coffer-token (0600) and later commands use it', async () => {
  const login = await coffer(['login', server.rootToken], { env: { COFFER_TOKEN: undefined } });
  assert.equal(login.code, 0, login.err);
  const file = join(home, '.coffer-token');
  assert.equal(readFileSync(file, 'utf8'), server.rootToken);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.ok(!login.out.includes(server.rootToken));

  const lookup = await coffer(['token', 'lookup', '-format=json'], { env: { COFFER_TOKEN: undefined } });
  assert.equal(lookup.code, 0, lookup.err);
  assert.deepEqual(JSON.parse(lookup.out).data.policies, ['root']);

  const bad = await coffer(['login', 'hvs.wrong'], { env: { COFFER_TOKEN: undefined } });
  assert.equal(bad.code, 1);
  assert.equal(readFileSync(file, 'utf8'), server.rootToken, 'a rejected token does not replace the stored one');
});

test('server -config, then operator init, unseal (argument and prompt) and status exit codes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-e2e-server-'));
  const config = join(dir, 'coffer.hcl');
  writeFileSync(config, 'storage "inmem" {}\nlistener "tcp" {\n  address = "127.0.0.1:0"\n  tls_disable = true\n}\n');
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'server', '-config', config, '-log-level=warn'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: home },
  });
  t.after(() => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout.on('data', (c: Buffer) => {
      seen += c.toString('utf8');
      const m = /Listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`coffer server exited early (${code}): ${seen}`)));
  });
  const env = { COFFER_ADDR: url, COFFER_TOKEN: undefined };

  const init = await coffer(['operator', 'init', '-key-shares=2', '-key-threshold', '2', '-format=json'], { env });
  assert.equal(init.code, 0, init.err);
  const keys = JSON.parse(init.out) as { unseal_keys_b64: string[]; root_token: string; unseal_threshold: number };
  assert.equal(keys.unseal_keys_b64.length, 2);
  assert.equal(keys.unseal_threshold, 2);
  assert.ok(keys.root_token);

  const sealed = await coffer(['status'], { env });
  assert.equal(sealed.code, 2, 'sealed → exit 2');
  assert.match(sealed.out, /Unseal Progress\s+0\/2/);

  const first = await coffer(['operator', 'unseal', keys.unseal_keys_b64[0]!], { env });
  assert.equal(first.code, 0, first.err);
  assert.match(first.out, /Unseal Progress\s+1\/2/);
  // No argument: the key is asked for (read from stdin when it is not a terminal), never echoed.
  const second = await coffer(['operator', 'unseal'], { env, stdin: `${keys.unseal_keys_b64[1]}\n` });
  assert.equal(second.code, 0, second.err);
  assert.match(second.out, /Sealed\s+false/);
  assert.ok(!second.out.includes(keys.unseal_keys_b64[1]!));

  const up = await coffer(['status'], { env });
  assert.equal(up.code, 0, up.err);
});
