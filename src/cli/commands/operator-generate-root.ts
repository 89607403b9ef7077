/**
 * `coffer operator generate-root`: a new root token from a quorum of unseal key shares, over
 * sys/generate-root (as `vault operator generate-root`). The server returns the token only XORed
 * with a one-time pad (OTP); `-decode` undoes that locally, so the token crosses no wire in clear.
 *
 *   coffer operator generate-root -init            start; prints the nonce and the generated OTP
 *   coffer operator generate-root [KEY]            give one share (asked for when KEY is absent)
 *   coffer operator generate-root -decode=ENC -otp=OTP
 *   coffer operator generate-root -status | -cancel | -generate-otp
 */
import { randomInt } from 'node:crypto';
import type { Command } from 'commander';
import { action, addOutputOptions, makeClient, printOptions, readKeyShare, type CommandEnv } from '../common.js';
import { usageError } from '../context.js';
import { printPlainBody } from '../output.js';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface Options {
  init?: boolean;
  status?: boolean;
  cancel?: boolean;
  generateOtp?: boolean;
  decode?: string;
  otp?: string;
  nonce?: string;
  format?: string;
  field?: string;
}

/** Registers `generate-root` under `operator`. */
export function registerOperatorGenerateRoot(operator: Command, env: CommandEnv): void {
  const { ctx } = env;
  addOutputOptions(
    operator
      .command('generate-root')
      .description('Make a new root token from a quorum of unseal key shares (start with -init; decode the result with -decode and -otp)')
      .argument('[key]', 'an unseal key share (hex or base64); asked for without echo when absent, "-" reads stdin')
      .option('--init', 'start a root token generation (an OTP is generated unless -otp is given)')
      .option('--status', 'print the current attempt')
      .option('--cancel', 'cancel the current attempt, discarding the shares given')
      .option('--generate-otp', 'print a one-time pad of the length the server needs, for -init -otp')
      .option('--decode <encoded>', 'decode the encoded token the last share returned (needs -otp)')
      .option('--otp <otp>', 'the one-time pad: for -init (instead of a generated one) or -decode')
      .option('--nonce <nonce>', 'the attempt\'s nonce (read from the server when absent)'),
  ).action(
    action(env, async (keyArg: string | undefined, opts: Options) => {
      const po = printOptions(ctx, opts);
      const modes = [opts.init, opts.status, opts.cancel, opts.generateOtp, opts.decode !== undefined].filter(Boolean).length;
      if (modes > 1) throw usageError('give only one of -init, -status, -cancel, -generate-otp and -decode');
      if (keyArg !== undefined && modes > 0) throw usageError('a key share goes alone (with -nonce at most)');

      if (opts.decode !== undefined) {
        if (!opts.otp) throw usageError('-decode needs -otp: the one-time pad the attempt was started with');
        ctx.io.out(`${decodeToken(opts.decode, opts.otp)}\n`);
        return;
      }
      const client = makeClient(ctx);
      if (opts.otp) client.addSecret(opts.otp);
      const status = async () => ((await client.request('GET', 'sys/generate-root/attempt', { action: 'reading the root generation status' })).body ?? {}) as Record<string, unknown>;
      const print = (body: Record<string, unknown>) => {
        const rows: [string, unknown][] = [
          ['Nonce', body.nonce ?? ''],
          ['Started', body.started ?? false],
          ['Progress', `${String(body.progress ?? 0)}/${String(body.required ?? 0)}`],
          ['Complete', body.complete ?? false],
        ];
        if (body.encoded_token) rows.push(['Encoded Token', body.encoded_token]);
        if (body.otp) rows.push(['OTP', body.otp]);
        rows.push(['OTP Length', body.otp_length ?? 0]);
        printPlainBody(ctx.io, body, po, rows);
        if (po.field !== undefined || po.format === 'json') return;
        if (body.otp) ctx.io.out('\nKeep the OTP: it is shown only now, and decodes the token the last share returns.\n');
        if (body.encoded_token) ctx.io.out('\nDecode it with: coffer operator generate-root -decode=<encoded token> -otp=<otp>\n');
      };

      if (opts.generateOtp) {
        const length = Number((await status()).otp_length ?? 0);
        if (!Number.isInteger(length) || length <= 0) throw usageError('the server did not report an OTP length');
        ctx.io.out(`${Array.from({ length }, () => BASE62[randomInt(62)]).join('')}\n`);
        return;
      }
      if (opts.status) return print(await status());
      if (opts.cancel) {
        await client.request('DELETE', 'sys/generate-root/attempt', { action: 'cancelling the root generation' });
        ctx.io.out('Success! Root token generation canceled (if it was started)\n');
        return;
      }
      if (opts.init) {
        const res = await client.write('sys/generate-root/attempt', opts.otp ? { otp: opts.otp } : {}, { action: 'starting the root generation' });
        return print((res.body ?? {}) as Record<string, unknown>);
      }
      const key = await readKeyShare(ctx, client, keyArg);
      const nonce = opts.nonce ?? String((await status()).nonce ?? '');
      const res = await client.write('sys/generate-root/update', { key, nonce }, { action: 'giving a key share' });
      print((res.body ?? {}) as Record<string, unknown>);
    }),
  );
}

/** The token from `encoded` (base64 of token XOR otp), as `vault operator generate-root -decode` does. */
export function decodeToken(encoded: string, otp: string): string {
  const bytes = Buffer.from(encoded.trim(), 'base64');
  const pad = Buffer.from(otp.trim(), 'utf8');
  if (bytes.length !== pad.length) throw usageError(`the OTP has ${pad.length} characters but the encoded token decodes to ${bytes.length} bytes: is it the OTP this attempt was started with?`);
  for (let i = 0; i < bytes.length; i++) bytes[i]! ^= pad[i]!;
  return bytes.toString('utf8');
}
