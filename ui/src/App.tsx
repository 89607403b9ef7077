/**
 * The layout: a header (product, seal status, session), the nav built from the feature registry,
 * and the page of the current hash route. Pages not marked `public` need a token: without one the
 * login page shows (and returns to the page after logging in).
 */
import { useEffect, useMemo, useState } from 'react';
import * as registry from './features';
import { ErrorPanel } from './components';
import { LoginExpiryBanner } from './components/LoginExpiryBanner';
import { UnsealRedirect } from './components/UnsealRedirect';
import { CapabilitiesProvider } from './acl';
import { findRoute, Link, navigate, useHashPath, type RouteDef } from './router';
import { SessionProvider, useApi, useSession } from './session';

/** Every route of every registered feature. */
export const allRoutes: RouteDef[] = Object.values(registry).flatMap((f) => (f as { routes: RouteDef[] }).routes);

function SealBadge() {
  const api = useApi();
  const [sealed, setSealed] = useState<boolean | null>(null);
  useEffect(() => {
    let live = true;
    const poll = () =>
      api.readRaw<{ sealed: boolean }>('sys/seal-status').then(
        (s) => live && setSealed(s.sealed),
        () => live && setSealed(null),
      );
    void poll();
    const timer = setInterval(poll, 15_000);
    // A page change (e.g. unseal → login) re-checks at once instead of at the next tick.
    window.addEventListener('hashchange', poll);
    return () => {
      live = false;
      clearInterval(timer);
      window.removeEventListener('hashchange', poll);
    };
  }, [api]);
  if (sealed === null) return <span className="badge">status unknown</span>;
  return <span className={`badge ${sealed ? 'bad' : 'good'}`}>{sealed ? 'Sealed' : 'Unsealed'}</span>;
}

function Shell() {
  const path = useHashPath();
  const { token, info, logout } = useSession();
  const nav = useMemo(() => allRoutes.filter((r) => r.nav && (token || r.public)).sort((a, b) => a.nav!.order - b.nav!.order), [token]);
  const found = path === '/' ? null : findRoute(allRoutes, path);
  const needsLogin = found && !found.route.public && !token;

  useEffect(() => {
    if (path === '/') navigate(token ? '/status' : '/login');
    else if (needsLogin) navigate(`/login?next=${encodeURIComponent(path)}`);
  }, [path, token, needsLogin]);

  useEffect(() => {
    document.title = found ? `${found.route.title} · Coffer` : 'Coffer';
  }, [found]);

  const Page = found && !needsLogin ? found.route.component : null;
  return (
    <>
      <a className="skip-link" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <header className="app-header">
        <span className="brand">Coffer</span>
        <SealBadge />
        <span className="spacer" />
        {token ? (
          <>
            <span className="who" title="Policies of the current token">{info ? info.policies.join(', ') : '…'}</span>
            <button type="button" onClick={() => void logout(false).then(() => navigate('/login'))}>
              Log out
            </button>
          </>
        ) : (
          <Link to="/login">Log in</Link>
        )}
      </header>
      <nav className="app-nav" aria-label="Main">
        <ul>
          {nav.map((r) => (
            <li key={r.path}>
              <Link to={r.path} aria-current={found?.route === r ? 'page' : undefined}>
                {r.nav!.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <UnsealRedirect />
      <LoginExpiryBanner />
      <main id="main" tabIndex={-1}>
        {Page ? <Page params={found!.params} /> : path !== '/' && !needsLogin && <ErrorPanel title="Not found" error={new Error(`There is no page at #${path}.`)} />}
      </main>
    </>
  );
}

/** The whole app (providers + shell). */
export function App({ initialToken }: { initialToken?: string }) {
  return (
    <SessionProvider initialToken={initialToken}>
      <CapabilitiesProvider>
        <Shell />
      </CapabilitiesProvider>
    </SessionProvider>
  );
}
