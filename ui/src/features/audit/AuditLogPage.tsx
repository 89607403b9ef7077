import { useCallback, useEffect, useState } from 'react';
import { Guarded } from '../../acl';
import { CopyButton, ErrorPanel, Field, Form, Spinner, Table } from '../../components';
import { href } from '../../router';
import { useApi } from '../../session';
import { EMPTY_FILTER, filterToQuery, isHmac, type AuditEntry, type LogFilter } from './logview';
import './audit.css';

interface LogPage {
  entries: AuditEntry[];
  next_cursor: string | null;
  scanned_bytes: number;
  budget_exhausted: boolean;
}

/** A value from the log: HMAC'd values get a badge (the full value stays copyable). */
function Value({ value }: { value: unknown }) {
  if (value === undefined || value === null || value === '') return null;
  if (isHmac(value)) {
    return (
      <span className="hmac">
        <span className="badge" title="hashed by the audit device (HMAC-SHA256 with its salt)">
          HMAC
        </span>
        <code title={value}>{value.slice('hmac-sha256:'.length)}</code>
      </span>
    );
  }
  return <code>{String(value)}</code>;
}

/**
 * Reads a file audit device back (GET sys/audit-log/<device>) with filters and paging, and
 * hashes a value with the device's salt (sys/audit-hash/<device>) so it can be searched for.
 */
export function AuditLogPage({ params }: { params: Record<string, string> }) {
  const api = useApi();
  const device = params.device!.replace(/^\/+|\/+$/g, '');
  const [filter, setFilter] = useState<LogFilter>(EMPTY_FILTER);
  const [applied, setApplied] = useState<LogFilter>(EMPTY_FILTER);
  const [pages, setPages] = useState<LogPage[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);
  const [hashInput, setHashInput] = useState('');
  const [hash, setHash] = useState('');

  const fetchPage = useCallback(
    async (f: LogFilter, cursor?: string) => {
      setLoading(true);
      setError(null);
      try {
        const res = await api.read<LogPage>(`sys/audit-log/${device}`, { query: filterToQuery(f, cursor) });
        setPages((p) => (cursor ? [...p, res.data] : [res.data]));
      } catch (err) {
        setError(err);
      } finally {
        setLoading(false);
      }
    },
    [api, device],
  );
  useEffect(() => {
    void fetchPage(EMPTY_FILTER);
  }, [fetchPage]);

  const entries = pages.flatMap((p) => p.entries);
  const last = pages[pages.length - 1];
  const set = (k: keyof LogFilter) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) => setFilter({ ...filter, [k]: e.target.value });

  return (
    <section aria-labelledby="auditlog-h">
      <p>
        <a href={href('/audit')}>← Audit devices</a>
      </p>
      <h1 id="auditlog-h">Audit log of {device}/</h1>
      <Form
        label="Filter the audit log"
        submitLabel="Search"
        onSubmit={async () => {
          filterToQuery(filter); // throws on a bad date, shown by the form
          setApplied(filter);
          await fetchPage(filter);
        }}
      >
        <div className="audit-filters">
          <Field label="Since" type="datetime-local" step="1" value={filter.since} onChange={set('since')} />
          <Field label="Until" type="datetime-local" step="1" value={filter.until} onChange={set('until')} />
          <Field label="Path prefix" value={filter.path} onChange={set('path')} placeholder="secret/data/" autoComplete="off" />
          <div className="field">
            <label htmlFor="audit-op">Operation</label>
            <select className="ui-c-select" id="audit-op" value={filter.operation} onChange={set('operation')}>
              <option value="">any</option>
              {['create', 'read', 'update', 'delete', 'list', 'patch'].map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </div>
          <Field label="Accessor" value={filter.accessor} onChange={set('accessor')} hint="Plain or hmac-sha256:…" autoComplete="off" spellCheck={false} />
          <div className="field">
            <label htmlFor="audit-status">Status</label>
            <select className="ui-c-select" id="audit-status" value={filter.status} onChange={set('status')}>
              <option value="">any</option>
              <option value="error">error</option>
              <option value="ok">ok</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="audit-type">Entry type</label>
            <select className="ui-c-select" id="audit-type" value={filter.type} onChange={set('type')}>
              <option value="">request and response</option>
              <option value="request">request</option>
              <option value="response">response</option>
            </select>
          </div>
          <Field label="Per page" type="number" min={1} max={1000} value={filter.limit} onChange={set('limit')} />
        </div>
      </Form>

      <h2>Hash a value to search for it</h2>
      <Guarded path={`sys/audit-hash/${device}`} need="update">
        {(g) => (
          <Form
            label="Hash a value"
            submitLabel="Hash"
            submitProps={g}
            onSubmit={async () => {
              const res = await api.write<{ hash: string }>(`sys/audit-hash/${device}`, { input: hashInput });
              setHash((res?.data?.hash ?? (res as unknown as { hash?: string })?.hash) || '');
            }}
          >
            <Field label="Value to hash" type="password" value={hashInput} onChange={(e) => setHashInput(e.target.value)} autoComplete="off" hint="e.g. a token accessor; hashed with this device's salt, as the log writes it" />
          </Form>
        )}
      </Guarded>
      {hash && (
        <p className="actions">
          <code data-testid="audit-hash">{hash}</code>
          <CopyButton value={hash} label="Copy hash" />
          <button
            type="button"
            onClick={() => {
              const f = { ...filter, accessor: hash };
              setFilter(f);
              setApplied(f);
              void fetchPage(f);
            }}
          >
            Search by this accessor hash
          </button>
        </p>
      )}

      <h2>Entries</h2>
      <ErrorPanel error={error} onRetry={() => void fetchPage(applied)} />
      {loading && pages.length === 0 && <Spinner />}
      {pages.length > 0 && (
        <div className="audit-log">
          <Table
            caption={`Audit entries (${entries.length} shown, newest first)`}
            rows={entries}
            rowKey={(e) => `${entries.indexOf(e)}`}
            empty="No entry matches."
            columns={[
              { header: 'Time', cell: (e) => e.time },
              { header: 'Type', cell: (e) => e.type },
              { header: 'Operation', cell: (e) => e.request?.operation },
              { header: 'Path', cell: (e) => <code>{e.request?.path}</code> },
              { header: 'Accessor', cell: (e) => <Value value={e.auth?.accessor} /> },
              { header: 'Status', cell: (e) => (e.error ? <span className="badge bad">{e.error}</span> : e.type === 'response' ? <span className="badge good">ok</span> : null) },
              {
                header: 'Details',
                cell: (e) => (
                  <details>
                    <summary>JSON</summary>
                    <pre>{JSON.stringify(e, null, 2)}</pre>
                  </details>
                ),
              },
            ]}
          />
        </div>
      )}
      {last?.budget_exhausted && <p className="hint">This page stopped after reading {Math.round(last.scanned_bytes / 1048576)} MiB of log; load more to keep searching.</p>}
      {last?.next_cursor && (
        <div className="actions">
          <button type="button" disabled={loading} onClick={() => void fetchPage(applied, last.next_cursor!)}>
            {loading ? 'Loading…' : 'Load older entries'}
          </button>
        </div>
      )}
    </section>
  );
}
