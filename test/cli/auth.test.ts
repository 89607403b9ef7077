/**
 * The identity commands of the CLI: `auth enable|disable|list|tune`, `login` with userpass and
 * approle, `unwrap`, `-wrap-ttl` and `token create -role`. Most tests run the CLI in-process
 * against a fake Vault API that records what goes on the wire; a few spawn the real entry
 * point (the hidden prompt on a pipe, and flows against the real server).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../../src/cli/program.js';
import type { CliContext } from '../../src/cli/context.js';
import { createTestServer, type TestServer } from '../helpers/server.js';
import { fakeVault } from '../helpers/fake-vault.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');


const TOKEN = 'hvs.current-token-123456';
const PASSWORD = 'correct-horse-battery-staple';
const WRAP = {
  token: 'hvs.wrapping-token-abcdef',
  accessor: 'wrap-acc-1',
  ttl: 300,
  creation_time: '2026-11-22T12:00:00.000Z',
  creation_path: 'auth/token/create/ci',
  wrapped_accessor: 'child-acc-9',
};


function tempHome(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-cli-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface RunOpts {
  url: string;
  home: string;
  /** COFFER_TOKEN; null: none. */
  token?: string | null;
  stdin?: string;
  /** What the hidden prompt answers (default: the first line of stdin). */
  prompt?: string;
}

/** Run the CLI in-process; `prompts` lists the questions asked through the hidden prompt. */
async function run(argv: string[], opts: RunOpts) {
  let out = '';
  let err = '';
  const prompts: string[] = [];
  const env: Record<string, string> = { COFFER_ADDR: opts.url };
  if (opts.token !== null) env.COFFER_TOKEN = opts.token ?? TOKEN;
  const ctx: CliContext = {
    env,
    home: opts.home,
    io: {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
      stdoutIsTTY: false,
      readStdin: async () => opts.stdin ?? '',
      promptSecret: async (q) => {
        prompts.push(q);
        return opts.prompt ?? (opts.stdin ?? '').split('\n')[0] ?? '';
      },
    },
  };
  const code = await runCli(argv, ctx);
  return { code, out, err, prompts };
}

/** Run the real `coffer` entry point in a child process (stdin is a pipe, not a TTY). */
function spawnCoffer(args: string[], env: Record<string, string | undefined>, stdin = ''): Promise<{ code: number | null; out: string; err: string }> {
  const childEnv: Record<string, string> = {};
  for (const k of ['PATH', 'NODE_OPTIONS', 'TMPDIR', 'SYSTEMROOT']) if (process.env[k] !== undefined) childEnv[k] = process.env[k]!;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: childEnv });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(stdin);
  });
}

const loginAnswer = (meta: Record<string, string>) => ({
  status: 200,
  body: {
    request_id: 'r1',
    lease_id: '',
    renewable: false,
    lease_duration: 0,
    data: null,
    wrap_info: null,
    warnings: null,
    auth: {
      client_token: 'hvs.issued-by-login-777',
      accessor: 'login-acc-1',
      policies: ['default', 'dev'],
      token_policies: ['default', 'dev'],
      metadata: meta,
      lease_duration: 3600,
      renewable: true,
      entity_id: '',
      token_type: 'service',
      orphan: true,
    },
  },
});

// ---------------------------------------------------------------------------------------------
// auth enable | disable | list | tune

