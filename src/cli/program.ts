/**
 * The `coffer` command tree and its runner: builds the commander program, normalises
 * Vault-style flags, runs the command and turns every failure into a message and an exit code.
 */

import { Command, CommanderError } from 'commander';
import { normalizeArgv } from './args.js';
import { registerAd } from './commands/ad.js';
import { registerAudit } from './commands/audit.js';
import { registerAuth } from './commands/auth.js';
import { registerGeneric } from './commands/generic.js';
import { registerIdentity } from './commands/identity.js';
import { registerKeyvault } from './commands/keyvault.js';
import { registerKv } from './commands/kv.js';
import { registerLogin } from './commands/login.js';
import { registerOperator, registerStatus } from './commands/operator.js';
import { registerPolicy } from './commands/policy.js';
import { registerRole } from './commands/role.js';
import { registerRun } from './commands/run.js';
import { registerSecrets } from './commands/secrets.js';
import { registerServer } from './commands/server.js';
import { registerToken } from './commands/token.js';
import { registerUnwrap } from './commands/unwrap.js';
import type { CommandEnv } from './common.js';
import { resolveToken } from './config.js';
import { CliError, EXIT_ERROR, EXIT_USAGE, type CliContext } from './context.js';
import { CLI_VERSION } from './version.js';

/** Build the command tree. `setExit` receives the exit code of the action that ran. */
export function buildProgram(ctx: CliContext, setExit: (code: number) => void): Command {
  const program = new Command('coffer');
  // Settings first: subcommands copy them when they are created.
  program
    .description('Coffer: a self-hosted secrets manager that speaks the Vault and Azure Key Vault APIs')
    .version(CLI_VERSION, '-v, --version', 'print the version')
    .enablePositionalOptions()
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
    })
    .addHelpText(
      'after',
      '\nFlags may be written Vault style (-format=json, -key-shares 5) or GNU style (--format json).\n' +
        'Environment: COFFER_ADDR (or VAULT_ADDR), COFFER_TOKEN (or VAULT_TOKEN; else ~/.coffer-token),\n' +
        'COFFER_CACERT, COFFER_SKIP_VERIFY.',
    );

  const env: CommandEnv = { ctx, setExit };
  registerServer(program, env);
  registerStatus(program, env);
  registerOperator(program, env);
  registerLogin(program, env);
  registerKv(program, env);
  registerSecrets(program, env);
  registerAuth(program, env);
  registerPolicy(program, env);
  registerToken(program, env);
  registerUnwrap(program, env);
  registerAudit(program, env);
  registerKeyvault(program, env);
  registerAd(program, env);
  registerIdentity(program, env);
  registerRole(program, env);
  registerRun(program, env);
  registerGeneric(program, env);
  program
    .command('version')
    .description('Print the version')
    .action(() => {
      ctx.io.out(`Coffer v${CLI_VERSION}\n`);
      setExit(0);
    });
  return program;
}

/** Long flag names of the whole tree, split into boolean flags and flags that take a value. */
export function collectFlags(program: Command): { booleanFlags: Set<string>; valueFlags: Set<string> } {
  const booleanFlags = new Set<string>(['help']);
  const valueFlags = new Set<string>();
  const walk = (cmd: Command): void => {
    for (const opt of cmd.options) {
      if (!opt.long) continue;
      const name = opt.long.replace(/^--/, '');
      if (opt.required || opt.optional) valueFlags.add(name);
      else booleanFlags.add(name);
    }
    cmd.commands.forEach(walk);
  };
  walk(program);
  return { booleanFlags, valueFlags };
}

/** Run the CLI on `argv` (without node and the script name); resolves to the exit code. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  let exitCode = 0;
  const program = buildProgram(ctx, (code) => (exitCode = code));
  try {
    await program.parseAsync(normalizeArgv(argv, collectFlags(program)), { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (or the help).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return EXIT_USAGE;
    }
    if (err instanceof CliError) {
      ctx.io.err(`${err.message}\n`);
      return err.exitCode;
    }
    ctx.io.err(`Error: ${redactToken(ctx, err instanceof Error ? err.message : String(err))}\n`);
    return EXIT_ERROR;
  }
}

/** Unexpected errors did not pass through the client's redaction: never let the token out. */
function redactToken(ctx: CliContext, message: string): string {
  try {
    const { token } = resolveToken(ctx.env, ctx.home);
    return token && token.length >= 4 ? message.split(token).join('<redacted>') : message;
  } catch {
    return message;
  }
}
