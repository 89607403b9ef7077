/**
 * What every command runs against: the process environment, the home directory and the
 * terminal. Commands never touch `process` directly, so tests can run them in-process
 * with captured output.
 */

/** The terminal a command talks to. */
export interface Io {
  /** Write to standard output (no newline is added). */
  out(text: string): void;
  /** Write to standard error (no newline is added). */
  err(text: string): void;
  /** Whether standard output is a terminal (raw `-field` output adds a newline only then). */
  stdoutIsTTY: boolean;
  /** Read all of standard input as UTF-8. */
  readStdin(): Promise<string>;
  /** Ask for a secret without echoing it; falls back to the first line of stdin when not a TTY. */
  promptSecret(question: string): Promise<string>;
}

/** Everything a command needs from its surroundings. */
export interface CliContext {
  env: Record<string, string | undefined>;
  /** The user's home directory (holds `.coffer-token`). */
  home: string;
  io: Io;
}

/** Exit codes, as the vault CLI uses them. */
export const EXIT_OK = 0;
/** An API call failed (or any runtime failure). */
export const EXIT_ERROR = 1;
/** The command line was wrong; also "no value found" and "sealed" in `status`, like vault. */
export const EXIT_USAGE = 2;

/** An error the CLI reports as one line on stderr, then exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_ERROR,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A usage error (exit code 2): the user has to change the command line. */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}
