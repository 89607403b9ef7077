/**
 * The CLI against a fake Vault API (a node:http server that records requests): checks what
 * goes on the wire and what the user sees, without the real server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import type { CliContext } from '../../src/cli/context.js';
import { fakeVault } from '../helpers/fake-vault.js';


const TOKEN = 'hvs.test-token-123456';


function tempHome(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'coffer-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function run(argv: string[], opts: { url: string; home: string; token?: string | null; stdin?: string; tty?: boolean }) {
  let out = '';
  let err = '';
  const env: Record<string, string> = { COFFER_ADDR: opts.url };
  if (opts.token !== null) env.COFFER_TOKEN = opts.token ?? TOKEN;
  const ctx: CliContext = {
    env,
    home: opts.home,
    io: {
      out: (s) => void (out += s),
      err: (s) => void (err += s),
      stdoutIsTTY: opts.tty ?? false,
      readStdin: async () => opts.stdin ?? '',
      promptSecret: async () => (opts.stdin ?? '').split('\n')[0] ?? '',
    },
  };
  const code = await runCli(argv, ctx);
  return { code, out, err };
}

const kv2Mount = { status: 200, body: { data: { path: 'secret/', type: 'kv', options: { version: '2' } } } };
const writeMeta = {
  status: 200,
  body: { data: { created_time: '2026-01-01T00:00:00Z', custom_metadata: null, deletion_time: '', destroyed: false, version: 1 } },
};

test('kv put on a v2 mount: preflight, then PUT <mount>/data/<path> with {data, options}', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.path.startsWith('/v1/sys/internal/ui/mounts/')) return kv2Mount;
    if (r.path === '/v1/secret/data/app') return writeMeta;
    return { status: 404, body: { errors: [] } };
  });
  const res = await run(['kv', 'put', '-cas=0', 'secret/app', 'password=s3cret', 'user=admin'], { url, home });
  assert.equal(res.code, 0, res.err);
  assert.equal(requests.length, 2);
  assert.equal(requests[0]!.method, 'GET');
  assert.equal(requests[0]!.path, '/v1/sys/internal/ui/mounts/secret/app');
  const put = requests[1]!;
  assert.equal(put.method, 'PUT');
  assert.equal(put.path, '/v1/secret/data/app');
  assert.deepEqual(put.body, { data: { password: 's3cret', user: 'admin' }, options: { cas: 0 } });
  for (const r of requests) {
    assert.equal(r.headers['x-vault-token'], TOKEN);
    assert.equal(r.headers['x-vault-request'], 'true');
  }
  assert.match(res.out, /Secret Path/);
  assert.match(res.out, /secret\/data\/app/);
  assert.match(res.out, /version\s+1/);
  // The written values are not echoed back.
  assert.doesNotMatch(res.out, /s3cret/);
});

test('kv get -field prints one value raw; a v1 mount (preflight 404) uses the path as is', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.path.startsWith('/v1/sys/internal/ui/mounts/')) return { status: 404, body: { errors: [] } };
    if (r.path === '/v1/kv1/app' && r.method === 'GET') return { status: 200, body: { lease_duration: 2764800, data: { password: 's3cret' } } };
    if (r.path === '/v1/kv1/app' && r.method === 'PUT') return { status: 204 };
    return { status: 404, body: { errors: [] } };
  });
  const put = await run(['kv', 'put', 'kv1/app', 'password=s3cret'], { url, home });
  assert.equal(put.code, 0, put.err);
  assert.equal(put.out, 'Success! Data written to: kv1/app\n');
  assert.deepEqual(requests[1]!.body, { password: 's3cret' });
  const get = await run(['kv', 'get', '-field=password', 'kv1/app'], { url, home });
  assert.equal(get.code, 0, get.err);
  assert.equal(get.out, 's3cret');
  const table = await run(['kv', 'get', 'kv1/app'], { url, home });
  assert.match(table.out, /refresh_interval\s+768h/);
  assert.match(table.out, /password\s+s3cret/);
});

test('kv list and generic list send GET ?list=true; write -f sends a null body', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.path.startsWith('/v1/sys/internal/ui/mounts/')) return kv2Mount;
    if (r.path === '/v1/secret/metadata/' && r.query.get('list') === 'true') return { status: 200, body: { data: { keys: ['a', 'dir/'] } } };
    if (r.path === '/v1/sys/policies/acl' && r.query.get('list') === 'true') return { status: 200, body: { data: { keys: ['default', 'root'] } } };
    if (r.path === '/v1/auth/approle/role/r/secret-id') return { status: 200, body: { data: { secret_id: 'sid', secret_id_accessor: 'acc' } } };
    return { status: 404, body: { errors: [] } };
  });
  const kvList = await run(['kv', 'list', 'secret/'], { url, home });
  assert.equal(kvList.code, 0, kvList.err);
  assert.equal(kvList.out, 'a\ndir/\n');
  const list = await run(['list', '-format=json', 'sys/policies/acl'], { url, home });
  assert.deepEqual(JSON.parse(list.out), ['default', 'root']);
  assert.ok(requests.every((r) => r.method === 'GET'));

  const w = await run(['write', '-f', 'auth/approle/role/r/secret-id'], { url, home });
  assert.equal(w.code, 0, w.err);
  const last = requests.at(-1)!;
  assert.equal(last.method, 'PUT');
  assert.equal(last.text, 'null');
  assert.match(w.out, /secret_id\s+sid/);

  const noData = await run(['write', 'auth/approle/role/r/secret-id'], { url, home });
  assert.equal(noData.code, 2);
  assert.match(noData.err, /-force/);

  const empty = await run(['list', 'nothing/here'], { url, home });
  assert.equal(empty.code, 2);
  assert.match(empty.err, /No value found at nothing\/here\//);
});

test('permission denied names the path and the capability, never the token', async (t) => {
  const home = tempHome(t);
  const { url } = await fakeVault(t, (r) => {
    if (r.path.startsWith('/v1/sys/internal/ui/mounts/')) return kv2Mount;
    return { status: 403, body: { errors: [`1 error occurred:\n\t* permission denied for ${TOKEN}\n\n`] } };
  });
  const res = await run(['kv', 'get', 'secret/app'], { url, home });
  assert.equal(res.code, 1);
  assert.match(res.err, /^Error reading secret\/data\/app: permission denied for <redacted> \(403\)\./);
  assert.match(res.err, /"read" on "secret\/data\/app"/);
  assert.ok(!res.err.includes(TOKEN));
  assert.equal(res.out, '');

  const put = await run(['kv', 'put', 'secret/app', 'a=b'], { url, home });
  assert.match(put.err, /Error writing secret\/data\/app: .*"create" or "update"/);

  const noToken = await run(['read', 'secret/data/app'], { url, home, token: null });
  assert.equal(noToken.code, 1);
  assert.match(noToken.err, /No token is set: run "coffer login" or set COFFER_TOKEN/);
});

test('a sealed server and an unreachable server give actionable errors', async (t) => {
  const home = tempHome(t);
  const { url } = await fakeVault(t, () => ({ status: 503, body: { errors: ['Vault is sealed'] } }));
  const sealed = await run(['read', 'secret/foo'], { url, home });
  assert.equal(sealed.code, 1);
  assert.equal(sealed.err, 'Error reading secret/foo: Vault is sealed: run "coffer operator unseal"\n');

  // A port that was just free: nothing listens there.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const dead = await run(['kv', 'get', 'secret/foo'], { url: `http://127.0.0.1:${deadPort}`, home });
  assert.equal(dead.code, 1);
  assert.match(dead.err, new RegExp(`cannot reach the Coffer server at http://127\\.0\\.0\\.1:${deadPort} \\(connection refused\\)\\. Is it running\\? Set COFFER_ADDR\\.`));
});

test('status: exit 0 unsealed, 2 sealed; -format=json prints the raw answer', async (t) => {
  const home = tempHome(t);
  let sealed = false;
  const { url } = await fakeVault(t, () => ({
    status: 200,
    body: { type: 'shamir', initialized: true, sealed, t: 1, n: 1, progress: 0, nonce: '', version: '0.1.0', storage_type: 'inmem' },
  }));
  const up = await run(['status'], { url, home });
  assert.equal(up.code, 0);
  assert.match(up.out, /Sealed\s+false/);
  sealed = true;
  const down = await run(['status', '--format', 'json'], { url, home });
  assert.equal(down.code, 2);
  assert.equal(JSON.parse(down.out).sealed, true);
});

test('policy write reads stdin with "-"; token create maps its flags', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.path.startsWith('/v1/sys/policies/acl/')) return { status: 204 };
    if (r.path === '/v1/auth/token/create-orphan') {
      return {
        status: 200,
        body: { auth: { client_token: 'hvs.new', accessor: 'acc1', policies: ['a', 'b', 'c', 'default'], lease_duration: 3600, renewable: true } },
      };
    }
    return { status: 404, body: { errors: [] } };
  });
  const policy = 'path "secret/data/*" {\n  capabilities = ["read"]\n}\n';
  const w = await run(['policy', 'write', 'readers', '-'], { url, home, stdin: policy });
  assert.equal(w.code, 0, w.err);
  assert.equal(w.out, 'Success! Uploaded policy: readers\n');
  assert.equal(requests[0]!.method, 'PUT');
  assert.equal(requests[0]!.path, '/v1/sys/policies/acl/readers');
  assert.deepEqual(requests[0]!.body, { policy });

  const c = await run(
    ['token', 'create', '-policy=a', '-policy', 'b,c', '-orphan', '-ttl=1h', '-num-uses', '3', '-metadata', 'team=x', '-display-name=ci', '-field=token'],
    { url, home },
  );
  assert.equal(c.code, 0, c.err);
  assert.equal(c.out, 'hvs.new');
  assert.deepEqual(requests[1]!.body, { policies: ['a', 'b', 'c'], ttl: '1h', num_uses: 3, meta: { team: 'x' }, display_name: 'ci' });
});

test('usage errors exit 2', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, () => ({ status: 500 }));
  assert.equal((await run(['kv', 'put', 'secret/x'], { url, home })).code, 2);
  assert.equal((await run(['kv', 'get', '-nope', 'secret/x'], { url, home })).code, 2);
  assert.equal((await run(['kv', 'get', '-format=yaml', 'secret/x'], { url, home })).code, 2);
  assert.equal((await run(['operator', 'init', '-key-shares=3', '-key-threshold=5'], { url, home })).code, 2);
  assert.equal((await run(['login', '-method=userpass', 'username=x'], { url, home })).code, 2);
  assert.equal(requests.length, 0);
  const help = await run(['kv', 'get', '-help'], { url, home });
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: coffer kv get/);
});

test('login validates the token with lookup-self, then stores it with mode 0600', async (t) => {
  const home = tempHome(t);
  const { url, requests } = await fakeVault(t, (r) => {
    if (r.path === '/v1/auth/token/lookup-self' && r.headers['x-vault-token'] === 'good-token') {
      return { status: 200, body: { data: { accessor: 'acc9', policies: ['root'], ttl: 0, renewable: false } } };
    }
    return { status: 403, body: { errors: ['permission denied'] } };
  });
  const bad = await run(['login', 'bad-token'], { url, home, token: null });
  assert.equal(bad.code, 1);
  assert.match(bad.err, /rejected the token/);
  assert.ok(!bad.err.includes('bad-token'));
  assert.equal(existsSync(join(home, '.coffer-token')), false);

  const good = await run(['login', 'good-token'], { url, home, token: null });
  assert.equal(good.code, 0, good.err);
  const file = join(home, '.coffer-token');
  assert.equal(readFileSync(file, 'utf8'), 'good-token');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.match(good.out, /token_accessor\s+acc9/);
  assert.ok(!good.out.includes('good-token'), 'a stored token is not printed');
  assert.equal(requests.at(-1)!.headers['x-vault-token'], 'good-token');

  // Later commands use the stored token.
  await run(['token', 'lookup'], { url, home, token: null });
  assert.equal(requests.at(-1)!.headers['x-vault-token'], 'good-token');

  // The token may come from stdin (prompt fallback) and -no-store leaves the file alone.
  const other = await run(['login', '-no-store'], { url, home, token: null, stdin: 'good-token\n' });
  assert.equal(other.code, 0, other.err);
  assert.match(other.out, /not stored/);
});
