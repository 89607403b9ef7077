// The CLI's progress line (src/cli/progress.ts), used by snapshot save/restore and migrate:
// a bar, a percentage and an ETA from the average rate, on a terminal only.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startProgress } from '../../src/cli/progress.js';

function fake(isTTY: boolean) {
  let t = 1_000_000;
  const out: string[] = [];
  return { out, advance: (ms: number) => (t += ms), start: (unit: 'bytes' | 'entries') => startProgress('saving', unit, (s) => out.push(s), isTTY, () => t) };
}

describe('progress line', () => {
  it('shows a bar, the percentage and an ETA from the rate so far', () => {
    const f = fake(true);
    const p = f.start('entries');
    f.advance(10_000);
    p.update(25, 100); // a quarter in 10 s: 30 s to go
    assert.match(f.out.at(-1)!, /^\rsaving \[#{6}\.{18}\] 25% 25 entries\/100 entries ETA 30s\x1b\[K$/);
    f.advance(50_000);
    p.update(50, 100); // half in 60 s: 1 minute to go
    assert.match(f.out.at(-1)!, /50% .* ETA 1m00s/);
    f.advance(3_600_000);
    p.update(60, 100);
    assert.match(f.out.at(-1)!, /ETA 40m40s/);
    p.update(100, 100); // the end is drawn even within 100 ms of the last line
    assert.match(f.out.at(-1)!, /100% .* ETA 0s/);
    p.done();
    assert.equal(f.out.at(-1), '\n');
  });

  it('formats bytes, shows elapsed time without a total, and redraws at most every 100 ms', () => {
    const f = fake(true);
    const p = f.start('bytes');
    f.advance(2_000);
    p.update(3 * 1024 * 1024);
    assert.match(f.out.at(-1)!, /saving 3\.0 MiB in 2s/);
    const drawn = f.out.length;
    f.advance(50);
    p.update(4 * 1024 * 1024, 8 * 1024 * 1024);
    assert.equal(f.out.length, drawn, 'no redraw within 100 ms');
    f.advance(100);
    p.update(4 * 1024 * 1024, 8 * 1024 * 1024);
    assert.match(f.out.at(-1)!, /50% 4\.0 MiB\/8\.0 MiB ETA 2s/);
  });

  it('writes nothing when standard error is not a terminal', () => {
    const f = fake(false);
    const p = f.start('entries');
    f.advance(1_000);
    p.update(1, 2);
    p.update(2, 2);
    p.done();
    assert.deepEqual(f.out, []);
  });
});
