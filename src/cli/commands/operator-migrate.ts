/**
 * `coffer operator migrate -config migrate.hcl [-force]`: copies every stored entry from one
 * storage to another with the servers stopped, as `vault operator migrate` does:
 *
 *   storage_source "sqlite" { path = "/var/lib/coffer/coffer.db" }
 *   storage_destination "postgresql" { connection_url = "postgres://coffer@db/coffer" }
 *
 * Both storages are opened exclusively (SQLite's file lock, PostgreSQL's advisory lock), so a
 * server still running on either makes the command fail before anything is copied. The copy
 * is verified (entry count and content checksum on both sides).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { labeledBlocks, parseHcl, type HclObject } from '../../core/hcl/parser.js';
import { parseStorageBlock, type ServerConfig } from '../../server/config.js';
import { createStorage, redactConnectionUrl } from '../../storage/index.js';
import { DestinationNotEmptyError, migrateStorage } from '../../storage/migrate.js';
import type { NamedStorage } from '../../storage/types.js';
import { action, type CommandEnv } from '../common.js';
import { CliError, usageError } from '../context.js';
import { startProgress } from '../progress.js';

type StorageBlock = ServerConfig['storage'];

/** Reads and checks a migration config; errors name the file and say what to fix. */
export function parseMigrateConfig(text: string, source: string, baseDir: string): { from: StorageBlock; to: StorageBlock } {
  let doc: HclObject;
  try {
    doc = parseHcl(text);
  } catch (err) {
    throw new CliError(`${source}: ${(err as Error).message}`);
  }
  const known = new Set(['storage_source', 'storage_destination', 'cluster_addr']);
  for (const key of Object.keys(doc)) {
    if (!known.has(key)) throw new CliError(`${source}: unknown setting "${key}" (a migration config has storage_source and storage_destination blocks)`);
  }
  const one = (key: string): StorageBlock => {
    let found;
    try {
      found = labeledBlocks(doc, key);
    } catch (err) {
      throw new CliError(`${source}: ${(err as Error).message}`);
    }
    if (found.length !== 1) throw new CliError(`${source}: exactly one ${key} block is required, e.g. ${key} "sqlite" { path = "/var/lib/coffer/coffer.db" }`);
    const { label, body } = found[0]!;
    let block: StorageBlock;
    try {
      block = parseStorageBlock(label, body as Record<string, unknown>, `${source}: ${key} "${label}"`, baseDir);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    if (block.type === 'inmem') throw new CliError(`${source}: ${key} "inmem" holds nothing across processes; migrate between "sqlite" and "postgresql"`);
    return block;
  };
  const from = one('storage_source');
  const to = one('storage_destination');
  const same =
    from.type === to.type &&
    (from.type === 'sqlite' ? from.path === to.path : from.connectionUrl === to.connectionUrl && (from.table ?? 'coffer_kv') === (to.table ?? 'coffer_kv'));
  if (same) throw new CliError(`${source}: storage_source and storage_destination are the same storage`);
  return { from, to };
}

function describe(b: StorageBlock): string {
  return b.type === 'sqlite' ? `sqlite ${b.path}` : `postgresql ${redactConnectionUrl(b.connectionUrl!)} table ${b.table ?? 'coffer_kv'}`;
}

async function openExclusive(b: StorageBlock, role: string): Promise<NamedStorage> {
  try {
    return await createStorage({ type: b.type, path: b.path, connectionUrl: b.connectionUrl, table: b.table, exclusive: b.type === 'postgresql' });
  } catch (err) {
    throw new CliError(`Error opening the ${role} (${describe(b)}): ${(err as Error).message}. Stop every server using it first.`);
  }
}

/** Registers `migrate` under `operator`. */
export function registerOperatorMigrate(operator: Command, env: CommandEnv): void {
  const { ctx } = env;
  operator
    .command('migrate')
    .description('Copy every stored entry from storage_source to storage_destination (servers stopped), then verify count and checksum')
    .option('--config <file>', 'migration config with storage_source and storage_destination blocks')
    .option('--force', 'replace the entries of a destination that is not empty')
    .action(
      action(env, async (opts: { config?: string; force?: boolean }) => {
        if (!opts.config) throw usageError('give -config FILE, a file with storage_source "<type>" { ... } and storage_destination "<type>" { ... } blocks');
        let text: string;
        try {
          text = readFileSync(opts.config, 'utf8');
        } catch (err) {
          throw new CliError(`Error reading ${opts.config}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        }
        const { from, to } = parseMigrateConfig(text, opts.config, dirname(resolve(opts.config)));
        const source = await openExclusive(from, 'storage_source');
        let destination: NamedStorage | undefined;
        try {
          destination = await openExclusive(to, 'storage_destination');
          const copy = startProgress('copying  ', 'entries');
          const verify = startProgress('verifying', 'entries');
          let verifying = false;
          const result = await migrateStorage(source, destination, {
            force: opts.force === true,
            onProgress: (phase, done, total) => {
              if (phase === 'copy') copy.update(done, total);
              else {
                if (!verifying) copy.done();
                verifying = true;
                verify.update(done, total);
              }
            },
          }).catch((err: unknown) => {
            if (err instanceof DestinationNotEmptyError) throw new CliError(`Error migrating: ${err.message}`);
            throw new CliError(`Error migrating: ${(err as Error).message}`);
          });
          verify.done();
          ctx.io.out(`Success! All of the keys have been migrated.\nCopied ${result.count} entries from ${describe(from)} to ${describe(to)}; count and SHA-256 checksum ${result.checksum} verified on both sides.\n`);
        } finally {
          await destination?.close();
          await source.close();
        }
      }),
    );
}
