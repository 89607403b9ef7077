/**
 * `coffer operator snapshot save FILE` and `restore FILE`, over sys/storage/snapshot (sudo).
 * The file holds every stored entry, still encrypted by the barrier, and is written 0600 like
 * any file holding key material. Restore checks the file locally first (format, checksum) so a
 * damaged file is refused before it is sent; the server checks it again, and its cluster.
 */
import { link, open, readFile, rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { decodeSnapshot, SnapshotFormatError } from '../../storage/snapshot-format.js';
import { action, makeClient, type CommandEnv } from '../common.js';
import { CliError } from '../context.js';
import { startProgress } from '../progress.js';

/** Registers `snapshot save|restore` under `operator`. */
export function registerOperatorSnapshot(operator: Command, env: CommandEnv): void {
  const { ctx } = env;
  const snapshot = operator.command('snapshot').description('Save or restore a snapshot of every stored entry (needs a root or sudo token)');

  snapshot
    .command('save')
    .description('Write a consistent snapshot of the whole store to FILE (created with mode 0600)')
    .argument('<file>', 'file to write; it must not exist')
    .action(
      action(env, async (file: string) => {
        const client = makeClient(ctx);
        const progress = startProgress('saving snapshot', 'bytes');
        const res = await client.request('GET', 'sys/storage/snapshot', { action: 'saving a snapshot', onBytes: (n) => progress.update(n) });
        progress.done();
        const bytes = res.bytes ?? Buffer.alloc(0);
        let entries: number;
        try {
          entries = decodeSnapshot(bytes).entries.length;
        } catch (err) {
          if (err instanceof SnapshotFormatError) throw new CliError(`Error saving a snapshot: the server's answer is not a complete snapshot (${err.message}); nothing was written`);
          throw err;
        }
        // Write aside, then rename: FILE never holds a partial snapshot.
        const tmp = `${file}.partial`;
        const handle = await open(tmp, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
          throw new CliError(`Error saving a snapshot: cannot create ${tmp} (${err.code ?? err.message})`);
        });
        try {
          await handle.writeFile(bytes);
          await handle.sync();
        } finally {
          await handle.close();
        }
        try {
          // link() refuses an existing FILE atomically (no check-then-write race).
          await link(tmp, file).catch((err: NodeJS.ErrnoException) => {
            throw new CliError(
              err.code === 'EEXIST' ? `Error saving a snapshot: ${file} already exists; choose another file name` : `Error saving a snapshot: cannot create ${file} (${err.code ?? err.message})`,
            );
          });
        } finally {
          await rm(tmp, { force: true });
        }
        ctx.io.out(`Saved a snapshot of ${entries} entries to ${file}\n`);
      }),
    );

  snapshot
    .command('restore')
    .description('Replace the whole store with the snapshot in FILE (taken from this cluster); the server drops its caches')
    .argument('<file>', 'a file written by "coffer operator snapshot save"')
    .action(
      action(env, async (file: string) => {
        const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => {
          throw new CliError(`Error restoring a snapshot: cannot read ${file} (${err.code ?? err.message})`);
        });
        let entries: number;
        try {
          entries = decodeSnapshot(bytes).entries.length;
        } catch (err) {
          if (err instanceof SnapshotFormatError) throw new CliError(`Error restoring a snapshot: ${file} is refused, nothing was changed: ${err.message}`);
          throw err;
        }
        const client = makeClient(ctx);
        await client.request('POST', 'sys/storage/snapshot', { action: 'restoring a snapshot', rawBody: bytes });
        ctx.io.out(`Restored ${entries} entries from ${file}\n`);
      }),
    );
}
