/**
 * Generic `coffer read|write|list|delete PATH [k=v ...]`: any API path, like the vault CLI's
 * commands of the same names (e.g. `coffer write auth/approle/role/app token_ttl=1h`).
 */

import type { Command } from 'commander';
import { action, addOutputOptions, addWrapOption, cleanPath, kvSources, makeClient, printOptions, type CommandEnv } from '../common.js';
import { listAllItems } from '../azure.js';
import { EXIT_USAGE, usageError } from '../context.js';
import { parseKvArgs } from '../kvargs.js';
import { printIfWrapped, printKeys, printSecret } from '../output.js';

type WrapOpts = { wrapTtl?: string };

/** k=v data as query parameters (GET and DELETE carry data in the query). */
function toQuery(data: Record<string, unknown>): Record<string, string> {
  const query: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    query[k] = Array.isArray(v) ? v.map(String).join(',') : typeof v === 'string' ? v : JSON.stringify(v);
  }
  return query;
}

/**
 * The names to print for a Key Vault listing: the secret names, or the version ids when
 * listing `.../versions` (every item there carries the same name).
 */
function itemNames(items: Record<string, unknown>[], path: string): string[] {
  const field = path.endsWith('/versions') ? 'version' : 'name';
  return items.map((i) => String(i[field] ?? ''));
}

/** The generic read/write/list/delete commands. */
export function registerGeneric(program: Command, env: CommandEnv): void {
  const { ctx } = env;

  addOutputOptions(
    addWrapOption(
      program
        .command('read')
        .description('Read any API path (k=v arguments are sent as query parameters)')
        .argument('<path>')
        .argument('[data...]', 'key=value query parameters'),
    ),
  ).action(
    action(env, async (pathArg: string, args: string[], opts: WrapOpts & { format?: string; field?: string }) => {
      const po = printOptions(ctx, opts);
      const path = cleanPath(pathArg);
      const query = toQuery(await parseKvArgs(args, kvSources(ctx)));
      const res = await makeClient(ctx).read(path, { query, wrapTtl: opts.wrapTtl });
      if (!res || (res.status === 204 && res.body === null)) {
        ctx.io.err(`No value found at ${path}\n`);
        return EXIT_USAGE;
      }
      printSecret(ctx.io, res.body, po);
    }),
  );

  addOutputOptions(
    addWrapOption(
      program
        .command('write')
        .description('Write to any API path: key=value, key=@file, key=- (stdin), or - (a JSON object on stdin)')
        .argument('<path>')
        .argument('[data...]', 'the data to write')
        .option('-f, --force', 'write even with no data (sends a null body)'),
    ),
  ).action(
    action(env, async (pathArg: string, args: string[], opts: WrapOpts & { force?: boolean; format?: string; field?: string }) => {
      const po = printOptions(ctx, opts);
      const path = cleanPath(pathArg);
      const data = await parseKvArgs(args, kvSources(ctx));
      const empty = Object.keys(data).length === 0;
      if (empty && !opts.force) throw usageError('Must supply data or use -force (-f)');
      const res = await makeClient(ctx).write(path, empty ? null : data, { wrapTtl: opts.wrapTtl });
      if (res.status === 204 || res.body === null) {
        ctx.io.out(`Success! Data written to: ${path}\n`);
        return;
      }
      printSecret(ctx.io, res.body, po);
    }),
  );

  addOutputOptions(
    addWrapOption(program.command('list').description('List the keys under any API path').argument('<path>')),
    false,
  ).action(
    action(env, async (pathArg: string, opts: WrapOpts & { format?: string }) => {
      const po = printOptions(ctx, opts);
      const path = cleanPath(pathArg);
      const res = await makeClient(ctx).request('LIST', path, { allowNotFound: true, wrapTtl: opts.wrapTtl });
      // A wrapped list answers with wrap_info instead of keys.
      if (res.status !== 404 && printIfWrapped(ctx.io, res.body, po)) return;
      const data = res.status === 404 ? undefined : res.body?.data;
      // Key Vault engines answer a page of `items` (with a skiptoken) instead of Vault's `keys`.
      const keys = Array.isArray(data?.keys)
        ? data.keys.map(String)
        : Array.isArray(data?.items)
          ? itemNames(await listAllItems(makeClient(ctx), `${path}/`, `listing ${path}`), path)
          : null;
      if (!keys) {
        ctx.io.err(`No value found at ${path}/\n`);
        return EXIT_USAGE;
      }
      printKeys(ctx.io, keys, po.format);
    }),
  );

  addOutputOptions(
    addWrapOption(
      program
        .command('delete')
        .description('Delete any API path (k=v arguments are sent as query parameters)')
        .argument('<path>')
        .argument('[data...]', 'key=value query parameters'),
    ),
  ).action(
    action(env, async (pathArg: string, args: string[], opts: WrapOpts & { format?: string; field?: string }) => {
      const po = printOptions(ctx, opts);
      const path = cleanPath(pathArg);
      const query = toQuery(await parseKvArgs(args, kvSources(ctx)));
      const res = await makeClient(ctx).delete(path, { query, wrapTtl: opts.wrapTtl });
      // A delete that returns data (rare) is wrapped like any response; usually there is nothing to wrap.
      if (printIfWrapped(ctx.io, res.body, po)) return;
      ctx.io.out(`Success! Data deleted (if it existed) at: ${path}\n`);
    }),
  );
}
