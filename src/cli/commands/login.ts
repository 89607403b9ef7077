/**
 * `coffer login`: get a token from an auth method (token, userpass, approle) and store it in
 * ~/.coffer-token (mode 0600) so later commands use it. A given token is checked with
 * lookup-self first; methods that log in show the `auth` block of their answer. Methods live
 * in a table, so adding one means adding an entry, not editing the command.
 */

import type { Command } from 'commander';
import type { CofferClient } from '../client.js';
import { ApiError } from '../client.js';
import { action, addOutputOptions, cleanPath, kvSources, makeClient, printOptions, type CommandEnv } from '../common.js';
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

/** What a method's login step gives back. */
export interface LoginResult {
  /** The client token to use (and store). */
  token: string;
  /**
   * The login answer, when the method called a login endpoint: its `auth` block is shown and
   * no lookup-self is needed. Absent for a token given by the user, which is checked first.
   */
  response?: Record<string, unknown>;
}

/** An auth method the CLI can log in with. */
export interface AuthMethod {
  /** Mount path used when `-path` is not given. */
  defaultPath: string;
  /** Its lines in `coffer login --help` (keep them under 80 columns). */
  summary: string;
  /** Obtain a token (may prompt). */
  login(input: LoginInput): Promise<LoginResult>;
}

/** The token method: the token is given (argument, `token=`, stdin with `-`) or asked for. */
const tokenMethod: AuthMethod = {
  defaultPath: 'token',
  summary: 'token:    coffer login [TOKEN]\n      asked for without echo when not given; "-" reads it from stdin',
  async login({ ctx, fields, positional }) {
    let token: string | undefined = positional;
    if (token === undefined && typeof fields.token === 'string') token = fields.token;
    if (token === '-') token = (await ctx.io.readStdin()).split(/\r?\n/)[0];
    token ??= await ctx.io.promptSecret('Token (will be hidden): ');
    token = (token ?? '').trim();
    if (token === '') throw usageError('no token given');
    return { token };
  },
};

/** A `k=v` field given at most once, as a string (undefined when absent). Never echoes the value. */
function singleField(fields: Record<string, unknown>, name: string): string | undefined {
  const v = fields[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw usageError(`give ${name}= only once`);
  return v;
}

/** Reject what a method does not take: a bare argument, or an unknown k=v key (likely a typo). */
function checkArgs(method: string, input: LoginInput, allowed: readonly string[], usage: string): void {
  // The bare argument may be a secret typed without its key: do not echo it.
  if (input.positional !== undefined) throw usageError(`${method} login takes only key=value arguments: ${usage}`);
  const unknown = Object.keys(input.fields).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw usageError(`unknown ${method} login field(s) ${unknown.map((k) => `"${k}"`).join(', ')}: expected ${allowed.join(', ')}`);
  }
}

/** The token of a login answer; a clear error (without the answer) when it has none. */
function loginResult(body: unknown, what: string): LoginResult {
  const b = (body ?? {}) as Record<string, unknown>;
  const auth = b.auth as { client_token?: unknown } | null | undefined;
  if (!auth || typeof auth.client_token !== 'string' || auth.client_token === '') {
    throw new CliError(`Error ${what}: the server answered without a token (no auth.client_token). Nothing was stored.`);
  }
  return { token: auth.client_token, response: b };
}

/**
 * Send a login request without any token (like vault: a stale one must not get in the way).
 * A 403 is explained as a login failure, not as a missing token.
 */
async function loginRequest(client: CofferClient, path: string, body: unknown, what: string): Promise<LoginResult> {
  try {
    const res = await client.request('PUT', path, { token: null, body, action: what });
    return loginResult(res.body, what);
  } catch (err) {
    if (err instanceof ApiError && err.status === 403) {
      const detail = err.errors.join('; ') || 'permission denied';
      throw new CliError(
        `Error ${what}: ${detail} (403). Repeated failed logins lock the user out for a while ` +
          '(see "coffer auth tune -user-lockout-*"). Nothing was stored.',
      );
    }
    throw err;
  }
}

const USERPASS_USAGE = 'coffer login -method=userpass [-path=userpass] username=NAME [password=...]';

