/** The lazy-loaded KV pages: resolves the mount (and its KV version), then shows the view. */
import { useEffect, useState } from 'react';
import { ErrorPanel, Spinner } from '../../components';
import { navigate } from '../../router';
import { useApi } from '../../session';
import { kvHref } from './common';
import { loadMount, type KvMount } from './paths';
import { FolderPage } from './FolderPage';
import { SecretPage, NewSecretPage } from './SecretPage';
import { BulkPage } from './BulkPage';
import './kv.css';

/** Which KV page a route shows. */
export type KvView = 'mounts' | 'folder' | 'secret' | 'new' | 'bulk';

export default function KvApp({ view, params }: { view: KvView; params: Record<string, string> }) {
  if (view === 'mounts') return <MountsPage />;
  return <WithMount view={view} mountName={params.mount ?? ''} rest={params['*'] ?? ''} />;
}

function WithMount({ view, mountName, rest }: { view: KvView; mountName: string; rest: string }) {
  const api = useApi();
  const [mount, setMount] = useState<KvMount | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    setMount(null);
    setError(null);
    loadMount(api, mountName).then(
      (m) => live && setMount(m),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api, mountName]);
  if (error) return <ErrorPanel error={error} title={`Cannot open the mount ${mountName}/`} />;
  if (!mount) return <Spinner label="Opening mount…" />;
  const folder = rest ? rest.replace(/\/*$/, '/') : '';
  if (view === 'folder') return <FolderPage key={mount.path + folder} mount={mount} folder={folder} />;
  if (view === 'secret') return <SecretPage key={mount.path + rest} mount={mount} path={rest} />;
  if (view === 'new') return <NewSecretPage key={mount.path + folder} mount={mount} folder={folder} />;
  return <BulkPage key={mount.path + folder} mount={mount} folder={folder} />;
}

interface MountInfo {
  type: string;
  description?: string;
  options?: Record<string, string> | null;
}

/** The KV mounts the token can see (sys/mounts), and a way to open one by path otherwise. */
function MountsPage() {
  const api = useApi();
  const [mounts, setMounts] = useState<[string, MountInfo][] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [typed, setTyped] = useState('');
  useEffect(() => {
    let live = true;
    api.read<Record<string, MountInfo>>('sys/mounts').then(
      (res) => live && setMounts(Object.entries(res.data).filter(([, m]) => m && (m.type === 'kv' || m.type === 'generic')).sort(([a], [b]) => a.localeCompare(b))),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api]);
  return (
    <section aria-labelledby="kv-h">
      <h1 id="kv-h">KV secrets</h1>
      {error ? (
        <p className="hint">This token cannot list mounts (sys/mounts); open a KV mount by its path below.</p>
      ) : !mounts ? (
        <Spinner />
      ) : mounts.length === 0 ? (
        <p className="empty">No KV mounts.</p>
      ) : (
        <ul className="kv-list">
          {mounts.map(([path, m]) => (
            <li key={path}>
              <a href={kvHref(path)}>{path}</a> <span className="badge">KV v{m.options?.version === '2' ? 2 : 1}</span> {m.description && <span className="hint">{m.description}</span>}
            </li>
          ))}
        </ul>
      )}
      <form
        className="kv-open"
        onSubmit={(e) => {
          e.preventDefault();
          const name = typed.trim().replace(/^\/+|\/+$/g, '');
          if (name) navigate(kvHref(name).slice(1));
        }}
      >
        <label htmlFor="kv-open-mount">Open mount by path</label>
        <input id="kv-open-mount" value={typed} onChange={(e) => setTyped(e.target.value)} placeholder="secret" autoComplete="off" />
        <button type="submit">Open</button>
      </form>
    </section>
  );
}
