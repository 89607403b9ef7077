import { useState } from 'react';
import { CopyButton } from './CopyButton';

const MASK = '••••••••';

/**
 * A secret shown masked until the user reveals it; Copy works without revealing. The value is
 * not put in the DOM while masked (not even hidden), so it cannot leak through the page text.
 */
export function SecretValue({ value, label }: { value: string; label: string }) {
  const [shown, setShown] = useState(false);
  return (
    <span className="secret-value">
      <code aria-label={shown ? label : `${label} (hidden)`}>{shown ? value : MASK}</code>
      <button type="button" aria-pressed={shown} onClick={() => setShown((s) => !s)} aria-label={`${shown ? 'Hide' : 'Reveal'} ${label}`}>
        {shown ? 'Hide' : 'Reveal'}
      </button>
      <CopyButton value={value} label="Copy" />
    </span>
  );
}
