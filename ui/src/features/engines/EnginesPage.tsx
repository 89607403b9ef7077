import { useCallback, useEffect, useId, useState } from 'react';
import { Guarded } from '../../acl';
import { ConfirmDialog, ErrorPanel, Field, Form, Spinner, Table } from '../../components';
import { formatDuration } from '../../components/LoginExpiryBanner';
import { useApi } from '../../session';
import { bare, BUILT_IN, ENGINE_CHOICES, isKv2, mountPathProblem, mountRows, typeLabel, type MountRow } from './engineTypes';
import { isDuration } from '../tokens/tokenForm';

/** Enable a new secrets engine (`sys/mounts/<path>`). */
function EnableEngine({ onEnabled }: { onEnabled(path: string): void }) {
  const api = useApi();
  const typeId = useId();
  const [choice, setChoice] = useState(ENGINE_CHOICES[0]!.id);
  const [path, setPath] = useState('');
  const [description, setDescription] = useState('');
  const [defaultTtl, setDefaultTtl] = useState('');
  const [maxTtl, setMaxTtl] = useState('');
  const [maxVersions, setMaxVersions] = useState('');
  const engine = ENGINE_CHOICES.find((c) => c.id === choice)!;
  const effective = bare(path) || engine.defaultPath;

  return (
    <section aria-labelledby="enable-h" className="engines-section">
      <h2 id="enable-h">Enable a secrets engine</h2>
      <Guarded path={`sys/mounts/${effective}`} need="update">
        {(g) => (
          <Form
            label="Enable a secrets engine"
            submitLabel="Enable engine"
            submitProps={g}
            onSubmit={async () => {
              const problem = mountPathProblem(effective);
              if (problem) throw new Error(problem);
              const config: Record<string, string> = {};
              for (const [v, key, label] of [[defaultTtl, 'default_lease_ttl', 'Default lease TTL'], [maxTtl, 'max_lease_ttl', 'Max lease TTL']] as const) {
                if (!v.trim()) continue;
                if (!isDuration(v)) throw new Error(`${label} must be a duration such as 1h or 768h.`);
                config[key] = v.trim();
              }
              if (maxVersions.trim() && !/^\d+$/.test(maxVersions.trim())) throw new Error('Max versions must be a whole number (0 = the default, 10).');
              await api.write(`sys/mounts/${effective}`, { type: engine.type, description, config, ...(engine.options ? { options: engine.options } : {}) });
              if (engine.id === 'kv-v2' && maxVersions.trim()) await api.write(`${effective}/config`, { max_versions: Number(maxVersions.trim()) });
              setPath('');
              setDescription('');
              setDefaultTtl('');
              setMaxTtl('');
              setMaxVersions('');
              onEnabled(`${effective}/`);
            }}
          >
            <div className="field">
              <label htmlFor={typeId}>Engine type</label>
              <select id={typeId} value={choice} onChange={(e) => setChoice(e.target.value)}>
                {ENGINE_CHOICES.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.label}
                  </option>
                ))}
              </select>
              {engine.note && <small className="hint">{engine.note}</small>}
            </div>
            <Field label="Mount path" name="mount-path" autoComplete="off" spellCheck={false} placeholder={engine.defaultPath} value={path} onChange={(e) => setPath(e.target.value)} hint={`Empty = ${engine.defaultPath}. Secrets are then at /v1/<path>/…`} />
            <Field label="Description" name="description" autoComplete="off" value={description} onChange={(e) => setDescription(e.target.value)} />
            <div className="engines-grid">
              <Field label="Default lease TTL" name="default-ttl" autoComplete="off" placeholder="system default" value={defaultTtl} onChange={(e) => setDefaultTtl(e.target.value)} />
              <Field label="Max lease TTL" name="max-ttl" autoComplete="off" placeholder="system default" value={maxTtl} onChange={(e) => setMaxTtl(e.target.value)} />
              {engine.id === 'kv-v2' && (
                <Field label="Max versions" name="max-versions" inputMode="numeric" autoComplete="off" placeholder="10" value={maxVersions} onChange={(e) => setMaxVersions(e.target.value)} hint="Versions kept per secret." />
              )}
            </div>
          </Form>
        )}
      </Guarded>
    </section>
  );
}

