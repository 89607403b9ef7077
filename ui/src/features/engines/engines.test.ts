import { describe, expect, it } from 'vitest';
import { bare, isKv2, mountPathProblem, mountRows, typeLabel } from './engineTypes';

describe('engines helpers', () => {
  it('turns sys/mounts into sorted rows and labels KV versions', () => {
    const rows = mountRows({
      'secret/': { type: 'kv', description: 'kv', options: { version: '2' }, config: { default_lease_ttl: 0 } },
      'cubbyhole/': { type: 'cubbyhole', description: '', options: null, config: {} },
      'old/': { type: 'kv', description: '', options: null, config: {} },
      request_id: 'x',
    });
    expect(rows.map((r) => r.path)).toEqual(['cubbyhole/', 'old/', 'secret/']);
    expect(rows.map(typeLabel)).toEqual(['cubbyhole', 'kv v1', 'kv v2']);
    expect(rows.map(isKv2)).toEqual([false, false, true]);
  });

  it('checks mount paths', () => {
    expect(bare('/a/b/')).toBe('a/b');
    expect(mountPathProblem('team/kv')).toBeUndefined();
    expect(mountPathProblem('')).toMatch(/Enter/);
    expect(mountPathProblem('sys/x')).toMatch(/reserved/);
    expect(mountPathProblem('a//b')).toMatch(/segments/);
    expect(mountPathProblem('a b')).toMatch(/spaces/);
  });
});
