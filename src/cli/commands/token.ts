/** `coffer token create|lookup|renew|revoke`: the token auth method (auth/token/...). */

import type { Command } from 'commander';
import {
  action,
  addOutputOptions,
  addWrapOption,
  collectList,
  collectMap,
  intArg,
  makeClient,
  printOptions,
  type CommandEnv,
} from '../common.js';
import { usageError } from '../context.js';
import { printSecret, secretRows, sortedEntries } from '../output.js';

type CreateOpts = {
  policy?: string[];
  ttl?: string;
  explicitMaxTtl?: string;
  period?: string;
  numUses?: number;
  useLimit?: number;
  orphan?: boolean;
  displayName?: string;
  metadata?: Record<string, string>;
  /** false when --no-default-policy was given. */
  defaultPolicy?: boolean;
  role?: string;
  type?: string;
  id?: string;
  wrapTtl?: string;
  format?: string;
  field?: string;
};

/** The `token` command group. */
export function registerToken(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const token = program.command('token').description('Create, look up, renew and revoke tokens');

  addOutputOptions(
    addWrapOption(
      token
        .command('create')
        .description('Create a token (a child of the current one unless -orphan)')
        .option('--policy <name>', 'a policy for the token (repeatable, or comma-separated)', collectList)
        .option('--ttl <duration>', 'initial TTL (e.g. 1h)')
        .option('--explicit-max-ttl <duration>', 'hard maximum lifetime, even through renewals')
        .option('--period <duration>', 'make it periodic: each renewal resets the TTL to this')
        .option('--num-uses <n>', 'number of requests the token may make (0 = unlimited)', intArg)
        .option('--use-limit <n>', 'same as -num-uses (vault spelling)', intArg)
        .option('--orphan', 'create a token with no parent (auth/token/create-orphan)')
        .option('--display-name <name>', 'a name shown in lookups and audit logs')
        .option('--metadata <k=v>', 'a metadata entry (repeatable)', collectMap)
        .option('--no-default-policy', 'do not attach the "default" policy')
        .option('--role <name>', 'create through a token role (auth/token/create/ROLE)')
        .option('--type <type>', 'service or batch')
        .option('--id <token>', 'choose the token value (root only)'),
    ),
  ).action(
    action(env, async (opts: CreateOpts) => {
      const po = printOptions(ctx, opts);
      if (opts.orphan && opts.role) throw usageError('-orphan and -role cannot be combined');
      if (opts.role !== undefined && (opts.role.trim() === '' || opts.role.includes('/'))) {
        throw usageError('-role must be a token role name (no "/"), e.g. -role=ci');
      }
      const body: Record<string, unknown> = {};
      if (opts.policy && opts.policy.length > 0) body.policies = opts.policy;
      if (opts.ttl !== undefined) body.ttl = opts.ttl;
      if (opts.explicitMaxTtl !== undefined) body.explicit_max_ttl = opts.explicitMaxTtl;
      if (opts.period !== undefined) body.period = opts.period;
      const uses = opts.numUses ?? opts.useLimit;
      if (uses !== undefined) body.num_uses = uses;
      if (opts.displayName !== undefined) body.display_name = opts.displayName;
      if (opts.metadata !== undefined) body.meta = opts.metadata;
      if (opts.defaultPolicy === false) body.no_default_policy = true;
      if (opts.type !== undefined) body.type = opts.type;
      if (opts.id !== undefined) body.id = opts.id;
      const path = opts.orphan
        ? 'auth/token/create-orphan'
        : opts.role
          ? `auth/token/create/${opts.role.trim()}`
          : 'auth/token/create';
      const client = makeClient(ctx);
      client.addSecret(opts.id);
      // With -wrap-ttl the answer is wrap_info, printed by printSecret like vault (the wrapping token is the point).
      const res = await client.write(path, body, { action: `creating a token (${path})`, wrapTtl: opts.wrapTtl });
      printSecret(ctx.io, res.body, po);
    }),
  );

  addOutputOptions(
    token
      .command('lookup')
      .description('Show the properties of a token (default: the current one)')
      .argument('[token]', 'the token to look up (or its accessor with -accessor)')
      .option('--accessor', 'the argument is an accessor'),
  ).action(
    action(env, async (arg: string | undefined, opts: { accessor?: boolean; format?: string; field?: string }) => {
      const po = printOptions(ctx, opts);
      const client = makeClient(ctx);
      let res;
      if (arg === undefined) {
        if (opts.accessor) throw usageError('-accessor needs an accessor argument');
        res = await client.request('GET', 'auth/token/lookup-self', { action: 'looking up the current token' });
      } else if (opts.accessor) {
        res = await client.write('auth/token/lookup-accessor', { accessor: arg }, { action: 'looking up a token by accessor' });
      } else {
        client.addSecret(arg);
        res = await client.write('auth/token/lookup', { token: arg }, { action: 'looking up a token' });
      }
      printSecret(ctx.io, res.body, po, sortedEntries(res.body?.data));
    }),
  );

  addOutputOptions(
    token
      .command('renew')
      .description('Extend the TTL of a token (default: the current one)')
      .argument('[token]', 'the token to renew (or its accessor with -accessor)')
      .option('--increment <duration>', 'requested TTL extension (e.g. 1h)')
      .option('-i <duration>', 'same as -increment')
      .option('--accessor', 'the argument is an accessor'),
  ).action(
    action(
      env,
      async (arg: string | undefined, opts: { increment?: string; i?: string; accessor?: boolean; format?: string; field?: string }) => {
        const po = printOptions(ctx, opts);
        const client = makeClient(ctx);
        const increment = opts.increment ?? opts.i;
        const inc = increment !== undefined ? { increment } : {};
        let res;
        if (arg === undefined) {
          if (opts.accessor) throw usageError('-accessor needs an accessor argument');
          res = await client.write('auth/token/renew-self', inc, { action: 'renewing the current token' });
        } else if (opts.accessor) {
          res = await client.write('auth/token/renew-accessor', { accessor: arg, ...inc }, { action: 'renewing a token by accessor' });
        } else {
          client.addSecret(arg);
          res = await client.write('auth/token/renew', { token: arg, ...inc }, { action: 'renewing a token' });
        }
        printSecret(ctx.io, res.body, po, secretRows(res.body));
      },
    ),
  );

  token
    .command('revoke')
    .description('Revoke a token and its children')
    .argument('[token]', 'the token to revoke (or its accessor with -accessor)')
    .option('--self', 'revoke the current token')
    .option('--accessor', 'the argument is an accessor')
    .action(
      action(env, async (arg: string | undefined, opts: { self?: boolean; accessor?: boolean }) => {
        const client = makeClient(ctx);
        if (opts.self) {
          if (arg !== undefined || opts.accessor) throw usageError('-self takes no token and no -accessor');
          await client.write('auth/token/revoke-self', undefined, { action: 'revoking the current token' });
        } else if (arg === undefined) {
          throw usageError('give a token to revoke, an accessor with -accessor, or -self');
        } else if (opts.accessor) {
          await client.write('auth/token/revoke-accessor', { accessor: arg }, { action: 'revoking a token by accessor' });
        } else {
          client.addSecret(arg);
          await client.write('auth/token/revoke', { token: arg }, { action: 'revoking a token' });
        }
        ctx.io.out('Success! Revoked token (if it existed)\n');
      }),
    );
}