/** userpass: POST auth/<path>/login/<username> {password}; the password is asked for without echo. */
const userpassMethod: AuthMethod = {
  defaultPath: 'userpass',
  summary: `userpass: ${USERPASS_USAGE.replace('coffer login ', '')}\n      the password is asked for without echo when not given`,
  async login(input) {
    const { client, ctx, fields, mountPath } = input;
    checkArgs('userpass', input, ['username', 'password'], USERPASS_USAGE);
    const username = singleField(fields, 'username')?.trim();
    if (!username) throw usageError(`userpass login needs a username: ${USERPASS_USAGE}`);
    if (username.includes('/')) throw usageError('the username must not contain "/"');
    // password=- and password=@FILE keep the line end of `echo` and editors: drop it.
    let password = singleField(fields, 'password')?.replace(/\r?\n$/, '');
    password ??= await ctx.io.promptSecret('Password (will be hidden): ');
    if (!password) throw usageError('no password given: type it at the prompt, or use password=@FILE or password=- (stdin)');
    client.addSecret(password);
    return loginRequest(client, `auth/${mountPath}/login/${username}`, { password }, `logging in as ${username} (auth/${mountPath}/login)`);
  },
};

const APPROLE_USAGE = 'coffer login -method=approle [-path=approle] role_id=ID [secret_id=ID]';

/** approle: POST auth/<path>/login {role_id, secret_id}; both are redacted from errors. */
const approleMethod: AuthMethod = {
  defaultPath: 'approle',
  summary: `approle:  ${APPROLE_USAGE.replace('coffer login ', '')}\n      secret_id=@FILE or secret_id=- keeps it out of the shell history`,
  async login(input) {
    const { client, fields, mountPath } = input;
    checkArgs('approle', input, ['role_id', 'secret_id'], APPROLE_USAGE);
    const roleId = singleField(fields, 'role_id')?.trim();
    if (!roleId) throw usageError(`approle login needs a role_id: ${APPROLE_USAGE}`);
    const secretId = singleField(fields, 'secret_id')?.trim();
    client.addSecret(roleId);
    client.addSecret(secretId);
    const body: Record<string, string> = { role_id: roleId };
    // A role with bind_secret_id=false logs in with the role_id alone.
    if (secretId) body.secret_id = secretId;
    return loginRequest(client, `auth/${mountPath}/login`, body, `logging in with approle (auth/${mountPath}/login)`);
  },
};

/** Auth methods by `-method` name. */
export const AUTH_METHODS: Record<string, AuthMethod> = {
  token: tokenMethod,
  userpass: userpassMethod,
  approle: approleMethod,
};

/** The `login` command. */
export function registerLogin(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const cmd = program
    .command('login')
    .description(
      'Authenticate and store the token in ~/.coffer-token (mode 0600) for later commands.\n' +
        // Indented lines: commander keeps them as written instead of re-wrapping.
        `Methods:\n${Object.values(AUTH_METHODS)
          .map((m) => `  ${m.summary}`)
          .join('\n')}`,
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
        const result = await method.login({
          client,
          ctx,
          fields,
          positional: all[0],
          mountPath: cleanPath(opts.path ?? method.defaultPath, '-path'),
        });
        const token = result.token;
        client.addSecret(token);
        const { auth, json } = result.response
          ? { auth: result.response.auth as Record<string, unknown>, json: result.response }
          : await checkToken(client, token);

        let stored: string | undefined;
        if (opts.store) stored = writeTokenFile(ctx.home, token);

        const rows = authRows(auth);
        if (po.field !== undefined) return printRawField(ctx.io, pickField(rows, po.field));
        // JSON is for scripts that asked for the response, so it carries the token like vault's.
        if (po.format === 'json') return printJson(ctx.io, json);
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

/**
 * Check a token the user gave with lookup-self before storing it, so a typo never replaces a
 * working login; build the `auth` block vault would show from the lookup.
 */
async function checkToken(client: CofferClient, token: string): Promise<{ auth: Record<string, unknown>; json: unknown }> {
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
  return { auth, json: { auth } };
}
