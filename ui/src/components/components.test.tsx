// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { ApiError } from '../api/client';
import { ConfirmDialog, ErrorPanel, SecretValue } from '.';

afterEach(cleanup);

describe('SecretValue', () => {
  it('keeps the value out of the page until revealed, and copies without revealing', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const { container } = render(<SecretValue label="password" value="hunter2-s3cret" />);
    expect(container.textContent).not.toContain('hunter2-s3cret');

    fireEvent.click(screen.getByRole('button', { name: 'Copy' }));
    expect(writeText).toHaveBeenCalledWith('hunter2-s3cret');
    expect(container.textContent).not.toContain('hunter2-s3cret');
    expect(await screen.findByText('Copied')).toBeTruthy();

    const reveal = screen.getByRole('button', { name: 'Reveal password' });
    expect(reveal.getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(reveal);
    expect(container.textContent).toContain('hunter2-s3cret');
    fireEvent.click(screen.getByRole('button', { name: 'Hide password' }));
    expect(container.textContent).not.toContain('hunter2-s3cret');
  });
});

describe('ErrorPanel', () => {
  it('explains a 403 with the operation and path', () => {
    render(<ErrorPanel error={new ApiError(403, ['permission denied'], 'secret/data/app', 'write')} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('Permission denied');
    expect(alert.textContent).toContain('permission denied: write on secret/data/app was refused');
  });

  it('shows the server errors of other failures, and nothing without an error', () => {
    const { rerender, container } = render(<ErrorPanel error={new ApiError(400, ['missing "data"'], 'secret/data/x', 'write')} />);
    expect(screen.getByRole('alert').textContent).toContain('write on secret/data/x failed (400): missing "data"');
    rerender(<ErrorPanel error={null} />);
    expect(container.textContent).toBe('');
  });
});

describe('ConfirmDialog', () => {
  it('enables the confirm button only once the name is typed', () => {
    const onConfirm = vi.fn();
    const onCancel = vi.fn();
    render(<ConfirmDialog open title="Delete mount" name="secret/" onConfirm={onConfirm} onCancel={onCancel} />);
    const confirm = screen.getByRole('button', { name: 'Delete' }) as HTMLButtonElement;
    expect(confirm.disabled).toBe(true);
    const input = screen.getByLabelText(/to confirm/);
    fireEvent.change(input, { target: { value: 'secret' } });
    expect(confirm.disabled).toBe(true);
    fireEvent.change(input, { target: { value: 'secret/' } });
    expect(confirm.disabled).toBe(false);
    fireEvent.click(confirm);
    expect(onConfirm).toHaveBeenCalledTimes(1);
    fireEvent.keyDown(input, { key: 'Escape' });
    expect(onCancel).toHaveBeenCalledTimes(1);
  });
});
