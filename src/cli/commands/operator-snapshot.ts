/**
 * `coffer operator snapshot save FILE` and `restore FILE`, over sys/storage/snapshot (sudo).
 * The file holds every stored entry, still encrypted by the barrier, and is written 0600 like
 * any file holding key material. Neither direction holds the snapshot in memory: save streams
 * the download to FILE.partial while checking it, restore checks FILE locally (format,
 * checksum) before streaming it up; the server checks it again, and its cluster. On a terminal
 * both show a progress bar with an ETA (save counts entries against the header's total).
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { link, rm, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { SnapshotFormatError, SnapshotReader } from '../../storage/snapshot-format.js';
import { checkSnapshotFile } from '../../storage/snapshot-file.js';
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
        // Write aside, then link: FILE never holds a partial snapshot.
        const tmp = `${file}.partial`;
        let fd: number;
        try {
          fd = openSync(tmp, 'wx', 0o600);
        } catch (err) {
          throw new CliError(`Error saving a snapshot: cannot create ${tmp} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
        const reader = new SnapshotReader();
        const progress = startProgress('saving snapshot', 'entries');
        let header;
        try {
          try {
            await client.request('GET', 'sys/storage/snapshot', {
              action: 'saving a snapshot',
              onChunk: (chunk) => {
                reader.push(chunk);
                writeSync(fd, chunk);
                progress.update(reader.count, reader.header?.entries);
              },
            });
            header = reader.end();
          } finally {
            progress.done();
          }
          fsyncSync(fd);
          closeSync(fd);
          fd = -1;
          // link() refuses an existing FILE atomically (no check-then-write race).
          await link(tmp, file).catch((err: NodeJS.ErrnoException) => {
            throw new CliError(
              err.code === 'EEXIST' ? `Error saving a snapshot: ${file} already exists; choose another file name` : `Error saving a snapshot: cannot create ${file} (${err.code ?? err.message})`,
            );
          });
        } catch (err) {
          if (err instanceof SnapshotFormatError) throw new CliError(`Error saving a snapshot: the server's answer is not a complete snapshot (${err.message}); nothing was written`);
          throw err;
        } finally {
          if (fd >= 0) closeSync(fd);
          await rm(tmp, { force: true });
        }
        ctx.io.out(`Saved a snapshot of ${header.entries} entries to ${file}\n`);
      }),
    );

  snapshot
    .command('restore')
    .description('Replace the whole store with the snapshot in FILE (taken from this cluster); the server drops its caches')
    .argument('<file>', 'a file written by "coffer operator snapshot save"')
    .action(
      action(env, async (file: string) => {
        const size = await stat(file).then(
          (s) => s.size,
          (err: NodeJS.ErrnoException) => {
            throw new CliError(`Error restoring a snapshot: cannot read ${file} (${err.code ?? err.message})`);
          },
        );
        let entries: number;
        const checking = startProgress('checking snapshot', 'bytes');
        try {
          entries = checkSnapshotFile(file, (n) => checking.update(n, size)).entries;
        } catch (err) {
          if (err instanceof SnapshotFormatError) throw new CliError(`Error restoring a snapshot: ${file} is refused, nothing was changed: ${err.message}`);
          const code = (err as NodeJS.ErrnoException).code;
          throw new CliError(`Error restoring a snapshot: cannot read ${file} (${code ?? (err as Error).message})`);
        } finally {
          checking.done();
        }
        const client = makeClient(ctx);
        const uploading = startProgress('uploading snapshot', 'bytes');
        try {
          await client.request('POST', 'sys/storage/snapshot', {
            action: 'restoring a snapshot',
            upload: { length: size, open: () => createReadStream(file), onSent: (n) => uploading.update(n, size) },
          });
        } finally {
          uploading.done();
        }
        ctx.io.out(`Restored ${entries} entries from ${file}\n`);
      }),
    );
}