test('auth enable sends the vault CLI body to sys/auth/<path>; disable DELETEs it', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, () => ({ status: 204 }));

  const en = await run(['auth', 'enable', '-path=people/', '-description=staff logins', '-default-lease-ttl=1h', '-max-lease-ttl', '4h', 'userpass'], {
    url,
    home,
  });
  assert.equal(en.code, 0, en.err);
  assert.equal(en.out, 'Success! Enabled userpass auth method at: people/\n');
  assert.equal(requests[0]!.method, 'PUT');
  assert.equal(requests[0]!.path, '/v1/sys/auth/people');
  assert.equal(requests[0]!.headers['x-vault-token'], TOKEN);
  assert.deepEqual(requests[0]!.body, {
    type: 'userpass',
    description: 'staff logins',
    config: { default_lease_ttl: '1h', max_lease_ttl: '4h', force_no_cache: false, options: null },
    local: false,
    seal_wrap: false,
    external_entropy_access: false,
    options: null,
  });

  // Defaults: the path is the type, TTLs are "" (system default), as in spec §5 step 1.
  const approle = await run(['auth', 'enable', 'approle'], { url, home });
  assert.equal(approle.code, 0, approle.err);
  assert.equal(requests[1]!.path, '/v1/sys/auth/approle');
  assert.deepEqual(requests[1]!.body, {
    type: 'approle',
    description: '',
    config: { default_lease_ttl: '', max_lease_ttl: '', force_no_cache: false, options: null },
    local: false,
    seal_wrap: false,
    external_entropy_access: false,
    options: null,
  });

  const dis = await run(['auth', 'disable', 'people/'], { url, home });
  assert.equal(dis.code, 0, dis.err);
  assert.equal(dis.out, 'Success! Disabled the auth method (if it existed) at: people/\n');
  assert.equal(requests[2]!.method, 'DELETE');
  assert.equal(requests[2]!.path, '/v1/sys/auth/people');

  const missing = await run(['auth', 'enable'], { url, home });
  assert.equal(missing.code, 2);
  assert.equal(requests.length, 3);
});

test('auth list: a Path/Type/Accessor/Description table, or the mounts map with -format=json', async (t) => {
  const home = tempHome(t);
  const mounts = {
    'token/': { type: 'token', accessor: 'auth_token_1', description: 'token based credentials', config: { token_type: 'default-service' } },
    'userpass/': { type: 'userpass', accessor: 'auth_userpass_2', description: '', config: {} },
  };
  // sys/auth is an "inj" route: the entries are in data and copied to the top level.
  const { url, requests } = await fakeVault(t, () => ({
    status: 200,
    body: { request_id: 'x', lease_id: '', renewable: false, lease_duration: 0, data: mounts, wrap_info: null, warnings: null, auth: null, ...mounts },
  }));
  const table = await run(['auth', 'list'], { url, home });
  assert.equal(table.code, 0, table.err);
  assert.equal(requests[0]!.method, 'GET');
  assert.equal(requests[0]!.path, '/v1/sys/auth');
  assert.equal(
    table.out,
    'Path         Type        Accessor           Description\n' +
      '----         ----        --------           -----------\n' +
      'token/       token       auth_token_1       token based credentials\n' +
      'userpass/    userpass    auth_userpass_2    n/a\n',
  );
  const json = await run(['auth', 'list', '-format=json'], { url, home });
  assert.equal(json.code, 0, json.err);
  assert.deepEqual(JSON.parse(json.out), mounts);
});

test('auth tune sends only the flags given, lockout settings in user_lockout_config', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, () => ({ status: 204 }));
  const tune = await run(
    [
      'auth',
      'tune',
      '-description=people',
      '-default-lease-ttl=30m',
      '-user-lockout-threshold=3',
      '-user-lockout-duration',
      '10m',
      '-user-lockout-counter-reset-duration=5m',
      '-user-lockout-disable=false',
      'userpass/',
    ],
    { url, home },
  );
  assert.equal(tune.code, 0, tune.err);
  assert.equal(tune.out, 'Success! Tuned the auth method at: userpass/\n');
  assert.equal(requests[0]!.method, 'PUT');
  assert.equal(requests[0]!.path, '/v1/sys/auth/userpass/tune');
  assert.deepEqual(requests[0]!.body, {
    description: 'people',
    default_lease_ttl: '30m',
    user_lockout_config: { lockout_threshold: '3', lockout_duration: '10m', lockout_counter_reset: '5m', lockout_disable: false },
  });

  const off = await run(['auth', 'tune', '-user-lockout-disable', 'userpass'], { url, home });
  assert.equal(off.code, 0, off.err);
  assert.deepEqual(requests[1]!.body, { user_lockout_config: { lockout_disable: true } });

  const ttlOnly = await run(['auth', 'tune', '-max-lease-ttl=2h', 'userpass'], { url, home });
  assert.equal(ttlOnly.code, 0, ttlOnly.err);
  assert.deepEqual(requests[2]!.body, { max_lease_ttl: '2h' });

  const bad = await run(['auth', 'tune', '-user-lockout-threshold=many', 'userpass'], { url, home });
  assert.equal(bad.code, 2);
  assert.equal(requests.length, 3);
});

