import { useId, useRef, useState } from 'react';
import { offsetOf, type ErrorPosition } from './errors';

/**
 * A plain textarea with a line-number gutter (the gutter is decoration, hidden from assistive
 * technology; the error is announced as text). Tab is left to move focus, so keyboard users
 * are never trapped; the line with a server error is marked in the gutter and a button moves the
 * caret there.
 */
export function PolicyEditor({ value, onChange, error, readOnly, label }: { value: string; onChange(v: string): void; error?: ErrorPosition; readOnly?: boolean; label: string }) {
  const id = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const [caret, setCaret] = useState({ line: 1, column: 1 });
  const lines = Math.max(1, value.split('\n').length);

  const updateCaret = () => {
    const el = area.current;
    if (!el) return;
    const before = el.value.slice(0, el.selectionStart);
    const line = before.split('\n').length;
    setCaret({ line, column: before.length - before.lastIndexOf('\n') });
  };

  return (
    <div className="policy-editor">
      <label htmlFor={id}>{label}</label>
      <div className={`policy-editor-box${error ? ' has-error' : ''}`}>
        <div className="policy-gutter" aria-hidden="true" ref={gutter}>
          {Array.from({ length: lines }, (_, i) => (
            <div key={i} className={error?.line === i + 1 ? 'err' : undefined}>
              {i + 1}
            </div>
          ))}
        </div>
        <textarea
          id={id}
          ref={area}
          value={value}
          readOnly={readOnly}
          spellCheck={false}
          autoComplete="off"
          wrap="off"
          rows={Math.min(Math.max(lines + 1, 10), 30)}
          aria-invalid={error ? true : undefined}
          onChange={(e) => onChange(e.target.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          onKeyUp={updateCaret}
          onClick={updateCaret}
          onSelect={updateCaret}
        />
      </div>
      <small className="hint" aria-live="polite">
        Line {caret.line}, column {caret.column}
      </small>
      {error && (
        <div className="actions">
          <button
            type="button"
            onClick={() => {
              const el = area.current;
              if (!el) return;
              const at = offsetOf(el.value, error);
              el.focus();
              el.setSelectionRange(at, at);
              // Bring the line into view: ~1.5em per line.
              el.scrollTop = Math.max(0, (error.line - 3) * parseFloat(getComputedStyle(el).lineHeight || '20'));
              updateCaret();
            }}
          >
            Go to line {error.line}, column {error.column}
          </button>
        </div>
      )}
    </div>
  );
}
