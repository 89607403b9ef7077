// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { CapabilitiesProvider } from '../../acl';
import { ApiError } from '../../api/client';
import { SessionProvider } from '../../session';
import { patch } from './api';
import { SecretForm } from './SecretForm';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function fakeServer(caps: Record<string, string[]>) {
  const calls: { url: string; method: string; body: unknown; headers: Record<string, string> }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      calls.push({ url, method: init.method ?? 'GET', body: init.body ? JSON.parse(String(init.body)) : undefined, headers: (init.headers ?? {}) as Record<string, string> });
      if (url === '/v1/auth/token/lookup-self') return Response.json({ data: { policies: ['kv'], ttl: 3600, renewable: true, expire_time: null } });
      if (url === '/v1/sys/capabilities-self') {
        const paths = (JSON.parse(String(init.body)) as { paths: string[] }).paths;
        return Response.json({ data: Object.fromEntries(paths.map((p) => [p, caps[p] ?? ['deny']])) });
      }
      if (url.startsWith('/v1/keyvault/v1/secrets/')) return Response.json({ data: { name: 'db', version: 'abc' } });
      return Response.json({ errors: ['unexpected'] }, { status: 500 });
    }),
  );
  return calls;
}

const wrap = (ui: React.ReactNode) => (
  <SessionProvider initialToken="t0ken">
    <CapabilitiesProvider>{ui}</CapabilitiesProvider>
  </SessionProvider>
);

describe('SecretForm', () => {
  it('sends the value with every property the user gave (dates as UTC unix seconds, tags as a map)', async () => {
    const calls = fakeServer({ 'keyvault/v1/secrets/new-secret': ['create'], 'keyvault/v1/secrets/db': ['create', 'update'] });
    const done = vi.fn();
    render(wrap(<SecretForm vault="v1" onDone={done} />));
    fireEvent.change(screen.getByLabelText('Secret name'), { target: { value: 'db' } });
    fireEvent.change(screen.getByLabelText('Value'), { target: { value: 's3cret' } });
    fireEvent.change(screen.getByLabelText('Content type'), { target: { value: 'text/plain' } });
    fireEvent.click(screen.getByLabelText('Enabled'));
    fireEvent.change(screen.getByLabelText('Expires (UTC)'), { target: { value: '2030-01-31T12:00' } });
    fireEvent.change(screen.getByLabelText('Tags'), { target: { value: 'env=dev\nteam=core' } });
    const submit = screen.getByRole('button', { name: 'Set secret' }) as HTMLButtonElement;
    await waitFor(() => expect(submit.disabled).toBe(false));
    fireEvent.click(submit);
    await waitFor(() => expect(done).toHaveBeenCalledWith('db', 'abc'));
    const put = calls.find((c) => c.url === '/v1/keyvault/v1/secrets/db')!;
    expect(put.method).toBe('POST');
    expect(put.body).toEqual({ value: 's3cret', contentType: 'text/plain', tags: { env: 'dev', team: 'core' }, attributes: { enabled: false, exp: Date.UTC(2030, 0, 31, 12) / 1000 } });
  });

  it('is disabled with the reason when the token cannot create secrets, and refuses a bad name', async () => {
    fakeServer({ 'keyvault/v1/secrets/new-secret': ['read'] });
    render(wrap(<SecretForm vault="v1" onDone={() => undefined} />));
    const submit = screen.getByRole('button', { name: 'Set secret' }) as HTMLButtonElement;
    fireEvent.change(screen.getByLabelText('Secret name'), { target: { value: 'bad/name' } });
    expect(screen.getByText('use 1-127 letters, digits and hyphens')).toBeTruthy();
    expect(submit.disabled).toBe(true);
    fireEvent.change(screen.getByLabelText('Secret name'), { target: { value: '' } });
    await waitFor(() => expect(submit.title).toMatch(/lacks the "create" capability on keyvault\/v1\/secrets\/new-secret/));
  });
});

describe('patch', () => {
  it('sends merge-patch JSON with the token, and turns a refusal into an ApiError', async () => {
    const fetchMock = vi.fn(async () => Response.json({ errors: ['permission denied'] }, { status: 403 }));
    vi.stubGlobal('fetch', fetchMock);
    const err = await patch('t0ken', 'keyvault/v1/secrets/db/abc', { attributes: { enabled: false } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(403);
    expect((err as ApiError).path).toBe('keyvault/v1/secrets/db/abc');
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/v1/keyvault/v1/secrets/db/abc');
    expect(init.method).toBe('PATCH');
    expect((init.headers as Record<string, string>)['content-type']).toBe('application/merge-patch+json');
    expect((init.headers as Record<string, string>)['X-Vault-Token']).toBe('t0ken');
    expect(JSON.parse(String(init.body))).toEqual({ attributes: { enabled: false } });
  });
});