// ---------------------------------------------------------------------------------------------
// login -method=userpass | approle

test('login -method=userpass: POST auth/<path>/login/<user> {password}, no token sent, token stored 0600', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) =>
    r.path.endsWith('/login/alice') ? loginAnswer({ username: 'alice' }) : { status: 404, body: { errors: [] } },
  );
  // A stale current token is set: the login must not send it.
  const res = await run(['login', '-method=userpass', '-path=people', 'username=alice', `password=${PASSWORD}`], { url, home, token: 'hvs.stale-token' });
  assert.equal(res.code, 0, res.err);
  assert.equal(requests.length, 1, 'the login answer is shown as is: no lookup-self');
  const login = requests[0]!;
  assert.equal(login.method, 'PUT');
  assert.equal(login.path, '/v1/auth/people/login/alice');
  assert.deepEqual(login.body, { password: PASSWORD });
  assert.equal(login.headers['x-vault-token'], undefined);

  const file = join(home, '.coffer-token');
  assert.equal(readFileSync(file, 'utf8'), 'hvs.issued-by-login-777');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(res.out, /^Success! You are now authenticated/);
  assert.match(res.out, /token_accessor\s+login-acc-1/);
  assert.match(res.out, /token_duration\s+1h/);
  assert.match(res.out, /token_policies\s+\[default dev\]/);
  assert.match(res.out, /token_meta_username\s+alice/);
  assert.ok(!res.out.includes('hvs.issued-by-login-777'), 'a stored token is not printed');
  assert.ok(!res.out.includes(PASSWORD) && !res.err.includes(PASSWORD));
  assert.match(res.err, /COFFER_TOKEN is set and takes precedence/);

  // -no-store: no file, and the token is shown (the user needs it). The default path is userpass/.
  const otherHome = tempHome(t);
  const noStore = await run(['login', '-method=userpass', '-no-store', 'username=alice', `password=${PASSWORD}`], { url, home: otherHome, token: null });
  assert.equal(noStore.code, 0, noStore.err);
  assert.equal(requests.at(-1)!.path, '/v1/auth/userpass/login/alice');
  assert.match(noStore.out, /not stored/);
  assert.match(noStore.out, /^token\s+hvs\.issued-by-login-777$/m);
  assert.equal(existsSync(join(otherHome, '.coffer-token')), false);
  assert.ok(!noStore.out.includes(PASSWORD) && !noStore.err.includes(PASSWORD));
});

