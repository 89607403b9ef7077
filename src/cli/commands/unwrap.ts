/**
 * `coffer unwrap [TOKEN]`: redeem a single-use wrapping token (sys/wrapping/unwrap) and print
 * the response it holds, like the vault CLI.
 */

import type { Command } from 'commander';
import { action, addOutputOptions, makeClient, printOptions, type CommandEnv } from '../common.js';
import { resolveToken } from '../config.js';
import { usageError } from '../context.js';
import { pickField, printKeys, printRawField, printSecret, secretRows } from '../output.js';

/** The keys of an unwrapped list answer (data holds only `keys`), else undefined. */
function listKeys(body: Record<string, unknown> | null): string[] | undefined {
  const data = body?.data as Record<string, unknown> | null | undefined;
  if (!data || typeof data !== 'object' || !Array.isArray(data.keys) || Object.keys(data).length !== 1) return undefined;
  return data.keys.map(String);
}

/** The `unwrap` command. */
export function registerUnwrap(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  addOutputOptions(
    program
      .command('unwrap')
      .description(
        'Unwrap a wrapped response: print what the wrapping token holds (the token is then used up).\n' +
          'Without TOKEN, the current token (COFFER_TOKEN) is taken as the wrapping token.',
      )
      .argument('[token]', 'the wrapping token'),
  ).action(
    action(env, async (arg: string | undefined, opts: { format?: string; field?: string }) => {
      const po = printOptions(ctx, opts);
      const client = makeClient(ctx);
      const wrapping = arg?.trim();
      const what = 'unwrapping (sys/wrapping/unwrap)';
      let res;
      if (wrapping === undefined || wrapping === '') {
        if (!client.hasToken) {
          throw usageError('nothing to unwrap: give the wrapping token (coffer unwrap TOKEN) or set it as COFFER_TOKEN');
        }
        res = await client.write('sys/wrapping/unwrap', undefined, { action: what });
      } else {
        client.addSecret(wrapping);
        const { token: current } = resolveToken(ctx.env, ctx.home);
        // As vault's client does: with a token of our own, name the wrapping token in the body;
        // without one (or when it is the same token), the wrapping token authenticates the call.
        res =
          current && current !== wrapping
            ? await client.write('sys/wrapping/unwrap', { token: wrapping }, { action: what })
            : await client.write('sys/wrapping/unwrap', undefined, { action: what, token: wrapping });
      }
      const body = (res.body ?? null) as Record<string, unknown> | null;
      if (res.status === 204 || body === null) {
        if (po.format === 'table' && po.field === undefined) {
          ctx.io.out('Successfully unwrapped. There was no data in the wrapped secret.\n');
        }
        return;
      }
      if (po.field !== undefined) return printRawField(ctx.io, pickField(secretRows(body), po.field));
      const keys = listKeys(body);
      if (keys && po.format === 'table') return printKeys(ctx.io, keys, po.format);
      printSecret(ctx.io, body, po);
    }),
  );
}
