import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEntryFormatter, formatEntry } from '../../src/core/audit/format.js';
import { hmacString } from '../../src/core/audit/hash.js';
import type { AuditFormatSettings, AuditRequestEntry, AuditResponseEntry } from '../../src/core/audit/types.js';
import { SECRETS, kvReadResponseEntry, requestEntry } from './entries.js';

const salt = Buffer.from('9d1c2a43-77e0-4bd5-8f4e-3a0d6c1b2e55');
const h = (s: string) => hmacString(salt, s);
const defaults: AuditFormatSettings = { hmacAccessor: true, logRaw: false, elideListResponses: false, prefix: '' };

function noSecrets(line: string): void {
  for (const [name, value] of Object.entries(SECRETS)) assert.ok(!line.includes(value), `raw ${name} leaked into ${line}`);
}

function wrappedLoginResponse(): AuditResponseEntry {
  const entry = kvReadResponseEntry('req-9');
  entry.response = {
    mount_type: 'approle',
    data: null,
    auth: { client_token: SECRETS.issuedToken, accessor: SECRETS.issuedAccessor, policies: ['default'], token_policies: ['default'], metadata: { role_name: 'web' }, lease_duration: 3600, renewable: true },
    wrap_info: { token: SECRETS.wrapToken, accessor: 'wrapAccessor1', ttl: 60, creation_time: '2026-01-02T03:04:05Z', creation_path: 'auth/approle/login', wrapped_accessor: 'wrappedAcc1' },
    warnings: ['a warning'],
  };
  return entry;
}

test('request entry: Vault shape, tokens/accessors/data strings hashed, the rest in the clear', () => {
  const line = formatEntry(requestEntry(), defaults, salt);
  assert.ok(!line.includes('\n'));
  noSecrets(line);
  const e = JSON.parse(line);
  assert.deepEqual(Object.keys(e), ['time', 'type', 'auth', 'request']);
  assert.equal(e.type, 'request');
  assert.equal(e.auth.client_token, h(SECRETS.token));
  assert.equal(e.auth.accessor, h(SECRETS.accessor));
  assert.deepEqual(e.auth.policies, ['root']);
  assert.equal(e.auth.display_name, 'root');
  assert.equal(e.request.client_token, h(SECRETS.token));
  assert.equal(e.request.client_token_accessor, h(SECRETS.accessor));
  assert.equal(e.request.path, 'secret/data/app');
  assert.equal(e.request.operation, 'update');
  assert.deepEqual(e.request.namespace, { id: 'root' });
  assert.equal(e.request.remote_address, '127.0.0.1');
  assert.equal(e.request.data.data.password, h(SECRETS.password));
  assert.equal(e.request.data.data.port, 5432);
  assert.equal(e.request.data.data.enabled, true);
  assert.deepEqual(e.request.data.data.deep.list, [h(SECRETS.listed), 7, null]);
  assert.equal(e.request.data.options.cas, 0);
});

test('response entry: login auth and wrap_info tokens hashed; warnings and error in the clear', () => {
  const entry = wrappedLoginResponse();
  entry.error = 'some error';
  const line = formatEntry(entry, defaults, salt);
  noSecrets(line);
  const e = JSON.parse(line);
  assert.deepEqual(Object.keys(e), ['time', 'type', 'auth', 'request', 'response', 'error']);
  assert.equal(e.response.auth.client_token, h(SECRETS.issuedToken));
  assert.equal(e.response.auth.accessor, h(SECRETS.issuedAccessor));
  assert.deepEqual(e.response.auth.metadata, { role_name: 'web' });
  assert.equal(e.response.wrap_info.token, h(SECRETS.wrapToken));
  assert.equal(e.response.wrap_info.accessor, h('wrapAccessor1'));
  assert.equal(e.response.wrap_info.wrapped_accessor, h('wrappedAcc1'));
  assert.equal(e.response.wrap_info.creation_path, 'auth/approle/login');
  assert.deepEqual(e.response.warnings, ['a warning']);
  assert.equal(e.error, 'some error');
});

test('hmac_accessor=false keeps accessors raw but still hashes tokens', () => {
  const line = formatEntry(wrappedLoginResponse(), { ...defaults, hmacAccessor: false }, salt);
  const e = JSON.parse(line);
  assert.equal(e.auth.accessor, SECRETS.accessor);
  assert.equal(e.request.client_token_accessor, SECRETS.accessor);
  assert.equal(e.response.auth.accessor, SECRETS.issuedAccessor);
  assert.equal(e.response.wrap_info.wrapped_accessor, 'wrappedAcc1');
  assert.equal(e.auth.client_token, h(SECRETS.token));
  assert.equal(e.response.auth.client_token, h(SECRETS.issuedToken));
  assert.equal(e.response.wrap_info.token, h(SECRETS.wrapToken));
});

test('log_raw writes values unhashed', () => {
  const e = JSON.parse(formatEntry(requestEntry(), { ...defaults, logRaw: true }, salt));
  assert.equal(e.auth.client_token, SECRETS.token);
  assert.equal(e.request.data.data.password, SECRETS.password);
});

