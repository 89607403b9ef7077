import { useEffect, useId, useRef, useState, type ReactNode } from 'react';

/**
 * A modal confirmation for destructive actions: the user types `name` to enable the confirm
 * button. Escape or Cancel closes it. Focus goes to the input on open and back on close.
 */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  /** What the user must type (e.g. the secret or mount path). */
  name: string;
  /** The confirm button's label (default "Delete"). */
  confirmLabel?: string;
  children?: ReactNode;
  onConfirm(): void | Promise<void>;
  onCancel(): void;
}) {
  const { open, title, name, confirmLabel = 'Delete', children, onConfirm, onCancel } = props;
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const inputId = useId();
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (!open) return;
    const previous = document.activeElement as HTMLElement | null;
    setTyped('');
    input.current?.focus();
    return () => previous?.focus?.();
  }, [open]);

  if (!open) return null;
  const matches = typed === name;
  return (
    <div className="modal-backdrop">
      <div
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {children}
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            if (!matches || busy) return;
            setBusy(true);
            try {
              await onConfirm();
            } finally {
              setBusy(false);
            }
          }}
        >
          <label htmlFor={inputId}>
            Type <code>{name}</code> to confirm
          </label>
          <input id={inputId} ref={input} value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} />
          <div className="actions">
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
            <button type="submit" className="danger" disabled={!matches || busy}>
              {confirmLabel}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
