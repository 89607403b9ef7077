// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { offsetOf, parsePathList, policyErrorPosition } from './errors';
import { PolicyEditor } from './PolicyEditor';

afterEach(cleanup);

describe('policy error positions', () => {
  it('reads "line N, column C:" first, then a bare "(line N)"', () => {
    expect(policyErrorPosition('failed to parse policy: line 6, column 5: path "b" (line 5): invalid capability "raed"')).toEqual({ line: 6, column: 5 });
    expect(policyErrorPosition('failed to parse policy: path "b" (line 5): oops')).toEqual({ line: 5, column: 1 });
    expect(policyErrorPosition('failed to parse policy: path "a": invalid capability "fly"')).toBeUndefined();
  });

  it('maps a position to an offset, clamped to the line and the text', () => {
    const text = 'ab\ncdef\ng';
    expect(offsetOf(text, { line: 1, column: 1 })).toBe(0);
    expect(offsetOf(text, { line: 2, column: 3 })).toBe(5);
    expect(offsetOf(text, { line: 2, column: 99 })).toBe(7);
    expect(offsetOf(text, { line: 9, column: 1 })).toBe(text.length);
  });

  it('splits a path list by lines and commas, without blanks, slashes or duplicates', () => {
    expect(parsePathList(' /secret/data/a \n\nsys/mounts, secret/data/a\n')).toEqual(['secret/data/a', 'sys/mounts']);
  });
});

describe('PolicyEditor', () => {
  it('numbers the lines, marks the error line and moves the caret there', () => {
    let value = 'path "a" {\n  capabilities = ["raed"]\n}';
    const { container } = render(<PolicyEditor label="Policy" value={value} onChange={(v) => (value = v)} error={{ line: 2, column: 3 }} />);
    const gutter = container.querySelector('.policy-gutter')!;
    expect(gutter.getAttribute('aria-hidden')).toBe('true');
    expect([...gutter.children].map((c) => c.textContent)).toEqual(['1', '2', '3']);
    expect(gutter.children[1]!.className).toBe('err');
    const area = screen.getByLabelText('Policy') as HTMLTextAreaElement;
    expect(area.getAttribute('aria-invalid')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Go to line 2, column 3' }));
    expect(document.activeElement).toBe(area);
    expect(area.selectionStart).toBe(13);
    fireEvent.change(area, { target: { value: 'x' } });
    expect(value).toBe('x');
  });
});
