import { useState } from 'react';
import { Guarded, type Capability } from '../../acl';
import { ErrorPanel, Field, Form, SecretValue } from '../../components';
import { formatDuration } from '../../components/LoginExpiryBanner';
import { useApi } from '../../session';
import { EMPTY_TOKEN_FORM, tokenCreateRequest, type TokenFormValues } from './tokenForm';

function Check({ id, label, checked, onChange }: { id: string; label: string; checked: boolean; onChange(v: boolean): void }) {
  return (
    <div className="field checkbox">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}

/** Create a token (shown once). */
function CreateToken() {
  const api = useApi();
  const [v, setV] = useState<TokenFormValues>(EMPTY_TOKEN_FORM);
  const [created, setCreated] = useState<{ token: string; accessor: string; policies: string[]; ttl: number } | null>(null);
  const set = (patch: Partial<TokenFormValues>) => setV((old) => ({ ...old, ...patch }));
  const path = v.orphan ? 'auth/token/create-orphan' : 'auth/token/create';
  // The server lets only sudo holders create periodic tokens (create-orphan itself needs just update).
  const need: Capability[] = v.period.trim() ? ['update', 'sudo'] : ['update'];

  return (
    <section aria-labelledby="create-h" className="tokens-section">
      <h2 id="create-h">Create a token</h2>
      {created && (
        <div className="token-created" role="status">
          <p>
            <strong>Token created. Copy it now: it is not shown again.</strong> Policies: {created.policies.join(', ') || 'none'}; TTL {created.ttl ? formatDuration(created.ttl) : 'none'}.
          </p>
          <p>
            Token: <SecretValue value={created.token} label="new token" />
          </p>
          <p>
            Accessor: <code data-testid="created-accessor">{created.accessor}</code> (safe to record: it can look the token up and revoke it, not use it)
          </p>
          <button type="button" onClick={() => setCreated(null)}>
            Done, hide it
          </button>
        </div>
      )}
      <Guarded path={path} need={need}>
        {(g) => (
          <Form
            label="Create a token"
            submitLabel="Create token"
            submitProps={g}
            onSubmit={async () => {
              const req = tokenCreateRequest(v);
              const res = await api.write(req.path, req.body);
              const auth = res?.auth as { client_token: string; accessor: string; policies?: string[]; lease_duration?: number } | undefined;
              if (!auth) throw new Error('The server answered without a token.');
              setCreated({ token: auth.client_token, accessor: auth.accessor, policies: auth.policies ?? [], ttl: auth.lease_duration ?? 0 });
              setV(EMPTY_TOKEN_FORM);
            }}
          >
            <Field label="Policies" name="policies" autoComplete="off" value={v.policies} onChange={(e) => set({ policies: e.target.value })} hint="Comma-separated. A child token can only get policies its creator has (root can give any)." />
            <div className="tokens-grid">
              <Field label="TTL" name="ttl" autoComplete="off" placeholder="e.g. 1h" value={v.ttl} onChange={(e) => set({ ttl: e.target.value })} hint="Lifetime before renewal; empty = the mount default." />
              <Field label="Explicit max TTL" name="explicit_max_ttl" autoComplete="off" placeholder="e.g. 24h" value={v.explicitMaxTtl} onChange={(e) => set({ explicitMaxTtl: e.target.value })} hint="A hard limit renewals cannot pass." />
              <Field label="Period" name="period" autoComplete="off" placeholder="e.g. 24h" value={v.period} onChange={(e) => set({ period: e.target.value })} hint="Periodic token: each renewal resets its TTL to this. Needs sudo." />
              <Field label="Number of uses" name="num_uses" inputMode="numeric" autoComplete="off" placeholder="0" value={v.numUses} onChange={(e) => set({ numUses: e.target.value })} hint="0 = unlimited." />
            </div>
            <Field label="Display name" name="display_name" autoComplete="off" value={v.displayName} onChange={(e) => set({ displayName: e.target.value })} />
            <Check id="tok-orphan" label="Orphan (no parent: it survives the revocation of your token)" checked={v.orphan} onChange={(orphan) => set({ orphan })} />
            <Check id="tok-nodefault" label="Without the default policy" checked={v.noDefaultPolicy} onChange={(noDefaultPolicy) => set({ noDefaultPolicy })} />
            <Check id="tok-renewable" label="Renewable" checked={v.renewable} onChange={(renewable) => set({ renewable })} />
          </Form>
        )}
      </Guarded>
    </section>
  );
}

/** Look up a token by accessor; revoke it (with its children) by accessor. */
function ByAccessor() {
  const api = useApi();
  const [accessor, setAccessor] = useState('');
  const [found, setFound] = useState<Record<string, unknown> | null>(null);
  const [done, setDone] = useState('');
  const [revokeError, setRevokeError] = useState<unknown>(null);
  return (
    <section aria-labelledby="accessor-h" className="tokens-section">
      <h2 id="accessor-h">Look up or revoke by accessor</h2>
      <p>An accessor names a token without giving its power: use it to see a token&apos;s properties or revoke it.</p>
      <Guarded path="auth/token/lookup-accessor" need="update">
        {(g) => (
          <Form
            label="Look up by accessor"
            submitLabel="Look up"
            submitProps={g}
            onSubmit={async () => {
              setDone('');
              setFound(null);
              if (!accessor.trim()) throw new Error('Enter an accessor.');
              const res = await api.write('auth/token/lookup-accessor', { accessor: accessor.trim() });
              setFound(res?.data ?? null);
            }}
          >
            <Field label="Accessor" name="accessor" autoComplete="off" spellCheck={false} value={accessor} onChange={(e) => setAccessor(e.target.value)} />
          </Form>
        )}
      </Guarded>
      {found && (
        <dl className="facts" aria-label="Token found">
          <dt>Display name</dt>
          <dd>{String(found.display_name ?? '')}</dd>
          <dt>Policies</dt>
          <dd>{Array.isArray(found.policies) ? found.policies.join(', ') : ''}</dd>
          <dt>TTL left</dt>
          <dd>{typeof found.ttl === 'number' && found.ttl > 0 ? formatDuration(found.ttl) : 'no expiry'}</dd>
          <dt>Orphan</dt>
          <dd>{found.orphan ? 'yes' : 'no'}</dd>
          <dt>Uses left</dt>
          <dd>{typeof found.num_uses === 'number' && found.num_uses > 0 ? found.num_uses : 'unlimited'}</dd>
          <dt>Created</dt>
          <dd>{String(found.issue_time ?? '')}</dd>
        </dl>
      )}
      <Guarded path="auth/token/revoke-accessor" need="update">
        {(g) => (
          <div className="actions">
            <button
              type="button"
              className="danger"
              {...g}
              onClick={async () => {
                setDone('');
                setFound(null);
                setRevokeError(null);
                try {
                  if (!accessor.trim()) throw new Error('Enter an accessor.');
                  const res = await api.write('auth/token/revoke-accessor', { accessor: accessor.trim() });
                  setDone(res?.warnings?.length ? res.warnings.join('; ') : 'Revoked: the token and every token created from it no longer work.');
                } catch (err) {
                  setRevokeError(err);
                }
              }}
            >
              Revoke token and its children
            </button>
          </div>
        )}
      </Guarded>
      <ErrorPanel error={revokeError} title="Revocation failed" />
      <p className="status-text" role="status">
        {done}
      </p>
    </section>
  );
}

/** Revoke a token but keep its children (they become orphans): needs the token itself and sudo. */
function RevokeOrphan() {
  const api = useApi();
  const [token, setToken] = useState('');
  const [done, setDone] = useState('');
  return (
    <section aria-labelledby="orphan-h" className="tokens-section">
      <h2 id="orphan-h">Revoke a token but keep its children</h2>
      <p>
        Revoking by accessor also revokes every token created from it. To keep those working (they become orphans), the server needs the token itself, not its accessor (
        <code>auth/token/revoke-orphan</code>, a sudo path).
      </p>
      <Guarded path="auth/token/revoke-orphan" need={['update', 'sudo']}>
        {(g) => (
          <Form
            label="Revoke and orphan children"
            submitLabel="Revoke, orphan its children"
            submitProps={g}
            onSubmit={async () => {
              setDone('');
              if (!token.trim()) throw new Error('Enter the token to revoke.');
              await api.write('auth/token/revoke-orphan', { token: token.trim() });
              setToken('');
              setDone('Revoked; its child tokens still work, as orphans.');
            }}
          >
            <Field label="Token to revoke" type="password" name="orphan-token" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} />
          </Form>
        )}
      </Guarded>
      <p className="status-text" role="status">
        {done}
      </p>
    </section>
  );
}

/** `#/tokens`: create tokens, look them up and revoke them by accessor. */
export function TokensPage() {
  return (
    <section aria-labelledby="tokens-h">
      <h1 id="tokens-h">Tokens</h1>
      <CreateToken />
      <ByAccessor />
      <RevokeOrphan />
    </section>
  );
}
