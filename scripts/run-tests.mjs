#!/usr/bin/env node
// Runs the web UI's component tests (Vitest, ui/src/**/*.test.tsx) once, then every test file
// under test/ with node:test through tsx; fails when either fails. Node 20's --test does not
// expand globs, so the files are listed here. Extra arguments are passed to node --test
// (e.g. `npm test -- --test-name-pattern=kv`); path arguments select files: paths under ui/ go
// to Vitest, the others to node:test, and only the runners with selected files run.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...find(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const args = process.argv.slice(2);
const selected = args.filter((a) => !a.startsWith('-'));
const flags = args.filter((a) => a.startsWith('-'));
const isUi = (p) => p === 'ui' || p.startsWith('ui/') || p.startsWith('./ui/');
const uiSelected = selected.filter(isUi);
const nodeSelected = selected.filter((p) => !isUi(p));

let failed = false;
if (!selected.length || uiSelected.length) {
  // Vitest takes paths relative to its root (ui/) as filters.
  const filters = uiSelected.map((p) => p.replace(/^(\.\/)?ui\/?/, '')).filter(Boolean);
  const vitest = join('node_modules', 'vitest', 'vitest.mjs');
  const ui = spawnSync(process.execPath, [vitest, 'run', '--config', 'ui/vite.config.ts', ...filters], { stdio: 'inherit' });
  if (ui.status !== 0) failed = true;
}
if (!selected.length || nodeSelected.length) {
  const files = nodeSelected.length ? nodeSelected.flatMap((p) => (statSync(p).isDirectory() ? find(p) : [p])) : find('test');
  // A run must end. --test-timeout fails a single test that hangs (the slowest take about a
  // minute). A file whose tests are done but whose process stays alive (a failed test left a
  // timer or socket open) would still hold the run for ever, so the whole run has a deadline.
  // Not --test-force-exit: it ends a file when the tests registered so far are done, dropping
  // the suites a file registers after a top-level await (seen: pg-hosts lost two suites).
  const deadlineMin = Number(process.env.COFFER_TEST_DEADLINE_MIN ?? 75);
  // Its own process group, so a stop takes the test files' processes with it.
  const run = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=600000', ...flags, ...files], { stdio: 'inherit', detached: true });
  const deadline = setTimeout(() => {
    console.error(`\nThe node:test run did not end within ${deadlineMin} min and was stopped: a test file's process stayed alive after its tests (look for the last file that started above).`);
    process.kill(-run.pid, 'SIGKILL');
  }, deadlineMin * 60_000);
  // Ctrl-C reaches only the terminal's foreground group: pass it on.
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.kill(-run.pid, sig));
  const result = await new Promise((resolve) => run.on('exit', (status, signal) => resolve({ status: signal ? 1 : status })));
  clearTimeout(deadline);
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
