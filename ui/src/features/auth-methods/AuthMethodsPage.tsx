import { useId, useState } from 'react';
import { useLoad } from '../../api/use-load';
import { Guarded } from '../../acl';
import { ConfirmDialog, ErrorPanel, Field, Form, Spinner, Table } from '../../components';
import { href, Link } from '../../router';
import { useApi } from '../../session';
import { cleanMountPath } from './forms';
import './auth-methods.css';

/** One entry of sys/auth. */
export interface AuthMount {
  path: string;
  type: string;
  description: string;
  accessor: string;
  config?: Record<string, unknown>;
}

/** The auth method types offered (the server's own; "token" is always mounted). */
export const AUTH_TYPES = ['approle', 'userpass'];

/** sys/auth as a sorted list (the path keeps its trailing slash). */
export async function listAuthMounts(api: ReturnType<typeof useApi>): Promise<AuthMount[]> {
  const res = await api.read<Record<string, Omit<AuthMount, 'path'>>>('sys/auth');
  return Object.entries(res.data)
    .filter(([, v]) => v && typeof v === 'object' && 'type' in v)
    .map(([path, v]) => ({ ...v, path }))
    .sort((a, b) => a.path.localeCompare(b.path));
}

/** Lists, enables and disables auth methods (sys/auth). */
export function AuthMethodsPage() {
  const api = useApi();
  const [type, setType] = useState('approle');
  const [path, setPath] = useState('');
  const [description, setDescription] = useState('');
  const [disabling, setDisabling] = useState<AuthMount | null>(null);
  const [done, setDone] = useState('');
  const listId = useId();

  const { data: mounts, error, setError, reload: load } = useLoad<AuthMount[]>(async () => {
    return await listAuthMounts(api);
  }, [api]);

  const target = cleanMountPath(path || type) ?? '';

  return (
    <section aria-labelledby="auth-h">
      <h1 id="auth-h">Auth methods</h1>
      <ErrorPanel error={error} onRetry={load} />
      {!mounts && !error && <Spinner />}
      {mounts && (
        <Table
          caption="Enabled auth methods"
          rows={mounts}
          rowKey={(m) => m.path}
          columns={[
            { header: 'Path', cell: (m) => <a href={href('/auth', m.path.replace(/\/$/, ''))}>{m.path}</a> },
            { header: 'Type', cell: (m) => m.type },
            { header: 'Accessor', cell: (m) => <code>{m.accessor}</code> },
            { header: 'Description', cell: (m) => m.description },
            {
              header: 'Actions',
              cell: (m) =>
                m.type === 'token' ? (
                  <span className="hint">cannot be disabled</span>
                ) : (
                  <Guarded path={`sys/auth/${m.path.replace(/\/$/, '')}`} need={['delete', 'sudo']}>
                    {(g) => (
                      <button type="button" className="danger" {...g} aria-label={`Disable ${m.path}`} onClick={() => setDisabling(m)}>
                        Disable
                      </button>
                    )}
                  </Guarded>
                ),
            },
          ]}
        />
      )}
      <p className="status-text" role="status">
        {done}
      </p>
      <p>
        <Link to="/locked-users">Locked users</Link> (accounts locked after failed logins)
      </p>

      <h2>Enable an auth method</h2>
      <Guarded path={`sys/auth/${target || 'x'}`} need={['update', 'sudo']}>
        {(g) => (
          <Form
            label="Enable an auth method"
            submitLabel="Enable"
            submitProps={g}
            onSubmit={async () => {
              if (!target) throw new Error('Enter a valid path such as "approle" or "team/approle".');
              await api.write(`sys/auth/${target}`, { type: type.trim(), description });
              setDone(`Enabled ${type} at ${target}/.`);
              setPath('');
              setDescription('');
              await load();
            }}
          >
            <Field label="Type" list={listId} value={type} required onChange={(e) => setType(e.target.value)} hint={`Available: ${AUTH_TYPES.join(', ')}`} autoComplete="off" />
            <datalist id={listId}>
              {AUTH_TYPES.map((t) => (
                <option key={t} value={t} />
              ))}
            </datalist>
            <Field label="Path" value={path} placeholder={type} onChange={(e) => setPath(e.target.value)} hint="Default: the type" autoComplete="off" />
            <Field label="Description" value={description} onChange={(e) => setDescription(e.target.value)} />
          </Form>
        )}
      </Guarded>

      <ConfirmDialog
        open={disabling !== null}
        title={`Disable ${disabling?.path ?? ''}?`}
        name={disabling?.path ?? ''}
        confirmLabel="Disable"
        onCancel={() => setDisabling(null)}
        onConfirm={async () => {
          const m = disabling!;
          try {
            await api.del(`sys/auth/${m.path.replace(/\/$/, '')}`);
            setDone(`Disabled ${m.path}; the tokens it issued are revoked.`);
          } catch (err) {
            setError(err);
          }
          setDisabling(null);
          await load();
        }}
      >
        <p>Every token issued through this method is revoked and its roles or users are deleted.</p>
      </ConfirmDialog>
    </section>
  );
}
