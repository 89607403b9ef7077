// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { DiffTable, SecretDataView, SecretEditor } from './common';
import { diffMaps } from './diff';

afterEach(cleanup);

describe('SecretDataView', () => {
  it('keeps values out of the page in every mode until revealed; copy does not reveal', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { container } = render(<SecretDataView data={{ user: 'app', pass: 'hunter2-x' }} label="Keys" />);
    expect(container.textContent).not.toContain('hunter2-x');
    fireEvent.click(screen.getByRole('button', { name: 'Copy pass' }));
    expect(writeText).toHaveBeenCalledWith('hunter2-x');
    expect(container.textContent).not.toContain('hunter2-x');
    fireEvent.click(screen.getByRole('button', { name: 'Reveal pass' }));
    expect(container.textContent).toContain('hunter2-x');
    fireEvent.click(screen.getByRole('button', { name: 'Hide pass' }));
    for (const mode of ['JSON', '.env']) {
      fireEvent.click(screen.getByRole('button', { name: mode }));
      expect(container.textContent).not.toContain('hunter2-x');
    }
    fireEvent.click(screen.getByRole('button', { name: 'Reveal all' }));
    expect(container.textContent).toContain('pass=hunter2-x');
  });
});

describe('DiffTable', () => {
  it('names changed keys, masks values until revealed', () => {
    const { container } = render(<DiffTable caption="v1 → v2" changes={diffMaps({ a: 'old-a', b: 'x' }, { a: 'new-a', c: 'y' })} fromLabel="v1" toLabel="v2" />);
    expect(container.textContent).toContain('1 added, 1 removed, 1 changed');
    expect(container.textContent).not.toContain('old-a');
    fireEvent.click(screen.getByRole('button', { name: 'Reveal values' }));
    expect(container.textContent).toContain('old-a');
    expect(container.textContent).toContain('new-a');
  });
});

describe('SecretEditor', () => {
  it('converts between rows, JSON and .env, and saves the map', async () => {
    const onSave = vi.fn().mockResolvedValue(undefined);
    render(<SecretEditor initial={{ a: '1' }} onSave={onSave} />);
    expect((screen.getByLabelText('Value 1') as HTMLInputElement).type).toBe('password');
    fireEvent.click(screen.getByRole('button', { name: '.env' }));
    const env = screen.getByLabelText(/Secret as \.env/) as HTMLTextAreaElement;
    expect(env.value).toBe('a=1\n');
    fireEvent.change(env, { target: { value: 'a=1\nb="two words"\n' } });
    fireEvent.click(screen.getByRole('button', { name: 'JSON' }));
    const json = screen.getByLabelText('Secret as JSON') as HTMLTextAreaElement;
    expect(JSON.parse(json.value)).toEqual({ a: '1', b: 'two words' });
    fireEvent.click(screen.getByRole('button', { name: 'Key/value' }));
    expect((screen.getByLabelText('Key 2') as HTMLInputElement).value).toBe('b');
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(onSave).toHaveBeenCalledWith({ a: '1', b: 'two words' }));
  });

  it('keeps non-string values in JSON mode and refuses bad input with a reason', async () => {
    const onSave = vi.fn().mockResolvedValue(undefined);
    render(<SecretEditor initial={{ n: 5 }} onSave={onSave} />);
    expect(screen.getByText(/non-string values/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: '.env' }));
    expect(screen.getByRole('alert').textContent).toContain('some values are not strings');
    const json = screen.getByLabelText('Secret as JSON') as HTMLTextAreaElement;
    expect(JSON.parse(json.value)).toEqual({ n: 5 });
    fireEvent.change(json, { target: { value: '[1]' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('must be an object'));
    expect(onSave).not.toHaveBeenCalled();
  });

  it('flags duplicate and empty keys in rows', async () => {
    const onSave = vi.fn().mockResolvedValue(undefined);
    render(<SecretEditor initial={{ a: '1' }} onSave={onSave} />);
    fireEvent.click(screen.getByRole('button', { name: 'Add row' }));
    fireEvent.change(screen.getByLabelText('Key 2'), { target: { value: 'a' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toContain('row 2: key "a" appears twice'));
    expect(onSave).not.toHaveBeenCalled();
  });
});
