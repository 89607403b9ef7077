/**
 * Runs the real `coffer` entry point (src/cli/main.ts through tsx) as a child process, with a
 * clean environment: only what node needs plus what the test passes, so nothing leaks in
 * from the developer's shell.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(ROOT, 'src/cli/main.ts');

/** The outcome of one run. */
export interface CliRun {
  code: number | null;
  out: string;
  err: string;
}

/** Runs a node program with a clean environment plus `env`. */
export function runNode(argv: string[], opts: { env?: Record<string, string | undefined>; stdin?: string; cwd?: string } = {}): Promise<CliRun> {
  const env: Record<string, string | undefined> = {};
  for (const k of ['PATH', 'NODE_OPTIONS', 'TMPDIR', 'SYSTEMROOT']) if (process.env[k] !== undefined) env[k] = process.env[k];
  Object.assign(env, opts.env ?? {});
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: opts.cwd ?? ROOT, env: env as NodeJS.ProcessEnv });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(opts.stdin ?? '');
  });
}

/** Runs `coffer ...args`. */
export function runCoffer(args: string[], opts: { env?: Record<string, string | undefined>; stdin?: string } = {}): Promise<CliRun> {
  return runNode(['--import', 'tsx', MAIN, ...args], opts);
}
