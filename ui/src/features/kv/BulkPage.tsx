/**
 * Bulk edit of a folder as one `.env` text (mapping in bulk.ts and docs/ui/kv.md): load every
 * secret directly in the folder, edit, preview the per-secret diff, then write one new version
 * per changed secret, each with check-and-set on the version loaded. Results are per secret: a
 * conflict on one is reported and nothing is overwritten.
 */
import { useCallback, useEffect, useState } from 'react';
import { isApiError } from '../../api/client';
import { useCapabilities, disabledReason } from '../../acl';
import { ErrorPanel, Spinner } from '../../components';
import { useApi, useSession } from '../../session';
import { Breadcrumb, kvHref } from './common';
import { describeError } from '../../components/ErrorPanel';
import { folderToEnv, planBulk, type BulkPlan, type LoadedSecret } from './bulk';
import { summarize } from './diff';
import { casConflict, listPath, readSecret, secretPaths, writeSecret, type KvMount } from './paths';

/** Most secrets a bulk edit loads (each is one read). */
export const BULK_MAX = 500;
const CONCURRENCY = 8;

/** Runs `fn` over `items` with at most `n` at once, keeping the order of results. */
async function pool<T, R>(items: readonly T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

interface Result {
  name: string;
  outcome: 'saved' | 'conflict' | 'error';
  detail: string;
}

export function BulkPage({ mount, folder }: { mount: KvMount; folder: string }) {
  const api = useApi();
  const { info } = useSession();
  const [secrets, setSecrets] = useState<LoadedSecret[] | null>(null);
  const [unreadable, setUnreadable] = useState<{ name: string; reason: string }[]>([]);
  const [text, setText] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [plan, setPlan] = useState<BulkPlan | null>(null);
  const [results, setResults] = useState<Result[] | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    setError(null);
    setSecrets(null);
    setPlan(null);
    setResults(null);
    try {
      const names = (await api.list(listPath(mount, folder))).filter((k) => !k.endsWith('/'));
      if (names.length > BULK_MAX) throw new Error(`this folder has ${names.length} secrets; bulk edit loads at most ${BULK_MAX} (each is one read). Use a sub-folder or edit secrets one by one.`);
      const bad: { name: string; reason: string }[] = [];
      const loaded = await pool(names, CONCURRENCY, async (name) => {
        try {
          const r = await readSecret(api, mount, folder + name);
          return { name, version: r.version, data: r.data ?? {} };
        } catch (e) {
          bad.push({ name, reason: isApiError(e) && e.status === 404 ? 'its latest version is deleted or destroyed' : describeError(e, info?.policies) });
          return null;
        }
      });
      const ok = loaded.filter((s): s is LoadedSecret => s !== null);
      setUnreadable(bad);
      setSecrets(ok);
      setText(folderToEnv(ok));
    } catch (e) {
      setError(e);
    }
  }, [api, mount, folder, info]);

  useEffect(() => {
    void load();
  }, [load]);

  const writes = plan ? plan.plans.filter((p) => p.action !== 'unchanged') : [];
  const dataPaths = writes.map((w) => secretPaths(mount, folder + w.name).data);
  const { caps } = useCapabilities(dataPaths);
  const refused = writes
    .map((w, i) => ({ name: w.name, reason: disabledReason(caps[dataPaths[i]!], w.action === 'create' ? 'create' : 'update', dataPaths[i]!, info?.policies) }))
    .filter((r) => r.reason && r.reason !== 'checking permissions…');

  const save = async () => {
    if (!plan) return;
    setBusy(true);
    const out = await pool(writes, CONCURRENCY, async (w): Promise<Result> => {
      try {
        const v = await writeSecret(api, mount, folder + w.name, w.after, mount.version === 2 ? w.cas : undefined);
        return { name: w.name, outcome: 'saved', detail: mount.version === 2 ? `saved as version ${v}` : 'saved' };
      } catch (e) {
        if (casConflict(e)) return { name: w.name, outcome: 'conflict', detail: `changed on the server since version ${w.cas} was loaded — not written; reload and edit again` };
        return { name: w.name, outcome: 'error', detail: describeError(e, info?.policies) };
      }
    });
    setResults(out);
    setBusy(false);
  };

  return (
    <section aria-labelledby="kv-bulk-h">
      <Breadcrumb mount={mount.path} path={folder} />
      <h1 id="kv-bulk-h">
        Bulk edit {mount.path}
        {folder} as .env
      </h1>
      <p className="hint">
        One line per key: <code>SECRET__KEY=value</code> (the first <code>__</code> separates the secret's name from the key). Secrets in sub-folders are not included; removing all lines of a secret leaves it unchanged; a new <code>SECRET__</code> prefix creates a secret.
      </p>
      <ErrorPanel error={error} onRetry={load} />
      {!error && !secrets && <Spinner label="Loading the folder's secrets…" />}
      {secrets && (
        <>
          {unreadable.length > 0 && (
            <div className="kv-note">
              <strong>Not included (could not be read):</strong>
              <ul>
                {unreadable.map((u) => (
                  <li key={u.name}>
                    {u.name}: {u.reason}
                  </li>
                ))}
              </ul>
            </div>
          )}
          {!plan && !results && (
            <form
              className="form"
              aria-label="Bulk edit"
              onSubmit={(e) => {
                e.preventDefault();
                setPlan(planBulk(secrets, text));
              }}
            >
              <div className="field">
                <label htmlFor="kv-bulk-text">Folder as .env (values are shown: this is an editor)</label>
                <textarea id="kv-bulk-text" className="kv-textarea" rows={16} value={text} onChange={(e) => setText(e.target.value)} spellCheck={false} autoComplete="off" />
              </div>
              <div className="actions">
                <button type="submit" className="primary">
                  Preview changes
                </button>
                <a className="button-link" href={kvHref(mount.path, 'folder', folder)}>
                  Back to the folder
                </a>
              </div>
            </form>
          )}
          {plan && !results && (
            <section className="kv-panel" aria-labelledby="kv-preview-h">
              <h2 id="kv-preview-h">Preview</h2>
              {plan.errors.length > 0 && (
                <div className="error-panel" role="alert">
                  <strong>Fix these lines first</strong>
                  <ul>
                    {plan.errors.map((e) => (
                      <li key={`${e.line}:${e.message}`}>
                        line {e.line}: {e.message}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
              {plan.skipped.length > 0 && (
                <div className="kv-note">
                  <strong>Left alone (cannot be edited as .env):</strong>
                  <ul>
                    {plan.skipped.map((s) => (
                      <li key={s.name}>
                        {s.name}: {s.reason}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
              {writes.length === 0 ? (
                <p>No secret changes.</p>
              ) : (
                <ul className="kv-plan" aria-label="Secrets that change">
                  {writes.map((w) => (
                    <li key={w.name}>
                      <strong>{w.name}</strong> — {w.action === 'create' ? 'new secret' : `new version (check-and-set on version ${w.cas})`}: {summarize(w.changes)}
                      <ul>
                        {w.changes.map((c) => (
                          <li key={c.key} className={`kv-${c.kind}`}>
                            {c.kind} <code>{c.key}</code>
                          </li>
                        ))}
                      </ul>
                    </li>
                  ))}
                </ul>
              )}
              <p className="hint">{plan.plans.filter((p) => p.action === 'unchanged').length} secret(s) unchanged.</p>
              {refused.length > 0 && (
                <div className="kv-note">
                  <strong>Your token cannot write:</strong>
                  <ul>
                    {refused.map((r) => (
                      <li key={r.name}>
                        {r.name}: {r.reason}
                      </li>
                    ))}
                  </ul>
                </div>
              )}
              <div className="actions">
                <button type="button" className="primary" disabled={busy || plan.errors.length > 0 || writes.length === 0 || refused.length > 0} onClick={() => void save()}>
                  {busy ? 'Saving…' : `Save ${writes.length} secret${writes.length === 1 ? '' : 's'}`}
                </button>
                <button type="button" onClick={() => setPlan(null)}>
                  Back to editing
                </button>
              </div>
            </section>
          )}
          {results && (
            <section className="kv-panel" aria-labelledby="kv-results-h">
              <h2 id="kv-results-h">Results</h2>
              <p role="status">
                {results.filter((r) => r.outcome === 'saved').length} saved, {results.filter((r) => r.outcome === 'conflict').length} conflict(s), {results.filter((r) => r.outcome === 'error').length} error(s).
              </p>
              <ul className="kv-plan" aria-label="Result per secret">
                {results.map((r) => (
                  <li key={r.name} className={`kv-result-${r.outcome}`}>
                    <strong>{r.name}</strong>: {r.outcome === 'saved' ? '' : `${r.outcome} — `}
                    {r.detail}
                  </li>
                ))}
              </ul>
              <div className="actions">
                <button type="button" className="primary" onClick={() => void load()}>
                  Reload the folder
                </button>
                <a className="button-link" href={kvHref(mount.path, 'folder', folder)}>
                  Back to the folder
                </a>
              </div>
            </section>
          )}
        </>
      )}
    </section>
  );
}