test('non-HMAC request and response keys from the mount are logged raw', () => {
  const req = JSON.parse(formatEntry(requestEntry('r', { visible: 'shown', hidden: 'x' }), defaults, salt, { nonHmacRequestKeys: ['visible'] }));
  assert.equal(req.request.data.visible, 'shown');
  assert.equal(req.request.data.hidden, h('x'));
  const resp = JSON.parse(formatEntry(kvReadResponseEntry(), defaults, salt, { nonHmacResponseKeys: ['metadata'] }));
  assert.equal(resp.response.data.metadata.created_time, '2026-01-02T03:04:05.123Z');
  assert.equal(resp.response.data.data.password, h(SECRETS.password));
});

test('empty tokens (unauthenticated request) stay empty rather than hashing ""', () => {
  const entry = requestEntry();
  entry.auth = { ...entry.auth, client_token: '', accessor: '' };
  entry.request.client_token = '';
  entry.request.client_token_accessor = '';
  const e = JSON.parse(formatEntry(entry, defaults, salt));
  assert.equal(e.auth.client_token, '');
  assert.equal(e.request.client_token_accessor, '');
});

test('fields outside the audit shape are dropped (a stray raw token cannot reach the log)', () => {
  const entry = requestEntry();
  (entry.auth as unknown as Record<string, unknown>).clientToken = SECRETS.token;
  (entry.request as unknown as Record<string, unknown>).token = SECRETS.token;
  (entry as unknown as Record<string, unknown>).raw = SECRETS.password;
  const line = formatEntry(entry, defaults, salt);
  noSecrets(line);
  const e = JSON.parse(line);
  assert.equal(e.auth.clientToken, undefined);
  assert.equal(e.request.token, undefined);
});

test('elide_list_responses replaces keys and key_info of list responses with counts', () => {
  const entry = kvReadResponseEntry();
  entry.request.operation = 'list';
  entry.response.data = { keys: ['a', 'b', 'c'], key_info: { a: {}, b: {} } };
  const elided = JSON.parse(formatEntry(entry, { ...defaults, elideListResponses: true }, salt));
  assert.deepEqual(elided.response.data, { keys: 3, key_info: 2 });
  const full = JSON.parse(formatEntry(entry, defaults, salt));
  assert.deepEqual(full.response.data.keys, [h('a'), h('b'), h('c')]);
  // Not a list operation: nothing elided.
  entry.request.operation = 'read';
  const read = JSON.parse(formatEntry(entry, { ...defaults, elideListResponses: true }, salt));
  assert.equal(read.response.data.keys.length, 3);
});

test('prefix is written before the JSON object', () => {
  const line = formatEntry(requestEntry(), { ...defaults, prefix: 'AUDIT: ' }, salt);
  assert.ok(line.startsWith('AUDIT: {'));
  assert.equal(JSON.parse(line.slice('AUDIT: '.length)).type, 'request');
});

test('the caller\'s entry is not modified', () => {
  const entry = wrappedLoginResponse();
  const snapshot = structuredClone(entry);
  formatEntry(entry, { ...defaults, elideListResponses: true }, salt);
  assert.deepEqual(entry, snapshot);
});

test('a line is the bytes of one JSON.stringify of its object, also when the response entry reuses the request entry\'s hashed parts', () => {
  const format = createEntryFormatter(defaults, salt);
  const response = wrappedLoginResponse();
  response.error = 'some "quoted" error\n';
  const request: AuditRequestEntry = { time: response.time, type: 'request', auth: response.auth, request: response.request };
  const reqLine = format(request);
  const respLine = format(response);
  // Written with the memoised JSON of auth and request: the same bytes as a fresh formatter's.
  assert.equal(respLine, createEntryFormatter(defaults, salt)(response));
  for (const line of [reqLine, respLine]) assert.equal(JSON.stringify(JSON.parse(line)), line);
  const r = JSON.parse(reqLine);
  const s = JSON.parse(respLine);
  assert.deepEqual(s.auth, r.auth);
  assert.deepEqual(s.request, r.request);
  assert.equal(s.error, 'some "quoted" error\n');
});

