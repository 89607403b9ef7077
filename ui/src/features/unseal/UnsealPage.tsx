import { useCallback, useEffect, useState } from 'react';
import { ErrorPanel, Field, Form, Spinner } from '../../components';
import { Link, navigate } from '../../router';
import { useApi } from '../../session';

/** The seal-status fields this page uses (sys/unseal answers the same shape). */
interface SealState {
  initialized: boolean;
  sealed: boolean;
  t: number;
  n: number;
  progress: number;
}

/**
 * Unseals the server one key share at a time (`sys/unseal`), showing the progress; a reset
 * discards the shares entered so far. Once unsealed it goes to the login page.
 */
export function UnsealPage() {
  const api = useApi();
  const [state, setState] = useState<SealState | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [key, setKey] = useState('');
  const [resetError, setResetError] = useState<unknown>(null);

  const load = useCallback(async () => {
    try {
      setState(await api.readRaw<SealState>('sys/seal-status'));
      setLoadError(null);
    } catch (err) {
      setLoadError(err);
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  // Unsealed (by us or by someone else meanwhile): on to the login page.
  useEffect(() => {
    if (state && state.initialized && !state.sealed) {
      const timer = setTimeout(() => navigate('/login'), 1500);
      return () => clearTimeout(timer);
    }
  }, [state]);

  return (
    <section aria-labelledby="unseal-h" className="narrow">
      <h1 id="unseal-h">Unseal the server</h1>
      <ErrorPanel error={loadError} onRetry={load} />
      {!state && !loadError && <Spinner />}
      {state && !state.initialized && (
        <p>
          This server is not initialised yet: <Link to="/init">initialise it</Link> first.
        </p>
      )}
      {state?.initialized && !state.sealed && (
        <p role="status">
          The server is unsealed. Going to the <Link to="/login">login page</Link>…
        </p>
      )}
      {state?.initialized && state.sealed && (
        <>
          <p>The server is sealed: it holds no keys and answers nothing until enough key shares are entered. Each key holder enters their own share; the shares are sent to the server, never kept here.</p>
          <p className="unseal-progress" role="status">
            Unseal progress: <strong>{state.progress} of {state.t}</strong> key shares
          </p>
          <progress className="unseal-bar" max={state.t} value={state.progress} aria-label="Unseal progress" />
          <Form
            label="Unseal"
            submitLabel="Submit key share"
            onSubmit={async () => {
              try {
                const res = await api.write<never>('sys/unseal', { key: key.trim() });
                setState(res as unknown as SealState);
              } catch (err) {
                // A refused share may have reset the progress on the server: show its count.
                await load();
                throw err;
              } finally {
                setKey('');
              }
            }}
          >
            <Field label="Unseal key share" type="password" name="unseal-key" autoComplete="off" spellCheck={false} required value={key} onChange={(e) => setKey(e.target.value)} hint="Base64 or hex, as printed at initialisation." />
          </Form>
          <div className="actions">
            <button
              type="button"
              disabled={state.progress === 0}
              title={state.progress === 0 ? 'no key shares entered yet' : undefined}
              onClick={async () => {
                setResetError(null);
                try {
                  setState((await api.write<never>('sys/unseal', { reset: true })) as unknown as SealState);
                } catch (err) {
                  setResetError(err);
                }
              }}
            >
              Reset progress
            </button>
          </div>
          <ErrorPanel error={resetError} />
        </>
      )}
    </section>
  );
}
