import { useState } from 'react';
import { Guarded } from '../../acl';
import { Field, Form, Table } from '../../components';
import { useApi } from '../../session';
import { parsePathList } from './errors';
import './policies.css';

interface Result {
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

  const check = async () => {
    const list = parsePathList(paths);
    if (list.length === 0) throw new Error('Enter at least one path.');
    const acc = accessor.trim();
    const res = acc ? await api.write<Record<string, string[]>>('sys/capabilities-accessor', { accessor: acc, paths: list }) : await api.write<Record<string, string[]>>('sys/capabilities-self', { paths: list });
    // Vault answers each path under its own key (and `capabilities` for the single-path form).
    const data = (res?.data ?? res) as unknown as Record<string, string[]>;
    setResult({ who: acc ? `token with accessor ${acc}` : 'your token', rows: list.map((p) => ({ path: p, caps: data[p] ?? (list.length === 1 ? (data.capabilities ?? []) : []) })) });
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
          ]}
        />
      )}
    </section>
  );
}
