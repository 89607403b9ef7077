import { useState } from 'react';
import { ErrorPanel, Spinner } from '../../components';
import { formatDuration, useTokenClock } from '../../components/LoginExpiryBanner';
import { Guarded } from '../../acl';
import { navigate } from '../../router';
import { useSession } from '../../session';

/** The current token: who, which policies, when it expires; renew it; log out (optionally revoking it). */
export function SessionPage() {
  const { logout, info } = useSession();
  const clock = useTokenClock();
  const [revoke, setRevoke] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const d = clock.data;

  return (
    <section aria-labelledby="session-h">
      <h1 id="session-h">Your session</h1>
      <ErrorPanel error={clock.error} onRetry={() => void clock.reload()} />
      {!d && !clock.error && <Spinner />}
      {d && (
        <dl className="facts">
          <dt>Display name</dt>
          <dd>{String(d.display_name ?? '')}</dd>
          <dt>Policies</dt>
          <dd>{(info?.policies ?? (d.policies as string[] | undefined) ?? []).join(', ')}</dd>
          <dt>Accessor</dt>
          <dd>
            <code>{String(d.accessor ?? '')}</code>
          </dd>
          <dt>Expires</dt>
          <dd data-testid="session-expiry">{clock.remaining === null ? 'never (no TTL)' : clock.remaining === 0 ? 'expired' : `in ${formatDuration(clock.remaining)}${d.expire_time ? ` (${String(d.expire_time)})` : ''}`}</dd>
          <dt>Renewable</dt>
          <dd>{clock.renewable ? 'yes' : 'no'}</dd>
          {typeof d.explicit_max_ttl === 'number' && d.explicit_max_ttl > 0 && (
            <>
              <dt>Explicit max TTL</dt>
              <dd>{formatDuration(d.explicit_max_ttl)}</dd>
            </>
          )}
          {typeof d.period === 'number' && d.period > 0 && (
            <>
              <dt>Period</dt>
              <dd>{formatDuration(d.period)}</dd>
            </>
          )}
          {typeof d.num_uses === 'number' && d.num_uses > 0 && (
            <>
              <dt>Uses left</dt>
              <dd>{d.num_uses}</dd>
            </>
          )}
        </dl>
      )}
      <div className="actions">
        <Guarded path="auth/token/renew-self" need="update">
          {(g) => (
            <button
              type="button"
              {...g}
              disabled={g.disabled || !clock.renewable || busy}
              title={g.title ?? (!clock.renewable ? 'this token is not renewable' : undefined)}
              onClick={async () => {
                setBusy(true);
                setError(null);
                try {
                  await clock.renew();
                } catch (err) {
                  setError(err);
                } finally {
                  setBusy(false);
                }
              }}
            >
              Renew token
            </button>
          )}
        </Guarded>
      </div>
      <h2>Log out</h2>
      <p>Logging out forgets the token in this browser tab. It stays valid on the server until it expires, unless you also revoke it.</p>
      <div className="field checkbox">
        <input id="logout-revoke" type="checkbox" checked={revoke} onChange={(e) => setRevoke(e.target.checked)} />
        <label htmlFor="logout-revoke">Also revoke this token (it and the tokens created from it stop working everywhere)</label>
      </div>
      <ErrorPanel error={error} />
      <div className="actions">
        <button
          type="button"
          className={revoke ? 'danger' : undefined}
          disabled={busy}
          onClick={async () => {
            setBusy(true);
            setError(null);
            try {
              await logout(revoke);
              navigate('/login');
            } catch (err) {
              setError(err);
              setBusy(false);
            }
          }}
        >
          {revoke ? 'Revoke and log out' : 'Log out of this tab'}
        </button>
      </div>
    </section>
  );
}
