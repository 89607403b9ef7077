import { useCallback, useEffect, useState } from 'react';
import { Guarded } from '../../acl';
import { ConfirmDialog, CopyButton, ErrorPanel, Field, Form, SecretValue, Spinner } from '../../components';
import { href, navigate } from '../../router';
import { useApi } from '../../session';
import { EMPTY_ROLE, formToRole, roleToForm, type RoleForm } from './forms';
import './auth-methods.css';

/** What "Generate secret ID" produced: shown once, never fetched again. */
type Generated = { kind: 'secret'; secretId: string; accessor: string; ttl: number } | { kind: 'wrapped'; token: string; ttl: number; path: string };

/** Create or edit an AppRole role; read its role-id; generate a secret-id (optionally response-wrapped); delete it. */
export function AppRoleRolePage({ params }: { params: Record<string, string> }) {
  const api = useApi();
  const mount = params.mount!.replace(/^\/+|\/+$/g, '');
  const isNew = !params.role;
  const [name, setName] = useState(params.role ?? '');
  const [form, setForm] = useState<RoleForm | null>(isNew ? EMPTY_ROLE : null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');
  const [roleId, setRoleId] = useState<string | null>(null);
  const [wrapTTL, setWrapTTL] = useState('');
  const [generated, setGenerated] = useState<Generated | null>(null);
  const [confirm, setConfirm] = useState(false);
  const role = params.role ?? name.trim();
  const base = `auth/${mount}/role/${role || 'new-role'}`;

  const load = useCallback(async () => {
    if (isNew) return;
    setError(null);
    try {
      setForm(roleToForm((await api.read<Record<string, unknown>>(`auth/${mount}/role/${params.role}`)).data));
    } catch (err) {
      setError(err);
    }
  }, [api, isNew, mount, params.role]);
  useEffect(() => {
    void load();
  }, [load]);

  const set = (k: keyof RoleForm) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setForm((f) => ({ ...f!, [k]: e.target.type === 'checkbox' ? (e.target as HTMLInputElement).checked : e.target.value }));

  return (
    <section aria-labelledby="role-h">
      <p>
        <a href={href('/auth', mount)}>← {mount}/</a>
      </p>
      <h1 id="role-h">{isNew ? 'New AppRole role' : `Role ${params.role}`}</h1>
      <ErrorPanel error={error} onRetry={isNew ? undefined : load} />
      {!form && !error && <Spinner />}
      {form && (
        <Guarded path={base} need={isNew ? 'create' : 'update'}>
          {(g) => (
            <Form
              label="Role settings"
              submitLabel={isNew ? 'Create role' : 'Save role'}
              submitProps={g}
              onSubmit={async () => {
                if (!role) throw new Error('Enter a role name.');
                setSaved('');
                await api.write(`auth/${mount}/role/${role}`, formToRole(form, !isNew));
                setSaved(`Saved role ${role}.`);
                if (isNew) navigate(`/auth/${encodeURIComponent(mount)}/role/${encodeURIComponent(role)}`);
              }}
            >
              {isNew && <Field label="Role name" value={name} required onChange={(e) => setName(e.target.value)} autoComplete="off" />}
              <Field label="Token policies" value={form.token_policies} onChange={set('token_policies')} hint="Comma-separated, e.g. app-read" />
              <div className="grid-2">
                <Field label="Token TTL" value={form.token_ttl} onChange={set('token_ttl')} hint='Seconds or "1h"; empty = mount default' />
                <Field label="Token max TTL" value={form.token_max_ttl} onChange={set('token_max_ttl')} />
                <Field label="Token uses" value={form.token_num_uses} onChange={set('token_num_uses')} hint="0 or empty = unlimited" inputMode="numeric" />
                <div className="field">
                  <label htmlFor="token-type">Token type</label>
                  <select className="ui-c-select" id="token-type" value={form.token_type} onChange={set('token_type')}>
                    <option value="">default</option>
                    <option value="service">service</option>
                    <option value="batch">batch</option>
                  </select>
                </div>
                <Field label="Secret ID TTL" value={form.secret_id_ttl} onChange={set('secret_id_ttl')} hint="Empty or 0 = never expires" />
                <Field label="Secret ID uses" value={form.secret_id_num_uses} onChange={set('secret_id_num_uses')} hint="0 or empty = unlimited" inputMode="numeric" />
              </div>
              <Field label="Secret ID bound CIDRs" value={form.secret_id_bound_cidrs} onChange={set('secret_id_bound_cidrs')} hint="Comma-separated, e.g. 10.0.0.0/8" />
              <Field label="Token bound CIDRs" value={form.token_bound_cidrs} onChange={set('token_bound_cidrs')} />
              <div className="field checkbox">
                <input id="bind-secret-id" type="checkbox" checked={form.bind_secret_id} onChange={set('bind_secret_id')} />
                <label htmlFor="bind-secret-id">Require a secret ID to log in (bind_secret_id)</label>
              </div>
            </Form>
          )}
        </Guarded>
      )}
      <p className="status-text" role="status">
        {saved}
      </p>

      {!isNew && form && (
        <>
          <h2>Role ID</h2>
          <div className="actions">
            <Guarded path={`${base}/role-id`} need="read">
              {(g) => (
                <button
                  type="button"
                  {...g}
                  onClick={async () => {
                    setError(null);
                    try {
                      setRoleId((await api.read<{ role_id: string }>(`${base}/role-id`)).data.role_id);
                    } catch (err) {
                      setError(err);
                    }
                  }}
                >
                  Read role ID
                </button>
              )}
            </Guarded>
          </div>
          {roleId && (
            <p>
              Role ID: <code data-testid="role-id">{roleId}</code> <CopyButton value={roleId} label="Copy role ID" />
            </p>
          )}

          <h2>Secret ID</h2>
          <Guarded path={`${base}/secret-id`} need="update">
            {(g) => (
              <Form
                label="Generate a secret ID"
                submitLabel="Generate secret ID"
                submitProps={g}
                onSubmit={async () => {
                  setGenerated(null);
                  const ttl = wrapTTL.trim();
                  const res = await api.write<{ secret_id: string; secret_id_accessor: string; secret_id_ttl: number }>(`${base}/secret-id`, {}, ttl ? { wrapTTL: ttl } : undefined);
                  if (ttl && res?.wrap_info) setGenerated({ kind: 'wrapped', token: res.wrap_info.token, ttl: res.wrap_info.ttl, path: res.wrap_info.creation_path });
                  else if (res?.data) setGenerated({ kind: 'secret', secretId: res.data.secret_id, accessor: res.data.secret_id_accessor, ttl: res.data.secret_id_ttl });
                }}
              >
                <Field label="Response-wrap TTL (optional)" value={wrapTTL} onChange={(e) => setWrapTTL(e.target.value)} hint='e.g. "5m": you get a single-use wrapping token to hand over instead of the secret ID' autoComplete="off" />
              </Form>
            )}
          </Guarded>
          {generated && (
            <div className="secret-once" role="region" aria-label="Generated secret ID">
              <p>
                <strong>Shown once.</strong> Copy it now: it cannot be displayed again.
              </p>
              {generated.kind === 'secret' ? (
                <>
                  <p>
                    Secret ID: <SecretValue label="secret ID" value={generated.secretId} />
                  </p>
                  <p>
                    Accessor: <code>{generated.accessor}</code> (TTL {generated.ttl ? `${generated.ttl}s` : 'none'})
                  </p>
                </>
              ) : (
                <p>
                  Wrapping token (TTL {generated.ttl}s, unwrap with sys/wrapping/unwrap): <SecretValue label="wrapping token" value={generated.token} />
                </p>
              )}
              <div className="actions">
                <button type="button" onClick={() => setGenerated(null)}>
                  Done, hide it
                </button>
              </div>
            </div>
          )}

          <h2>Delete</h2>
          <div className="actions">
            <Guarded path={base} need="delete">
              {(g) => (
                <button type="button" className="danger" {...g} onClick={() => setConfirm(true)}>
                  Delete role
                </button>
              )}
            </Guarded>
          </div>
          <ConfirmDialog
            open={confirm}
            title={`Delete role ${role}?`}
            name={role}
            onCancel={() => setConfirm(false)}
            onConfirm={async () => {
              try {
                await api.del(base);
                setConfirm(false);
                navigate(`/auth/${encodeURIComponent(mount)}`);
              } catch (err) {
                setConfirm(false);
                setError(err);
              }
            }}
          >
            <p>Its secret IDs stop working; tokens already issued stay valid until they expire.</p>
          </ConfirmDialog>
        </>
      )}
    </section>
  );
}
