/**
 * One KV secret: masked view (rows / JSON / .env), edit with check-and-set and a conflict view,
 * versions (show, diff any two, delete / undelete / destroy), metadata, and deletion. KV v1
 * secrets have no versions, metadata or CAS: only view, edit and delete.
 */
import { useCallback, useEffect, useId, useState } from 'react';
import { isApiError } from '../../api/client';
import { Guarded } from '../../acl';
import { ConfirmDialog, ErrorPanel, Spinner } from '../../components';
import { navigate } from '../../router';
import { useApi } from '../../session';
import { Breadcrumb, DiffTable, kvHref, SecretDataView, SecretEditor } from './common';
import { diffMaps, rebase, type KvMap } from './diff';
import { parseEnv, serializeEnv } from './env';
import { casConflict, parentFolder, readMetadata, readSecret, secretPaths, writeSecret, type KvMount, type SecretMetadata } from './paths';

/** What a save ran into: the copy it was based on, the user's edit, and the server's newer copy. */
interface Conflict {
  base: KvMap;
  baseVersion: number;
  mine: KvMap;
  theirs: KvMap | null;
  theirsVersion: number;
}

/** The secret as loaded: what the editor starts from and the CAS value a save sends. */
interface Loaded {
  data: KvMap | null;
  version: number;
  /** Why data is null (latest version deleted/destroyed). */
  status?: string;
}