test('token HMACs remembered by token identity: the same bytes as without, per salt, never for another token', () => {
  const identity = Object.freeze({ id: 'h-entry' });
  const salt2 = Buffer.from('0b7e51c2-5f1d-4a8e-9c63-2d4e8f1a7b90');
  const plain = (s: Buffer, e: AuditRequestEntry | AuditResponseEntry) => createEntryFormatter(defaults, s)(e);
  const format = createEntryFormatter(defaults, salt);
  // First and later requests with the same token entry: byte-identical to a formatter that knows nothing.
  for (const id of ['req-a', 'req-b', 'req-c']) {
    const entry = requestEntry(id, null);
    assert.equal(format(entry, { tokenIdentity: identity }), plain(salt, entry));
  }
  // Another device (another salt) with the same token entry: its own HMACs, nothing reused.
  const other = createEntryFormatter(defaults, salt2);
  const e2 = JSON.parse(other(requestEntry('req-d', null), { tokenIdentity: identity }));
  assert.equal(e2.auth.client_token, hmacString(salt2, SECRETS.token));
  assert.equal(e2.auth.accessor, hmacString(salt2, SECRETS.accessor));
  // A string in the entry that is not the entry's own token (here a different request token) is hashed on its own.
  const odd = requestEntry('req-e', null);
  odd.request.client_token = SECRETS.issuedToken;
  odd.request.client_token_accessor = SECRETS.issuedAccessor;
  const e3 = JSON.parse(format(odd, { tokenIdentity: identity }));
  assert.equal(e3.auth.client_token, h(SECRETS.token));
  assert.equal(e3.request.client_token, h(SECRETS.issuedToken));
  assert.equal(e3.request.client_token_accessor, h(SECRETS.issuedAccessor));
  // hmac_accessor=false: accessors raw, token still from the memo.
  const noAcc = createEntryFormatter({ ...defaults, hmacAccessor: false }, salt);
  const e4 = JSON.parse(noAcc(requestEntry('req-f', null), { tokenIdentity: identity }));
  assert.equal(e4.auth.accessor, SECRETS.accessor);
  assert.equal(e4.auth.client_token, h(SECRETS.token));
});

test('deeply frozen response data is hashed once per device and written the same as mutable data', async () => {
  const { deepFreeze } = await import('../../src/core/deep-freeze.js');
  const format = createEntryFormatter(defaults, salt);
  const shared = deepFreeze({ username: 'app', password: SECRETS.password, nested: { list: [SECRETS.listed, 1] } });
  const view = deepFreeze({ created_time: '2026-01-02T03:04:05.123Z', deletion_time: '', destroyed: false, version: 3 });
  const lines: string[] = [];
  for (const id of ['r1', 'r2']) {
    const entry = kvReadResponseEntry(id);
    entry.response.data = { data: shared, metadata: view };
    const line = format(entry);
    // Same bytes as a fresh formatter given unfrozen copies.
    const fresh = kvReadResponseEntry(id);
    fresh.response.data = structuredClone({ data: shared, metadata: view });
    assert.equal(line, createEntryFormatter(defaults, salt)(fresh));
    noSecrets(line);
    lines.push(line);
  }
  const e = JSON.parse(lines[1]!);
  assert.equal(e.response.data.data.password, h(SECRETS.password));
  assert.deepEqual(e.response.data.data.nested.list, [h(SECRETS.listed), 1]);
  // Another salt: its own hashes of the same frozen object.
  const salt2 = Buffer.from('another-salt');
  const entry = kvReadResponseEntry('r3');
  entry.response.data = { data: shared, metadata: view };
  assert.equal(JSON.parse(createEntryFormatter(defaults, salt2)(entry)).response.data.data.password, hmacString(salt2, SECRETS.password));
  // A non-HMAC response key of the mount is still written raw (the memo only serves hashed copies).
  const raw = JSON.parse(format(entry, { nonHmacResponseKeys: ['data'] }));
  assert.equal(raw.response.data.data.password, SECRETS.password);
  assert.equal(raw.response.data.metadata.created_time, h('2026-01-02T03:04:05.123Z'));
});

test('the auth block remembered per token entry is reused only while its other fields are the same frozen values', () => {
  const identity = Object.freeze({});
  const format = createEntryFormatter(defaults, salt);
  const policies = Object.freeze(['a', 'b']);
  const meta = Object.freeze({ role: 'web' });
  const entry = (id: string, p: readonly string[], m: Record<string, string> | null, name = 'web') => {
    const e = requestEntry(id, null);
    e.auth = { ...e.auth, policies: p as string[], token_policies: p as string[], metadata: m, display_name: name };
    return e;
  };
  const auth = (line: string) => JSON.parse(line).auth;
  assert.deepEqual(auth(format(entry('1', policies, meta), { tokenIdentity: identity })).policies, ['a', 'b']);
  assert.equal(auth(format(entry('2', policies, meta), { tokenIdentity: identity })).display_name, 'web');
  // Another value of any field under the same entry object: written as it is now.
  assert.equal(auth(format(entry('3', policies, meta, 'other'), { tokenIdentity: identity })).display_name, 'other');
  assert.deepEqual(auth(format(entry('4', Object.freeze(['c']), meta), { tokenIdentity: identity })).policies, ['c']);
  assert.equal(auth(format(entry('5', policies, null), { tokenIdentity: identity })).metadata, null);
  // A list that is not frozen could change after the line: never remembered.
  const mutable = ['x'];
  format(entry('6', mutable, null), { tokenIdentity: identity });
  mutable.push('y');
  assert.deepEqual(auth(format(entry('7', mutable, null), { tokenIdentity: identity })).policies, ['x', 'y']);
  for (const id of ['8', '9']) {
    const e = entry(id, policies, meta);
    assert.equal(format(e, { tokenIdentity: identity }), createEntryFormatter(defaults, salt)(e));
  }
});
