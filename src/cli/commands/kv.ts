/**
 * `coffer kv ...`: the KV secrets engine, v1 and v2, like the vault CLI. Each command first
 * asks `GET sys/internal/ui/mounts/<path>` for the mount path and KV version, then calls
 * `<mount>/data/...`, `<mount>/metadata/...` etc. on v2, or the path itself on v1.
 */

import type { Command } from 'commander';
import { ApiError, type CofferClient } from '../client.js';
import {
  action,
  addOutputOptions,
  addWrapOption,
  cleanPath,
  collectMap,
  intArg,
  kvSources,
  makeClient,
  printOptions,
  versionsArg,
  type CommandEnv,
} from '../common.js';
import { CliError, EXIT_USAGE, usageError, type Io } from '../context.js';
import { parseKvArgs } from '../kvargs.js';
import {
  blockWidth,
  formatKeyValueTable,
  pickField,
  printIfWrapped,
  printJson,
  printKeys,
  printRawField,
  printSecret,
  printWarnings,
  sectionHeader,
  sortedEntries,
  type PrintOptions,
} from '../output.js';

/** The mount a KV path lives on. `mountPath` ends in `/`, or is '' when unknown (v1). */
export interface KvMount {
  mountPath: string;
  version: 1 | 2;
}

/** Ask the server which mount `path` is on and its KV version (404 means v1, like vault). */
export async function kvPreflight(client: CofferClient, path: string): Promise<KvMount> {
  let res;
  try {
    res = await client.request('GET', `sys/internal/ui/mounts/${path}`, {
      allowNotFound: true,
      action: `finding the mount of ${path}`,
    });
  } catch (err) {
    // The preflight path is an implementation detail: explain the denial in terms of the user's path.
    if (err instanceof ApiError && err.status === 403) {
      throw new CliError(
        `Error finding the mount of ${path}: permission denied (403). ` +
          (client.hasToken
            ? 'The server rejected the token (invalid, expired or revoked), or its policies grant nothing under this mount.'
            : 'No token is set: run "coffer login" or set COFFER_TOKEN.'),
      );
    }
    throw err;
  }
  if (res.status === 404) return { mountPath: '', version: 1 };
  const data = (res.body?.data ?? {}) as { path?: string; options?: { version?: unknown } | null };
  let mountPath = String(data.path ?? '');
  if (mountPath !== '' && !mountPath.endsWith('/')) mountPath += '/';
  const version = String(data.options?.version ?? '1') === '2' ? 2 : 1;
  return { mountPath, version };
}

/**
 * The API path of a v2 operation: `<mount><prefix>/<rest>` (`secret/data/foo`). An empty
 * rest gives `<mount><prefix>/` (listing the mount's root).
 */
export function kvV2Path(mountPath: string, fullPath: string, prefix: string): string {
  const mount = mountPath.replace(/\/+$/, '');
  let rest = fullPath;
  if (fullPath === mount) rest = '';
  else if (fullPath.startsWith(`${mount}/`)) rest = fullPath.slice(mount.length + 1);
  return rest === '' ? `${mount}/${prefix}/` : `${mount}/${prefix}/${rest}`;
}

/** Keys asked for per SCAN page by `kv list -recursive`. */
const SCAN_PAGE = 1000;

/**
 * Every key below `target` through the server's paginated SCAN (`GET ?scan=true`), following
 * `after` (or the server's `next_after` when a filtered page stopped early); null when none.
 */
async function scanAll(client: CofferClient, target: string, filter: string | undefined): Promise<string[] | null> {
  const keys: string[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await client.read(target, { query: { scan: true, limit: SCAN_PAGE, after, filter }, action: `scanning ${target}` });
    const data = (res?.body?.data ?? {}) as { keys?: unknown; next_after?: unknown };
    const page = Array.isArray(data.keys) ? data.keys.map(String) : [];
    keys.push(...page);
    const next = typeof data.next_after === 'string' ? data.next_after : page.length >= SCAN_PAGE ? page[page.length - 1] : undefined;
    // A cursor that does not move forward would loop for ever: stop with what we have.
    if (res === null || next === undefined || next === after) break;
    after = next;
  }
  return keys.length > 0 ? keys : null;
}

/** The path a command addresses: `-mount=M PATH` is `M/PATH`. */
function fullPathOf(path: string, mount: string | undefined): string {
  return mount !== undefined ? `${cleanPath(mount, '-mount')}/${cleanPath(path)}` : cleanPath(path);
}

/** Resolve the user's path: the preflight answer plus the full path. */
async function locate(client: CofferClient, path: string, mount: string | undefined): Promise<KvMount & { full: string }> {
  const full = fullPathOf(path, mount);
  return { ...(await kvPreflight(client, full)), full };
}