test('login -method=userpass asks for the password with the hidden prompt; it never reaches output or errors', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.body?.password === PASSWORD) return loginAnswer({ username: 'alice' });
    // A server that (wrongly) echoes the password: the CLI must still not show it.
    return { status: 400, body: { errors: [`invalid username or password (got ${String(r.body?.password)})`] } };
  });

  const ok = await run(['login', '-method=userpass', '-no-store', 'username=alice'], { url, home, token: null, prompt: PASSWORD });
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual(ok.prompts, ['Password (will be hidden): ']);
  assert.deepEqual(requests[0]!.body, { password: PASSWORD });
  assert.match(ok.out, /token\s+hvs\.issued-by-login-777/, '-no-store shows the token');
  assert.ok(!ok.out.includes(PASSWORD) && !ok.err.includes(PASSWORD));
  assert.equal(existsSync(join(home, '.coffer-token')), false);

  const wrong = 'wrong-password-0000';
  const bad = await run(['login', '-method=userpass', 'username=alice'], { url, home, token: null, prompt: wrong });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^Error logging in as alice \(auth\/userpass\/login\): invalid username or password \(got <redacted>\) \(400\)/);
  assert.ok(!bad.err.includes(wrong) && !bad.out.includes(wrong));
  assert.equal(existsSync(join(home, '.coffer-token')), false, 'a failed login stores nothing');

  // password=- reads stdin (its line end dropped); nothing is prompted.
  const piped = await run(['login', '-method=userpass', '-no-store', 'username=alice', 'password=-'], { url, home, token: null, stdin: `${PASSWORD}\n` });
  assert.equal(piped.code, 0, piped.err);
  assert.deepEqual(piped.prompts, []);
  assert.deepEqual(requests.at(-1)!.body, { password: PASSWORD });

  // Usage errors, before any request: no username, empty password, a bare argument (maybe a
  // password typed without its key: never echoed), an unknown field.
  const before = requests.length;
  assert.equal((await run(['login', '-method=userpass', `password=${PASSWORD}`], { url, home, token: null })).code, 2);
  assert.equal((await run(['login', '-method=userpass', 'username=alice'], { url, home, token: null, prompt: '' })).code, 2);
  const bare = await run(['login', '-method=userpass', 'username=alice', PASSWORD], { url, home, token: null });
  assert.equal(bare.code, 2);
  assert.ok(!bare.err.includes(PASSWORD));
  const typo = await run(['login', '-method=userpass', 'username=alice', `pasword=${PASSWORD}`], { url, home, token: null });
  assert.equal(typo.code, 2);
  assert.match(typo.err, /unknown userpass login field\(s\) "pasword"/);
  assert.ok(!typo.err.includes(PASSWORD));
  assert.equal(requests.length, before);
});

test('the real prompt reads the password from stdin when it is not a terminal', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) =>
    r.path === '/v1/auth/userpass/login/alice' ? loginAnswer({ username: 'alice' }) : { status: 404, body: { errors: [] } },
  );
  const res = await spawnCoffer(['login', '-method=userpass', 'username=alice'], { HOME: home, COFFER_ADDR: url }, `${PASSWORD}\nnext line\n`);
  assert.equal(res.code, 0, res.err);
  assert.equal(requests.length, 1);
  assert.deepEqual(requests[0]!.body, { password: PASSWORD });
  assert.ok(!res.out.includes(PASSWORD) && !res.err.includes(PASSWORD), 'the password is not echoed');
  assert.equal(readFileSync(join(home, '.coffer-token'), 'utf8'), 'hvs.issued-by-login-777');
});

