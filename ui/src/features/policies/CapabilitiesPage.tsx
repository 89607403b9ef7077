import { useState } from 'react';
import { Guarded } from '../../acl';
import { ConfirmDialog, ErrorPanel, Field, Form, SecretValue, Table } from '../../components';
import { useApi } from '../../session';
import { parsePathList } from './errors';
import './policies.css';

interface Result {
  /** True when the answer is for the current token (then the paths can be tried for real). */
  self: boolean;
  who: string;
  rows: Array<{ path: string; caps: string[] }>;
}

/**
 * "What can this token do at these paths?": sys/capabilities-self for the current token, or
 * sys/capabilities-accessor for another token by its accessor.
 */
export function CapabilitiesPage() {
  const api = useApi();
  const [paths, setPaths] = useState('secret/data/app\nsys/policies/acl');
  const [accessor, setAccessor] = useState('');
  const [result, setResult] = useState<Result | null>(null);
  const [tried, setTried] = useState<{ path: string; op: 'read' | 'delete'; data?: Record<string, unknown>; error?: unknown } | null>(null);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);

  /** Makes the real call with the current token: the server decides, the page shows what it said. */
  const attempt = async (path: string, op: 'read' | 'delete') => {
    setTried(null);
    try {
      if (op === 'read') {
        const res = await api.read<Record<string, unknown>>(path);
        // KV v2 nests the secret under data.data.
        const d = res.data && typeof res.data.data === 'object' && res.data.data !== null && 'metadata' in res.data ? (res.data.data as Record<string, unknown>) : res.data;
        setTried({ path, op, data: d ?? {} });
      } else {
        await api.del(path);
        setTried({ path, op });
      }
    } catch (error) {
      setTried({ path, op, error });
    }
  };

  const check = async () => {
    const list = parsePathList(paths);
    if (list.length === 0) throw new Error('Enter at least one path.');
    const acc = accessor.trim();
    const res = acc ? await api.write<Record<string, string[]>>('sys/capabilities-accessor', { accessor: acc, paths: list }) : await api.write<Record<string, string[]>>('sys/capabilities-self', { paths: list });
    // Vault answers each path under its own key (and `capabilities` for the single-path form).
    const data = (res?.data ?? res) as unknown as Record<string, string[]>;
    setTried(null);
    setResult({ self: !acc, who: acc ? `token with accessor ${acc}` : 'your token', rows: list.map((p) => ({ path: p, caps: data[p] ?? (list.length === 1 ? (data.capabilities ?? []) : []) })) });
  };

  return (
    <section aria-labelledby="caps-h">
      <h1 id="caps-h">What can a token do?</h1>
      <Guarded path="sys/capabilities-accessor" need="update">
        {(g) => (
          <Form label="Check capabilities" submitLabel="Check" onSubmit={check} submitProps={accessor.trim() ? g : undefined}>
            <Field label="Paths (one per line)" multiline rows={5} value={paths} onChange={(e) => setPaths(e.target.value)} hint="API paths as the calls use them, e.g. secret/data/app for a KV v2 read" spellCheck={false} />
            <Field label="Token accessor (empty: your own token)" value={accessor} onChange={(e) => setAccessor(e.target.value)} autoComplete="off" spellCheck={false} hint={g.disabled && accessor.trim() ? g.title : 'Checking another token uses sys/capabilities-accessor'} />
          </Form>
        )}
      </Guarded>
      {result && (
        <Table
          caption={`Capabilities of ${result.who}`}
          rows={result.rows}
          rowKey={(r) => r.path}
          columns={[
            { header: 'Path', cell: (r) => <code>{r.path}</code> },
            {
              header: 'Capabilities',
              cell: (r) => (
                <span className="cap-list">
                  {r.caps.map((c) => (
                    <span key={c} className={`badge ${c === 'deny' ? 'bad' : 'good'}`}>
                      {c}
                    </span>
                  ))}
                </span>
              ),
            },
            ...(result.self
              ? [
                  {
                    header: 'Try it',
                    cell: (r: { path: string }) => (
                      <span className="actions">
                        <button type="button" aria-label={`Try read of ${r.path}`} onClick={() => void attempt(r.path, 'read')}>
                          Try read
                        </button>
                        <button type="button" className="danger" aria-label={`Try delete of ${r.path}`} onClick={() => setConfirmDelete(r.path)}>
                          Try delete
                        </button>
                      </span>
                    ),
                  },
                ]
              : []),
          ]}
        />
      )}
      {tried && (
        <div aria-live="polite">
          <ErrorPanel error={tried.error} />
          {!tried.error && (
            <div className="try-result" role="status">
              <strong>
                {tried.op === 'read' ? 'Read allowed' : 'Delete done'}: {tried.path}
              </strong>
              {tried.data && (
                <dl className="facts">
                  {Object.entries(tried.data).map(([k, v]) => (
                    <div key={k} className="fact-row">
                      <dt>{k}</dt>
                      <dd>{typeof v === 'string' ? <SecretValue label={k} value={v} /> : <code>{JSON.stringify(v)}</code>}</dd>
                    </div>
                  ))}
                </dl>
              )}
            </div>
          )}
        </div>
      )}
      <ConfirmDialog
        open={confirmDelete !== null}
        title={`Really send a delete of ${confirmDelete ?? ''}?`}
        name={confirmDelete ?? ''}
        confirmLabel="Send delete"
        onCancel={() => setConfirmDelete(null)}
        onConfirm={async () => {
          const p = confirmDelete!;
          setConfirmDelete(null);
          await attempt(p, 'delete');
        }}
      >
        <p>If your token is allowed to, this really deletes what is at the path.</p>
      </ConfirmDialog>
    </section>
  );
}
