/**
 * A one-line progress bar with an ETA on standard error, drawn only when it is a terminal (so
 * scripts and logs get no carriage-return noise). Redrawn at most every 100 ms.
 */

/** Formats a byte count (B, KiB, MiB, GiB). */
function size(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** Formats seconds as `1h02m`, `3m04s` or `12s`. */
function duration(s: number): string {
  s = Math.max(0, Math.round(s));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** A progress line; `update` with the work done so far, `done` to finish the line. */
export interface Progress {
  update(done: number, total?: number): void;
  done(): void;
}

/**
 * Starts a progress line labelled `label`, counting `unit` ('bytes' or 'entries'). With a total,
 * it shows a bar, the percentage and an ETA from the average rate so far. `write`, `isTTY` and
 * `now` are for tests.
 */
export function startProgress(
  label: string,
  unit: 'bytes' | 'entries',
  write: (text: string) => void = (t) => process.stderr.write(t),
  isTTY = process.stderr.isTTY === true,
  now: () => number = Date.now,
): Progress {
  const started = now();
  let last = 0;
  let drawn = false;
  const fmt = (n: number) => (unit === 'bytes' ? size(n) : `${n} entries`);
  const draw = (done: number, total: number | undefined) => {
    const elapsed = (now() - started) / 1000;
    let line: string;
    if (total !== undefined && total > 0) {
      const frac = Math.min(1, done / total);
      const width = 24;
      const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
      const eta = frac > 0 ? duration((elapsed / frac) * (1 - frac)) : '?';
      line = `${label} [${bar}] ${Math.floor(frac * 100)}% ${fmt(done)}/${fmt(total)} ETA ${eta}`;
    } else {
      line = `${label} ${fmt(done)} in ${duration(elapsed)}`;
    }
    write(`\r${line}\x1b[K`);
    drawn = true;
  };
  return {
    update(done, total) {
      if (!isTTY) return;
      const t = now();
      if (t - last < 100 && !(total !== undefined && done >= total)) return;
      last = t;
      draw(done, total);
    },
    done() {
      if (isTTY && drawn) write('\n');
    },
  };
}
