/**
 * `coffer status` and `coffer operator init|unseal|seal|rotate|key-status`: the seal
 * lifecycle, over sys/init, sys/seal-status, sys/unseal, sys/seal, sys/rotate and sys/key-status.
 */

import type { Command } from 'commander';
import { registerOperatorGenerateRoot } from './operator-generate-root.js';
import { registerOperatorMigrate } from './operator-migrate.js';
import { registerOperatorRekey } from './operator-rekey.js';
import { registerOperatorSnapshot } from './operator-snapshot.js';
import { action, addOutputOptions, intArg, makeClient, printOptions, readKeyShare, type CommandEnv } from '../common.js';
import { EXIT_USAGE, usageError } from '../context.js';
import { formatKeyValueTable, formatTable, printJson, printPlainBody, printRawField, pickField, type PrintOptions } from '../output.js';
import type { Io } from '../context.js';

/** The rows `coffer status` prints for a sys/seal-status answer. */
export function sealStatusRows(s: Record<string, unknown>): [string, unknown][] {
  const rows: [string, unknown][] = [
    ['Seal Type', s.type ?? 'shamir'],
    ['Initialized', s.initialized ?? false],
    ['Sealed', s.sealed ?? true],
    ['Total Shares', s.n ?? 0],
    ['Threshold', s.t ?? 0],
  ];
  if (s.sealed) {
    rows.push(['Unseal Progress', `${String(s.progress ?? 0)}/${String(s.t ?? 0)}`]);
    rows.push(['Unseal Nonce', s.nonce ?? '']);
  }
  rows.push(['Version', s.version ?? '']);
  if (s.build_date) rows.push(['Build Date', s.build_date]);
  rows.push(['Storage Type', s.storage_type ?? '']);
  if (s.cluster_name) rows.push(['Cluster Name', s.cluster_name]);
  if (s.cluster_id) rows.push(['Cluster ID', s.cluster_id]);
  rows.push(['HA Enabled', s.ha_enabled ?? false]);
  // Every node serves requests; "active" is the one leading background work (expiry, purges).
  if (s.ha_mode) rows.push(['HA Mode', s.ha_mode], ['Active Node Address', s.active_node_address ?? '']);
  return rows;
}

function printSealStatus(io: Io, body: Record<string, unknown>, opts: PrintOptions): void {
  printPlainBody(io, body, opts, sealStatusRows(body));
}

/** `coffer status`: exit 0 when unsealed, 2 when sealed, 1 on error (like vault). */
export function registerStatus(program: Command, env: CommandEnv): void {
  const cmd = program
    .command('status')
    .description('Print the seal status of the server (exit code 0 unsealed, 2 sealed, 1 error)');
  addOutputOptions(cmd).action(
    action(env, async (opts: { format?: string; field?: string }) => {
      const po = printOptions(env.ctx, opts);
      const client = makeClient(env.ctx);
      const res = await client.request('GET', 'sys/seal-status', { action: 'checking the seal status' });
      const body = (res.body ?? {}) as Record<string, unknown>;
      if (body.sealed === false) {
        // As vault does: the cluster part comes from sys/leader (unauthenticated).
        const leader = await client.request('GET', 'sys/leader', { action: 'reading the cluster leader' }).catch(() => undefined);
        const l = (leader?.body ?? {}) as Record<string, unknown>;
        if (l.ha_enabled === true) Object.assign(body, { ha_enabled: true, ha_mode: l.is_self ? 'active' : 'standby', active_node_address: l.leader_address ?? '' });
      }
      printSealStatus(env.ctx.io, body, po);
      return body.sealed === false ? 0 : EXIT_USAGE;
    }),
  );
}

