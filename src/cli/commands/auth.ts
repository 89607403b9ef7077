/** `coffer auth enable|disable|list|tune`: auth method mounts, over sys/auth. */

import type { Command } from 'commander';
import { action, addOutputOptions, cleanPath, intArg, makeClient, printOptions, type CommandEnv } from '../common.js';
import { printJson } from '../output.js';
import { mountEntries, mountTable } from './secrets.js';

type TuneOpts = {
  description?: string;
  defaultLeaseTtl?: string;
  maxLeaseTtl?: string;
  userLockoutThreshold?: number;
  userLockoutDuration?: string;
  userLockoutCounterResetDuration?: string;
  /** true with -user-lockout-disable, false with -user-lockout-disable=false, else undefined. */
  userLockoutDisable?: boolean;
};

/**
 * The `user_lockout_config` of a tune request, with only the flags given; undefined when none
 * was. Keys as the server reads them (spec §2.4); numbers and durations travel as strings,
 * like the vault CLI sends them.
 */
export function lockoutConfig(opts: TuneOpts): Record<string, unknown> | undefined {
  const cfg: Record<string, unknown> = {};
  if (opts.userLockoutThreshold !== undefined) cfg.lockout_threshold = String(opts.userLockoutThreshold);
  if (opts.userLockoutDuration !== undefined) cfg.lockout_duration = opts.userLockoutDuration;
  if (opts.userLockoutCounterResetDuration !== undefined) cfg.lockout_counter_reset = opts.userLockoutCounterResetDuration;
  if (opts.userLockoutDisable !== undefined) cfg.lockout_disable = opts.userLockoutDisable;
  return Object.keys(cfg).length > 0 ? cfg : undefined;
}

/** The `auth` command group. */
export function registerAuth(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const auth = program.command('auth').description('Enable, disable, list and tune auth methods');

  auth
    .command('enable')
    .description('Enable an auth method (e.g. userpass, approle) at a path')
    .argument('<type>')
    .option('--path <path>', 'where to mount it, under auth/ (default: the type)')
    .option('--description <text>', 'a human-friendly description')
    .option('--default-lease-ttl <duration>', 'default TTL of the tokens it issues (e.g. 1h)')
    .option('--max-lease-ttl <duration>', 'maximum TTL of the tokens it issues')
    .action(
      action(
        env,
        async (type: string, opts: { path?: string; description?: string; defaultLeaseTtl?: string; maxLeaseTtl?: string }) => {
          const path = cleanPath(opts.path ?? type, '-path');
          // The vault CLI's body (spec §5 step 1): empty-string TTLs mean "system default".
          await makeClient(ctx).write(
            `sys/auth/${path}`,
            {
              type,
              description: opts.description ?? '',
              config: {
                default_lease_ttl: opts.defaultLeaseTtl ?? '',
                max_lease_ttl: opts.maxLeaseTtl ?? '',
                force_no_cache: false,
                options: null,
              },
              local: false,
              seal_wrap: false,
              external_entropy_access: false,
              options: null,
            },
            { action: `enabling the ${type} auth method at auth/${path}/` },
          );
          ctx.io.out(`Success! Enabled ${type} auth method at: ${path}/\n`);
        },
      ),
    );

  auth
    .command('disable')
    .description('Disable an auth method; every token it issued is revoked')
    .argument('<path>')
    .action(
      action(env, async (pathArg: string) => {
        const path = cleanPath(pathArg);
        await makeClient(ctx).delete(`sys/auth/${path}`, { action: `disabling the auth method at auth/${path}/` });
        ctx.io.out(`Success! Disabled the auth method (if it existed) at: ${path}/\n`);
      }),
    );

  addOutputOptions(auth.command('list').description('List the enabled auth methods'), false).action(
    action(env, async (opts: { format?: string }) => {
      const po = printOptions(ctx, opts);
      const res = await makeClient(ctx).request('GET', 'sys/auth', { action: 'listing auth methods' });
      const entries = mountEntries(res.body);
      // Like vault: JSON is the map of mounts by path, not the response envelope.
      if (po.format === 'json') return printJson(ctx.io, Object.fromEntries(entries));
      ctx.io.out(mountTable(entries));
    }),
  );

  auth
    .command('tune')
    .description('Change the settings of an auth method, including its login lockout')
    .argument('<path>')
    .option('--description <text>', 'a new description')
    .option('--default-lease-ttl <duration>', 'default TTL of the tokens it issues')
    .option('--max-lease-ttl <duration>', 'maximum TTL of the tokens it issues')
    .option('--user-lockout-threshold <n>', 'failed logins before a user is locked out', intArg)
    .option('--user-lockout-duration <duration>', 'how long a locked-out user stays locked (e.g. 15m)')
    .option('--user-lockout-counter-reset-duration <duration>', 'how long until the failed-login count resets')
    .option('--user-lockout-disable', 'turn login lockout off for this mount')
    .option('--no-user-lockout-disable', 'turn login lockout back on')
    .action(
      action(env, async (pathArg: string, opts: TuneOpts) => {
        const path = cleanPath(pathArg);
        const body: Record<string, unknown> = {};
        if (opts.description !== undefined) body.description = opts.description;
        if (opts.defaultLeaseTtl !== undefined) body.default_lease_ttl = opts.defaultLeaseTtl;
        if (opts.maxLeaseTtl !== undefined) body.max_lease_ttl = opts.maxLeaseTtl;
        const lockout = lockoutConfig(opts);
        if (lockout) body.user_lockout_config = lockout;
        await makeClient(ctx).write(`sys/auth/${path}/tune`, body, { action: `tuning the auth method at auth/${path}/` });
        ctx.io.out(`Success! Tuned the auth method at: ${path}/\n`);
      }),
    );
}
