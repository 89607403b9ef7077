import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, render, screen, waitFor } from '@testing-library/react';
import { SessionProvider } from '../session';
import { CapabilitiesProvider, Guarded } from '.';

afterEach(cleanup);

function fakeServer(caps: Record<string, string[]>) {
  const calls: { url: string; body: unknown }[] = [];
  const fetchMock = vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    if (url === '/v1/auth/token/lookup-self') return Response.json({ data: { policies: ['default', 'app-read'], ttl: 3600, renewable: true, expire_time: null } });
    if (url === '/v1/sys/capabilities-self') {
      const paths = (JSON.parse(String(init.body)) as { paths: string[] }).paths;
      return Response.json({ data: Object.fromEntries(paths.map((p) => [p, caps[p] ?? ['deny']])) });
    }
    return Response.json({ errors: ['unexpected'] }, { status: 500 });
  });
  vi.stubGlobal('fetch', fetchMock);
  return calls;
}

describe('<Guarded>', () => {
  it('asks for all paths in one capabilities-self call and disables what is not allowed, with the reason', async () => {
    const calls = fakeServer({ 'secret/data/app': ['read'], 'secret/metadata/app': ['delete', 'read'] });
    render(
      <SessionProvider initialToken="t0ken">
        <CapabilitiesProvider>
          <Guarded path="secret/data/app" need="update">{(g) => <button {...g}>Save</button>}</Guarded>
          <Guarded path="secret/metadata/app" need="delete">{(g) => <button {...g}>Delete</button>}</Guarded>
        </CapabilitiesProvider>
      </SessionProvider>,
    );
    const save = screen.getByRole('button', { name: 'Save' }) as HTMLButtonElement;
    const del = screen.getByRole('button', { name: 'Delete' }) as HTMLButtonElement;
    await waitFor(() => expect(del.disabled).toBe(false));
    await waitFor(() => expect(save.title).toMatch(/policies: default, app-read/));
    expect(save.disabled).toBe(true);
    expect(save.title).toBe('your token (policies: default, app-read) lacks the "update" capability on secret/data/app');
    expect(document.getElementById(save.getAttribute('aria-describedby')!)?.textContent).toBe(save.title);
    expect(del.getAttribute('aria-describedby')).toBeNull();

    const capCalls = calls.filter((c) => c.url === '/v1/sys/capabilities-self');
    expect(capCalls).toHaveLength(1);
    expect(capCalls[0]!.body).toEqual({ paths: ['secret/data/app', 'secret/metadata/app'] });
  });
});
