import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient } from './client';

function fakeFetch(status: number, body: unknown) {
  return vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status }));
}

describe('api client', () => {
  it('sends the token and wrap TTL as headers and encodes the path', async () => {
    const f = fakeFetch(200, { data: { a: 1 } });
    const api = createApiClient(() => 's.tok', '/v1/', f as unknown as typeof fetch);
    const res = await api.read('/v1/secret/data/a b', { wrapTTL: '5m' });
    expect(res.data).toEqual({ a: 1 });
    const [url, init] = f.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/v1/secret/data/a%20b');
    expect(init.headers).toMatchObject({ 'X-Vault-Token': 's.tok', 'X-Vault-Wrap-TTL': '5m' });
  });

  it('turns failures into ApiError with status, errors, path and operation', async () => {
    const api = createApiClient(() => null, '/v1/', fakeFetch(403, { errors: ['permission denied'] }) as unknown as typeof fetch);
    const err = await api.write('secret/data/x', { data: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 403, errors: ['permission denied'], path: 'secret/data/x', operation: 'write' });
  });

  it('lists with ?list=true, and an empty 404 is an empty list', async () => {
    const ok = fakeFetch(200, { data: { keys: ['a', 'b/'] } });
    expect(await createApiClient(() => 't', '/v1/', ok as unknown as typeof fetch).list('secret/metadata')).toEqual(['a', 'b/']);
    expect((ok.mock.calls[0] as unknown as [string])[0]).toBe('/v1/secret/metadata?list=true');
    const none = fakeFetch(404, { errors: [] });
    expect(await createApiClient(() => 't', '/v1/', none as unknown as typeof fetch).list('secret/metadata/x')).toEqual([]);
  });
});
