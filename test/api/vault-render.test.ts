/**
 * The Vault front's envelope: a response whose data members are shared, deep-frozen objects (a
 * KV read) is written member by member with their cached JSON; the bytes must be those of one
 * JSON.stringify of the envelope, whatever the response carries.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderResponse } from '../../src/api/vault/render.js';
import { deepFreeze, isDeepFrozen } from '../../src/core/deep-freeze.js';
import type { LogicalResponse } from '../../src/core/logical.js';

/** The envelope as one object, the way renderResponse writes it for unshared data. */
function reference(requestId: string, res: LogicalResponse): string {
  const hasWarnings = (res.warnings?.length ?? 0) > 0;
  return JSON.stringify({
    request_id: requestId, lease_id: res.leaseId ?? '', renewable: res.renewable ?? false, lease_duration: res.leaseDuration ?? 0,
    data: res.data ?? null, wrap_info: null, warnings: hasWarnings ? res.warnings : null, auth: res.auth ?? null, mount_type: res.mountType ?? '',
  });
}

test('shared frozen data renders to the same bytes as a plain copy', () => {
  // JSON.parse gives an own `__proto__` key (an object literal would set the prototype instead).
  const secret = deepFreeze(JSON.parse('{"password":"p\\"w\\\\n\\u2028","nested":{"list":[1,"two",null,true],"2":"int-like key"},"__proto__":{"own":"key"}}') as Record<string, unknown>);
  assert.ok(isDeepFrozen(secret));
  const view = deepFreeze({ created_time: '2026-01-02T03:04:05.123000000Z', custom_metadata: null, deletion_time: '', destroyed: false, version: 3 });
  const cases: LogicalResponse[] = [
    { data: { data: secret, metadata: view }, mountType: 'kv' },
    { data: { data: secret, metadata: view, skipped: undefined, n: NaN, s: 'x', b: false, z: null }, warnings: ['w'], mountType: 'kv', status: 404 },
    { data: { data: secret }, leaseId: 'kv/x/abc', leaseDuration: 60, renewable: true },
    { data: secret, auth: { client_token: 't', accessor: 'a', policies: ['p'], token_policies: ['p'], metadata: null, lease_duration: 1, renewable: false, entity_id: '', token_type: 'service', orphan: true } as never },
    { data: {} },
  ];
  for (const res of cases) {
    const body = renderResponse('req-1', res).body!;
    assert.equal(body, reference('req-1', res));
    assert.equal(renderResponse('req-1', res).body, body, 'again, from the cached member text');
    const copy = { ...res, data: structuredClone(res.data) };
    assert.equal(renderResponse('req-1', copy).body, body);
  }
  // Data with a member that is neither frozen nor a primitive: the whole envelope as one object.
  const mixed: LogicalResponse = { data: { data: secret, when: new Date(0), mutable: { a: 1 } }, mountType: 'kv' };
  assert.equal(renderResponse('req-2', mixed).body, reference('req-2', mixed));
});
