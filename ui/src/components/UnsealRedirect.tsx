/**
 * Sends the browser to `#/init` on an uninitialised server and to `#/unseal` on a sealed one
 * (unseal feature). Checked with the unauthenticated `sys/seal-status` on load and on every page
 * change; the init, unseal and status pages are left alone (init shows the key shares once and
 * must not be navigated away from by this).
 */
import { useEffect } from 'react';
import { navigate, useHashPath } from '../router';
import { useApi } from '../session';

const LEFT_ALONE = new Set(['/init', '/unseal', '/status']);

/** Renders nothing; redirects when the server needs initialising or unsealing. */
export function UnsealRedirect() {
  const api = useApi();
  const path = useHashPath();
  useEffect(() => {
    if (LEFT_ALONE.has(path)) return;
    let live = true;
    api.readRaw<{ initialized: boolean; sealed: boolean }>('sys/seal-status').then(
      (s) => {
        if (!live) return;
        if (!s.initialized) navigate('/init');
        else if (s.sealed) navigate('/unseal');
      },
      // Unreachable server: the pages themselves say so.
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [api, path]);
  return null;
}