test('login -method=approle: POST auth/<path>/login {role_id, secret_id}; -format=json prints the answer', async (t) => {
  const home = tempHome(t);
  const ROLE_ID = 'role-id-1111-2222';
  const SECRET_ID = 'secret-id-3333-4444';
  const { url, requests } = await fakeVault(t, (r) =>
    r.body?.secret_id === SECRET_ID ? loginAnswer({ role_name: 'app' }) : { status: 400, body: { errors: ['invalid role or secret ID'] } },
  );
  const res = await run(['login', '-method=approle', '-format=json', `role_id=${ROLE_ID}`, `secret_id=${SECRET_ID}`], { url, home, token: null });
  assert.equal(res.code, 0, res.err);
  assert.equal(requests[0]!.method, 'PUT');
  assert.equal(requests[0]!.path, '/v1/auth/approle/login');
  assert.deepEqual(requests[0]!.body, { role_id: ROLE_ID, secret_id: SECRET_ID });
  assert.equal(requests[0]!.headers['x-vault-token'], undefined);
  assert.deepEqual(JSON.parse(res.out), loginAnswer({ role_name: 'app' }).body);
  assert.equal(readFileSync(join(home, '.coffer-token'), 'utf8'), 'hvs.issued-by-login-777');

  const field = await run(['login', '-method=approle', '-path=ci-approle', '-no-store', '-field=token_accessor', `role_id=${ROLE_ID}`, `secret_id=${SECRET_ID}`], {
    url,
    home,
    token: null,
  });
  assert.equal(field.code, 0, field.err);
  assert.equal(field.out, 'login-acc-1');
  assert.equal(requests[1]!.path, '/v1/auth/ci-approle/login');

  const bad = await run(['login', '-method=approle', `role_id=${ROLE_ID}`, 'secret_id=nope-nope'], { url, home, token: null });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^Error logging in with approle \(auth\/approle\/login\): invalid role or secret ID \(400\)/);
  assert.ok(!bad.err.includes(ROLE_ID) && !bad.err.includes('nope-nope'));

  const noRole = await run(['login', '-method=approle', `secret_id=${SECRET_ID}`], { url, home, token: null });
  assert.equal(noRole.code, 2);
  assert.match(noRole.err, /needs a role_id/);
  assert.equal(requests.length, 3);

  // A locked-out login answers 403: explained as a login failure, not as a missing token.
  const lockedOut = await fakeVault(t, () => ({ status: 403, body: { errors: ['permission denied'] } }));
  const locked = await run(['login', '-method=approle', 'role_id=locked-role-id'], { url: lockedOut.url, home, token: null });
  assert.equal(locked.code, 1);
  assert.match(locked.err, /^Error logging in with approle \(auth\/approle\/login\): permission denied \(403\)\. Repeated failed logins lock the user out/);
  assert.doesNotMatch(locked.err, /No token is set/);
  assert.ok(!locked.err.includes('locked-role-id'));

  const unknown = await run(['login', '-method=ldap', 'username=x'], { url, home, token: null });
  assert.equal(unknown.code, 2);
  assert.match(unknown.err, /supported methods are token, userpass, approle/);
});

// ---------------------------------------------------------------------------------------------
// unwrap

test('unwrap TOKEN: {token} in the body with the current token, or TOKEN as the header when there is none', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) => {
    const wrapping = r.body?.token ?? r.headers['x-vault-token'];
    if (wrapping === WRAP.token) {
      return { status: 200, body: { request_id: 'u', lease_id: '', renewable: false, lease_duration: 0, data: { password: 's3cret', user: 'admin' }, wrap_info: null, warnings: null, auth: null } };
    }
    return { status: 400, body: { errors: [`wrapping token is not valid or does not exist: ${String(wrapping)}`] } };
  });

  const withCurrent = await run(['unwrap', WRAP.token], { url, home });
  assert.equal(withCurrent.code, 0, withCurrent.err);
  assert.equal(requests[0]!.method, 'PUT');
  assert.equal(requests[0]!.path, '/v1/sys/wrapping/unwrap');
  assert.equal(requests[0]!.headers['x-vault-token'], TOKEN);
  assert.deepEqual(requests[0]!.body, { token: WRAP.token });
  assert.equal(withCurrent.out, 'Key         Value\n---         -----\npassword    s3cret\nuser        admin\n');

  const noCurrent = await run(['unwrap', '-field=password', WRAP.token], { url, home, token: null });
  assert.equal(noCurrent.code, 0, noCurrent.err);
  assert.equal(requests[1]!.headers['x-vault-token'], WRAP.token);
  assert.equal(requests[1]!.text, '', 'no body when the wrapping token is the header');
  assert.equal(noCurrent.out, 's3cret');

  // No argument: the current token is the wrapping token.
  const self = await run(['unwrap', '-format=json'], { url, home, token: WRAP.token });
  assert.equal(self.code, 0, self.err);
  assert.equal(requests[2]!.headers['x-vault-token'], WRAP.token);
  assert.equal(requests[2]!.text, '');
  assert.deepEqual(JSON.parse(self.out).data, { password: 's3cret', user: 'admin' });

  const used = 'hvs.used-wrapping-token-42';
  const bad = await run(['unwrap', used], { url, home });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /^Error unwrapping \(sys\/wrapping\/unwrap\): wrapping token is not valid or does not exist: <redacted> \(400\)/);
  assert.ok(!bad.err.includes(used) && !bad.err.includes(TOKEN));

  const nothing = await run(['unwrap'], { url, home, token: null });
  assert.equal(nothing.code, 2);
  assert.equal(requests.length, 4);
});

