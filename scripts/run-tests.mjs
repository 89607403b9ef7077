#!/usr/bin/env node
// Runs every test file under test/ with node:test through tsx. Node 20's --test does not
// expand globs, so the files are listed here. Extra arguments are passed to node --test
// (e.g. `npm test -- --test-name-pattern=kv`); a path argument selects files.
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
const files = selected.length ? selected.flatMap((p) => (statSync(p).isDirectory() ? find(p) : [p])) : find('test');
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
