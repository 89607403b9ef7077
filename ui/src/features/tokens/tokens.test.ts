import { describe, expect, it } from 'vitest';
import { EMPTY_TOKEN_FORM, isDuration, parsePolicies, tokenCreateRequest } from './tokenForm';

describe('token create form', () => {
  it('sends only what was filled in', () => {
    expect(tokenCreateRequest(EMPTY_TOKEN_FORM)).toEqual({ path: 'auth/token/create', body: {} });
    const req = tokenCreateRequest({ ...EMPTY_TOKEN_FORM, policies: 'a, b  a', ttl: '1h', explicitMaxTtl: '24h', period: '', numUses: '3', displayName: ' ci ', noDefaultPolicy: true, renewable: false });
    expect(req).toEqual({ path: 'auth/token/create', body: { policies: ['a', 'b'], ttl: '1h', explicit_max_ttl: '24h', num_uses: 3, display_name: 'ci', no_default_policy: true, renewable: false } });
  });

  it('uses create-orphan for an orphan', () => {
    expect(tokenCreateRequest({ ...EMPTY_TOKEN_FORM, orphan: true }).path).toBe('auth/token/create-orphan');
  });

  it('refuses bad durations and counts', () => {
    expect(() => tokenCreateRequest({ ...EMPTY_TOKEN_FORM, ttl: 'soon' })).toThrow(/TTL must be a duration/);
    expect(() => tokenCreateRequest({ ...EMPTY_TOKEN_FORM, period: '1 h' })).toThrow(/Period/);
    expect(() => tokenCreateRequest({ ...EMPTY_TOKEN_FORM, numUses: '-1' })).toThrow(/whole number/);
    expect(isDuration('90')).toBe(true);
    expect(isDuration('1h30m')).toBe(true);
    expect(isDuration('7d')).toBe(true);
    expect(isDuration('h')).toBe(false);
    expect(parsePolicies(' ,, ')).toEqual([]);
  });
});
