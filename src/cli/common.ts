/**
 * Helpers shared by the command groups: the client built from the environment, the output
 * flags, flag value parsers, and the wrapper that turns an action's result into an exit code.
 */

import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CofferClient } from './client.js';
import { resolveAddress, resolveTls, resolveToken, tokenFilePath, tokenFileTooOpen, type TokenSource } from './config.js';
import type { CliContext } from './context.js';
import { usageError } from './context.js';
import type { KvSources } from './kvargs.js';
import { FORMATS, type Format, type PrintOptions } from './output.js';

/** What a command group's `register` function receives. */
export interface CommandEnv {
  ctx: CliContext;
  /** Record the exit code of the action that ran. */
  setExit(code: number): void;
}

/** Wrap an action so its returned number (default 0) becomes the process exit code. */
export function action<A extends unknown[]>(
  env: CommandEnv,
  fn: (...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const code = await fn(...args);
    env.setExit(code ?? 0);
  };
}

/** A client for the configured address, token and TLS settings. */
export function makeClient(ctx: CliContext): CofferClient & { tokenSource: TokenSource } {
  const address = resolveAddress(ctx.env);
  const { token, source } = resolveToken(ctx.env, ctx.home);
  if (source === 'token file' && tokenFileTooOpen(ctx.home)) {
    ctx.io.err(`WARNING! ${tokenFilePath(ctx.home)} can be read by other users: run "chmod 600 ${tokenFilePath(ctx.home)}".\n`);
  }
  const client = new CofferClient({ address, token, tls: resolveTls(ctx.env) });
  return Object.assign(client, { tokenSource: source });
}

/** `-format` (table|json; default from COFFER_FORMAT / VAULT_FORMAT) and, optionally, `-field`. */
export function addOutputOptions(cmd: Command, withField = true): Command {
  cmd.addOption(new Option('--format <format>', 'output format').choices(FORMATS));
  if (withField) cmd.option('--field <name>', 'print only this field, raw (no table)');
  return cmd;
}

/** The output options of a parsed command. */
export function printOptions(ctx: CliContext, opts: { format?: string; field?: string }): PrintOptions {
  let format = opts.format ?? ctx.env.COFFER_FORMAT ?? ctx.env.VAULT_FORMAT ?? 'table';
  format = format.toLowerCase();
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw usageError(`unknown output format "${format}": use table or json`);
  }
  return { format: format as Format, field: opts.field };
}

/** Commander parser for a non-negative integer flag. */
export function intArg(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('expected a whole number');
  return Number(value.trim());
}

/** Commander parser for a repeatable flag that may also hold comma-separated values. */
export function collectList(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return [...(previous ?? []), ...items];
}

/** Commander parser for a repeatable `k=v` flag (`-metadata k=v`). */
export function collectMap(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected key=value');
  return { ...(previous ?? {}), [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Commander parser for `-versions=1,2,3`. */
export function versionsArg(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0 || parts.some((p) => !/^\d+$/.test(p))) {
    throw new InvalidArgumentError('expected version numbers separated by commas, e.g. 1,2');
  }
  return parts.map(Number);
}

// A Go-style duration (`90s`, `5m`, `1h30m`, `1.5h`, `2d`) or whole seconds (`300`).
const DURATION = /^(?:\d+|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d))+)$/;

/**
 * Commander parser for `-wrap-ttl`: a duration such as `5m` or `300`. A zero duration means
 * "do not wrap", as in vault, and is returned as ''.
 */
export function wrapTtlArg(value: string): string {
  const v = value.trim();
  if (!DURATION.test(v)) throw new InvalidArgumentError('expected a duration such as 60s, 5m or 300 (seconds)');
  // Zero has no non-zero digit, whatever its unit (`0`, `0s`, `0.0h`).
  return /[1-9]/.test(v) ? v : '';
}

/** Add `-wrap-ttl`: the server answers with a single-use wrapping token instead of the response. */
export function addWrapOption(cmd: Command): Command {
  return cmd.option('--wrap-ttl <duration>', 'wrap the response: return a single-use wrapping token valid this long (e.g. 5m)', wrapTtlArg);
}

/** Where `k=@file` and `k=-` values come from. */
export function kvSources(ctx: CliContext): KvSources {
  return { readFile: (p) => readFile(p, 'utf8'), readStdin: () => ctx.io.readStdin() };
}

/** Trim slashes around a path given on the command line; a usage error when nothing is left. */
export function cleanPath(path: string, what = 'path'): string {
  const p = path.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  if (p === '') throw usageError(`${what} must not be empty`);
  return p;
}

/**
 * An unseal key share from the argument, from stdin when it is "-", or asked for without echo;
 * registered with the client as a secret, so no error message can repeat it.
 */
export async function readKeyShare(ctx: CliContext, client: CofferClient, keyArg: string | undefined): Promise<string> {
  let key = keyArg;
  if (key === '-') key = (await ctx.io.readStdin()).split(/\r?\n/)[0];
  key ??= await ctx.io.promptSecret('Unseal Key (will be hidden): ');
  key = (key ?? '').trim();
  if (key === '') throw usageError('no unseal key given');
  client.addSecret(key);
  return key;
}
