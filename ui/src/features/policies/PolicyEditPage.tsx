import { useCallback, useEffect, useState } from 'react';
import { isApiError } from '../../api/client';
import { Guarded, useCapabilities } from '../../acl';
import { ConfirmDialog, ErrorPanel, Field, Spinner } from '../../components';
import { href, navigate } from '../../router';
import { useApi } from '../../session';
import { policyErrorPosition } from './errors';
import { PolicyEditor } from './PolicyEditor';
import './policies.css';

const TEMPLATE = `# Read the app's secrets (KV v2 at secret/)
path "secret/data/app/*" {
  capabilities = ["read"]
}
`;

const FIXED = new Set(['root']);
const UNDELETABLE = new Set(['root', 'default', 'response-wrapping']);

/** Reads, writes and deletes one ACL policy (sys/policies/acl/<name>); parse errors are marked at their line. */
export function PolicyEditPage({ params }: { params: Record<string, string> }) {
  const api = useApi();
  const isNew = !params.name;
  const [name, setName] = useState(params.name ?? '');
  const [text, setText] = useState<string | null>(isNew ? TEMPLATE : null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState(false);
  const { reload } = useCapabilities([]);

  const load = useCallback(async () => {
    if (isNew) return;
    setLoadError(null);
    try {
      const res = await api.read<{ name: string; policy: string }>(`sys/policies/acl/${params.name}`);
      setText(res.data.policy);
    } catch (err) {
      setLoadError(err);
    }
  }, [api, isNew, params.name]);
  useEffect(() => {
    void load();
  }, [load]);

  const target = (isNew ? name.trim().toLowerCase() : params.name) || 'new-policy';
  const errorMessage = isApiError(saveError) && saveError.status === 400 ? saveError.errors.join('; ') : '';
  const position = errorMessage ? policyErrorPosition(errorMessage) : undefined;

  const save = async () => {
    if (text === null) return;
    setBusy(true);
    setSaveError(null);
    setSaved('');
    try {
      await api.write(`sys/policies/acl/${target}`, { policy: text });
      reload(); // the token's own capabilities may have changed
      setSaved(`Saved policy ${target}.`);
      if (isNew) navigate(`/policy/${encodeURIComponent(target)}`);
    } catch (err) {
      setSaveError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="policy-h">
      <p>
        <a href={href('/policies')}>← All policies</a>
      </p>
      <h1 id="policy-h">{isNew ? 'New policy' : `Policy ${params.name}`}</h1>
      <ErrorPanel error={loadError} onRetry={load} />
      {text === null && !loadError && <Spinner />}
      {text !== null && (
        <form
          className="form"
          aria-label="Edit policy"
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          {isNew && <Field label="Name" value={name} required onChange={(e) => setName(e.target.value)} hint="Lower-case letters, digits and _ . @ + = - (names are lower-cased)" autoComplete="off" />}
          <PolicyEditor label="Policy (HCL or JSON)" value={text} onChange={setText} error={position} readOnly={FIXED.has(target)} />
          {errorMessage ? (
            <div className="error-panel" role="alert">
              <strong>{position ? `Error at line ${position.line}, column ${position.column}` : 'The policy was refused'}</strong>
              <p>{errorMessage}</p>
            </div>
          ) : (
            <ErrorPanel error={saveError} />
          )}
          <p className="status-text" role="status">
            {saved}
          </p>
          <div className="actions">
            <Guarded path={`sys/policies/acl/${target}`} need="update">
              {(g) => (
                <button type="submit" className="primary" {...g} disabled={g.disabled || busy || FIXED.has(target) || (isNew && !name.trim())} title={FIXED.has(target) ? 'the root policy cannot be changed' : g.title}>
                  {busy ? 'Saving…' : 'Save'}
                </button>
              )}
            </Guarded>
            {!isNew && (
              <Guarded path={`sys/policies/acl/${target}`} need="delete">
                {(g) => (
                  <button type="button" className="danger" {...g} disabled={g.disabled || UNDELETABLE.has(target)} title={UNDELETABLE.has(target) ? `the ${target} policy cannot be deleted` : g.title} onClick={() => setConfirm(true)}>
                    Delete
                  </button>
                )}
              </Guarded>
            )}
          </div>
        </form>
      )}
      <ConfirmDialog
        open={confirm}
        title={`Delete policy ${target}?`}
        name={target}
        onCancel={() => setConfirm(false)}
        onConfirm={async () => {
          try {
            await api.del(`sys/policies/acl/${target}`);
            setConfirm(false);
            reload();
            navigate('/policies');
          } catch (err) {
            setConfirm(false);
            setSaveError(err);
          }
        }}
      >
        <p>Tokens that carry this policy lose what it grants at once.</p>
      </ConfirmDialog>
    </section>
  );
}
