/**
 * `coffer login`: get a token from an auth method, check it with lookup-self, and store it
 * in ~/.coffer-token (mode 0600) so later commands use it. Methods live in a table, so
 * adding one (approle, userpass) means adding an entry, not editing the command.
 */

import type { Command } from 'commander';
import type { CofferClient } from '../client.js';
import { ApiError } from '../client.js';
import { action, addOutputOptions, kvSources, makeClient, printOptions, type CommandEnv } from '../common.js';
import { tokenFilePath, writeTokenFile } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError, usageError } from '../context.js';
import { parseKvArgs } from '../kvargs.js';
import { authRows, formatKeyValueTable, pickField, printJson, printRawField } from '../output.js';

/** What a method's login step receives. */
export interface LoginInput {
  client: CofferClient;
  ctx: CliContext;
  /** `k=v` arguments. */
  fields: Record<string, unknown>;
  /** The one argument without `=`, if any (the token for the token method). */
  positional?: string;
  /** The mount path of the method (`-path`, default the method's own). */
  mountPath: string;
}

/** An auth method the CLI can log in with. */
export interface AuthMethod {
  /** Mount path used when `-path` is not given. */
  defaultPath: string;
  /** One line for `coffer login --help`. */
  summary: string;
  /** Obtain a token (may prompt). The caller validates it with lookup-self. */
  login(input: LoginInput): Promise<string>;
}

/** The token method: the token is given (argument, `token=`, stdin with `-`) or asked for. */
const tokenMethod: AuthMethod = {
  defaultPath: 'token',
  summary: 'token: coffer login [TOKEN]  (asks for it without echo when not given; "-" reads stdin)',
  async login({ ctx, fields, positional }) {
    let token: string | undefined = positional;
    if (token === undefined && typeof fields.token === 'string') token = fields.token;
    if (token === '-') token = (await ctx.io.readStdin()).split(/\r?\n/)[0];
    token ??= await ctx.io.promptSecret('Token (will be hidden): ');
    token = (token ?? '').trim();
    if (token === '') throw usageError('no token given');
    return token;
  },
};

/** Auth methods by `-method` name. */
export const AUTH_METHODS: Record<string, AuthMethod> = { token: tokenMethod };

/** The `login` command. */
export function registerLogin(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const cmd = program
    .command('login')
    .description(
      'Authenticate and store the token in ~/.coffer-token (mode 0600) for later commands.\n' +
        `Methods: ${Object.values(AUTH_METHODS)
          .map((m) => m.summary)
          .join('; ')}`,
    )
    .argument('[args...]', 'TOKEN for the token method, or k=v fields of the method')
    .option('--method <name>', 'auth method', 'token')
    .option('--path <mount>', "mount path of the auth method (default: the method's name)")
    .option('--no-store', 'do not store the token; print it instead');
  addOutputOptions(cmd).action(
    action(
      env,
      async (args: string[], opts: { method: string; path?: string; store: boolean; format?: string; field?: string }) => {
        const po = printOptions(ctx, opts);
        const method = AUTH_METHODS[opts.method];
        if (!method) {
          throw usageError(
            `unknown auth method "${opts.method}": supported methods are ${Object.keys(AUTH_METHODS).join(', ')}`,
          );
        }
        const positional = args.filter((a) => !a.includes('=') && a !== '-');
        const dash = args.includes('-') ? ['-'] : [];
        const all = [...positional, ...dash];
        if (all.length > 1) throw usageError('login takes at most one argument without "=" (the token)');
        const fields = await parseKvArgs(
          args.filter((a) => a.includes('=')),
          kvSources(ctx),
        );
        const client = makeClient(ctx);
        const token = await method.login({
          client,
          ctx,
          fields,
          positional: all[0],
          mountPath: (opts.path ?? method.defaultPath).replace(/^\/+|\/+$/g, ''),
        });
        client.addSecret(token);

        // Check the token before storing it, so a typo never replaces a working login.
        let lookup;
        try {
          lookup = await client.request('GET', 'auth/token/lookup-self', {
            token,
            action: 'checking the token (auth/token/lookup-self)',
          });
        } catch (err) {
          if (err instanceof ApiError && err.status === 403) {
            throw new CliError('Error logging in: the server rejected the token (invalid, expired or revoked). Nothing was stored.');
          }
          throw err;
        }
        const data = (lookup.body?.data ?? {}) as Record<string, unknown>;
        const auth: Record<string, unknown> = {
          client_token: token,
          accessor: data.accessor ?? '',
          policies: data.policies ?? [],
          token_policies: data.policies ?? [],
          identity_policies: data.identity_policies ?? [],
          metadata: data.meta ?? null,
          lease_duration: data.ttl ?? 0,
          renewable: data.renewable ?? false,
          entity_id: data.entity_id ?? '',
          token_type: data.type ?? 'service',
          orphan: data.orphan ?? false,
        };

        let stored: string | undefined;
        if (opts.store) stored = writeTokenFile(ctx.home, token);

        const rows = authRows(auth);
        if (po.field !== undefined) return printRawField(ctx.io, pickField(rows, po.field));
        // JSON is for scripts that asked for the response, so it carries the token like vault's.
        if (po.format === 'json') return printJson(ctx.io, { auth });
        if (stored) {
          ctx.io.out(
            `Success! You are now authenticated. The token is stored in ${tokenFilePath(ctx.home)}\n` +
              'and later commands use it; you do not need to run "coffer login" again.\n\n',
          );
          const override = ['COFFER_TOKEN', 'VAULT_TOKEN'].find((n) => ctx.env[n]);
          if (override) {
            ctx.io.err(`WARNING! ${override} is set and takes precedence over the stored token.\n\n`);
          }
        } else {
          ctx.io.out('Success! You are now authenticated. The token was not stored (-no-store).\n\n');
        }
        // The token itself is shown only when it was not stored: then the user needs it.
        ctx.io.out(formatKeyValueTable(stored ? rows.filter(([k]) => k !== 'token') : rows));
      },
    ),
  );
}
