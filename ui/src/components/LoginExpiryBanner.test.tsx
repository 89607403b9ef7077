// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { SessionProvider } from '../session';
import { LoginExpiryBanner } from './LoginExpiryBanner';
import { UnsealRedirect } from './UnsealRedirect';

afterEach(() => {
  cleanup();
  window.location.hash = '';
});

/** A fake /v1/: lookup-self answers `ttl` (renew-self sets it to `renewTo`), seal-status answers `seal`. */
function fakeServer(opts: { ttl: number; creationTtl: number; renewable: boolean; renewTo?: number; seal?: { initialized: boolean; sealed: boolean } }) {
  let ttl = opts.ttl;
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit) => {
      calls.push(`${init.method} ${url}`);
      if (url === '/v1/auth/token/lookup-self') return Response.json({ data: { policies: ['default'], ttl, creation_ttl: opts.creationTtl, renewable: opts.renewable, expire_time: null } });
      if (url === '/v1/auth/token/renew-self') {
        ttl = opts.renewTo ?? ttl;
        return Response.json({ auth: { client_token: 't', lease_duration: ttl } });
      }
      if (url === '/v1/sys/seal-status') return Response.json(opts.seal ?? { initialized: true, sealed: false });
      return Response.json({ errors: ['unexpected'] }, { status: 500 });
    }),
  );
  return calls;
}

describe('<LoginExpiryBanner>', () => {
  it('offers renewal when little is left, and renews with renew-self', async () => {
    const calls = fakeServer({ ttl: 100, creationTtl: 3600, renewable: true, renewTo: 3600 });
    render(
      <SessionProvider initialToken="t0ken">
        <LoginExpiryBanner />
      </SessionProvider>,
    );
    expect((await screen.findByRole('status')).textContent).toBe('Your token expires in about 2 minutes.');
    fireEvent.click(screen.getByRole('button', { name: 'Renew token' }));
    // 3600 s left is more than 5 min and 10 %: the banner goes away.
    await waitFor(() => expect(screen.queryByRole('region', { name: 'Token expiry' })).toBeNull());
    expect(calls).toContain('POST /v1/auth/token/renew-self');
  });

  it('stays hidden with plenty left, and says when a token cannot be renewed', async () => {
    fakeServer({ ttl: 3000, creationTtl: 3600, renewable: true });
    const { unmount } = render(
      <SessionProvider initialToken="t0ken">
        <LoginExpiryBanner />
      </SessionProvider>,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(screen.queryByRole('region', { name: 'Token expiry' })).toBeNull();
    unmount();
    fakeServer({ ttl: 30, creationTtl: 60, renewable: false });
    render(
      <SessionProvider initialToken="t0ken">
        <LoginExpiryBanner />
      </SessionProvider>,
    );
    expect(await screen.findByText('It cannot be renewed: log in again before it lapses.')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Renew token' })).toBeNull();
  });
});

describe('<UnsealRedirect>', () => {
  it('sends an uninitialised server to #/init and a sealed one to #/unseal, but leaves the init page alone', async () => {
    fakeServer({ ttl: 0, creationTtl: 0, renewable: false, seal: { initialized: false, sealed: true } });
    window.location.hash = '#/login';
    const first = render(
      <SessionProvider>
        <UnsealRedirect />
      </SessionProvider>,
    );
    await waitFor(() => expect(window.location.hash).toBe('#/init'));
    first.unmount();

    fakeServer({ ttl: 0, creationTtl: 0, renewable: false, seal: { initialized: true, sealed: true } });
    // The init page shows the shares once: it is never navigated away from.
    render(
      <SessionProvider>
        <UnsealRedirect />
      </SessionProvider>,
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(window.location.hash).toBe('#/init');
    window.location.hash = '#/engines';
    await waitFor(() => expect(window.location.hash).toBe('#/unseal'));
  });
});