/** Tune a mount: description, lease TTLs, and a KV v2 mount's max versions. Only changed fields are sent. */
function TuneEngine({ row, onDone }: { row: MountRow; onDone(): void }) {
  const api = useApi();
  const p = bare(row.path);
  const kv2 = isKv2(row);
  const [loaded, setLoaded] = useState<{ description: string; defaultTtl: string; maxTtl: string; maxVersions: string } | null>(null);
  const [form, setForm] = useState({ description: '', defaultTtl: '', maxTtl: '', maxVersions: '' });
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState('');

  useEffect(() => {
    let live = true;
    (async () => {
      const tune = (await api.read<{ description?: string; default_lease_ttl: number; max_lease_ttl: number }>(`sys/mounts/${p}/tune`)).data;
      const cfg = kv2 ? (await api.read<{ max_versions?: number }>(`${p}/config`)).data : null;
      const values = { description: tune.description ?? '', defaultTtl: `${tune.default_lease_ttl}s`, maxTtl: `${tune.max_lease_ttl}s`, maxVersions: cfg ? String(cfg.max_versions ?? 0) : '' };
      if (live) {
        setLoaded(values);
        setForm(values);
      }
    })().catch((err: unknown) => live && setError(err));
    return () => {
      live = false;
    };
  }, [api, p, kv2]);

  return (
    <section aria-labelledby="tune-h" className="engines-section">
      <h2 id="tune-h">
        Tune <code>{row.path}</code>
      </h2>
      <ErrorPanel error={error} />
      {!loaded && !error && <Spinner />}
      {loaded && (
        <Guarded path={`sys/mounts/${p}/tune`} need="update">
          {(g) => (
            <Form
              label={`Tune ${row.path}`}
              submitLabel="Save settings"
              submitProps={g}
              onSubmit={async () => {
                setSaved('');
                const body: Record<string, string> = {};
                if (form.description !== loaded.description) body.description = form.description;
                for (const [key, value, was, label] of [
                  ['default_lease_ttl', form.defaultTtl, loaded.defaultTtl, 'Default lease TTL'],
                  ['max_lease_ttl', form.maxTtl, loaded.maxTtl, 'Max lease TTL'],
                ] as const) {
                  if (value.trim() === was) continue;
                  if (!isDuration(value)) throw new Error(`${label} must be a duration such as 1h or 768h.`);
                  body[key] = value.trim();
                }
                if (kv2 && form.maxVersions.trim() !== loaded.maxVersions && !/^\d+$/.test(form.maxVersions.trim())) throw new Error('Max versions must be a whole number (0 = the default, 10).');
                if (Object.keys(body).length) await api.write(`sys/mounts/${p}/tune`, body);
                if (kv2 && form.maxVersions.trim() !== loaded.maxVersions) await api.write(`${p}/config`, { max_versions: Number(form.maxVersions.trim()) });
                setLoaded({ ...form });
                setSaved(Object.keys(body).length || (kv2 && form.maxVersions.trim() !== loaded.maxVersions) ? `Saved the settings of ${row.path}.` : 'Nothing changed.');
                onDone();
              }}
            >
              <Field label="Description" name="tune-description" autoComplete="off" value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} />
              <div className="engines-grid">
                <Field label="Default lease TTL" name="tune-default-ttl" autoComplete="off" value={form.defaultTtl} onChange={(e) => setForm({ ...form, defaultTtl: e.target.value })} hint="e.g. 1h, 768h" />
                <Field label="Max lease TTL" name="tune-max-ttl" autoComplete="off" value={form.maxTtl} onChange={(e) => setForm({ ...form, maxTtl: e.target.value })} />
                {kv2 && <Field label="Max versions" name="tune-max-versions" inputMode="numeric" autoComplete="off" value={form.maxVersions} onChange={(e) => setForm({ ...form, maxVersions: e.target.value })} hint="Versions kept per secret (0 = 10)." />}
              </div>
            </Form>
          )}
        </Guarded>
      )}
      <p className="status-text" role="status">
        {saved}
      </p>
    </section>
  );
}