test('unwrap prints an unwrapped auth answer as the token table; an empty one says so', async (t) => {
  const home = tempHome(t);
  let empty = false;
  const { url } = await fakeVault(t, () => (empty ? { status: 204 } : loginAnswer({ username: 'bob' })));
  const res = await run(['unwrap', WRAP.token], { url, home });
  assert.equal(res.code, 0, res.err);
  assert.match(res.out, /^token\s+hvs\.issued-by-login-777$/m, 'unwrapping is how the user gets the token: it is shown');
  assert.match(res.out, /token_meta_username\s+bob/);
  const field = await run(['unwrap', '-field=token', WRAP.token], { url, home });
  assert.equal(field.out, 'hvs.issued-by-login-777');
  empty = true;
  const none = await run(['unwrap', WRAP.token], { url, home });
  assert.equal(none.code, 0, none.err);
  assert.equal(none.out, 'Successfully unwrapped. There was no data in the wrapped secret.\n');
});

// ---------------------------------------------------------------------------------------------
// -wrap-ttl and token create -role

const wrapped = (creationPath: string) => ({
  status: 200,
  body: { request_id: '', lease_id: '', renewable: false, lease_duration: 0, data: null, wrap_info: { ...WRAP, creation_path: creationPath }, warnings: null, auth: null },
});

test('token create -role -wrap-ttl: POST auth/token/create/ROLE with X-Vault-Wrap-TTL; the wrap info is printed', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.path === '/v1/auth/token/create/ci') return r.headers['x-vault-wrap-ttl'] ? wrapped('auth/token/create/ci') : loginAnswer({});
    if (r.path === '/v1/auth/token/lookup-accessor') return { status: 200, body: { data: { accessor: r.body.accessor, policies: ['default'] } } };
    return { status: 404, body: { errors: [] } };
  });
  const table = await run(['token', 'create', '-role=ci', '-wrap-ttl=2m', '-policy=dev'], { url, home });
  assert.equal(table.code, 0, table.err);
  assert.equal(requests[0]!.method, 'PUT');
  assert.equal(requests[0]!.path, '/v1/auth/token/create/ci');
  assert.equal(requests[0]!.headers['x-vault-wrap-ttl'], '2m');
  assert.deepEqual(requests[0]!.body, { policies: ['dev'] });
  const rows = [
    ['Key', 'Value'],
    ['---', '-----'],
    ['wrapping_token', WRAP.token],
    ['wrapping_accessor', 'wrap-acc-1'],
    ['wrapping_token_ttl', '5m'],
    ['wrapping_token_creation_time', '2026-11-22T12:00:00.000Z'],
    ['wrapping_token_creation_path', 'auth/token/create/ci'],
    ['wrapped_accessor', 'child-acc-9'],
  ];
  assert.equal(table.out, rows.map(([k, v]) => `${k!.padEnd(28)}    ${v}\n`).join(''));
  const field = await run(['token', 'create', '-role', 'ci', '-wrap-ttl', '5m', '-field=wrapping_token'], { url, home });
  assert.equal(field.code, 0, field.err);
  assert.equal(field.out, WRAP.token);
  const json = await run(['token', 'create', '-role=ci', '-wrap-ttl=5m', '-format=json'], { url, home });
  assert.equal(JSON.parse(json.out).wrap_info.token, WRAP.token);

  // Without -wrap-ttl there is no header.
  const plain = await run(['token', 'create', '-role=ci', '-field=token'], { url, home });
  assert.equal(plain.out, 'hvs.issued-by-login-777');
  assert.equal(requests.at(-1)!.headers['x-vault-wrap-ttl'], undefined);

  const lookup = await run(['token', 'lookup', '-accessor', 'child-acc-9'], { url, home });
  assert.equal(lookup.code, 0, lookup.err);
  assert.deepEqual(requests.at(-1)!.body, { accessor: 'child-acc-9' });
  assert.match(lookup.out, /accessor\s+child-acc-9/);

  const before = requests.length;
  assert.equal((await run(['token', 'create', '-role=a/b'], { url, home })).code, 2);
  assert.equal((await run(['token', 'create', '-wrap-ttl=soon'], { url, home })).code, 2);
  assert.equal(requests.length, before);
});

