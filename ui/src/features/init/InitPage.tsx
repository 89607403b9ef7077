import { useEffect, useState } from 'react';
import { CopyButton, DownloadButton, ErrorPanel, Field, Form, Spinner } from '../../components';
import { Link, navigate } from '../../router';
import { useApi } from '../../session';
import { initFileJson, initFileText, validateInit, type InitResult } from './initForm';

/**
 * Initialises a new server (`PUT sys/init`): the key shares and the root token are shown once,
 * kept only in this component's state, and gone when the user moves on.
 */
export function InitPage() {
  const api = useApi();
  const [initialized, setInitialized] = useState<boolean | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [shares, setShares] = useState('5');
  const [threshold, setThreshold] = useState('3');
  const [touched, setTouched] = useState(false);
  const [result, setResult] = useState<{ init: InitResult; threshold: number } | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => {
    api.readRaw<{ initialized: boolean }>('sys/init').then((r) => setInitialized(r.initialized), setLoadError);
  }, [api]);

  if (result) {
    const { init } = result;
    return (
      <section aria-labelledby="init-h">
        <h1 id="init-h">Server initialised</h1>
        <div className="init-warning" role="alert">
          <strong>Save these now: they are not shown again.</strong> The server cannot be unsealed without {result.threshold} of these {init.keys.length} key shares, and nobody,
          not even the server, can recover them. Give each share to a different person.
        </div>
        <h2>Unseal key shares</h2>
        <ol className="init-keys">
          {init.keys_base64.map((k, i) => (
            <li key={k}>
              <code aria-label={`Unseal key share ${i + 1}`}>{k}</code>
              <CopyButton value={k} label={`Copy key share ${i + 1}`} />
            </li>
          ))}
        </ol>
        {init.root_token && (
          <>
            <h2>Initial root token</h2>
            <p className="init-keys">
              <code aria-label="Initial root token">{init.root_token}</code>
              <CopyButton value={init.root_token} label="Copy root token" />
            </p>
            <p className="hint">The root token can do everything. Use it to set up policies and other ways to log in, then revoke it.</p>
          </>
        )}
        <div className="actions">
          <DownloadButton content={() => initFileJson(init, result.threshold)} filename="coffer-init.json" type="application/json" label="Download as JSON" />
          <DownloadButton content={() => initFileText(init, result.threshold)} filename="coffer-init.txt" type="text/plain" label="Download as text" />
        </div>
        <div className="field checkbox init-saved">
          <input id="init-saved" type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} />
          <label htmlFor="init-saved">I have saved the key shares and the root token somewhere safe</label>
        </div>
        <div className="actions">
          <button type="button" className="primary" disabled={!saved} onClick={() => navigate('/unseal')}>
            Continue to unseal
          </button>
        </div>
      </section>
    );
  }

  const errors = validateInit(shares, threshold);
  const invalid = Object.keys(errors).length > 0;
  return (
    <section aria-labelledby="init-h" className="narrow">
      <h1 id="init-h">Initialise the server</h1>
      <ErrorPanel error={loadError} />
      {initialized === null && !loadError && <Spinner />}
      {initialized === true && (
        <p>
          This server is already initialised. <Link to="/unseal">Unseal it</Link> or <Link to="/login">log in</Link>.
        </p>
      )}
      {initialized === false && (
        <>
          <p>
            This server has no keys yet. Initialising creates the root key and splits the key that unlocks it into shares (Shamir&apos;s secret sharing): unsealing the server then needs a
            threshold of them.
          </p>
          <Form
            label="Initialise"
            submitLabel="Initialise"
            submitProps={{ disabled: touched && invalid }}
            onSubmit={async () => {
              setTouched(true);
              if (invalid) throw new Error('Fix the numbers above first.');
              const t = Number(threshold);
              const res = await api.write<never>('sys/init', { secret_shares: Number(shares), secret_threshold: t });
              setResult({ init: res as unknown as InitResult, threshold: t });
            }}
          >
            <Field label="Key shares" type="number" inputMode="numeric" min={1} max={255} required value={shares} onChange={(e) => { setShares(e.target.value); setTouched(true); }} hint={errors.shares ?? 'How many key shares to create (one per key holder).'} aria-invalid={errors.shares ? true : undefined} />
            <Field label="Key threshold" type="number" inputMode="numeric" min={1} max={255} required value={threshold} onChange={(e) => { setThreshold(e.target.value); setTouched(true); }} hint={errors.threshold ?? 'How many shares unsealing needs.'} aria-invalid={errors.threshold ? true : undefined} />
          </Form>
        </>
      )}
    </section>
  );
}
