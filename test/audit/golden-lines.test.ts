/**
 * Golden audit lines: the bytes the formatter wrote before the speed work of issue 12 (built by
 * the formatter of c943656 from the entries below, kept in golden-lines.jsonl). Every line must
 * stay byte-identical, also through the memos (a token entry and deeply frozen data seen before).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createEntryFormatter } from '../../src/core/audit/format.js';
import { deepFreeze } from '../../src/core/deep-freeze.js';
import type { AuditResponseEntry, AuditFormatSettings, AuditLogContext } from '../../src/core/audit/types.js';
import { kvReadResponseEntry, requestEntry } from './entries.js';

const salt = Buffer.from('9d1c2a43-77e0-4bd5-8f4e-3a0d6c1b2e55');
const defaults: AuditFormatSettings = { hmacAccessor: true, logRaw: false, elideListResponses: false, prefix: '' };
function login(): AuditResponseEntry {
  const entry = kvReadResponseEntry('req-9');
  entry.response = {
    mount_type: 'approle', data: null,
    auth: { client_token: 'hvs.ISSUED', accessor: 'issuedAcc', policies: ['default'], token_policies: ['default'], metadata: { role_name: 'web' }, lease_duration: 3600, renewable: true },
    wrap_info: { token: 'hvs.WRAP', accessor: 'wrapAccessor1', ttl: 60, creation_time: '2026-01-02T03:04:05Z', creation_path: 'auth/approle/login', wrapped_accessor: 'wrappedAcc1' },
    warnings: ['a warning'],
  };
  entry.error = 'some "quoted" error\n';
  return entry;
}
function odd(): AuditResponseEntry {
  const e = kvReadResponseEntry('req-odd');
  e.response.data = { when: new Date(0), bin: Buffer.from('abc'), big: 12n as unknown, u: undefined, f: () => 1, n: NaN, arr: [undefined, 'x', null, { y: 'z' }], __proto__x: 'p', nested: { deeper: { s: 'v', e: '' } } } as Record<string, unknown>;
  e.response.mount_accessor = undefined;
  return e;
}
function list(): AuditResponseEntry {
  const e = kvReadResponseEntry('req-list');
  e.request.operation = 'list';
  e.response.data = { keys: ['a', 'b/'], key_info: { a: { x: 'y' } }, other: 'z' };
  return e;
}
const cases: Array<[string, AuditFormatSettings, any, any]> = [
  ['kv read response', defaults, kvReadResponseEntry('req-1'), undefined],
  ['request with data', defaults, requestEntry('req-2'), undefined],
  ['login response', defaults, login(), undefined],
  ['odd values', defaults, odd(), undefined],
  ['elided list', { ...defaults, elideListResponses: true }, list(), undefined],
  ['non-hmac keys', defaults, kvReadResponseEntry('req-3'), { nonHmacRequestKeys: ['data'], nonHmacResponseKeys: ['metadata'] }],
  ['prefix, no accessor hmac', { ...defaults, prefix: 'AUDIT:', hmacAccessor: false }, login(), undefined],
  ['log_raw', { ...defaults, logRaw: true }, login(), undefined],
  ['log_raw kv', { ...defaults, logRaw: true }, kvReadResponseEntry('req-4'), undefined],
];

const golden = new Map(readFileSync(new URL('./golden-lines.jsonl', import.meta.url), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as [string, string]));

test('audit lines are byte-identical to the golden lines, fresh or through the memos', () => {
  assert.equal(golden.size, cases.length);
  for (const [name, settings, entry, ctx] of cases) {
    const want = golden.get(name);
    assert.equal(createEntryFormatter(settings, salt)(entry, ctx), want, name);
    // Through the memos: the same formatter, a token identity, and deeply frozen response data seen twice.
    const format = createEntryFormatter(settings, salt);
    const identity = Object.freeze({});
    for (let i = 0; i < 3; i++) {
      const again = structuredCloneEntry(entry);
      if (again.type === 'response' && again.response.data && i > 0) {
        const data = again.response.data as Record<string, unknown>;
        for (const k of Object.keys(data)) data[k] = deepFreeze(data[k]);
      }
      // As the token store hands them out: the auth block's lists and map frozen.
      if (i > 0) deepFreeze([again.auth.policies, again.auth.token_policies, again.auth.metadata]);
      const c: AuditLogContext = { ...(ctx ?? {}), tokenIdentity: identity };
      assert.equal(format(again, c), want, `${name} (memo pass ${i})`);
    }
  }
});

/** A copy that keeps the odd values (Date, Buffer, bigint, functions) the golden entries hold. */
function structuredCloneEntry<T extends object>(entry: T): T {
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(copy);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) out[k] = copy((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return copy(entry) as T;
}
