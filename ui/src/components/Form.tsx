import { useId, useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import { ErrorPanel } from './ErrorPanel';

/** A labelled input with an optional hint; extra props go to the <input> (or use `multiline`). */
export function Field({ label, hint, multiline, ...input }: { label: string; hint?: ReactNode; multiline?: boolean } & InputHTMLAttributes<HTMLInputElement> & { rows?: number }) {
  const id = useId();
  const hintId = useId();
  const common = { id, 'aria-describedby': hint ? hintId : undefined };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea {...common} {...(input as unknown as React.TextareaHTMLAttributes<HTMLTextAreaElement>)} />
      ) : (
        <input {...common} {...input} />
      )}
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/**
 * A form that runs `onSubmit` (async), disables its submit button meanwhile and shows a failure
 * in an ErrorPanel. `submitProps` can carry a <Guarded> result (disabled + reason).
 */
export function Form({ onSubmit, submitLabel, children, submitProps, label }: { onSubmit(): Promise<void> | void; submitLabel: string; children: ReactNode; submitProps?: { disabled?: boolean; title?: string; 'aria-describedby'?: string }; label?: string }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      className="form"
      aria-label={label}
      onSubmit={async (e: FormEvent) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await onSubmit();
        } catch (err) {
          setError(err);
        } finally {
          setBusy(false);
        }
      }}
    >
      {children}
      <ErrorPanel error={error} />
      <div className="actions">
        <button type="submit" className="primary" {...submitProps} disabled={busy || submitProps?.disabled}>
          {busy ? 'Working…' : submitLabel}
        </button>
      </div>
    </form>
  );
}