function requireV2(m: KvMount, what: string): void {
  if (m.version !== 2) throw new CliError(`${what} needs a KV version 2 mount; this path is on KV version 1`, EXIT_USAGE);
}

function noValue(io: Io, path: string): number {
  io.err(`No value found at ${path}\n`);
  return EXIT_USAGE;
}

/** Print "== Secret Path ==" and a titled Key/Value table, like vault's kv output. */
function printV2Sections(io: Io, apiPath: string, sections: [string, [string, unknown][]][]): void {
  const tables = sections.map(([title, rows]) => [title, formatKeyValueTable(rows)] as const);
  const width = Math.max(...tables.map(([, t]) => blockWidth(t)), apiPath.length);
  io.out(`${sectionHeader('Secret Path', width)}\n${apiPath}\n`);
  for (const [title, table] of tables) io.out(`\n${sectionHeader(title, width)}\n${table}`);
}

/** Print a v2 write/patch answer (its metadata). */
function printV2WriteResult(io: Io, apiPath: string, body: Record<string, unknown> | null, po: PrintOptions): void {
  const meta = (body?.data ?? {}) as Record<string, unknown>;
  if (po.field !== undefined) return printRawField(io, pickField(sortedEntries(meta), po.field));
  if (po.format === 'json') return printJson(io, body);
  printWarnings(io, body);
  printV2Sections(io, apiPath, [['Metadata', sortedEntries(meta)]]);
}

type KvOpts = { mount?: string; format?: string; field?: string; wrapTtl?: string };

