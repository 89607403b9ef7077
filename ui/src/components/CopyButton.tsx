import { useState } from 'react';

/** Copies `value` to the clipboard without showing it; announces the result politely. */
export function CopyButton({ value, label = 'Copy' }: { value: string | (() => string); label?: string }) {
  const [status, setStatus] = useState('');
  return (
    <>
      <button
        type="button"
        onClick={async () => {
          try {
            await navigator.clipboard.writeText(typeof value === 'function' ? value() : value);
            setStatus('Copied');
          } catch {
            setStatus('Copy failed: the browser refused clipboard access');
          }
          setTimeout(() => setStatus(''), 2000);
        }}
      >
        {label}
      </button>
      <span className="status-text" aria-live="polite">
        {status}
      </span>
    </>
  );
}
