/** Small pieces shared by the Key Vault pages (loading state, checkbox, sub-navigation, file saving). */
import { useCallback, useEffect, useId, useState, type InputHTMLAttributes, type ReactNode } from 'react';
import { href, Link } from '../../router';

/** Runs `load` on mount and when `deps` change; `reload()` runs it again. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload(): void } {
  const [state, setState] = useState<{ data?: T; error: unknown; loading: boolean }>({ error: null, loading: true });
  const [gen, setGen] = useState(0);
  // `load` is a fresh closure each render: `deps` say when it really changed.
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    run().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [run, gen]);
  return { data: state.data, error: state.error, loading: state.loading, reload: () => setGen((g) => g + 1) };
}

/** A labelled checkbox (label after the box). */
export function Checkbox({ label, hint, ...input }: { label: string; hint?: ReactNode } & Omit<InputHTMLAttributes<HTMLInputElement>, 'type'>) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field checkbox">
      <input id={id} type="checkbox" aria-describedby={hint ? hintId : undefined} {...input} />
      <label htmlFor={id}>{label}</label>
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/** The vault pages' sub-navigation (Secrets, Access). */
export function VaultTabs({ vault, current }: { vault: string; current: 'secrets' | 'access' }) {
  return (
    <nav className="kv-tabs" aria-label={`Vault ${vault}`}>
      <Link to="/keyvault">All vaults</Link>
      <a href={href('/keyvault', vault)} aria-current={current === 'secrets' ? 'page' : undefined}>
        Secrets
      </a>
      <a href={href('/keyvault', vault, 'access')} aria-current={current === 'access' ? 'page' : undefined}>
        Access policies &amp; roles
      </a>
    </nav>
  );
}

/** Saves bytes as a file through a Blob URL (the data is already in the page). */
export function saveFile(bytes: Uint8Array, filename: string, type = 'application/octet-stream'): void {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const url = URL.createObjectURL(new Blob([copy.buffer], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A polite status line (results of actions), announced to screen readers. */
export function Status({ text }: { text: string }) {
  return (
    <p className="status-text" role="status">
      {text}
    </p>
  );
}