/** The `kv` command group. */
export function registerKv(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const kv = program.command('kv').description('Read and write secrets in a KV secrets engine (version 1 or 2)');
  const mountOption = (cmd: Command): Command =>
    cmd.option('--mount <path>', 'the mount of the KV engine; PATH is then relative to it');

  // put
  addOutputOptions(
    addWrapOption(
      mountOption(
        kv
          .command('put')
          .description('Write a secret (replaces all its keys; on v2 creates a new version)')
          .argument('<path>')
          .argument('[data...]', 'key=value, key=@file, key=- (stdin), or - (a JSON object on stdin)')
          .option('--cas <version>', 'check-and-set: write only if the current version is this (0 = only if absent)', intArg),
      ),
    ),
  ).action(
    action(env, async (path: string, args: string[], opts: KvOpts & { cas?: number }) => {
      const po = printOptions(ctx, opts);
      const data = await parseKvArgs(args, kvSources(ctx));
      if (Object.keys(data).length === 0) throw usageError('Must supply data: kv put PATH key=value ...');
      const client = makeClient(ctx);
      const m = await locate(client, path, opts.mount);
      if (m.version === 1) {
        if (opts.cas !== undefined) throw usageError('-cas needs a KV version 2 mount');
        // Only the data request is wrapped, never the mount preflight (as vault does).
        const res = await client.write(m.full, data, { wrapTtl: opts.wrapTtl });
        if (res.status === 204 || res.body === null) {
          ctx.io.out(`Success! Data written to: ${m.full}\n`);
          return;
        }
        return printSecret(ctx.io, res.body, po);
      }
      const apiPath = kvV2Path(m.mountPath, m.full, 'data');
      const res = await client.write(
        apiPath,
        { data, options: opts.cas !== undefined ? { cas: opts.cas } : {} },
        { wrapTtl: opts.wrapTtl },
      );
      if (printIfWrapped(ctx.io, res.body, po)) return;
      printV2WriteResult(ctx.io, apiPath, res.body, po);
    }),
  );

  // patch
  addOutputOptions(
    mountOption(
      kv
        .command('patch')
        .description('Change some keys of a v2 secret, keeping the others (needs the "patch" capability)')
        .argument('<path>')
        .argument('[data...]', 'key=value, key=@file, key=-, or -')
        .option('--cas <version>', 'check-and-set: patch only if the current version is this', intArg),
    ),
  ).action(
    action(env, async (path: string, args: string[], opts: KvOpts & { cas?: number }) => {
      const po = printOptions(ctx, opts);
      const data = await parseKvArgs(args, kvSources(ctx));
      if (Object.keys(data).length === 0) throw usageError('Must supply data: kv patch PATH key=value ...');
      const client = makeClient(ctx);
      const m = await locate(client, path, opts.mount);
      requireV2(m, 'kv patch');
      const apiPath = kvV2Path(m.mountPath, m.full, 'data');
      const res = await client.request('PATCH', apiPath, {
        body: { data, options: opts.cas !== undefined ? { cas: opts.cas } : {} },
        contentType: 'application/merge-patch+json',
        allowNotFound: true,
      });
      if (res.status === 404) return noValue(ctx.io, apiPath);
      printV2WriteResult(ctx.io, apiPath, res.body, po);
    }),
  );

  // get
  addOutputOptions(
    addWrapOption(
      mountOption(
        kv
          .command('get')
          .description('Read a secret (on v2 the latest version, or -version)')
          .argument('<path>')
          .option('--version <n>', 'the version to read (v2)', intArg),
      ),
    ),
  ).action(
    action(env, async (path: string, opts: KvOpts & { version?: number }) => {
      const po = printOptions(ctx, opts);
      const client = makeClient(ctx);
      const m = await locate(client, path, opts.mount);
      if (m.version === 1) {
        if (opts.version !== undefined) throw usageError('-version needs a KV version 2 mount');
        const res = await client.read(m.full, { wrapTtl: opts.wrapTtl });
        if (!res) return noValue(ctx.io, m.full);
        if (printIfWrapped(ctx.io, res.body, po)) return;
        if (po.field !== undefined) {
          return printRawField(ctx.io, pickField(sortedEntries(res.body?.data), po.field));
        }
        return printSecret(ctx.io, res.body, po);
      }
      const apiPath = kvV2Path(m.mountPath, m.full, 'data');
      const res = await client.request('GET', apiPath, {
        query: { version: opts.version },
        allowNotFound: true,
        wrapTtl: opts.wrapTtl,
      });
      const inner = res.body?.data as { data?: Record<string, unknown> | null; metadata?: Record<string, unknown> } | undefined;
      if (res.status === 404) {
        // A deleted or destroyed version answers 404 with its metadata: say which, and how to undo.
        const meta = inner?.metadata;
        if (meta && po.format !== 'json' && po.field === undefined) {
          const state = meta.destroyed ? 'destroyed' : 'deleted';
          ctx.io.err(`Version ${String(meta.version ?? '')} of ${apiPath} is ${state}.`);
          ctx.io.err(meta.destroyed ? '\n' : ` Restore it with: coffer kv undelete -versions=${String(meta.version)} ${m.full}\n`);
          return EXIT_USAGE;
        }
        if (meta && po.format === 'json') {
          printJson(ctx.io, res.body);
          return EXIT_USAGE;
        }
        return noValue(ctx.io, apiPath);
      }
      if (printIfWrapped(ctx.io, res.body, po)) return;
      const secret = inner?.data ?? {};
      const meta = inner?.metadata ?? {};
      if (po.field !== undefined) {
        const rows = Object.hasOwn(secret, po.field) ? sortedEntries(secret) : sortedEntries(meta);
        return printRawField(ctx.io, pickField(rows, po.field));
      }
      if (po.format === 'json') return printJson(ctx.io, res.body);
      printWarnings(ctx.io, res.body);
      printV2Sections(ctx.io, apiPath, [
        ['Metadata', sortedEntries(meta)],
        ['Data', sortedEntries(secret)],
      ]);
    }),
  );

  // delete
  mountOption(
    kv
      .command('delete')
      .description('Delete a secret (on v2: soft-delete the latest version, or -versions; undelete restores)')
      .argument('<path>')
      .option('--versions <list>', 'versions to soft-delete, e.g. 1,2 (v2)', versionsArg),
  ).action(
    action(env, async (path: string, opts: KvOpts & { versions?: number[] }) => {
      const client = makeClient(ctx);
      const m = await locate(client, path, opts.mount);
      let target: string;
      if (m.version === 1) {
        if (opts.versions) throw usageError('-versions needs a KV version 2 mount');
        target = m.full;
        await client.delete(target);
      } else if (opts.versions) {
        target = kvV2Path(m.mountPath, m.full, 'delete');
        await client.write(target, { versions: opts.versions });
      } else {
        target = kvV2Path(m.mountPath, m.full, 'data');
        await client.delete(target);
      }
      ctx.io.out(`Success! Data deleted (if it existed) at: ${target}\n`);
    }),
  );

  // undelete, destroy (v2 only, -versions required)
  for (const [name, desc] of [
    ['undelete', 'Restore soft-deleted versions of a v2 secret'],
    ['destroy', 'Remove versions of a v2 secret for good'],
  ] as const) {
    mountOption(
      kv
        .command(name)
        .description(desc)
        .argument('<path>')
        .requiredOption('--versions <list>', 'the versions, e.g. 1,2', versionsArg),
    ).action(
      action(env, async (path: string, opts: KvOpts & { versions: number[] }) => {
        const client = makeClient(ctx);
        const m = await locate(client, path, opts.mount);
        requireV2(m, `kv ${name}`);
        const target = kvV2Path(m.mountPath, m.full, name);
        await client.write(target, { versions: opts.versions });
        ctx.io.out(
          name === 'destroy'
            ? `Success! Data destroyed (versions ${opts.versions.join(', ')}) at: ${target}\n`
            : `Success! Data written to: ${target}\n`,
        );
      }),
    );
  }

  // list
  addOutputOptions(
    mountOption(kv.command('list').description('List the keys under a path (folders end in /)').argument('<path>'))
      .option('--recursive', 'every secret below the path, as paths relative to it (server-side SCAN, paginated)')
      .option('--filter <expr>', 'with -recursive on KV v2: only secrets whose custom metadata matches, e.g. custom_metadata.owner=alice'),
    false,
  ).action(
    action(env, async (path: string, opts: KvOpts & { recursive?: boolean; filter?: string }) => {
      const po = printOptions(ctx, opts);
      if (opts.filter !== undefined && !opts.recursive) throw new CliError('-filter needs -recursive', EXIT_USAGE);
      const client = makeClient(ctx);
      const m = await locate(client, path, opts.mount);
      const target = m.version === 2 ? kvV2Path(m.mountPath, m.full, 'metadata') : m.full;
      const keys = opts.recursive ? await scanAll(client, target, opts.filter) : await client.list(target);
      if (!keys) return noValue(ctx.io, target.endsWith('/') ? target : `${target}/`);
      printKeys(ctx.io, keys, po.format);
    }),
  );

  // metadata get|put|delete
  const metadata = kv.command('metadata').description('Read and change the metadata of v2 secrets');

  addOutputOptions(mountOption(metadata.command('get').description('Print the metadata and versions of a secret').argument('<path>'))).action(
    action(env, async (path: string, opts: KvOpts) => {
      const po = printOptions(ctx, opts);
      const client = makeClient(ctx);
      const m = await locate(client, path, opts.mount);
      requireV2(m, 'kv metadata');
      const target = kvV2Path(m.mountPath, m.full, 'metadata');
      const res = await client.read(target);
      if (!res) return noValue(ctx.io, target);
      const data = (res.body?.data ?? {}) as Record<string, unknown>;
      const { versions, ...rest } = data;
      if (po.field !== undefined) return printRawField(ctx.io, pickField(sortedEntries(data), po.field));
      if (po.format === 'json') return printJson(ctx.io, res.body);
      const sections: [string, [string, unknown][]][] = [['Metadata', sortedEntries(rest)]];
      const byNumber = Object.entries((versions ?? {}) as Record<string, Record<string, unknown>>).sort(
        ([a], [b]) => Number(a) - Number(b),
      );
      for (const [n, v] of byNumber) sections.push([`Version ${n}`, sortedEntries(v)]);
      const tables = sections.map(([t, rows]) => [t, formatKeyValueTable(rows)] as const);
      const width = Math.max(...tables.map(([, t]) => blockWidth(t)), target.length);
      ctx.io.out(`${sectionHeader('Metadata Path', width)}\n${target}\n`);
      for (const [t, table] of tables) ctx.io.out(`\n${sectionHeader(t, width)}\n${table}`);
    }),
  );

  mountOption(
    metadata
      .command('put')
      .description('Set the metadata of a secret (only the flags given are changed)')
      .argument('<path>')
      .option('--max-versions <n>', 'versions to keep (0 = the mount default)', intArg)
      .option('--cas-required', 'require -cas on every write')
      .option('--no-cas-required', 'do not require -cas')
      .option('--delete-version-after <duration>', 'soft-delete versions this long after they are written (e.g. 72h; 0s = never)')
      .option('--custom-metadata <k=v>', 'a custom metadata entry (repeatable)', collectMap),
  ).action(
    action(
      env,
      async (
        path: string,
        opts: KvOpts & {
          maxVersions?: number;
          casRequired?: boolean;
          deleteVersionAfter?: string;
          customMetadata?: Record<string, string>;
        },
      ) => {
        const client = makeClient(ctx);
        const m = await locate(client, path, opts.mount);
        requireV2(m, 'kv metadata');
        const body: Record<string, unknown> = {};
        if (opts.maxVersions !== undefined) body.max_versions = opts.maxVersions;
        if (opts.casRequired !== undefined) body.cas_required = opts.casRequired;
        if (opts.deleteVersionAfter !== undefined) body.delete_version_after = opts.deleteVersionAfter;
        if (opts.customMetadata !== undefined) body.custom_metadata = opts.customMetadata;
        const target = kvV2Path(m.mountPath, m.full, 'metadata');
        await client.write(target, body);
        ctx.io.out(`Success! Data written to: ${target}\n`);
      },
    ),
  );

  mountOption(
    metadata.command('delete').description('Delete a secret with all its versions and metadata').argument('<path>'),
  ).action(
    action(env, async (path: string, opts: KvOpts) => {
      const client = makeClient(ctx);
      const m = await locate(client, path, opts.mount);
      requireV2(m, 'kv metadata');
      const target = kvV2Path(m.mountPath, m.full, 'metadata');
      await client.delete(target);
      ctx.io.out(`Success! Data deleted (if it existed) at: ${target}\n`);
    }),
  );
}