/** `#/engines`: the mounted secrets engines; enable, tune and disable them. */
export function EnginesPage() {
  const api = useApi();
  const [rows, setRows] = useState<MountRow[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [tuning, setTuning] = useState<MountRow | null>(null);
  const [disabling, setDisabling] = useState<MountRow | null>(null);
  const [disableError, setDisableError] = useState<unknown>(null);
  const [message, setMessage] = useState('');

  const load = useCallback(async () => {
    try {
      setRows(mountRows((await api.read('sys/mounts')).data));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <section aria-labelledby="engines-h">
      <h1 id="engines-h">Secrets engines</h1>
      <ErrorPanel error={error} onRetry={load} />
      {!rows && !error && <Spinner />}
      {rows && (
        <Table
          caption="Mounted secrets engines"
          rows={rows}
          rowKey={(r) => r.path}
          columns={[
            { header: 'Path', cell: (r) => <code>{r.path}</code> },
            { header: 'Type', cell: (r) => typeLabel(r) },
            { header: 'Description', cell: (r) => r.description },
            {
              header: 'Lease TTL (default / max)',
              cell: (r) => `${r.config.default_lease_ttl ? formatDuration(r.config.default_lease_ttl) : 'system'} / ${r.config.max_lease_ttl ? formatDuration(r.config.max_lease_ttl) : 'system'}`,
            },
            {
              header: 'Actions',
              cell: (r) => (
                <div className="engines-actions">
                  {r.path === 'sys/' ? null : (
                    <Guarded path={`sys/mounts/${bare(r.path)}/tune`} need="update">
                      {(g) => (
                        <button type="button" {...g} aria-label={`Tune ${r.path}`} onClick={() => setTuning(r)}>
                          Tune
                        </button>
                      )}
                    </Guarded>
                  )}
                  {BUILT_IN[r.path] ? (
                    <button type="button" disabled title={BUILT_IN[r.path]} aria-label={`Disable ${r.path} (${BUILT_IN[r.path]})`}>
                      Disable
                    </button>
                  ) : (
                    <Guarded path={`sys/mounts/${bare(r.path)}`} need="delete">
                      {(g) => (
                        <button type="button" className="danger" {...g} aria-label={`Disable ${r.path}`} onClick={() => { setDisableError(null); setDisabling(r); }}>
                          Disable
                        </button>
                      )}
                    </Guarded>
                  )}
                </div>
              ),
            },
          ]}
        />
      )}
      <p className="status-text" role="status">
        {message}
      </p>
      {tuning && <TuneEngine key={tuning.path} row={tuning} onDone={() => void load()} />}
      <EnableEngine
        onEnabled={(path) => {
          setMessage(`Enabled ${path}.`);
          void load();
        }}
      />
      <ConfirmDialog
        open={disabling !== null}
        title={`Disable ${disabling?.path ?? ''}`}
        name={disabling ? bare(disabling.path) : ''}
        confirmLabel="Disable engine"
        onCancel={() => setDisabling(null)}
        onConfirm={async () => {
          if (!disabling) return;
          try {
            await api.del(`sys/mounts/${bare(disabling.path)}`);
            setMessage(`Disabled ${disabling.path}: its data is deleted.`);
            if (tuning?.path === disabling.path) setTuning(null);
            setDisabling(null);
            await load();
          } catch (err) {
            setDisableError(err);
          }
        }}
      >
        <p>
          Disabling <code>{disabling?.path}</code> deletes <strong>every secret stored in it</strong> and revokes its leases. This cannot be undone.
        </p>
        <ErrorPanel error={disableError} />
      </ConfirmDialog>
    </section>
  );
}
