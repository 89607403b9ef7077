/**
 * `coffer server`: the one command that runs the server instead of calling it. The server
 * runtime is imported lazily so the other commands never load core/ or storage drivers.
 */

import type { Command } from 'commander';
import { action, type CommandEnv } from '../common.js';
import { CliError } from '../context.js';

/** The options handed to runServer (src/server/run.ts). */
export interface ServerCliOptions {
  dev?: boolean;
  devRootTokenId?: string;
  devListenAddress?: string;
  devPersist?: string;
  config?: string;
  devTls?: boolean;
  devBaseDomain?: string;
  logLevel?: string;
}

type RunServer = (options: ServerCliOptions) => Promise<unknown>;

/** The `server` command. `load` is injectable for tests; by default it imports server/run.js. */
export function registerServer(
  program: Command,
  env: CommandEnv,
  load: () => Promise<{ runServer: RunServer }> = () => import('../../server/run.js') as Promise<{ runServer: RunServer }>,
): void {
  program
    .command('server')
    .description('Run a Coffer server (-dev: in memory, unsealed, with a root token; for trying things out)')
    .option('--dev', 'development mode: in-memory storage, unsealed, root token printed')
    .option('--dev-root-token-id <id>', 'dev mode: use this root token instead of a random one')
    .option('--dev-listen-address <host:port>', 'dev mode: listen here (default 127.0.0.1:8200)')
    .option('--dev-persist <dir>', 'dev mode: keep data (and an INSECURE unseal key) in this directory')
    .option('--dev-tls', 'dev mode with https: a generated local CA, certificates for localhost and *.<base domain> (implies --dev)')
    .option('--dev-base-domain <domain>', 'Key Vault API: serve vaults at <vault>.<domain> (default vault.localhost)')
    .option('--config <file>', 'server configuration file (production mode)')
    .option('--log-level <level>', 'trace, debug, info, warn or error')
    .action(
      action(env, async (opts: ServerCliOptions) => {
        const options: ServerCliOptions = {};
        for (const key of ['dev', 'devRootTokenId', 'devListenAddress', 'devPersist', 'config', 'devTls', 'devBaseDomain', 'logLevel'] as const) {
          if (opts[key] !== undefined) (options as Record<string, unknown>)[key] = opts[key];
        }
        const { runServer } = await load();
        try {
          await runServer(options);
        } catch (err) {
          // Configuration problems are the user's to fix: one line, no stack.
          if (err instanceof Error && err.name === 'ConfigError') throw new CliError(`Error starting the server: ${err.message}`);
          throw err;
        }
        // The listener keeps the process alive; signals stop it (handled by the runtime).
      }),
    );
}