/** The `operator` command group. */
export function registerOperator(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const operator = program.command('operator').description('Initialize, unseal, seal and rotate the server');
  registerOperatorSnapshot(operator, env);
  registerOperatorMigrate(operator, env);
  registerOperatorGenerateRoot(operator, env);
  registerOperatorRekey(operator, env);

  addOutputOptions(
    operator
      .command('init')
      .description('Initialize the server: create the root key, split it into unseal key shares, and create a root token')
      .option('--key-shares <n>', 'number of unseal key shares to create', intArg, 5)
      .option('--key-threshold <n>', 'number of shares needed to unseal', intArg, 3)
      .option('--status', 'only print whether the server is initialized (exit 0 yes, 2 no)')
      .option('--root-token', 'create an initial root token (the default)')
      .option('--no-root-token', 'create no root token (-root-token=false): the server config\'s bootstrap block makes the first admin'),
    false,
  ).action(
    action(env, async (opts: { keyShares: number; keyThreshold: number; status?: boolean; format?: string; rootToken?: boolean }) => {
      const po = printOptions(ctx, opts);
      const client = makeClient(ctx);
      if (opts.status) {
        const res = await client.request('GET', 'sys/init', { action: 'checking the init status' });
        const initialized = res.body?.initialized === true;
        if (po.format === 'json') printJson(ctx.io, res.body);
        else ctx.io.out(initialized ? 'Coffer is initialized\n' : 'Coffer is not initialized\n');
        return initialized ? 0 : EXIT_USAGE;
      }
      const shares = opts.keyShares;
      const threshold = opts.keyThreshold;
      if (shares < 1 || threshold < 1 || threshold > shares || shares > 255) {
        throw usageError('-key-threshold must be between 1 and -key-shares, and -key-shares at most 255');
      }
      if (shares > 1 && threshold < 2) {
        throw usageError('-key-threshold must be at least 2 when -key-shares is more than 1');
      }
      const res = await client.write(
        'sys/init',
        { secret_shares: shares, secret_threshold: threshold, ...(opts.rootToken === false ? { root_token: false } : {}) },
        { action: 'initializing' },
      );
      const body = (res.body ?? {}) as { keys?: string[]; keys_base64?: string[]; root_token?: string };
      const hex = body.keys ?? [];
      const b64 = body.keys_base64 ?? hex;
      if (po.format === 'json') {
        // The vault CLI's shape, so existing scripts (`jq -r .unseal_keys_b64[0]`) keep working.
        printJson(ctx.io, {
          unseal_keys_b64: b64,
          unseal_keys_hex: hex,
          unseal_shares: shares,
          unseal_threshold: threshold,
          recovery_keys_b64: [],
          recovery_keys_hex: [],
          recovery_keys_shares: 0,
          recovery_keys_threshold: 0,
          root_token: body.root_token ?? '',
        });
        return;
      }
      b64.forEach((k, i) => ctx.io.out(`Unseal Key ${i + 1}: ${k}\n`));
      if (opts.rootToken === false) ctx.io.out('\nNo root token was created (-root-token=false): log in with the admin the bootstrap block creates.\n\n');
      else ctx.io.out(`\nInitial Root Token: ${body.root_token ?? ''}\n\n`);
      ctx.io.out(
        `Coffer initialized with ${shares} key shares and a key threshold of ${threshold}. Distribute the\n` +
          `key shares printed above to different people and store them safely. When the server is\n` +
          `restarted or sealed, ${threshold} of these keys must be given to "coffer operator unseal".\n\n` +
          `Coffer does not store the root key. Without at least ${threshold} keys the data stays\n` +
          `sealed for good.\n`,
      );
    }),
  );

  addOutputOptions(
    operator
      .command('unseal')
      .description('Give one unseal key share (asked for without echo when KEY is not given; "-" reads stdin)')
      .argument('[key]', 'an unseal key share (hex or base64)')
      .option('--reset', 'discard the key shares given so far'),
  ).action(
    action(env, async (keyArg: string | undefined, opts: { reset?: boolean; format?: string; field?: string }) => {
      const po = printOptions(ctx, opts);
      const client = makeClient(ctx);
      let body: Record<string, unknown>;
      if (opts.reset) {
        if (keyArg !== undefined) throw usageError('-reset takes no key');
        body = { reset: true };
      } else {
        body = { key: await readKeyShare(ctx, client, keyArg) };
      }
      const res = await client.write('sys/unseal', body, { action: 'unsealing' });
      printSealStatus(ctx.io, (res.body ?? {}) as Record<string, unknown>, po);
    }),
  );

  operator
    .command('seal')
    .description('Seal the server: it forgets its keys and answers 503 until unsealed again')
    .action(
      action(env, async () => {
        const client = makeClient(ctx);
        await client.write('sys/seal', undefined, { action: 'sealing' });
        ctx.io.out('Success! Coffer is sealed.\n');
      }),
    );

  const keyStatusRows = (b: Record<string, unknown>): [string, unknown][] => [
    ['Key Term', b.term ?? ''],
    ['Install Time', b.install_time ?? ''],
    ['Encryption Count', b.encryptions ?? ''],
  ];
  const keyStatus = async (client: ReturnType<typeof makeClient>): Promise<Record<string, unknown>> => {
    const res = await client.request('GET', 'sys/key-status', { action: 'reading the key status' });
    // sys/key-status copies its data to the top level; prefer `data` when present.
    return (res.body?.data ?? res.body ?? {}) as Record<string, unknown>;
  };

  addOutputOptions(
    operator.command('rotate').description('Add a new encryption key term; new writes use it, old terms still decrypt'),
  ).action(
    action(env, async (opts: { format?: string; field?: string }) => {
      const po = printOptions(ctx, opts);
      const client = makeClient(ctx);
      await client.write('sys/rotate', undefined, { action: 'rotating the encryption key' });
      const status = await keyStatus(client);
      if (po.field !== undefined) return printRawField(ctx.io, pickField(Object.entries(status), po.field));
      if (po.format === 'json') return printJson(ctx.io, status);
      ctx.io.out('Success! Rotated key\n\n');
      ctx.io.out(formatKeyValueTable(keyStatusRows(status)));
    }),
  );

  operator
    .command('step-down')
    .description('Make the node leading background work (expiry, purges, rotation) hand it to another node; every node keeps serving requests')
    .action(
      action(env, async () => {
        await makeClient(ctx).write('sys/step-down', undefined, { action: 'asking the leader to step down' });
        ctx.io.out('Success! Stepped down: another node takes over the background work.\n');
      }),
    );

  addOutputOptions(operator.command('members').description('List the nodes of the cluster, their addresses, the leader and each last heartbeat')).action(
    action(env, async (opts: { format?: string; field?: string }) => {
      const po = printOptions(ctx, opts);
      const res = await makeClient(ctx).request('GET', 'sys/ha-status', { action: 'reading the cluster members' });
      const body = (res.body?.data ?? res.body ?? {}) as { Nodes?: Record<string, unknown>[] };
      const nodes = body.Nodes ?? [];
      if (po.format === 'json') return printJson(ctx.io, body);
      const header = ['Host Name', 'API Address', 'Cluster Address', 'Active Node', 'Version', 'Last Echo'];
      const rows = nodes.map((n) => [n.hostname, n.api_address, n.cluster_address, n.active_node, n.version, n.last_echo ?? 'n/a'].map((v) => String(v ?? '')));
      ctx.io.out(formatTable(rows, header));
    }),
  );

  addOutputOptions(operator.command('key-status').description('Print the current encryption key term')).action(
    action(env, async (opts: { format?: string; field?: string }) => {
      const po = printOptions(ctx, opts);
      const status = await keyStatus(makeClient(ctx));
      printPlainBody(ctx.io, status, po, keyStatusRows(status));
    }),
  );
}
