import { describe, expect, it } from 'vitest';
import { EMPTY_ROLE, cleanMountPath, formToRole, roleToForm, splitList } from './forms';

describe('AppRole role form', () => {
  it('round-trips a role read from the server', () => {
    const data = { token_policies: ['a', 'b'], token_ttl: 3600, token_max_ttl: 0, token_num_uses: 0, token_bound_cidrs: [], token_type: 'default', secret_id_ttl: 600, secret_id_num_uses: 1, secret_id_bound_cidrs: ['10.0.0.0/8'], bind_secret_id: true };
    const form = roleToForm(data);
    expect(form.token_policies).toBe('a, b');
    expect(form.secret_id_bound_cidrs).toBe('10.0.0.0/8');
    expect(formToRole(form, true)).toMatchObject({ token_policies: ['a', 'b'], token_ttl: 3600, secret_id_ttl: 600, secret_id_num_uses: 1, secret_id_bound_cidrs: ['10.0.0.0/8'], token_bound_cidrs: [], bind_secret_id: true });
  });

  it('leaves empty fields out on create, resets them on edit; durations pass as typed', () => {
    const form = { ...EMPTY_ROLE, token_policies: 'app-read', token_ttl: '1h', bind_secret_id: false };
    expect(formToRole(form, false)).toEqual({ token_policies: ['app-read'], token_ttl: '1h', bind_secret_id: false });
    expect(formToRole(form, true)).toMatchObject({ token_max_ttl: 0, secret_id_ttl: 0, secret_id_bound_cidrs: [] });
  });

  it('splits lists and cleans mount paths', () => {
    expect(splitList('a, b\n c,,')).toEqual(['a', 'b', 'c']);
    expect(cleanMountPath('/team/approle/')).toBe('team/approle');
    expect(cleanMountPath('a//b')).toBeUndefined();
    expect(cleanMountPath('../x')).toBeUndefined();
    expect(cleanMountPath('  ')).toBeUndefined();
  });
});
