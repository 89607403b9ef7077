/**
 * `coffer operator rekey`: new unseal key shares, authorised by a quorum of the current ones,
 * over sys/rekey (as `vault operator rekey`).
 *
 *   coffer operator rekey -init -key-shares=5 -key-threshold=3
 *   coffer operator rekey [KEY]          each holder of a current share (asked for when KEY is absent)
 *   coffer operator rekey -status | -cancel
 */
import type { Command } from 'commander';
import { action, addOutputOptions, intArg, makeClient, printOptions, readKeyShare, type CommandEnv } from '../common.js';
import { usageError } from '../context.js';
import { printJson, printPlainBody } from '../output.js';

interface Options {
  init?: boolean;
  status?: boolean;
  cancel?: boolean;
  keyShares: number;
  keyThreshold: number;
  nonce?: string;
  format?: string;
  field?: string;
}

/** Registers `rekey` under `operator`. */
export function registerOperatorRekey(operator: Command, env: CommandEnv): void {
  const { ctx } = env;
  addOutputOptions(
    operator
      .command('rekey')
      .description('Replace the unseal key shares (new count and threshold), authorised by a quorum of the current ones')
      .argument('[key]', 'a current unseal key share (hex or base64); asked for without echo when absent, "-" reads stdin')
      .option('--init', 'start a rekey')
      .option('--key-shares <n>', 'number of new key shares (with -init)', intArg, 5)
      .option('--key-threshold <n>', 'number of new shares needed to unseal (with -init)', intArg, 3)
      .option('--status', 'print the current rekey')
      .option('--cancel', 'cancel the current rekey, discarding the shares given')
      .option('--nonce <nonce>', 'the rekey\'s nonce (read from the server when absent)'),
  ).action(
    action(env, async (keyArg: string | undefined, opts: Options) => {
      const po = printOptions(ctx, opts);
      if ([opts.init, opts.status, opts.cancel].filter(Boolean).length > 1) throw usageError('give only one of -init, -status and -cancel');
      if (keyArg !== undefined && (opts.init || opts.status || opts.cancel)) throw usageError('a key share goes alone (with -nonce at most)');
      const client = makeClient(ctx);
      const status = async () => ((await client.request('GET', 'sys/rekey/init', { action: 'reading the rekey status' })).body ?? {}) as Record<string, unknown>;
      const print = (body: Record<string, unknown>) => {
        printPlainBody(ctx.io, body, po, [
          ['Nonce', body.nonce ?? ''],
          ['Started', body.started ?? false],
          ['Rekey Progress', `${String(body.progress ?? 0)}/${String(body.required ?? 0)}`],
          ['New Shares', body.n ?? 0],
          ['New Threshold', body.t ?? 0],
        ]);
      };

      if (opts.status) return print(await status());
      if (opts.cancel) {
        await client.request('DELETE', 'sys/rekey/init', { action: 'cancelling the rekey' });
        ctx.io.out('Success! Canceled rekeying (if it was started)\n');
        return;
      }
      if (opts.init) {
        const res = await client.write('sys/rekey/init', { secret_shares: opts.keyShares, secret_threshold: opts.keyThreshold }, { action: 'starting the rekey' });
        return print((res.body ?? {}) as Record<string, unknown>);
      }
      const key = await readKeyShare(ctx, client, keyArg);
      const nonce = opts.nonce ?? String((await status()).nonce ?? '');
      const res = await client.write('sys/rekey/update', { key, nonce }, { action: 'giving a key share' });
      const body = (res.body ?? {}) as Record<string, unknown>;
      if (body.complete !== true) return print(body);
      const b64 = (body.keys_base64 ?? []) as string[];
      if (po.format === 'json') return printJson(ctx.io, body);
      b64.forEach((k, i) => ctx.io.out(`Key ${i + 1}: ${k}\n`));
      ctx.io.out(
        `\nOperation nonce: ${String(body.nonce ?? '')}\n\n` +
          `Coffer has been rekeyed with ${b64.length} new key shares. The old shares no longer unseal it.\n` +
          'Distribute the new shares to different people and store them safely.\n',
      );
    }),
  );
}
