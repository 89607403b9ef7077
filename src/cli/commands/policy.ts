/** `coffer policy write|read|list|delete`: ACL policies, over sys/policies/acl. */

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { action, addOutputOptions, makeClient, printOptions, type CommandEnv } from '../common.js';
import { EXIT_USAGE, usageError } from '../context.js';
import { printJson, printKeys } from '../output.js';

/** The `policy` command group. */
export function registerPolicy(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const policy = program.command('policy').description('Write, read, list and delete ACL policies');

  policy
    .command('write')
    .description('Upload a policy from a file, or from stdin with "-" (HCL or JSON)')
    .argument('<name>')
    .argument('<file>', 'a policy file, or - for stdin')
    .action(
      action(env, async (name: string, file: string) => {
        let text: string;
        if (file === '-') {
          text = await ctx.io.readStdin();
        } else {
          try {
            text = await readFile(file, 'utf8');
          } catch (err) {
            throw usageError(`cannot read the policy file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
          }
        }
        if (text.trim() === '') throw usageError('the policy is empty');
        await makeClient(ctx).write(`sys/policies/acl/${name}`, { policy: text }, { action: `writing policy "${name}"` });
        ctx.io.out(`Success! Uploaded policy: ${name}\n`);
      }),
    );

  addOutputOptions(policy.command('read').description('Print a policy').argument('<name>'), false).action(
    action(env, async (name: string, opts: { format?: string }) => {
      const po = printOptions(ctx, opts);
      const res = await makeClient(ctx).read(`sys/policies/acl/${name}`, { action: `reading policy "${name}"` });
      if (!res) {
        ctx.io.err(`No policy named: ${name}\n`);
        return EXIT_USAGE;
      }
      if (po.format === 'json') return printJson(ctx.io, res.body);
      const text = String(res.body?.data?.policy ?? res.body?.data?.rules ?? '');
      ctx.io.out(text.endsWith('\n') ? text : `${text}\n`);
    }),
  );

  addOutputOptions(policy.command('list').description('List policy names'), false).action(
    action(env, async (opts: { format?: string }) => {
      const po = printOptions(ctx, opts);
      const keys = await makeClient(ctx).list('sys/policies/acl', { action: 'listing policies' });
      printKeys(ctx.io, keys ?? [], po.format);
    }),
  );

  policy
    .command('delete')
    .description('Delete a policy (tokens that have it lose its rules at once)')
    .argument('<name>')
    .action(
      action(env, async (name: string) => {
        await makeClient(ctx).delete(`sys/policies/acl/${name}`, { action: `deleting policy "${name}"` });
        ctx.io.out(`Success! Deleted policy: ${name}\n`);
      }),
    );
}