export function SecretPage({ mount, path }: { mount: KvMount; path: string }) {
  const api = useApi();
  const p = secretPaths(mount, path);
  const [meta, setMeta] = useState<SecretMetadata | null>(null);
  const [metaError, setMetaError] = useState<unknown>(null);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const [editorSeed, setEditorSeed] = useState<{ initial: KvMap; notice?: string; n: number } | null>(null);
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [message, setMessage] = useState('');
  const [confirm, setConfirm] = useState<'all' | 'v1' | null>(null);

  const load = useCallback(async () => {
    // `loaded` is kept while reloading, so the panels below stay mounted (and keep their notes).
    setError(null);
    try {
      if (mount.version === 1) {
        const r = await readSecret(api, mount, path);
        setLoaded({ data: r.data, version: 0 });
        return;
      }
      let md: SecretMetadata | null = null;
      try {
        md = await readMetadata(api, mount, path);
        setMeta(md);
        setMetaError(null);
      } catch (e) {
        // Without metadata access the secret can still be read (the versions panel says why it is missing).
        if (isApiError(e) && e.status === 404) throw e;
        setMeta(null);
        setMetaError(e);
      }
      if (md) {
        const vm = md.versions[String(md.current_version)];
        if (!vm || vm.destroyed || vm.deletion_time) {
          setLoaded({ data: null, version: md.current_version, status: vm?.destroyed ? 'destroyed' : 'deleted' });
          return;
        }
      }
      const r = await readSecret(api, mount, path);
      setLoaded({ data: r.data ?? {}, version: r.version });
    } catch (e) {
      setError(e);
    }
  }, [api, mount, path]);

  useEffect(() => {
    void load();
  }, [load]);

  const startEdit = () => {
    setEditorSeed({ initial: loaded?.data ?? {}, n: Date.now() });
    setEditing(true);
    setMessage('');
  };

  const save = async (data: KvMap) => {
    if (!loaded) return;
    try {
      const v = await writeSecret(api, mount, path, data, mount.version === 2 ? loaded.version : undefined);
      setEditing(false);
      setConflict(null);
      setMessage(mount.version === 2 ? `Saved as version ${v}.` : 'Saved.');
      await load();
    } catch (e) {
      if (!casConflict(e)) throw e;
      // Someone saved meanwhile: show what changed on both sides instead of overwriting.
      const latest = await readMetadata(api, mount, path).catch(() => null);
      let theirs: KvMap | null = null;
      let theirsVersion = latest?.current_version ?? 0;
      try {
        const r = await readSecret(api, mount, path);
        theirs = r.data ?? {};
        theirsVersion = r.version;
      } catch {
        theirs = null; // the latest is deleted/destroyed
      }
      setConflict({ base: loaded.data ?? {}, baseVersion: loaded.version, mine: data, theirs, theirsVersion });
    }
  };

  const folder = parentFolder(path);
  return (
    <section aria-labelledby="kv-secret-h">
      <Breadcrumb mount={mount.path} path={path} isSecret />
      <h1 id="kv-secret-h">
        {path} {loaded && mount.version === 2 && <span className="badge">version {loaded.version}</span>}
      </h1>
      <ErrorPanel error={error} onRetry={load} />
      {!error && !loaded && <Spinner />}
      {message && (
        <p className="kv-ok" role="status">
          {message}
        </p>
      )}
      {loaded && conflict && (
        <ConflictView
          conflict={conflict}
          onRebase={() => {
            if (!conflict.theirs) return;
            const { result, clashes } = rebase(conflict.base, conflict.mine, conflict.theirs);
            setLoaded({ data: conflict.theirs, version: conflict.theirsVersion });
            setEditorSeed({
              initial: result,
              n: Date.now(),
              notice: `Re-based on version ${conflict.theirsVersion}: your changes are applied on top of it.${clashes.length ? ` Changed on both sides (your value kept): ${clashes.join(', ')}.` : ''} Review and save again.`,
            });
            setConflict(null);
          }}
          onCancel={() => {
            setConflict(null);
            setEditing(false);
            setMessage('Your edit was discarded; showing the latest version.');
            void load();
          }}
        />
      )}
      {loaded && !conflict && editing && editorSeed && (
        <Guarded path={p.data} need="update">
          {(g) => (
            <SecretEditor
              key={editorSeed.n}
              initial={editorSeed.initial}
              saveGuard={g}
              onSave={save}
              onCancel={() => setEditing(false)}
              notice={editorSeed.notice && <p className="kv-note" role="status">{editorSeed.notice}</p>}
            />
          )}
        </Guarded>
      )}
      {loaded && !editing && !conflict && (
        <>
          {loaded.data ? (
            <SecretDataView data={loaded.data} label={`Keys of ${path}`} />
          ) : (
            <p className="kv-note">The latest version ({loaded.version}) is {loaded.status}. {loaded.status === 'deleted' ? 'Undelete it below, or save a new version.' : 'Save a new version to use this secret again.'}</p>
          )}
          <div className="actions">
            <Guarded path={p.data} need="update">
              {(g) => (
                <button type="button" className="primary" {...g} onClick={startEdit}>
                  {loaded.data ? 'Edit' : 'Write a new version'}
                </button>
              )}
            </Guarded>
            {mount.version === 2 ? (
              <>
                <Guarded path={p.data} need="delete">
                  {(g) => (
                    <button
                      type="button"
                      {...g}
                      disabled={g.disabled || !loaded.data}
                      onClick={async () => {
                        try {
                          await api.del(p.data);
                          setMessage(`Version ${loaded.version} deleted (it can be undeleted).`);
                          await load();
                        } catch (e) {
                          setError(e);
                        }
                      }}
                    >
                      Delete latest version
                    </button>
                  )}
                </Guarded>
                <Guarded path={p.metadata} need="delete">
                  {(g) => (
                    <button type="button" className="danger" {...g} onClick={() => setConfirm('all')}>
                      Delete all versions and metadata
                    </button>
                  )}
                </Guarded>
              </>
            ) : (
              <Guarded path={p.data} need="delete">
                {(g) => (
                  <button type="button" className="danger" {...g} onClick={() => setConfirm('v1')}>
                    Delete secret
                  </button>
                )}
              </Guarded>
            )}
          </div>
        </>
      )}
      <ConfirmDialog
        open={confirm !== null}
        title={confirm === 'all' ? 'Delete every version and the metadata?' : 'Delete this secret?'}
        name={path}
        confirmLabel={confirm === 'all' ? 'Delete everything' : 'Delete'}
        onCancel={() => setConfirm(null)}
        onConfirm={async () => {
          try {
            await api.del(confirm === 'all' ? p.metadata : p.data);
            setConfirm(null);
            navigate(kvHref(mount.path, 'folder', folder).slice(1));
          } catch (e) {
            setConfirm(null);
            setError(e);
          }
        }}
      >
        <p>{confirm === 'all' ? 'All versions and the metadata of this secret are removed for good. This cannot be undone.' : 'KV v1 keeps no versions: the secret is removed for good.'}</p>
      </ConfirmDialog>
      {mount.version === 2 && loaded && !editing && !conflict && (
        <>
          {meta ? (
            <>
              <VersionsPanel mount={mount} path={path} meta={meta} onChanged={load} />
              <MetadataPanel mount={mount} path={path} meta={meta} onSaved={load} />
            </>
          ) : (
            metaError !== null && <ErrorPanel error={metaError} title="Versions and metadata are unavailable" />
          )}
        </>
      )}
    </section>
  );
}

