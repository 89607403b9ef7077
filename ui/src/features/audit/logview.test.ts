import { describe, expect, it } from 'vitest';
import { EMPTY_FILTER, filterToQuery, isHmac } from './logview';

describe('audit log viewer helpers', () => {
  it('recognizes hashed values', () => {
    expect(isHmac('hmac-sha256:abc')).toBe(true);
    expect(isHmac('abc')).toBe(false);
    expect(isHmac(undefined)).toBe(false);
  });

  it('builds the query: empty fields left out, times as RFC 3339 UTC, cursor passed on', () => {
    expect(filterToQuery(EMPTY_FILTER)).toEqual({ limit: '50' });
    const q = filterToQuery({ ...EMPTY_FILTER, since: '2026-01-02T03:04:05Z', path: ' secret/ ', status: 'error' }, 'CUR');
    expect(q).toEqual({ since: '2026-01-02T03:04:05.000Z', path: 'secret/', status: 'error', limit: '50', cursor: 'CUR' });
    expect(() => filterToQuery({ ...EMPTY_FILTER, until: 'tomorrow' })).toThrow(/not a date/);
  });
});
