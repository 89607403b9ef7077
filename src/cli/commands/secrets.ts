/** `coffer secrets enable|disable|list|tune`: secrets engine mounts, over sys/mounts. */

import type { Command } from 'commander';
import { action, addOutputOptions, cleanPath, collectMap, makeClient, printOptions, type CommandEnv } from '../common.js';
import { formatTable, printJson, sortedEntries } from '../output.js';

type MountEntry = {
  type?: string;
  description?: string;
  accessor?: string;
  local?: boolean;
  seal_wrap?: boolean;
  options?: Record<string, unknown> | null;
  config?: { default_lease_ttl?: number; max_lease_ttl?: number } | null;
};

/** The mount entries of a sys/mounts (or sys/audit) answer, keyed by path, sorted. */
/** The Path / Type / Accessor / Description table of `secrets list` and `auth list`. */
export function mountTable(entries: [string, MountEntry][]): string {
  return formatTable(
    entries.map(([p, e]) => [p, e.type ?? '', e.accessor ?? '', e.description ?? '']),
    ['Path', 'Type', 'Accessor', 'Description'],
  );
}

export function mountEntries(body: unknown): [string, MountEntry][] {
  const b = (body ?? {}) as { data?: Record<string, unknown> };
  // These routes also copy data to the top level; `data` alone has only the entries.
  const source = (b.data ?? b) as Record<string, unknown>;
  return sortedEntries(source).filter(
    ([, v]) => v !== null && typeof v === 'object' && typeof (v as MountEntry).type === 'string',
  ) as [string, MountEntry][];
}

function ttlText(seconds: number | undefined): string {
  return !seconds ? 'system' : String(seconds);
}

/** The `secrets` command group. */
export function registerSecrets(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const secrets = program.command('secrets').description('Enable, disable, list and tune secrets engines');

  secrets
    .command('enable')
    .description('Enable a secrets engine (e.g. kv, kv-v2) at a path')
    .argument('<type>')
    .option('--path <path>', 'where to mount it (default: the type)')
    .option('--description <text>', 'a human-friendly description')
    .option('--version <n>', 'the engine version (kv: 1 or 2)')
    .option('--default-lease-ttl <duration>', 'default lease TTL (e.g. 1h)')
    .option('--max-lease-ttl <duration>', 'maximum lease TTL')
    .option('--options <k=v>', 'an engine option (repeatable)', collectMap)
    .option('--local', 'do not replicate this mount')
    .action(
      action(
        env,
        async (
          type: string,
          opts: {
            path?: string;
            description?: string;
            version?: string;
            defaultLeaseTtl?: string;
            maxLeaseTtl?: string;
            options?: Record<string, string>;
            local?: boolean;
          },
        ) => {
          const path = cleanPath(opts.path ?? type, '-path');
          const options: Record<string, string> = { ...(opts.options ?? {}) };
          if (opts.version !== undefined) options.version = opts.version;
          const client = makeClient(ctx);
          // The vault CLI's body: empty-string TTLs mean "system default".
          await client.write(
            `sys/mounts/${path}`,
            {
              type,
              description: opts.description ?? '',
              config: {
                default_lease_ttl: opts.defaultLeaseTtl ?? '',
                max_lease_ttl: opts.maxLeaseTtl ?? '',
                force_no_cache: false,
              },
              local: opts.local ?? false,
              seal_wrap: false,
              external_entropy_access: false,
              options: Object.keys(options).length > 0 ? options : null,
            },
            { action: `enabling the ${type} secrets engine at ${path}/` },
          );
          ctx.io.out(`Success! Enabled the ${type} secrets engine at: ${path}/\n`);
        },
      ),
    );

  secrets
    .command('disable')
    .description('Disable a secrets engine; ALL its data is deleted')
    .argument('<path>')
    .action(
      action(env, async (pathArg: string) => {
        const path = cleanPath(pathArg);
        await makeClient(ctx).delete(`sys/mounts/${path}`, { action: `disabling the secrets engine at ${path}/` });
        ctx.io.out(`Success! Disabled the secrets engine (if it existed) at: ${path}/\n`);
      }),
    );

  addOutputOptions(
    secrets.command('list').description('List the enabled secrets engines').option('--detailed', 'show more columns'),
    false,
  ).action(
    action(env, async (opts: { detailed?: boolean; format?: string }) => {
      const po = printOptions(ctx, opts);
      const res = await makeClient(ctx).request('GET', 'sys/mounts', { action: 'listing secrets engines' });
      if (po.format === 'json') return printJson(ctx.io, res.body);
      const entries = mountEntries(res.body);
      if (opts.detailed) {
        ctx.io.out(
          formatTable(
            entries.map(([p, e]) => [
              p,
              e.type ?? '',
              e.accessor ?? '',
              ttlText(e.config?.default_lease_ttl),
              ttlText(e.config?.max_lease_ttl),
              String(e.local ?? false),
              String(e.seal_wrap ?? false),
              e.options ? sortedEntries(e.options).map(([k, v]) => `${k}:${String(v)}`).join(' ') : '',
              e.description ?? '',
            ]),
            ['Path', 'Type', 'Accessor', 'Default TTL', 'Max TTL', 'Local', 'Seal Wrap', 'Options', 'Description'],
          ),
        );
        return;
      }
      ctx.io.out(mountTable(entries));
    }),
  );

  secrets
    .command('tune')
    .description('Change the settings of a secrets engine (description, TTLs, options)')
    .argument('<path>')
    .option('--description <text>', 'a new description')
    .option('--version <n>', 'the engine version (kv: switching 1 <-> 2 in place is refused; enable a new mount)')
    .option('--default-lease-ttl <duration>', 'default lease TTL')
    .option('--max-lease-ttl <duration>', 'maximum lease TTL')
    .option('--options <k=v>', 'an engine option (repeatable)', collectMap)
    .action(
      action(
        env,
        async (
          pathArg: string,
          opts: {
            description?: string;
            version?: string;
            defaultLeaseTtl?: string;
            maxLeaseTtl?: string;
            options?: Record<string, string>;
          },
        ) => {
          const path = cleanPath(pathArg);
          const body: Record<string, unknown> = {};
          if (opts.description !== undefined) body.description = opts.description;
          if (opts.defaultLeaseTtl !== undefined) body.default_lease_ttl = opts.defaultLeaseTtl;
          if (opts.maxLeaseTtl !== undefined) body.max_lease_ttl = opts.maxLeaseTtl;
          const options: Record<string, string> = { ...(opts.options ?? {}) };
          if (opts.version !== undefined) options.version = opts.version;
          if (Object.keys(options).length > 0) body.options = options;
          await makeClient(ctx).write(`sys/mounts/${path}/tune`, body, {
            action: `tuning the secrets engine at ${path}/`,
          });
          ctx.io.out(`Success! Tuned the secrets engine at: ${path}/\n`);
        },
      ),
    );
}
