// Hostile input on every front of a real server (its own process, HTTPS, a config file with
// small listener limits): odd paths, odd methods on the system paths, bad/deep/wide/huge bodies,
// garbage tokens and odd Host headers, slow clients. Every answer must come within a bound and
// never be a 5xx; afterwards the server must be healthy, and the audit log must hold a request
// and a response entry for each request that reached core.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { makeTestTls } from '../azure/fixtures/tls.js';
import { boundedRequest, startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import type { TestResponse } from '../helpers/server.js';

const VAULT = 'hostile';
const BOUND_MS = 10_000;

let dir: string;
let ca: Buffer;
let server: ServerProcess;
let rootToken: string;
let defaultToken: string;
let auditFile: string;

/** One request to the test server; `host` defaults to localhost, a Key Vault call passes the vault host. */
interface Call {
  method: string;
  path: string;
  host?: string;
  token?: string;
  bearer?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

function send(c: Call): Promise<TestResponse> {
  const headers: Record<string, string> = { host: c.host ?? `localhost:${server.port}`, ...(c.headers ?? {}) };
  if (c.token !== undefined) headers['x-vault-token'] = c.token;
  if (c.bearer !== undefined) headers.authorization = `Bearer ${c.bearer}`;
  return boundedRequest(server.url, c.method, c.path, { headers, body: c.body, ca, timeoutMs: c.timeoutMs ?? BOUND_MS });
}

/** Sends every call (a few at a time) and returns a line for each one that hung, failed or answered 5xx. */
async function sweep(calls: Call[], concurrency = 4): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < calls.length) {
      const c = calls[next++]!;
      const label = `${c.method} ${c.host ?? ''}${c.path.slice(0, 100)}${c.token || c.bearer ? ' (token)' : ''}`;
      try {
        const res = await send(c);
        if (res.status >= 500 || res.status < 100) problems.push(`${label} → ${res.status} ${res.text.slice(0, 200)}`);
      } catch (err) {
        problems.push(`${label} → ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return problems;
}

const kvHost = () => `${VAULT}.vault.localhost:${server.port}`;
const nest = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

/** Path tails that once hung, crashed or confused path handling somewhere. */
const ODD_TAILS = [
  '', '/', '//', '///', '%2F', '%2F%2F', '%2f/%2F', '.', '..', './', '../', '%2e', '%2e%2e', '%2E%2E%2F', '..%2F..%2Fetc%2Fpasswd',
  'a/../b', 'a/./b', 'a//b', '%00', 'a%00b', '%01', '%0A', '%7F', '%', '%zz', '%E0%A4%A', '%C0%AF', '%FF',
  '%F0%9F%94%91', '%E9%8D%B5/%D0%BA%D0%BB%D1%8E%D1%87', 'a%20b', 'x?list=true', '?list=maybe', '?help=1', '?list=1&help=1',
  '#frag', ';param', 'a'.repeat(4000), `${'a/'.repeat(1500)}x`, 'a'.repeat(20_000),
];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'coffer-hostile-'));
  const material = makeTestTls(dir);
  ca = readFileSync(material.caFile);
  writeFileSync(join(dir, 'unseal.key'), randomBytes(32).toString('hex'), { mode: 0o600 });
  auditFile = join(dir, 'audit.log');
  writeFileSync(join(dir, 'coffer.hcl'), [
    'storage "inmem" {}',
    'listener "tcp" {',
    '  address = "127.0.0.1:0"',
    `  tls_cert_file = "${join(dir, 'server.pem')}"`,
    `  tls_key_file = "${join(dir, 'server-key.pem')}"`,
    // Short enough that slow clients are cut in seconds, long enough that a loaded CI machine does not
    // cut an honest request in the body sweeps.
    '  http_read_header_timeout = "2s"',
    '  http_read_timeout = "5s"',
    '  http_idle_timeout = "1s"',
    '  max_connections_per_client = 32',
    '}',
    `seal "static" { key_file = "${join(dir, 'unseal.key')}" }`,
  ].join('\n'));
  server = await startServerProcess(['--config', join(dir, 'coffer.hcl'), '--log-level', 'warn']);

  const api = async (method: string, path: string, body?: unknown, token: string | undefined = rootToken) => {
    const res = await send({ method, path: `/v1/${path}`, token, body: body === undefined ? undefined : JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  // A static seal stays unsealed after init.
  rootToken = (await api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 }, undefined)).root_token;
  await api('PUT', 'sys/audit/file', { type: 'file', options: { file_path: auditFile } });
  await api('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  await api('POST', `sys/mounts/keyvault/${VAULT}`, { type: 'keyvault' });
  await api('POST', 'sys/auth/azure', { type: 'azure-ad' });
  await api('POST', 'secret/data/canary', { data: { still: 'here' } });
  defaultToken = (await api('POST', 'auth/token/create', { policies: ['default'] })).auth.client_token;
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('hostile input', () => {
  it('odd paths on every front answer with a non-5xx within the bound', async () => {
    const calls: Call[] = [];
    const fronts: { prefix: string; host?: () => string; auth: (t: string) => Partial<Call>; methods: string[] }[] = [
      ...['/v1/', '/v1/secret/data/', '/v1/cubbyhole/', '/v1/sys/', '/v1/auth/token/', '/v1/sys/internal/ui/mounts/', `/v1/keyvault/${VAULT}/`]
        .map((prefix) => ({ prefix, auth: (t: string) => ({ token: t }), methods: ['GET', 'PUT', 'LIST'] })),
      ...['/', '/secrets/', '/deletedsecrets/'].map((prefix) => ({ prefix, host: kvHost, auth: (t: string) => ({ bearer: t }), methods: ['GET', 'PUT', 'DELETE'] })),
      ...['/adfs/', '/', '/ui/'].map((prefix) => ({ prefix, auth: (t: string) => ({ token: t }), methods: ['GET', 'POST'] })),
    ];
    for (const front of fronts) {
      for (const tail of ODD_TAILS) {
        // Without a token only GET: the refusal comes before any method-specific work.
        for (const [method, token] of [...front.methods.map((m) => [m, rootToken] as const), ['GET', undefined] as const]) {
          calls.push({
            method, path: front.prefix + tail, host: front.host?.(), ...(token ? front.auth(token) : {}),
            ...(method === 'PUT' || method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
          });
        }
      }
    }
    assert.deepEqual(await sweep(calls, 6), []);
  });

  it('odd methods on every system path answer with a non-5xx within the bound', async () => {
    const SYSTEM_PATHS = [
      'sys/health', 'sys/seal-status', 'sys/init', 'sys/unseal', 'sys/seal', 'sys/step-down', 'sys/leader', 'sys/key-status', 'sys/rotate',
      'sys/mounts', 'sys/mounts/secret', 'sys/mounts/secret/tune', 'sys/remount', 'sys/auth', 'sys/auth/azure', 'sys/auth/azure/tune',
      'sys/policy', 'sys/policy/default', 'sys/policies/acl', 'sys/policies/acl/default', 'sys/audit', 'sys/audit/file', 'sys/audit-hash/file',
      'sys/capabilities', 'sys/capabilities-self', 'sys/capabilities-accessor', 'sys/leases/lookup', 'sys/leases/lookup/', 'sys/leases/renew',
      'sys/leases/revoke', 'sys/leases/revoke-prefix/secret', 'sys/wrapping/wrap', 'sys/wrapping/unwrap', 'sys/wrapping/lookup',
      'sys/wrapping/rewrap', 'sys/internal/ui/mounts', 'sys/internal/ui/mounts/secret', 'sys/locked-users', 'sys/locked-users/x/unlock',
      'sys/ha-status', 'sys/metrics', 'sys/host-info', 'sys/internal/counters/tokens', 'sys/storage/snapshot', 'sys/events/subscriptions',
      'sys/events/subscriptions/x', 'sys/events/dead-letters', 'sys/audit-log/file', 'sys/audit-log/nosuch',
      'sys/nosuch', 'sys', 'auth/token/create', 'auth/token/lookup-self', 'auth/token/roles/x', 'auth/token/accessors/', 'auth/azure/sp',
    ];
    const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'LIST', 'HEAD', 'OPTIONS', 'FOO', 'M-SEARCH'];
    // Root only with methods that cannot change state (a root PUT sys/seal would end the test).
    const SAFE_FOR_ROOT = new Set(['GET', 'LIST', 'HEAD', 'OPTIONS', 'FOO', 'M-SEARCH', 'PATCH']);
    const calls: Call[] = [];
    for (const path of SYSTEM_PATHS) {
      for (const method of METHODS) {
        for (const token of [undefined, 'hvs.garbage', defaultToken, ...(SAFE_FOR_ROOT.has(method) ? [rootToken] : [])]) {
          const body = ['PUT', 'POST', 'PATCH'].includes(method) ? '{}' : undefined;
          const contentType = method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
          calls.push({ method, path: `/v1/${path}`, token, body, headers: body ? { 'content-type': contentType } : {} });
        }
      }
    }
    assert.deepEqual(await sweep(calls, 6), []);
  });

  it('bad, deep, wide and huge bodies get a 4xx, never a 5xx', async () => {
    const BODIES = ['{', '}', '[]', '[1,2]', 'null', '"text"', '42', 'true', '1e999999', '{"data":', '{"a":1}{"b":2}', '\u0000', '\uFEFF{}',
      '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"x":1}}}', nest(5000), '['.repeat(100_000), '{"data":' + nest(65) + '}',
      `{"data":{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":"v"`).join(',')}}}`, 'a=1&b=2', '{"data":{"a":"\\ud800"}}'];
    const CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x'];
    const calls: Call[] = [];
    for (const body of BODIES) {
      for (const ct of CONTENT_TYPES) {
        calls.push({ method: 'POST', path: '/v1/secret/data/bodies', token: rootToken, body, headers: { 'content-type': ct } });
        calls.push({ method: 'PUT', path: '/v1/sys/policy/bodies', token: rootToken, body, headers: { 'content-type': ct } });
        calls.push({ method: 'PUT', path: '/v1/auth/token/create', token: defaultToken, body, headers: { 'content-type': ct } });
        calls.push({ method: 'PUT', path: '/secrets/bodies?api-version=7.4', host: kvHost(), bearer: rootToken, body, headers: { 'content-type': ct } });
        calls.push({ method: 'PATCH', path: '/secrets/bodies?api-version=7.4', host: kvHost(), bearer: rootToken, body, headers: { 'content-type': ct } });
        calls.push({ method: 'POST', path: '/adfs/oauth2/token', body, headers: { 'content-type': ct } });
      }
      calls.push({ method: 'PATCH', path: '/v1/secret/data/canary', token: rootToken, body, headers: { 'content-type': 'application/merge-patch+json' } });
    }
    assert.deepEqual(await sweep(calls), []);
    // A key of the prototype-pollution bodies did not leak onto plain objects of the server's answers.
    const canary = await send({ method: 'GET', path: '/v1/secret/data/canary', token: rootToken });
    assert.equal(canary.body.data.data.still, 'here');
  });

  it('bodies over the 32 MiB limit get a 413 on both fronts, declared or streamed', async () => {
    /**
     * Sends `head`, then `mib` MiB of body over a raw TLS connection, and returns what came back
     * until the first response head or the close (the server may answer before reading it all,
     * where an HTTP client would fail with EPIPE), or undefined when nothing happened in 30 s.
     */
    const upload = (head: string, mib: number, chunked: boolean) =>
      new Promise<string | undefined>((resolve) => {
        const chunk = Buffer.alloc(1 << 20, 0x61);
        const frame = chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
        let got = '';
        let sent = 0;
        let done = false;
        const finish = (timedOut?: boolean) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          sock.destroy();
          resolve(timedOut === true ? undefined : got);
        };
        const pump = () => {
          while (!done && sent < mib) {
            sent++;
            if (!sock.write(frame)) return void sock.once('drain', pump);
          }
        };
        const sock = tls.connect({ port: server.port, host: '127.0.0.1', ca, servername: 'localhost' }, () => {
          sock.write(head);
          pump();
        });
        const timer = setTimeout(() => finish(true), 30_000);
        sock.on('data', (d: Buffer) => {
          got += d.toString('latin1');
          if (got.includes('\r\n\r\n')) finish();
        });
        sock.on('error', () => finish());
        sock.on('close', () => finish());
      });
    const length = `Content-Length: ${34 * 1024 * 1024}\r\n`;
    const chunked = 'Transfer-Encoding: chunked\r\n';
    for (const [target, auth] of [
      [`POST /v1/secret/data/huge HTTP/1.1\r\nHost: localhost:${server.port}\r\n`, `X-Vault-Token: ${rootToken}\r\n`],
      [`PUT /secrets/huge?api-version=7.4 HTTP/1.1\r\nHost: ${kvHost()}\r\n`, `Authorization: Bearer ${rootToken}\r\n`],
    ]) {
      const what = target.split('\r')[0];
      // A declared length over the limit is refused from the headers alone.
      const declared = await upload(`${target}${auth}Content-Type: application/json\r\n${length}\r\n`, 0, false);
      assert.match(declared ?? 'no answer', /^HTTP\/1\.1 413 /, `${what} (declared): ${declared?.slice(0, 200)}`);
      // A streamed body is cut once it passes the limit: a 413, or (when the server closes while
      // the client is still sending) a reset, but never acceptance, a 5xx or a hang.
      const streamed = await upload(`${target}${auth}Content-Type: application/json\r\n${chunked}\r\n`, 34, true);
      assert.ok(streamed !== undefined, `${what} (chunked): no answer within 30 s`);
      assert.ok(streamed === '' || /^HTTP\/1\.1 413 /.test(streamed), `${what} (chunked): ${streamed.slice(0, 200)}`);
    }
  });

  it('garbage tokens, odd Host headers and odd headers get a 4xx', async () => {
    const TOKENS = ['', ' ', 'hvs.', 'hvs.garbage', 'x'.repeat(8000), 'eyJhbGciOiJub25lIn0.eyJjdGsiOiJ4In0.', 'eyJ.eyJ.x', 'a.b.c', 'Bearer', 'null', '../../etc/passwd', 'tøken', `${rootToken}x`, rootToken.slice(0, -1)];
    const calls: Call[] = [];
    for (const t of TOKENS) {
      calls.push({ method: 'GET', path: '/v1/secret/data/canary', token: t });
      calls.push({ method: 'GET', path: '/v1/auth/token/lookup-self', headers: { authorization: `Bearer ${t}` } });
      calls.push({ method: 'GET', path: '/secrets/canary?api-version=7.4', host: kvHost(), bearer: t });
      calls.push({ method: 'GET', path: '/secrets?api-version=7.4', host: kvHost(), headers: { authorization: t } });
    }
    for (const host of ['vault.localhost', '.vault.localhost', 'a.b.vault.localhost', 'HOSTILE.VAULT.LOCALHOST', `${'x'.repeat(300)}.vault.localhost`, 'hostile.vault.localhost:99999', '[::1]', 'hostile.vault.localhost.', '', 'a b']) {
      calls.push({ method: 'GET', path: '/secrets?api-version=7.4', host, bearer: rootToken });
      calls.push({ method: 'GET', path: '/v1/sys/health', host });
    }
    for (const headers of <Record<string, string>[]>[{ 'x-vault-namespace': '../x' }, { 'x-vault-wrap-ttl': '-1' }, { 'x-vault-wrap-ttl': '99999999999h' }, { 'content-length': 'abc' }, { 'transfer-encoding': 'chunked, gzip' }]) {
      calls.push({ method: 'GET', path: '/v1/secret/data/canary', token: rootToken, headers });
    }
    assert.deepEqual(await sweep(calls), []);
  });

  it('slow clients (header trickle, body trickle, silent TCP and TLS) are cut off within the configured bounds', async () => {
    /** Connects (TLS unless `raw`), sends `first`, drips `drip` every 200 ms; resolves with ms until the server closed it, or undefined after 12 s. */
    const slow = (first: string, drip: string, raw = false) =>
      new Promise<number | undefined>((resolve) => {
        const started = Date.now();
        const sock: net.Socket = raw ? net.connect(server.port, '127.0.0.1') : tls.connect({ port: server.port, host: '127.0.0.1', ca, servername: 'localhost' }, () => first && sock.write(first));
        const timer = setInterval(() => drip && !sock.destroyed && sock.write(drip), 200);
        let mine = false;
        const giveUp = setTimeout(() => ((mine = true), sock.destroy()), 12_000);
        sock.on('error', () => {});
        sock.resume();
        sock.on('close', () => {
          clearInterval(timer);
          clearTimeout(giveUp);
          resolve(mine ? undefined : Date.now() - started);
        });
      });
    const [headers, body, silentTls, silentTcp] = await Promise.all([
      slow(`GET /v1/sys/health HTTP/1.1\r\nHost: localhost\r\n`, 'X-Slow: 1\r\n'),
      slow(`PUT /v1/secret/data/slow HTTP/1.1\r\nHost: localhost\r\nX-Vault-Token: ${rootToken}\r\nContent-Length: 500\r\n\r\n`, ' '),
      slow('', ''),
      slow('', '', true), // never even starts the TLS handshake
    ]);
    assert.ok(headers !== undefined && headers < 5000, `header trickle closed after ${headers} ms`);
    assert.ok(body !== undefined && body < 8000, `body trickle closed after ${body} ms`);
    assert.ok(silentTls !== undefined && silentTls < 5000, `silent TLS client closed after ${silentTls} ms`);
    assert.ok(silentTcp !== undefined && silentTcp < 5000, `silent TCP client closed after ${silentTcp} ms`);
  });

  it('the server is healthy afterwards: still running, sys/health 200, KV reads work on both fronts', async () => {
    assert.equal(server.exited(), false);
    assert.equal((await send({ method: 'GET', path: '/v1/sys/health' })).status, 200);
    const read = await send({ method: 'GET', path: '/v1/secret/data/canary', token: rootToken });
    assert.equal(read.status, 200, read.text);
    assert.equal(read.body.data.data.still, 'here');
    const put = await send({ method: 'PUT', path: '/secrets/after?api-version=7.4', host: kvHost(), bearer: rootToken, body: '{"value":"v"}', headers: { 'content-type': 'application/json' } });
    assert.equal(put.status, 200, put.text);
    const get = await send({ method: 'GET', path: '/secrets/after?api-version=7.4', host: kvHost(), bearer: rootToken });
    assert.equal(get.body.value, 'v');
  });
});

describe('hostile input is audited', () => {
  /** The audit log's entries (the file device writes before each answer goes out). */
  const entries = () => readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; request?: { id: string; path: string } });

  /** Sends each call and returns the calls whose logical path lacks a request or a response entry. */
  const missingAudit = async (calls: (Call & { logicalPath: string })[]): Promise<string[]> => {
    for (const c of calls) {
      const res = await send(c);
      assert.ok(res.status < 500, `${c.method} ${c.path}: ${res.status}`);
    }
    const log = entries();
    return calls
      .filter((c) => !['request', 'response'].every((type) => log.some((e) => e.type === type && e.request?.path === c.logicalPath)))
      .map((c) => `${c.method} ${c.path.slice(0, 80)} (${c.logicalPath.slice(0, 60)})`);
  };

  /** The test entry a device writes when it is enabled (Vault's probe: a request entry alone). */
  const isProbe = (e: { type: string; request?: { path: string } }) => e.type === 'request' && e.request?.path === 'sys/audit/test';

  it('every request entry has exactly one response entry with the same id, and none is orphaned', async () => {
    // A request still being answered (a slow client's) has its request entry only: give it a moment.
    const pairedOrLast = async () => {
      for (let i = 0; i < 50; i++) {
        const log = entries();
        const answered = new Set(log.filter((e) => e.type === 'response').map((e) => e.request?.id));
        if (log.every((e) => e.type !== 'request' || isProbe(e) || answered.has(e.request?.id))) return log;
        await new Promise((r) => setTimeout(r, 100));
      }
      return entries();
    };
    const log = await pairedOrLast();
    const requests = new Map<string, number>();
    const responses = new Map<string, number>();
    for (const e of log) {
      if (isProbe(e)) continue;
      const ids = e.type === 'request' ? requests : e.type === 'response' ? responses : undefined;
      if (ids && e.request?.id) ids.set(e.request.id, (ids.get(e.request.id) ?? 0) + 1);
    }
    assert.ok(requests.size > 500, `only ${requests.size} audited requests`);
    const describe = (id: string) => {
      const r = log.find((e) => e.type === 'request' && e.request?.id === id) as { request?: { path?: string; operation?: string } } | undefined;
      return `${id} ${r?.request?.operation ?? '?'} ${String(r?.request?.path ?? '?').slice(0, 80)}`;
    };
    const unpaired = [...requests.keys()].filter((id) => requests.get(id) !== 1 || responses.get(id) !== 1).map(describe);
    // The one response without a request is the call that enabled the device (Vault logs it the same way).
    const enabling = new Set(log.filter((e) => e.type === 'response' && e.request?.path === 'sys/audit/file').map((e) => e.request!.id));
    const orphans = [...responses.keys()].filter((id) => !requests.has(id) && !enabling.has(id));
    assert.deepEqual({ unpaired: unpaired.slice(0, 5), orphans: orphans.slice(0, 5) }, { unpaired: [], orphans: [] });
  });

  it('authenticated odd requests that reach core leave a request and a response entry', async () => {
    const weird = ['ünïcode-🔑', 'sp ace', 'quote"', '[brackets]{}', 'x'.repeat(3000), 'semi;colon', '%41-not-decoded-twice'];
    const calls: (Call & { logicalPath: string })[] = [];
    weird.forEach((w, i) => {
      const name = `h-audit-${i}-${w}`;
      calls.push({ method: 'GET', path: `/v1/cubbyhole/${encodeURIComponent(name)}`, token: rootToken, logicalPath: `cubbyhole/${name}` });
      calls.push({ method: 'PUT', path: `/v1/cubbyhole/${encodeURIComponent(`${name}-w`)}`, token: rootToken, body: '{"k":"v"}', logicalPath: `cubbyhole/${name}-w` });
      calls.push({ method: 'LIST', path: `/v1/cubbyhole/${encodeURIComponent(`${name}-d`)}/`, token: rootToken, logicalPath: `cubbyhole/${name}-d/` });
    });
    calls.push({ method: 'POST', path: '/v1/secret/data/h-audit-bad', token: rootToken, body: '{"data":"not-an-object"}', logicalPath: 'secret/data/h-audit-bad' });
    calls.push({ method: 'GET', path: '/v1/nosuchmount/h-audit-nomount', token: rootToken, logicalPath: 'nosuchmount/h-audit-nomount' });
    calls.push({ method: 'GET', path: '/v1/secret/data/h-audit-denied', token: defaultToken, logicalPath: 'secret/data/h-audit-denied' });
    calls.push({ method: 'GET', path: '/secrets/h-audit-kv?api-version=7.4', host: kvHost(), bearer: rootToken, logicalPath: `keyvault/${VAULT}/secrets/h-audit-kv` });
    calls.push({ method: 'PUT', path: '/secrets/h-audit-kv-w?api-version=7.4', host: kvHost(), bearer: rootToken, body: '{"value":"v","tags":{"a":"b"}}', headers: { 'content-type': 'application/json' }, logicalPath: `keyvault/${VAULT}/secrets/h-audit-kv-w` });
    assert.deepEqual(await missingAudit(calls), []);
  });

  // Depends on issue 7.4 (refused requests audited in core), which another branch implements:
  // this test is expected to fail until that branch is merged.
  it('refused requests (missing or bogus token) that reach core are audited too', async () => {
    const calls: (Call & { logicalPath: string })[] = [
      { method: 'GET', path: '/v1/secret/data/h-refused-none', logicalPath: 'secret/data/h-refused-none' },
      { method: 'GET', path: '/v1/secret/data/h-refused-bogus', token: 'hvs.bogus-token', logicalPath: 'secret/data/h-refused-bogus' },
      { method: 'GET', path: '/secrets/h-refused-kv?api-version=7.4', host: kvHost(), bearer: 'hvs.bogus-token', logicalPath: `keyvault/${VAULT}/secrets/h-refused-kv` },
    ];
    assert.deepEqual(await missingAudit(calls), []);
  });
});