test('-wrap-ttl on read, write, list and delete sends the header and prints the wrap info', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) => (r.headers['x-vault-wrap-ttl'] ? wrapped(r.path.slice(4)) : { status: 204 }));

  const read = await run(['read', '-wrap-ttl=90s', 'secret/data/app'], { url, home });
  assert.equal(read.code, 0, read.err);
  assert.equal(requests[0]!.method, 'GET');
  assert.equal(requests[0]!.headers['x-vault-wrap-ttl'], '90s');
  assert.match(read.out, /^wrapping_token\s+hvs\.wrapping-token-abcdef$/m);
  assert.match(read.out, /^wrapping_token_creation_path\s+secret\/data\/app$/m);

  const write = await run(['write', '-wrap-ttl=300', '-field=wrapping_token', 'auth/approle/role/app/secret-id', 'metadata=x'], { url, home });
  assert.equal(write.code, 0, write.err);
  assert.equal(requests[1]!.method, 'PUT');
  assert.equal(requests[1]!.headers['x-vault-wrap-ttl'], '300');
  assert.equal(write.out, WRAP.token);

  const list = await run(['list', '-wrap-ttl=1m', 'auth/approle/role'], { url, home });
  assert.equal(list.code, 0, list.err);
  assert.equal(requests[2]!.query.get('list'), 'true');
  assert.equal(requests[2]!.headers['x-vault-wrap-ttl'], '1m');
  assert.match(list.out, /^wrapping_accessor\s+wrap-acc-1$/m);

  const del = await run(['delete', '-wrap-ttl=1m', 'secret/data/app'], { url, home });
  assert.equal(del.code, 0, del.err);
  assert.equal(requests[3]!.method, 'DELETE');
  assert.equal(requests[3]!.headers['x-vault-wrap-ttl'], '1m');

  // Zero means "do not wrap", as in vault.
  const zero = await run(['write', '-wrap-ttl=0s', 'sys/x', 'a=b'], { url, home });
  assert.equal(zero.code, 0, zero.err);
  assert.equal(requests[4]!.headers['x-vault-wrap-ttl'], undefined);
  assert.equal(zero.out, 'Success! Data written to: sys/x\n');
});

test('kv get/put -wrap-ttl wrap the data request only, never the mount preflight', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.path.startsWith('/v1/sys/internal/ui/mounts/')) return { status: 200, body: { data: { path: 'secret/', type: 'kv', options: { version: '2' } } } };
    return wrapped(r.path.slice(4));
  });
  const get = await run(['kv', 'get', '-wrap-ttl=5m', 'secret/app'], { url, home });
  assert.equal(get.code, 0, get.err);
  assert.equal(requests[0]!.headers['x-vault-wrap-ttl'], undefined);
  assert.equal(requests[1]!.path, '/v1/secret/data/app');
  assert.equal(requests[1]!.headers['x-vault-wrap-ttl'], '5m');
  assert.doesNotMatch(get.out, /Secret Path/);
  assert.match(get.out, /^wrapping_token\s+hvs\.wrapping-token-abcdef$/m);
  assert.match(get.out, /^wrapping_token_creation_path\s+secret\/data\/app$/m);

  const put = await run(['kv', 'put', '-wrap-ttl=5m', '-field=wrapping_token', 'secret/app', 'k=v'], { url, home });
  assert.equal(put.code, 0, put.err);
  assert.equal(requests[2]!.headers['x-vault-wrap-ttl'], undefined);
  assert.equal(requests[3]!.method, 'PUT');
  assert.equal(requests[3]!.headers['x-vault-wrap-ttl'], '5m');
  assert.deepEqual(requests[3]!.body, { data: { k: 'v' }, options: {} });
  assert.equal(put.out, WRAP.token);
});

