import { useState } from 'react';
import { useLoad } from '../../api/use-load';
import { Guarded } from '../../acl';
import { ConfirmDialog, ErrorPanel, Field, Form, Spinner, Table } from '../../components';
import { useApi } from '../../session';
import { splitList } from './forms';

/** Users of a userpass mount: list, create, reset password, delete. */
export function UserpassUsers({ mount }: { mount: string }) {
  const api = useApi();
  const [form, setForm] = useState({ username: '', password: '', policies: '', ttl: '' });
  const [reset, setReset] = useState<{ user: string; password: string } | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const [done, setDone] = useState('');

  const { data: users, error, setError, reload: load } = useLoad<string[]>(async () => {
    return (await api.list(`auth/${mount}/users`)).sort();
  }, [api, mount]);

  const user = form.username.trim().toLowerCase();
  return (
    <>
      <h2>Users</h2>
      <ErrorPanel error={error} onRetry={load} />
      {!users && !error && <Spinner />}
      {users && (
        <Table
          caption="Userpass users"
          hideCaption
          rows={users}
          rowKey={(u) => u}
          empty="No users yet."
          columns={[
            { header: 'User', cell: (u) => u },
            {
              header: 'Actions',
              cell: (u) => (
                <span className="actions">
                  <Guarded path={`auth/${mount}/users/${u}/password`} need="update">
                    {(g) => (
                      <button type="button" {...g} aria-label={`Reset password of ${u}`} onClick={() => setReset({ user: u, password: '' })}>
                        Reset password
                      </button>
                    )}
                  </Guarded>
                  <Guarded path={`auth/${mount}/users/${u}`} need="delete">
                    {(g) => (
                      <button type="button" className="danger" {...g} aria-label={`Delete user ${u}`} onClick={() => setDeleting(u)}>
                        Delete
                      </button>
                    )}
                  </Guarded>
                </span>
              ),
            },
          ]}
        />
      )}
      <p className="status-text" role="status">
        {done}
      </p>
      {reset && (
        <Form
          label={`Reset the password of ${reset.user}`}
          submitLabel="Set password"
          onSubmit={async () => {
            await api.write(`auth/${mount}/users/${reset.user}/password`, { password: reset.password });
            setDone(`Password of ${reset.user} changed.`);
            setReset(null);
          }}
        >
          <Field label={`New password for ${reset.user}`} type="password" autoComplete="new-password" required value={reset.password} onChange={(e) => setReset({ ...reset, password: e.target.value })} />
        </Form>
      )}
      <h3>Create a user</h3>
      <Guarded path={`auth/${mount}/users/${user || 'new-user'}`} need="create">
        {(g) => (
          <Form
            label="Create a user"
            submitLabel="Create user"
            submitProps={g}
            onSubmit={async () => {
              if (!user) throw new Error('Enter a username.');
              const body: Record<string, unknown> = { password: form.password, token_policies: splitList(form.policies) };
              if (form.ttl.trim()) body.token_ttl = form.ttl.trim();
              await api.write(`auth/${mount}/users/${user}`, body);
              setDone(`Created user ${user}.`);
              setForm({ username: '', password: '', policies: '', ttl: '' });
              await load();
            }}
          >
            <div className="grid-2">
              <Field label="Username" value={form.username} required onChange={(e) => setForm({ ...form, username: e.target.value })} autoComplete="off" />
              <Field label="Password" type="password" value={form.password} required autoComplete="new-password" onChange={(e) => setForm({ ...form, password: e.target.value })} />
              <Field label="Policies" value={form.policies} onChange={(e) => setForm({ ...form, policies: e.target.value })} hint="Comma-separated" />
              <Field label="Token TTL" value={form.ttl} onChange={(e) => setForm({ ...form, ttl: e.target.value })} hint='e.g. "1h"; empty = mount default' />
            </div>
          </Form>
        )}
      </Guarded>
      <ConfirmDialog
        open={deleting !== null}
        title={`Delete user ${deleting ?? ''}?`}
        name={deleting ?? ''}
        onCancel={() => setDeleting(null)}
        onConfirm={async () => {
          try {
            await api.del(`auth/${mount}/users/${deleting}`);
            setDone(`Deleted user ${deleting}.`);
          } catch (err) {
            setError(err);
          }
          setDeleting(null);
          await load();
        }}
      />
    </>
  );
}
