import { useState } from 'react';
import { useLoad } from '../../api/use-load';
import { Guarded } from '../../acl';
import { ConfirmDialog, ErrorPanel, Field, Form, Spinner, Table } from '../../components';
import { href } from '../../router';
import { useApi } from '../../session';
import './audit.css';

interface Device {
  path: string;
  type: string;
  description: string;
  options: Record<string, string>;
}

const EMPTY = { path: 'file', file_path: '', description: '', log_raw: false, hmac_accessor: true, elide_list_responses: false, prefix: '', mode: '', max_bytes: '', max_files: '', rotate_period: '' };

/** Lists, enables and disables audit devices (sys/audit); links to each file device's log. */
export function AuditPage() {
  const api = useApi();
  const [form, setForm] = useState(EMPTY);
  const [disabling, setDisabling] = useState<Device | null>(null);
  const [done, setDone] = useState('');

  const { data: devices, error, setError, reload: load } = useLoad<Device[]>(async () => {
    const res = await api.read<Record<string, Omit<Device, 'path'>>>('sys/audit');
    return Object.entries(res.data)
      .filter(([, v]) => v && typeof v === 'object' && 'type' in v)
      .map(([path, v]) => ({ ...v, path }))
      .sort((a, b) => a.path.localeCompare(b.path));
  }, [api]);

  const path = form.path.trim().replace(/^\/+|\/+$/g, '');
  const text = (k: keyof typeof EMPTY) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.type === 'checkbox' ? e.target.checked : e.target.value });

  return (
    <section aria-labelledby="audit-h">
      <h1 id="audit-h">Audit devices</h1>
      <ErrorPanel error={error} onRetry={load} />
      {!devices && !error && <Spinner />}
      {devices && (
        <Table
          caption="Enabled audit devices"
          rows={devices}
          rowKey={(d) => d.path}
          empty="No audit device is enabled: requests are not being recorded."
          columns={[
            { header: 'Path', cell: (d) => d.path },
            { header: 'Type', cell: (d) => d.type },
            { header: 'File', cell: (d) => <code>{d.options.file_path ?? d.options.path ?? ''}</code> },
            { header: 'Options', cell: (d) => Object.entries(d.options).filter(([k]) => k !== 'file_path' && k !== 'path').map(([k, v]) => `${k}=${v}`).join(', ') },
            {
              header: 'Actions',
              cell: (d) => (
                <span className="actions">
                  {d.type === 'file' && !['stdout', 'discard'].includes(d.options.file_path ?? '') && <a href={`${href('/audit', d.path.replace(/\/$/, ''))}/log`}>View log</a>}
                  <Guarded path={`sys/audit/${d.path.replace(/\/$/, '')}`} need={['delete', 'sudo']}>
                    {(g) => (
                      <button type="button" className="danger" {...g} aria-label={`Disable ${d.path}`} onClick={() => setDisabling(d)}>
                        Disable
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

      <h2>Enable a file audit device</h2>
      <Guarded path={`sys/audit/${path || 'file'}`} need={['update', 'sudo']}>
        {(g) => (
          <Form
            label="Enable a file audit device"
            submitLabel="Enable"
            submitProps={g}
            onSubmit={async () => {
              if (!path) throw new Error('Enter a path such as "file".');
              const options: Record<string, string> = { file_path: form.file_path.trim(), log_raw: String(form.log_raw), hmac_accessor: String(form.hmac_accessor), elide_list_responses: String(form.elide_list_responses) };
              for (const k of ['prefix', 'mode', 'max_bytes', 'max_files', 'rotate_period'] as const) if (form[k].trim()) options[k] = form[k].trim();
              await api.write(`sys/audit/${path}`, { type: 'file', description: form.description, options });
              setDone(`Enabled the file audit device at ${path}/.`);
              setForm(EMPTY);
              await load();
            }}
          >
            <div className="audit-filters">
              <Field label="Path" value={form.path} required onChange={text('path')} autoComplete="off" />
              <Field label="File path" value={form.file_path} required onChange={text('file_path')} hint='Absolute path on the server, or "stdout" / "discard"' autoComplete="off" />
              <Field label="Description" value={form.description} onChange={text('description')} />
              <Field label="Prefix" value={form.prefix} onChange={text('prefix')} hint="Written before each line" />
              <Field label="File mode" value={form.mode} onChange={text('mode')} hint="Octal, default 0600" />
              <Field label="Rotate at size (max_bytes)" value={form.max_bytes} onChange={text('max_bytes')} hint='e.g. "100MiB"; 0 disables' />
              <Field label="Rotated files kept (max_files)" value={form.max_files} onChange={text('max_files')} hint="Default 10; 0 keeps all" />
              <Field label="Rotate every (rotate_period)" value={form.rotate_period} onChange={text('rotate_period')} hint='e.g. "24h"' />
            </div>
            <div className="field checkbox">
              <input id="audit-hmac-accessor" type="checkbox" checked={form.hmac_accessor} onChange={text('hmac_accessor')} />
              <label htmlFor="audit-hmac-accessor">HMAC token accessors (hmac_accessor)</label>
            </div>
            <div className="field checkbox">
              <input id="audit-elide" type="checkbox" checked={form.elide_list_responses} onChange={text('elide_list_responses')} />
              <label htmlFor="audit-elide">Elide list responses</label>
            </div>
            <div className="field checkbox">
              <input id="audit-log-raw" type="checkbox" checked={form.log_raw} onChange={text('log_raw')} />
              <label htmlFor="audit-log-raw">Log secrets and tokens in the clear (log_raw — not recommended)</label>
            </div>
          </Form>
        )}
      </Guarded>

      <ConfirmDialog
        open={disabling !== null}
        title={`Disable audit device ${disabling?.path ?? ''}?`}
        name={disabling?.path ?? ''}
        confirmLabel="Disable"
        onCancel={() => setDisabling(null)}
        onConfirm={async () => {
          const d = disabling!;
          try {
            await api.del(`sys/audit/${d.path.replace(/\/$/, '')}`);
            setDone(`Disabled ${d.path}.`);
          } catch (err) {
            setError(err);
          }
          setDisabling(null);
          await load();
        }}
      >
        <p>Requests stop being recorded by this device (its file stays on disk).</p>
      </ConfirmDialog>
    </section>
  );
}
