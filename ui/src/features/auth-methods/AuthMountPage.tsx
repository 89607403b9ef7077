import { useCallback, useEffect, useState } from 'react';
import { Guarded } from '../../acl';
import { ErrorPanel, Field, Form, Spinner } from '../../components';
import { href } from '../../router';
import { useApi } from '../../session';
import { AppRoleRoles } from './AppRoleRoles';
import { UserpassUsers } from './UserpassUsers';
import './auth-methods.css';

interface MountView {
  type: string;
  accessor: string;
  description: string;
}

interface Tune {
  default_lease_ttl: number;
  max_lease_ttl: number;
  description?: string;
  listing_visibility?: string;
}

/** One auth method: its facts, its tune settings, and its roles (AppRole) or users (userpass). */
export function AuthMountPage({ params }: { params: Record<string, string> }) {
  const api = useApi();
  const mount = params.mount!.replace(/^\/+|\/+$/g, '');
  const [view, setView] = useState<MountView | null>(null);
  const [tune, setTune] = useState<Tune | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [form, setForm] = useState({ default_lease_ttl: '', max_lease_ttl: '', description: '', listing_visibility: '' });
  const [saved, setSaved] = useState('');

  const load = useCallback(async () => {
    setError(null);
    try {
      // sys/auth/<path> needs sudo; sys/internal/ui/mounts answers any token with access under the
      // mount, so someone who only manages the roles or users still gets their page.
      const v = await api.read<MountView>(`sys/auth/${mount}`).catch(() => api.read<MountView>(`sys/internal/ui/mounts/auth/${mount}`));
      setView(v.data);
      const t = await api.read<Tune>(`sys/auth/${mount}/tune`).catch(() => null);
      setTune(t?.data ?? null);
      if (t) {
        setForm({
          default_lease_ttl: String(t.data.default_lease_ttl ?? ''),
          max_lease_ttl: String(t.data.max_lease_ttl ?? ''),
          description: t.data.description ?? v.data.description ?? '',
          listing_visibility: t.data.listing_visibility ?? '',
        });
      }
    } catch (err) {
      setError(err);
    }
  }, [api, mount]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="mount-h">
      <p>
        <a href={href('/auth')}>← All auth methods</a>
      </p>
      <h1 id="mount-h">Auth method {mount}/</h1>
      <ErrorPanel error={error} onRetry={load} />
      {!view && !error && <Spinner />}
      {view && (
        <dl className="facts">
          <dt>Type</dt>
          <dd>{view.type}</dd>
          <dt>Accessor</dt>
          <dd>
            <code>{view.accessor}</code>
          </dd>
        </dl>
      )}
      {view?.type === 'approle' && <AppRoleRoles mount={mount} />}
      {view?.type === 'userpass' && <UserpassUsers mount={mount} />}
      {view && !tune && (
        <>
          <h2>Tune</h2>
          <p className="hint">Your token may not read this method's settings (sys/auth/{mount}/tune needs read and sudo).</p>
        </>
      )}
      {tune && (
        <>
          <h2>Tune</h2>
          <Guarded path={`sys/auth/${mount}/tune`} need={['update', 'sudo']}>
            {(g) => (
              <Form
                label="Tune the auth method"
                submitLabel="Save settings"
                submitProps={g}
                onSubmit={async () => {
                  setSaved('');
                  await api.write(`sys/auth/${mount}/tune`, {
                    default_lease_ttl: form.default_lease_ttl.trim() || '0',
                    max_lease_ttl: form.max_lease_ttl.trim() || '0',
                    description: form.description,
                    ...(form.listing_visibility ? { listing_visibility: form.listing_visibility } : {}),
                  });
                  setSaved('Settings saved.');
                  await load();
                }}
              >
                <div className="grid-2">
                  <Field label="Default lease TTL" value={form.default_lease_ttl} onChange={(e) => setForm({ ...form, default_lease_ttl: e.target.value })} hint='Seconds or a duration such as "1h"; 0 = system default' />
                  <Field label="Max lease TTL" value={form.max_lease_ttl} onChange={(e) => setForm({ ...form, max_lease_ttl: e.target.value })} hint="0 = system default" />
                </div>
                <Field label="Description" value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />
                <div className="field">
                  <label htmlFor="listing-visibility">Listing visibility</label>
                  <select className="ui-c-select" id="listing-visibility" value={form.listing_visibility} onChange={(e) => setForm({ ...form, listing_visibility: e.target.value })}>
                    <option value="">(unchanged)</option>
                    <option value="hidden">hidden</option>
                    <option value="unauth">unauth (shown on login pages)</option>
                  </select>
                </div>
              </Form>
            )}
          </Guarded>
          <p className="status-text" role="status">
            {saved}
          </p>
        </>
      )}
    </section>
  );
}
