/**
 * The real terminal behind the Io interface: process streams, stdin reading, and a prompt
 * that does not echo what is typed (unseal keys, tokens).
 */

import type { Io } from './context.js';
import { CliError } from './context.js';

let stdinCache: Promise<string> | undefined;

/** Read all of stdin once (later calls get the same text). */
function readAllStdin(): Promise<string> {
  stdinCache ??= new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
  return stdinCache;
}

/** Read one line from a TTY in raw mode, echoing nothing. Ctrl-C aborts with exit code 130. */
function readHiddenLine(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const finish = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish();
        if (ch === '\u0003') return finish(new CliError('Interrupted', 130));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

/**
 * `coffer ... | head -1`: once the reader has gone, writes fail with EPIPE, emitted as an
 * 'error' event that would crash with a stack trace. Nobody is left to read anything, so end
 * quietly (keeping an exit code already set), as a CLI killed by SIGPIPE would.
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw err;
  });
}

let pipesGuarded = false;

/** The Io of the running process. */
export function processIo(): Io {
  if (!pipesGuarded) {
    pipesGuarded = true;
    endQuietlyOnClosedPipe(process.stdout);
    endQuietlyOnClosedPipe(process.stderr);
  }
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    stdoutIsTTY: process.stdout.isTTY === true,
    readStdin: readAllStdin,
    async promptSecret(question) {
      if (process.stdin.isTTY) return readHiddenLine(question);
      // Piped input (scripts, tests): the first line is the answer.
      const text = await readAllStdin();
      return (text.split(/\r?\n/)[0] ?? '').trim();
    },
  };
}