/** The check-and-set conflict: what changed on the server, what you changed, and the two ways out. */
function ConflictView({ conflict, onRebase, onCancel }: { conflict: Conflict; onRebase(): void; onCancel(): void }) {
  const { base, baseVersion, mine, theirs, theirsVersion } = conflict;
  return (
    <section className="kv-panel kv-conflict" aria-labelledby="kv-conflict-h">
      <h2 id="kv-conflict-h">Conflict: someone saved version {theirsVersion} after you loaded version {baseVersion}</h2>
      <p role="alert">Nothing was saved. Compare the versions, then re-base your edit on the latest version or discard it.</p>
      {theirs ? (
        <>
          <DiffTable caption={`Changed on the server (version ${baseVersion} → ${theirsVersion})`} changes={diffMaps(base, theirs)} fromLabel={`Loaded (v${baseVersion})`} toLabel={`Now (v${theirsVersion})`} />
          <DiffTable caption="Your edit (compared with what you loaded)" changes={diffMaps(base, mine)} fromLabel={`Loaded (v${baseVersion})`} toLabel="Your edit" />
          <DiffTable caption={`Your edit compared with the server now (v${theirsVersion})`} changes={diffMaps(theirs, mine)} fromLabel={`Now (v${theirsVersion})`} toLabel="Your edit" />
        </>
      ) : (
        <p>The latest version ({theirsVersion}) is deleted or destroyed, so there is nothing to re-base on.</p>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={onRebase} disabled={!theirs}>
          Re-base my edit on version {theirsVersion}
        </button>
        <button type="button" onClick={onCancel}>
          Discard my edit
        </button>
      </div>
    </section>
  );
}

/** `2026-11-22T12:00:00.123456Z` → `2026-11-22 12:00:00 UTC`. */
function shortTime(t: string): string {
  return t ? t.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC') : '';
}

function versionStatus(v: { deletion_time: string; destroyed: boolean }): string {
  return v.destroyed ? 'destroyed' : v.deletion_time && Date.parse(v.deletion_time) <= Date.now() ? 'deleted' : 'live';
}

/** The versions table: show one, diff two, delete / undelete / destroy the selected ones. */
function VersionsPanel({ mount, path, meta, onChanged }: { mount: KvMount; path: string; meta: SecretMetadata; onChanged(): Promise<void> }) {
  const api = useApi();
  const p = secretPaths(mount, path);
  const versions = Object.keys(meta.versions).map(Number).sort((a, b) => b - a);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState('');
  const [destroying, setDestroying] = useState(false);
  const [from, setFrom] = useState(String(versions[1] ?? versions[0] ?? ''));
  const [to, setTo] = useState(String(versions[0] ?? ''));
  const [diff, setDiff] = useState<{ from: number; to: number; a: KvMap; b: KvMap } | null>(null);
  const [viewed, setViewed] = useState<{ n: number; data: KvMap } | null>(null);
  const fromId = useId();
  const toId = useId();

  const readVersion = async (n: number): Promise<KvMap> => {
    const vm = meta.versions[String(n)];
    const st = vm ? versionStatus(vm) : 'missing';
    if (st !== 'live') throw new Error(`version ${n} is ${st}${st === 'deleted' ? ' (undelete it to read it)' : ''}`);
    return (await readSecret(api, mount, path, n)).data ?? {};
  };

  const act = async (what: 'delete' | 'undelete' | 'destroy') => {
    const list = [...selected].sort((a, b) => a - b);
    setError(null);
    try {
      await api.write(p[what], { versions: list });
      setNote(`${what === 'delete' ? 'Deleted' : what === 'undelete' ? 'Undeleted' : 'Destroyed'} version${list.length > 1 ? 's' : ''} ${list.join(', ')}.`);
      setSelected(new Set());
      await onChanged();
    } catch (e) {
      setError(e);
    }
  };

  const none = selected.size === 0;
  return (
    <section className="kv-panel" aria-labelledby="kv-versions-h">
      <h2 id="kv-versions-h">Versions</h2>
      <p className="hint">
        Current version {meta.current_version}; oldest kept {meta.oldest_version || 1}; {meta.max_versions ? `at most ${meta.max_versions} kept` : 'the mount default number kept'}.
      </p>
      <div className="table-wrap">
        <table className="kv-stack">
          <caption className="visually-hidden">Versions of {path}</caption>
          <thead>
            <tr>
              <th scope="col">Select</th>
              <th scope="col">Version</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
              <th scope="col">View</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((n) => {
              const vm = meta.versions[String(n)]!;
              const st = versionStatus(vm);
              return (
                <tr key={n}>
                  <td data-label="Select">
                    <input
                      type="checkbox"
                      aria-label={`Select version ${n}`}
                      checked={selected.has(n)}
                      onChange={(e) => {
                        const next = new Set(selected);
                        if (e.target.checked) next.add(n);
                        else next.delete(n);
                        setSelected(next);
                      }}
                    />
                  </td>
                  <td data-label="Version">{n}{n === meta.current_version ? ' (current)' : ''}</td>
                  <td data-label="Created">{shortTime(vm.created_time)}</td>
                  <td data-label="State">
                    <span className={`badge ${st === 'live' ? 'good' : 'bad'}`}>{st}</span>
                  </td>
                  <td data-label="View">
                    <button
                      type="button"
                      aria-label={`Show version ${n}`}
                      disabled={st !== 'live'}
                      onClick={async () => {
                        setError(null);
                        try {
                          setViewed({ n, data: await readVersion(n) });
                        } catch (e) {
                          setError(e);
                        }
                      }}
                    >
                      Show
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <div className="actions">
        <Guarded path={p.delete} need="update">
          {(g) => (
            <button type="button" {...g} disabled={g.disabled || none} onClick={() => void act('delete')}>
              Delete selected
            </button>
          )}
        </Guarded>
        <Guarded path={p.undelete} need="update">
          {(g) => (
            <button type="button" {...g} disabled={g.disabled || none} onClick={() => void act('undelete')}>
              Undelete selected
            </button>
          )}
        </Guarded>
        <Guarded path={p.destroy} need="update">
          {(g) => (
            <button type="button" className="danger" {...g} disabled={g.disabled || none} onClick={() => setDestroying(true)}>
              Destroy selected
            </button>
          )}
        </Guarded>
      </div>
      {note && (
        <p className="kv-ok" role="status">
          {note}
        </p>
      )}
      <ErrorPanel error={error} />
      <ConfirmDialog
        open={destroying}
        title={`Destroy version${selected.size > 1 ? 's' : ''} ${[...selected].sort((a, b) => a - b).join(', ')}?`}
        name={path}
        confirmLabel="Destroy"
        onCancel={() => setDestroying(false)}
        onConfirm={async () => {
          setDestroying(false);
          await act('destroy');
        }}
      >
        <p>The data of destroyed versions is removed for good; it cannot be undeleted.</p>
      </ConfirmDialog>
      {viewed && (
        <div className="kv-viewed">
          <h3>Version {viewed.n}</h3>
          <SecretDataView key={viewed.n} data={viewed.data} label={`Keys of version ${viewed.n}`} />
          <button type="button" onClick={() => setViewed(null)}>
            Close version {viewed.n}
          </button>
        </div>
      )}
      <h3>Compare versions</h3>
      <form
        className="kv-compare"
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          setDiff(null);
          try {
            const [a, b] = await Promise.all([readVersion(Number(from)), readVersion(Number(to))]);
            setDiff({ from: Number(from), to: Number(to), a, b });
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label htmlFor={fromId}>From version</label>
        <select id={fromId} value={from} onChange={(e) => setFrom(e.target.value)}>
          {versions.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <label htmlFor={toId}>To version</label>
        <select id={toId} value={to} onChange={(e) => setTo(e.target.value)}>
          {versions.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <button type="submit">Compare</button>
      </form>
      {diff && <DiffTable caption={`Version ${diff.from} → ${diff.to}`} changes={diffMaps(diff.a, diff.b)} fromLabel={`v${diff.from}`} toLabel={`v${diff.to}`} />}
    </section>
  );
}

/** Edits max_versions, cas_required, delete_version_after and custom_metadata. */
function MetadataPanel({ mount, path, meta, onSaved }: { mount: KvMount; path: string; meta: SecretMetadata; onSaved(): Promise<void> }) {
  const api = useApi();
  const p = secretPaths(mount, path);
  const [maxVersions, setMaxVersions] = useState(String(meta.max_versions ?? 0));
  const [casRequired, setCasRequired] = useState(!!meta.cas_required);
  const [dva, setDva] = useState(meta.delete_version_after || '0s');
  const [custom, setCustom] = useState(() => serializeEnv(Object.entries(meta.custom_metadata ?? {})));
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  return (
    <section className="kv-panel" aria-labelledby="kv-meta-h">
      <h2 id="kv-meta-h">Metadata</h2>
      <form
        className="form"
        aria-label="Secret metadata"
        onSubmit={async (e) => {
          e.preventDefault();
          const parsed = parseEnv(custom);
          const bad = parsed.errors.map((x) => `custom metadata line ${x.line}: ${x.message}`);
          if (!/^\d+$/.test(maxVersions.trim())) bad.push('max versions must be a whole number (0 = the mount default)');
          setProblems(bad);
          if (bad.length) return;
          setBusy(true);
          setError(null);
          setNote('');
          try {
            await api.write(p.metadata, { max_versions: Number(maxVersions), cas_required: casRequired, delete_version_after: dva.trim() || '0s', custom_metadata: Object.fromEntries(parsed.entries) });
            setNote('Metadata saved.');
            await onSaved();
          } catch (err) {
            setError(err);
          } finally {
            setBusy(false);
          }
        }}
      >
        <div className="field">
          <label htmlFor="kv-max-versions">Max versions</label>
          <input id="kv-max-versions" inputMode="numeric" value={maxVersions} onChange={(e) => setMaxVersions(e.target.value)} aria-describedby="kv-max-hint" />
          <small id="kv-max-hint" className="hint">0 = the mount's setting.</small>
        </div>
        <div className="field checkbox">
          <input id="kv-cas-required" type="checkbox" checked={casRequired} onChange={(e) => setCasRequired(e.target.checked)} />
          <label htmlFor="kv-cas-required">Require check-and-set on writes</label>
        </div>
        <div className="field">
          <label htmlFor="kv-dva">Delete versions after</label>
          <input id="kv-dva" value={dva} onChange={(e) => setDva(e.target.value)} aria-describedby="kv-dva-hint" autoComplete="off" />
          <small id="kv-dva-hint" className="hint">A duration such as 768h or 30m; 0s = never.</small>
        </div>
        <div className="field">
          <label htmlFor="kv-custom">Custom metadata (KEY=value per line)</label>
          <textarea id="kv-custom" rows={4} value={custom} onChange={(e) => setCustom(e.target.value)} spellCheck={false} />
        </div>
        {problems.length > 0 && (
          <div className="error-panel" role="alert">
            <strong>Fix these first</strong>
            <ul>
              {problems.map((x) => (
                <li key={x}>{x}</li>
              ))}
            </ul>
          </div>
        )}
        <ErrorPanel error={error} />
        {note && (
          <p className="kv-ok" role="status">
            {note}
          </p>
        )}
        <div className="actions">
          <Guarded path={p.metadata} need="update">
            {(g) => (
              <button type="submit" className="primary" {...g} disabled={busy || g.disabled}>
                {busy ? 'Saving…' : 'Save metadata'}
              </button>
            )}
          </Guarded>
        </div>
      </form>
    </section>
  );
}

/** A new secret in `folder`: a name, then the editor. On KV v2 it is written with cas=0 (never overwrites). */
export function NewSecretPage({ mount, folder }: { mount: KvMount; folder: string }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [checked, setChecked] = useState('');
  useEffect(() => {
    const t = setTimeout(() => setChecked(name.trim()), 300);
    return () => clearTimeout(t);
  }, [name]);
  const full = folder + checked;
  const p = secretPaths(mount, full || `${folder}(name)`);
  return (
    <section aria-labelledby="kv-new-h">
      <Breadcrumb mount={mount.path} path={folder} />
      <h1 id="kv-new-h">New secret in {mount.path}{folder}</h1>
      <Guarded path={p.data} need="create">
        {(g) => (
          <SecretEditor
            initial={{}}
            saveLabel="Create secret"
            saveGuard={!checked ? { disabled: true, title: 'enter a name first', 'aria-describedby': undefined } : g}
            onSave={async (data) => {
              const n = name.trim();
              if (!n || n.endsWith('/')) throw new Error('enter a secret name (it may contain "/" for sub-folders, but not end with one)');
              try {
                await writeSecret(api, mount, folder + n, data, mount.version === 2 ? 0 : undefined);
              } catch (e) {
                if (casConflict(e)) throw new Error(`a secret already exists at ${folder + n}: open it to edit it`);
                throw e;
              }
              navigate(kvHref(mount.path, 'secret', folder + n).slice(1));
            }}
          >
            <div className="field">
              <label htmlFor="kv-new-name">Secret name</label>
              <input id="kv-new-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" spellCheck={false} required aria-describedby="kv-new-hint" />
              <small id="kv-new-hint" className="hint">
                Created as {mount.path}
                {folder}
                {name.trim() || '…'}
              </small>
            </div>
          </SecretEditor>
        )}
      </Guarded>
    </section>
  );
}