// ---------------------------------------------------------------------------------------------
// End to end against the real server (spawned CLI, ~2 s per command)

let server: TestServer | undefined;
let e2eHome: string | undefined;
before(async () => {
  server = await createTestServer();
  e2eHome = mkdtempSync(join(tmpdir(), 'coffer-cli-auth-e2e-'));
});
after(async () => {
  await server?.close();
  if (e2eHome) rmSync(e2eHome, { recursive: true, force: true });
});

const e2eEnv = (extra: Record<string, string | undefined> = {}) => ({ HOME: e2eHome!, COFFER_ADDR: server!.url, COFFER_TOKEN: server!.rootToken, ...extra });

test('e2e: kv get -wrap-ttl, then unwrap the wrapping token once', async () => {
  const put = await server!.request('POST', '/v1/secret/data/e2e-wrap', { body: { data: { password: 'wrapped-s3cret' } } });
  assert.equal(put.status, 200, put.text);
  const wrap = await spawnCoffer(['kv', 'get', '-wrap-ttl=5m', '-field=wrapping_token', 'secret/e2e-wrap'], e2eEnv());
  assert.equal(wrap.code, 0, wrap.err);
  assert.ok(wrap.out.length > 0);
  assert.ok(!wrap.out.includes('wrapped-s3cret'));

  // As another token-less user: the wrapping token authenticates the unwrap itself.
  const unwrap = await spawnCoffer(['unwrap', '-format=json', wrap.out], e2eEnv({ COFFER_TOKEN: undefined }));
  assert.equal(unwrap.code, 0, unwrap.err);
  assert.deepEqual(JSON.parse(unwrap.out).data.data, { password: 'wrapped-s3cret' });

  // Single use: the wrapping token is gone after the unwrap.
  const again = await server!.request('POST', '/v1/sys/wrapping/unwrap', { token: null, headers: { 'x-vault-token': wrap.out } });
  assert.ok(again.status === 400 || again.status === 403, `status ${again.status}`);
});

const USERPASS_PRESENT = existsSync(join(ROOT, 'src/features/userpass'));

test('e2e: auth enable userpass, write a user, login -method=userpass with the prompt on stdin', async (t) => {
  if (!USERPASS_PRESENT) {
    t.skip('userpass backend not present yet');
    return;
  }
  const enable = await spawnCoffer(['auth', 'enable', 'userpass'], e2eEnv());
  assert.equal(enable.code, 0, enable.err);
  assert.equal(enable.out, 'Success! Enabled userpass auth method at: userpass/\n');

  const user = await spawnCoffer(['write', 'auth/userpass/users/alice', `password=${PASSWORD}`, 'token_policies=default'], e2eEnv());
  assert.equal(user.code, 0, user.err);

  // No COFFER_TOKEN: the password comes through the prompt (stdin is a pipe), the token is stored.
  const login = await spawnCoffer(['login', '-method=userpass', 'username=alice'], e2eEnv({ COFFER_TOKEN: undefined }), `${PASSWORD}\n`);
  assert.equal(login.code, 0, login.err);
  assert.match(login.out, /token_meta_username\s+alice/);
  assert.ok(!login.out.includes(PASSWORD) && !login.err.includes(PASSWORD));
  const file = join(e2eHome!, '.coffer-token');
  const token = readFileSync(file, 'utf8');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const lookup = await server!.request('GET', '/v1/auth/token/lookup-self', { token });
  assert.equal(lookup.status, 200, lookup.text);
  assert.equal(lookup.body.data.meta.username, 'alice');
});
