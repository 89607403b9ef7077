/**
 * Where the CLI finds the server and its token: environment variables first (COFFER_*, then
 * the VAULT_* names so existing scripts keep working), then the login token file.
 */

import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseGoBool } from './args.js';
import { CliError, usageError } from './context.js';

/** The address used when neither COFFER_ADDR nor VAULT_ADDR is set. */
export const DEFAULT_ADDRESS = 'http://127.0.0.1:8200';

/** The login token file name, in the home directory. */
export const TOKEN_FILE_NAME = '.coffer-token';

type Env = Record<string, string | undefined>;

function firstSet(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}

/** The server address: `COFFER_ADDR`, then `VAULT_ADDR`, then http://127.0.0.1:8200. */
export function resolveAddress(env: Env): string {
  const found = firstSet(env, ['COFFER_ADDR', 'VAULT_ADDR']);
  const address = (found?.value ?? DEFAULT_ADDRESS).trim();
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    throw usageError(`${found?.name ?? 'address'} is not a URL: expected e.g. ${DEFAULT_ADDRESS}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`${found?.name ?? 'address'} must start with http:// or https://`);
  }
  return address.replace(/\/+$/, '');
}

/** The path of the login token file for a home directory. */
export function tokenFilePath(home: string): string {
  return join(home, TOKEN_FILE_NAME);
}

/** Where the token in use came from (shown in hints, never the token itself). */
export type TokenSource = 'COFFER_TOKEN' | 'VAULT_TOKEN' | 'token file' | 'none';

/** The token to send: `COFFER_TOKEN`, then `VAULT_TOKEN`, then `~/.coffer-token`. */
export function resolveToken(env: Env, home: string): { token?: string; source: TokenSource } {
  const found = firstSet(env, ['COFFER_TOKEN', 'VAULT_TOKEN']);
  if (found) return { token: found.value.trim(), source: found.name as TokenSource };
  const fromFile = readTokenFile(home);
  if (fromFile) return { token: fromFile, source: 'token file' };
  return { source: 'none' };
}

/** Read the login token file; undefined when it does not exist or is empty. */
export function readTokenFile(home: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(tokenFilePath(home), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read ${tokenFilePath(home)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const token = text.trim();
  return token === '' ? undefined : token;
}

/**
 * Store the login token with mode 0600. The file is written beside the target and renamed
 * over it, so an existing file with looser permissions is replaced, never reused.
 */
export function writeTokenFile(home: string, token: string): string {
  const target = tokenFilePath(home);
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(tmp, token, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, target);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing was written
    }
    throw new CliError(`cannot store the token in ${target} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return target;
}

/** True when the token file can be read by group or others (worth a warning). */
export function tokenFileTooOpen(home: string): boolean {
  try {
    return (statSync(tokenFilePath(home)).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

/** TLS settings for https addresses. */
export interface TlsSettings {
  /** PEM text of the CA that signed the server certificate. */
  ca?: string;
  /** Do not verify the server certificate (development only). */
  skipVerify: boolean;
}

/** `COFFER_CACERT` / `VAULT_CACERT` (a PEM file) and `COFFER_SKIP_VERIFY` / `VAULT_SKIP_VERIFY`. */
export function resolveTls(env: Env): TlsSettings {
  const caVar = firstSet(env, ['COFFER_CACERT', 'VAULT_CACERT']);
  let ca: string | undefined;
  if (caVar) {
    try {
      ca = readFileSync(caVar.value, 'utf8');
    } catch (err) {
      throw usageError(`${caVar.name}: cannot read ${caVar.value} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  const skipVar = firstSet(env, ['COFFER_SKIP_VERIFY', 'VAULT_SKIP_VERIFY']);
  let skipVerify = false;
  if (skipVar) {
    const b = parseGoBool(skipVar.value.trim());
    if (b === undefined) throw usageError(`${skipVar.name} must be true or false`);
    skipVerify = b;
  }
  return { ca, skipVerify };
}
