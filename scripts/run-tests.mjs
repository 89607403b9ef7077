#!/usr/bin/env node
// Runs the web UI's component tests (Vitest, ui/src/**/*.test.tsx) once, then every test file
// under test/ with node:test through tsx; fails when either fails. Node 20's --test does not
// expand globs, so the files are listed here. Extra arguments are passed to node --test
// (e.g. `npm test -- --test-name-pattern=kv`); path arguments select files: paths under ui/ go
// to Vitest, the others to node:test, and only the runners with selected files run.
import { spawnSync } from 'node:child_process';
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
  // A run must end: --test-force-exit ends a file's process once its tests are done even if a
  // failed test left a timer or socket open (otherwise the whole run waits forever), and
  // --test-timeout fails a single test that hangs instead of stalling CI (the slowest take ~1 min).
  const guards = ['--test-force-exit', '--test-timeout=600000'];
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...guards, ...flags, ...files], { stdio: 'inherit' });
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
