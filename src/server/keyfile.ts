/**
 * Static seal key files: 32 random bytes stored hex-encoded in a file of mode 0600.
 * The key never comes from an environment variable (it would leak into process listings
 * and child processes).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from './config.js';

/** Reads a static seal key; refuses files that others can read. */
export function readKeyFile(file: string): Buffer {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new ConfigError(`seal key file ${file} does not exist (create one with: (umask 077; openssl rand -hex 32 > ${file}))`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new ConfigError(`seal key file ${file} is readable by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
  }
  // Lines starting with # are comments (dev key files carry a warning header).
  const text = readFileSync(file, 'utf8').split('\n').filter((l) => !l.trimStart().startsWith('#')).join('').trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/=_-]{43,44}$/.test(text)) key = Buffer.from(text, 'base64');
  if (!key || key.length !== 32) throw new ConfigError(`seal key file ${file} must hold 32 bytes as 64 hex characters`);
  return key;
}

/** Creates a new key file (mode 0600) unless one exists; returns the key. */
export function ensureKeyFile(file: string, comment?: string): Buffer {
  if (existsSync(file)) return readKeyFile(file);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  const header = comment ? `${comment.split('\n').map((l) => `# ${l}`).join('\n')}\n` : '';
  writeFileSync(file, `${header}${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

/** Writes a secret text file with mode 0600 (created or replaced). */
export function writeSecretFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}
