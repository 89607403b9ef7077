/**
 * The token's remaining lifetime, and a banner offering renewal before it lapses (login feature).
 *
 * The countdown uses the `ttl` lookup-self reports plus the time elapsed in this page since the
 * answer came, never `expire_time` against the browser's clock: the two clocks may disagree.
 */
import { useCallback, useEffect, useState } from 'react';
import { isApiError } from '../api/client';
import { navigate } from '../router';
import { useSession } from '../session';
import { ErrorPanel } from './ErrorPanel';
import './LoginExpiryBanner.css';

/** Warn when this many seconds or less are left… */
export const WARN_SECONDS = 5 * 60;
/** …or when less than this fraction of the token's lifetime is left. */
export const WARN_FRACTION = 0.1;

/** Seconds left of a token that had `ttl` seconds left at `fetchedAt` (ms), at `now` (ms). Never negative. */
export function remainingSeconds(ttl: number, fetchedAt: number, now: number): number {
  return Math.max(0, Math.round(ttl - (now - fetchedAt) / 1000));
}

/** True when renewal should be offered: < 5 min or < 10 % of the creation TTL left (0 = never expires). */
export function shouldWarn(remaining: number, ttl: number, creationTtl: number): boolean {
  if (ttl === 0) return false;
  return remaining <= WARN_SECONDS || (creationTtl > 0 && remaining <= creationTtl * WARN_FRACTION);
}

/** `3725` → `1h 2m 5s`; `0` → `0s`. Days for long spans (`2d 3h`). */
export function formatDuration(total: number): string {
  const s = Math.max(0, Math.floor(total));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts: string[] = [];
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m && !d) parts.push(`${m}m`);
  if ((sec || parts.length === 0) && !d && !h) parts.push(`${sec}s`);
  return parts.join(' ');
}

/** What the countdown knows about the current token. */
export interface TokenClock {
  /** lookup-self data (null until loaded). */
  data: Record<string, unknown> | null;
  /** Seconds left (null: unknown; the token never expires when `ttl` is 0). */
  remaining: number | null;
  ttl: number;
  creationTtl: number;
  renewable: boolean;
  error: unknown;
  /** Re-reads lookup-self. */
  reload(): Promise<void>;
  /** `auth/token/renew-self`, then reload (throws ApiError on refusal). */
  renew(): Promise<void>;
}

/** Reads lookup-self for the current token and counts its TTL down each second. */
export function useTokenClock(): TokenClock {
  const { token, api, refresh } = useSession();
  const [state, setState] = useState<{ data: Record<string, unknown>; fetchedAt: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [now, setNow] = useState(() => Date.now());

  const reload = useCallback(async () => {
    if (!token) return;
    try {
      const res = await api.read('auth/token/lookup-self');
      setState({ data: res.data, fetchedAt: Date.now() });
      setNow(Date.now());
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [api, token]);

  useEffect(() => {
    setState(null);
    void reload();
  }, [reload]);

  useEffect(() => {
    if (!state) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [state]);

  const renew = useCallback(async () => {
    await api.write('auth/token/renew-self', {});
    await reload();
    await refresh();
  }, [api, reload, refresh]);

  const ttl = typeof state?.data.ttl === 'number' ? state.data.ttl : 0;
  const creationTtl = typeof state?.data.creation_ttl === 'number' ? state.data.creation_ttl : 0;
  return {
    data: state?.data ?? null,
    remaining: state && ttl > 0 ? remainingSeconds(ttl, state.fetchedAt, now) : null,
    ttl,
    creationTtl,
    renewable: state?.data.renewable === true,
    error,
    reload,
    renew,
  };
}

/** The banner under the header: shown only when the token is about to lapse (or has). */
export function LoginExpiryBanner() {
  const { token, logout } = useSession();
  const clock = useTokenClock();
  const [renewError, setRenewError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!token || clock.remaining === null || !shouldWarn(clock.remaining, clock.ttl, clock.creationTtl)) return null;

  if (clock.remaining === 0) {
    return (
      <div className="expiry-banner expired" role="alert">
        <span>Your token has expired: the server will refuse it.</span>
        <button type="button" onClick={() => void logout(false).then(() => navigate('/login'))}>
          Log in again
        </button>
      </div>
    );
  }
  // Minutes while more than one is left, so a screen reader is not told every second.
  const left = clock.remaining > 60 ? `about ${Math.ceil(clock.remaining / 60)} minutes` : `${clock.remaining} seconds`;
  return (
    <div className="expiry-banner" role="region" aria-label="Token expiry">
      <span role="status">Your token expires in {left}.</span>
      {clock.renewable ? (
        <button
          type="button"
          className="primary"
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setRenewError(null);
            try {
              await clock.renew();
            } catch (err) {
              setRenewError(err);
            } finally {
              setBusy(false);
            }
          }}
        >
          {busy ? 'Renewing…' : 'Renew token'}
        </button>
      ) : (
        <span>It cannot be renewed: log in again before it lapses.</span>
      )}
      {renewError !== null && (
        <ErrorPanel title="Renewal failed" error={isApiError(renewError) && renewError.status === 400 ? new Error(`The server would not renew this token: ${renewError.errors.join('; ')}`) : renewError} />
      )}
    </div>
  );
}
