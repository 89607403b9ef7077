/** `coffer audit enable|disable|list`: audit devices, over sys/audit. */

import type { Command } from 'commander';
import { action, addOutputOptions, cleanPath, kvSources, makeClient, printOptions, type CommandEnv } from '../common.js';
import { EXIT_USAGE } from '../context.js';
import { parseKvArgs } from '../kvargs.js';
import { formatTable, formatValue, printJson, sortedEntries } from '../output.js';
import { mountEntries } from './secrets.js';

/** The `audit` command group. */
export function registerAudit(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const audit = program.command('audit').description('Enable, disable and list audit devices');

  audit
    .command('enable')
    .description('Enable an audit device, e.g. "audit enable file file_path=/var/log/coffer/audit.log"')
    .argument('<type>', 'device type (file)')
    .argument('[options...]', 'device options as key=value')
    .option('--path <path>', 'where to enable it (default: the type)')
    .option('--description <text>', 'a human-friendly description')
    .option('--local', 'do not replicate this device')
    .action(
      action(env, async (type: string, args: string[], opts: { path?: string; description?: string; local?: boolean }) => {
        const options = await parseKvArgs(args, kvSources(ctx));
        const path = cleanPath(opts.path ?? type, '-path');
        await makeClient(ctx).write(
          `sys/audit/${path}`,
          { type, description: opts.description ?? '', options, local: opts.local ?? false },
          { action: `enabling the ${type} audit device at ${path}/` },
        );
        ctx.io.out(`Success! Enabled the ${type} audit device at: ${path}/\n`);
      }),
    );

  audit
    .command('disable')
    .description('Disable an audit device')
    .argument('<path>')
    .action(
      action(env, async (pathArg: string) => {
        const path = cleanPath(pathArg);
        await makeClient(ctx).delete(`sys/audit/${path}`, { action: `disabling the audit device at ${path}/` });
        ctx.io.out(`Success! Disabled audit device (if it was enabled) at: ${path}/\n`);
      }),
    );

  addOutputOptions(
    audit.command('list').description('List the enabled audit devices').option('--detailed', 'show the options too'),
    false,
  ).action(
    action(env, async (opts: { detailed?: boolean; format?: string }) => {
      const po = printOptions(ctx, opts);
      const res = await makeClient(ctx).request('GET', 'sys/audit', { action: 'listing audit devices' });
      if (po.format === 'json') return printJson(ctx.io, res.body);
      const entries = mountEntries(res.body);
      if (entries.length === 0) {
        // Exit code 2 like vault, so scripts can test for "none enabled".
        ctx.io.out('No audit devices are enabled.\n');
        return EXIT_USAGE;
      }
      const header = opts.detailed ? ['Path', 'Type', 'Description', 'Options'] : ['Path', 'Type', 'Description'];
      ctx.io.out(
        formatTable(
          entries.map(([p, e]) => {
            const row = [p, e.type ?? '', e.description ?? ''];
            if (opts.detailed) row.push(formatValue(Object.fromEntries(sortedEntries(e.options ?? {}))));
            return row;
          }),
          header,
        ),
      );
    }),
  );
}
