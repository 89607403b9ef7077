/**
 * Files the CLI reads for the user (backups, values) and creates for them (backups): errors name
 * the file and the errno, and a created file holds secrets, so it is new (never overwritten) and 0600.
 */
import { open, readFile } from 'node:fs/promises';
import { usageError } from './context.js';

/** Reads a file the user named; a usage error says which and why when it cannot. */
export async function readUserFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw usageError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Creates `file` with mode 0600 and writes `bytes`; refuses an existing file. */
export async function writeNewFile(file: string, bytes: Buffer): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw usageError(code === 'EEXIST' ? `${file} already exists: choose a new file name` : `cannot create ${file} (${code})`);
  }
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
}
