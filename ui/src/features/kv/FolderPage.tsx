/**
 * A KV folder: its sub-folders and secrets, a page at a time. Browsing uses the server's LIST
 * pagination (`limit` / `after`), so a folder of 10,000+ keys costs one small request per page.
 * Searching (substring, case-insensitive) loads the folder's full key list once and filters it
 * in the page, again showing one page at a time.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { ErrorPanel, Spinner } from '../../components';
import { useApi } from '../../session';
import { Breadcrumb, kvHref } from './common';
import { listPath, type KvMount } from './paths';

/** Keys per page. */
export const PAGE = 100;

export function FolderPage({ mount, folder }: { mount: KvMount; folder: string }) {
  const api = useApi();
  const path = listPath(mount, folder);
  // Browse: the `after` cursor of each page seen so far (page i starts after cursors[i]).
  const [cursors, setCursors] = useState<string[]>(['']);
  const [keys, setKeys] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [query, setQuery] = useState('');
  const [applied, setApplied] = useState('');
  const [all, setAll] = useState<string[] | null>(null);
  const [searchPage, setSearchPage] = useState(0);
  const allLoading = useRef(false);
  const page = cursors.length - 1;

  const loadPage = useCallback(
    async (after: string) => {
      setError(null);
      setKeys(null);
      try {
        setKeys(await api.list(path, { query: { limit: String(PAGE), ...(after ? { after } : {}) } }));
      } catch (e) {
        setError(e);
      }
    },
    [api, path],
  );

  useEffect(() => {
    void loadPage(cursors[cursors.length - 1]!);
  }, [loadPage, cursors]);

  // Debounced search; the full list is fetched once, on the first search.
  useEffect(() => {
    const t = setTimeout(() => {
      setApplied(query.trim());
      setSearchPage(0);
    }, 200);
    return () => clearTimeout(t);
  }, [query]);
  useEffect(() => {
    if (!applied || all || allLoading.current) return;
    allLoading.current = true;
    api.list(path).then(
      (k) => setAll(k),
      (e: unknown) => setError(e),
    ).finally(() => {
      allLoading.current = false;
    });
  }, [applied, all, api, path]);

  const searching = applied !== '';
  const matches = searching && all ? all.filter((k) => k.toLowerCase().includes(applied.toLowerCase())) : null;
  const shown = searching ? matches?.slice(searchPage * PAGE, (searchPage + 1) * PAGE) ?? null : keys;
  const first = searching ? searchPage * PAGE : page * PAGE;

  return (
    <section aria-labelledby="kv-folder-h">
      <Breadcrumb mount={mount.path} path={folder} />
      <h1 id="kv-folder-h">
        {mount.path}
        {folder} <span className="badge">KV v{mount.version}</span>
      </h1>
      <div className="actions">
        <a className="button-link" href={kvHref(mount.path, 'new', folder)}>
          New secret
        </a>
        <a className="button-link" href={kvHref(mount.path, 'bulk', folder)}>
          Bulk edit as .env
        </a>
      </div>
      <div className="field kv-search">
        <label htmlFor="kv-search">Search this folder</label>
        <input id="kv-search" type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="part of a name" autoComplete="off" aria-describedby="kv-search-status" />
        <small id="kv-search-status" className="hint" aria-live="polite">
          {searching ? (matches ? `${matches.length} match${matches.length === 1 ? '' : 'es'} for "${applied}"` : 'Searching…') : ''}
        </small>
      </div>
      <ErrorPanel error={error} onRetry={() => (searching ? setAll(null) : void loadPage(cursors[cursors.length - 1]!))} />
      {!error && !shown && <Spinner />}
      {shown && (
        <>
          {shown.length === 0 ? (
            <p className="empty">{searching ? 'No names match.' : page > 0 ? 'No more keys.' : 'This folder is empty.'}</p>
          ) : (
            <ul className="kv-list" aria-label={`Keys ${first + 1} to ${first + shown.length}`}>
              {shown.map((k) => (
                <li key={k}>
                  {k.endsWith('/') ? (
                    <a href={kvHref(mount.path, 'folder', folder + k)} className="kv-folder">
                      <span aria-hidden="true">📁 </span>
                      {k}
                    </a>
                  ) : (
                    <a href={kvHref(mount.path, 'secret', folder + k)} className="kv-secret">
                      <span aria-hidden="true">🔑 </span>
                      {k}
                    </a>
                  )}
                </li>
              ))}
            </ul>
          )}
          <nav className="kv-pager" aria-label="Pages">
            <button
              type="button"
              disabled={searching ? searchPage === 0 : page === 0}
              onClick={() => (searching ? setSearchPage(searchPage - 1) : setCursors(cursors.slice(0, -1)))}
            >
              Previous page
            </button>
            <span className="status-text">
              Page {(searching ? searchPage : page) + 1}
              {shown.length > 0 && ` (${first + 1}–${first + shown.length}${searching && matches ? ` of ${matches.length}` : ''})`}
            </span>
            <button
              type="button"
              disabled={searching ? !matches || (searchPage + 1) * PAGE >= matches.length : shown.length < PAGE}
              onClick={() => (searching ? setSearchPage(searchPage + 1) : setCursors([...cursors, shown[shown.length - 1]!]))}
            >
              Next page
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
