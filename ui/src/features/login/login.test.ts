import { describe, expect, it } from 'vitest';
import { formatDuration, remainingSeconds, shouldWarn } from '../../components/LoginExpiryBanner';
import { loginRequest, mountPath } from './methods';

describe('login methods', () => {
  it('builds the userpass and AppRole login calls, with the mount path the user chose', () => {
    expect(loginRequest('userpass', '', { username: ' bob ', password: 'pw' })).toEqual({ path: 'auth/userpass/login/bob', body: { password: 'pw' } });
    expect(loginRequest('userpass', '/people/', { username: 'bob', password: 'pw' }).path).toBe('auth/people/login/bob');
    expect(loginRequest('approle', '', { roleId: 'r', secretId: 's' })).toEqual({ path: 'auth/approle/login', body: { role_id: 'r', secret_id: 's' } });
    expect(loginRequest('approle', 'ci', { roleId: 'r' })).toEqual({ path: 'auth/ci/login', body: { role_id: 'r' } });
    expect(() => loginRequest('userpass', '', { username: '', password: 'x' })).toThrow(/username/);
    expect(() => loginRequest('userpass', '', { username: 'a', password: '' })).toThrow(/password/);
    expect(() => loginRequest('approle', '', { roleId: ' ' })).toThrow(/role ID/);
    expect(mountPath('  ', 'userpass')).toBe('userpass');
  });
});

describe('token expiry', () => {
  it('counts down from the TTL the server gave, by the time elapsed here', () => {
    expect(remainingSeconds(120, 1_000, 1_000)).toBe(120);
    expect(remainingSeconds(120, 1_000, 31_000)).toBe(90);
    expect(remainingSeconds(120, 1_000, 999_000)).toBe(0);
  });

  it('warns under 5 minutes or under 10 % of the lifetime, never for a token without expiry', () => {
    expect(shouldWarn(299, 299, 3600)).toBe(true);
    expect(shouldWarn(301, 301, 3000)).toBe(false);
    expect(shouldWarn(8000, 8000, 86400)).toBe(true);
    expect(shouldWarn(9000, 9000, 86400)).toBe(false);
    expect(shouldWarn(0, 0, 0)).toBe(false);
  });

  it('formats durations compactly', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(3725)).toBe('1h 2m');
    expect(formatDuration(125)).toBe('2m 5s');
    expect(formatDuration(2 * 86400 + 3 * 3600)).toBe('2d 3h');
    expect(formatDuration(32 * 86400)).toBe('32d');
  });
});
