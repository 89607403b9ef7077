/** Pieces shared by the KV pages: breadcrumb, masked values, diff tables, the secret editor. */
import { useId, useState, type ReactNode } from 'react';
import { CopyButton, ErrorPanel } from '../../components';
import type { GuardProps } from '../../acl';
import { diffMaps, showValue, summarize, type KeyChange, type KvMap } from './diff';
import { parseEnv, serializeEnv, envKeyProblem } from './env';

const MASK = '••••••••';

/** Hash link to a KV page: `kvHref('secret', 'folder', 'a/b/')`. Each path segment is encoded. */
export function kvHref(mount: string, view?: 'folder' | 'secret' | 'new' | 'bulk', path = ''): string {
  const m = encodeURIComponent(mount.replace(/\/$/, ''));
  if (!view) return `#/kv/${m}`;
  const rest = path.replace(/\/+$/, '').split('/').filter(Boolean).map(encodeURIComponent).join('/');
  return `#/kv/${m}/${view}${rest ? '/' + rest : ''}`;
}

/** mount / a / b / c — each folder a link. */
export function Breadcrumb({ mount, path, isSecret }: { mount: string; path: string; isSecret?: boolean }) {
  const parts = path.replace(/\/+$/, '').split('/').filter(Boolean);
  return (
    <nav aria-label="Breadcrumb" className="kv-crumbs">
      <ol>
        <li>
          <a href="#/kv">KV</a>
        </li>
        <li>
          <a href={kvHref(mount)}>{mount.replace(/\/$/, '')}</a>
        </li>
        {parts.map((p, i) => {
          const last = i === parts.length - 1;
          const target = parts.slice(0, i + 1).join('/') + '/';
          return (
            <li key={i}>
              {last ? <span aria-current="page">{p}{isSecret ? '' : '/'}</span> : <a href={kvHref(mount, 'folder', target)}>{p}</a>}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}

/** A value shown masked or revealed by the caller's toggle (not in the DOM while masked). */
export function Masked({ value, shown }: { value: unknown; shown: boolean }) {
  if (value === undefined) return <span className="kv-none">—</span>;
  return <code className="kv-val">{shown ? showValue(value) : MASK}</code>;
}

/** A "Reveal values" toggle button. */
export function RevealToggle({ shown, onChange, what = 'values' }: { shown: boolean; onChange(v: boolean): void; what?: string }) {
  return (
    <button type="button" aria-pressed={shown} onClick={() => onChange(!shown)}>
      {shown ? `Hide ${what}` : `Reveal ${what}`}
    </button>
  );
}

/** The changes between two maps as a table (values masked unless revealed). */
export function DiffTable({ changes, caption, fromLabel, toLabel }: { changes: KeyChange[]; caption: string; fromLabel: string; toLabel: string }) {
  const [shown, setShown] = useState(false);
  return (
    <div className="kv-diff">
      <p>
        <strong>{caption}:</strong> {summarize(changes)} <RevealToggle shown={shown} onChange={setShown} />
      </p>
      {changes.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">{caption}</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Change</th>
                <th scope="col">{fromLabel}</th>
                <th scope="col">{toLabel}</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((c) => (
                <tr key={c.key} className={`kv-${c.kind}`}>
                  <th scope="row">{c.key}</th>
                  <td>{c.kind}</td>
                  <td>
                    <Masked value={c.before} shown={shown} />
                  </td>
                  <td>
                    <Masked value={c.after} shown={shown} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

/** How a secret is shown or edited. */
export type ViewMode = 'rows' | 'json' | 'env';

/** Buttons choosing the view mode. */
export function ModeSwitch({ mode, onChange, label }: { mode: ViewMode; onChange(m: ViewMode): void; label: string }) {
  const modes: [ViewMode, string][] = [['rows', 'Key/value'], ['json', 'JSON'], ['env', '.env']];
  return (
    <div role="group" aria-label={label} className="kv-modes">
      {modes.map(([m, text]) => (
        <button key={m} type="button" aria-pressed={mode === m} onClick={() => onChange(m)}>
          {text}
        </button>
      ))}
    </div>
  );
}

/** True when every value is a string (the key/value and .env modes edit strings only). */
export function allStrings(m: KvMap): boolean {
  return Object.values(m).every((v) => typeof v === 'string');
}

/** Replaces every value by the mask (for the masked JSON / .env views). */
function maskAll(m: KvMap): KvMap {
  return Object.fromEntries(Object.keys(m).map((k) => [k, MASK]));
}

/** `.env` text of a map; non-string values as JSON text (the view says so). */
export function toEnvText(m: KvMap): string {
  return serializeEnv(Object.entries(m).map(([k, v]) => [k, showValue(v)]));
}

/** Read-only view of a secret in the three modes, masked until revealed; Copy never reveals. */
export function SecretDataView({ data, label }: { data: KvMap; label: string }) {
  const [mode, setMode] = useState<ViewMode>('rows');
  const [shown, setShown] = useState(false);
  const envOk = Object.keys(data).every((k) => !envKeyProblem(k));
  const json = () => JSON.stringify(data, null, 2);
  return (
    <section className="kv-panel" aria-label={label}>
      <div className="kv-toolbar">
        <ModeSwitch mode={mode} onChange={setMode} label="Show as" />
        <RevealToggle shown={shown} onChange={setShown} what="all" />
      </div>
      {mode === 'rows' && (
        <div className="table-wrap">
          <table className="kv-stack">
            <caption className="visually-hidden">{label}</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Value</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {Object.keys(data).sort().map((k) => (
                <KeyRow key={k} name={k} value={data[k]} allShown={shown} />
              ))}
            </tbody>
          </table>
          {Object.keys(data).length === 0 && <p className="empty">This secret has no keys.</p>}
        </div>
      )}
      {mode === 'json' && (
        <>
          <pre className="kv-text" aria-label="Secret as JSON">{JSON.stringify(shown ? data : maskAll(data), null, 2)}</pre>
          <CopyButton value={json} label="Copy JSON" />
        </>
      )}
      {mode === 'env' &&
        (envOk ? (
          <>
            <pre className="kv-text" aria-label="Secret as .env">{shown ? toEnvText(data) : toEnvText(maskAll(data))}</pre>
            <CopyButton value={() => toEnvText(data)} label="Copy .env" />
            {!allStrings(data) && <p className="hint">Non-string values are shown as JSON text.</p>}
          </>
        ) : (
          <p className="hint">Some keys cannot be written as .env (whitespace, "=", "#" or quotes): use the JSON view.</p>
        ))}
    </section>
  );
}

function KeyRow({ name, value, allShown }: { name: string; value: unknown; allShown: boolean }) {
  const [shown, setShown] = useState(false);
  const visible = shown || allShown;
  return (
    <tr>
      <th scope="row">{name}</th>
      <td data-label="Value">
        <Masked value={value} shown={visible} />
      </td>
      <td className="kv-row-actions" data-label="Actions">
        <button type="button" aria-pressed={visible} aria-label={`${visible ? 'Hide' : 'Reveal'} ${name}`} onClick={() => setShown(!shown)} disabled={allShown}>
          {visible ? 'Hide' : 'Reveal'}
        </button>
        <CopyButton value={() => showValue(value)} label={`Copy ${name}`} />
      </td>
    </tr>
  );
}

/** Editor rows: key/value pairs (values are strings in this mode). */
interface Row {
  id: number;
  key: string;
  value: string;
}

let rowId = 0;
function toRows(m: KvMap): Row[] {
  return Object.entries(m).map(([key, value]) => ({ id: ++rowId, key, value: showValue(value) }));
}

/** Converts the current editor text/rows of `mode` to a map, or a list of problems. */
function readDraft(mode: ViewMode, rows: Row[], text: string): { map?: KvMap; problems: string[] } {
  if (mode === 'rows') {
    const map: KvMap = {};
    const problems: string[] = [];
    rows.forEach((r, i) => {
      if (r.key === '' && r.value === '') return;
      if (r.key === '') problems.push(`row ${i + 1}: the key is empty`);
      else if (Object.hasOwn(map, r.key)) problems.push(`row ${i + 1}: key "${r.key}" appears twice`);
      else map[r.key] = r.value;
    });
    return problems.length ? { problems } : { map, problems };
  }
  if (mode === 'json') {
    try {
      const v: unknown = JSON.parse(text);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return { problems: ['the JSON must be an object such as {"key": "value"}'] };
      return { map: v as KvMap, problems: [] };
    } catch (err) {
      return { problems: [`invalid JSON: ${(err as Error).message}`] };
    }
  }
  const { entries, errors } = parseEnv(text);
  return errors.length ? { problems: errors.map((e) => `line ${e.line}: ${e.message}`) } : { map: Object.fromEntries(entries), problems: [] };
}

/**
 * Edits a secret as key/value rows, JSON or .env text; values are masked in the rows until
 * "Reveal values". Non-string values can only be edited as JSON (the other modes would turn
 * them into strings). `onSave` gets the map; its failure shows in an ErrorPanel.
 */
export function SecretEditor(props: {
  initial: KvMap;
  onSave(data: KvMap): Promise<void>;
  onCancel?(): void;
  saveGuard?: GuardProps;
  saveLabel?: string;
  notice?: ReactNode;
  children?: ReactNode;
}) {
  const { initial, onSave, onCancel, saveGuard, saveLabel = 'Save', notice, children } = props;
  const stringsOnly = allStrings(initial);
  const [mode, setMode] = useState<ViewMode>(stringsOnly ? 'rows' : 'json');
  const [rows, setRows] = useState<Row[]>(() => (Object.keys(initial).length ? toRows(initial) : [{ id: ++rowId, key: '', value: '' }]));
  // A secret with non-string values opens in JSON mode, so its text starts as that JSON.
  const [text, setText] = useState(() => (stringsOnly ? '' : JSON.stringify(initial, null, 2)));
  const [shown, setShown] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const textId = useId();

  const switchTo = (next: ViewMode) => {
    if (next === mode) return;
    const { map, problems: p } = readDraft(mode, rows, text);
    if (!map) return setProblems(p);
    if (next !== 'json' && !allStrings(map)) return setProblems(['some values are not strings: edit this secret as JSON']);
    if (next === 'env' && Object.keys(map).some((k) => envKeyProblem(k))) return setProblems(['some keys cannot be written as .env: use JSON or key/value']);
    setProblems([]);
    if (next === 'rows') setRows(Object.keys(map).length ? toRows(map) : [{ id: ++rowId, key: '', value: '' }]);
    else setText(next === 'json' ? JSON.stringify(map, null, 2) : serializeEnv(Object.entries(map) as [string, string][]));
    setMode(next);
  };

  const save = async () => {
    const { map, problems: p } = readDraft(mode, rows, text);
    setProblems(p);
    if (!map) return;
    setBusy(true);
    setError(null);
    try {
      await onSave(map);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="kv-panel kv-editor"
      aria-label="Edit secret"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {children}
      {notice}
      <div className="kv-toolbar">
        <ModeSwitch mode={mode} onChange={switchTo} label="Edit as" />
        {mode === 'rows' && <RevealToggle shown={shown} onChange={setShown} />}
      </div>
      {!stringsOnly && mode === 'json' && <p className="hint">This secret has non-string values: it is edited as JSON.</p>}
      {mode === 'rows' ? (
        <div className="kv-rows">
          {rows.map((r, i) => (
            <div className="kv-row" key={r.id}>
              <input aria-label={`Key ${i + 1}`} value={r.key} placeholder="key" autoComplete="off" spellCheck={false} onChange={(e) => setRows(rows.map((x) => (x.id === r.id ? { ...x, key: e.target.value } : x)))} />
              <input
                aria-label={`Value ${i + 1}`}
                type={shown ? 'text' : 'password'}
                value={r.value}
                placeholder="value"
                autoComplete="new-password"
                spellCheck={false}
                onChange={(e) => setRows(rows.map((x) => (x.id === r.id ? { ...x, value: e.target.value } : x)))}
              />
              <button type="button" aria-label={`Remove row ${i + 1}`} onClick={() => setRows(rows.filter((x) => x.id !== r.id))}>
                Remove
              </button>
            </div>
          ))}
          <div className="actions">
            <button type="button" onClick={() => setRows([...rows, { id: ++rowId, key: '', value: '' }])}>
              Add row
            </button>
          </div>
        </div>
      ) : (
        <div className="field">
          <label htmlFor={textId}>{mode === 'json' ? 'Secret as JSON' : 'Secret as .env (KEY=value per line)'}</label>
          <textarea id={textId} className="kv-textarea" rows={12} value={text} spellCheck={false} autoComplete="off" onChange={(e) => setText(e.target.value)} />
        </div>
      )}
      {problems.length > 0 && (
        <div className="error-panel" role="alert">
          <strong>Fix these first</strong>
          <ul>
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <ErrorPanel error={error} />
      <div className="actions">
        <button type="submit" className="primary" {...saveGuard} disabled={busy || saveGuard?.disabled}>
          {busy ? 'Saving…' : saveLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/** The diff of two maps (re-exported for pages). */
export { diffMaps };
