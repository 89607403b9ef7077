/** `coffer audit enable|disable|list|log`: audit devices, over sys/audit (and sys/audit-log to read a file device back). */

import type { Command } from 'commander';
import { action, addOutputOptions, cleanPath, kvSources, makeClient, printOptions, type CommandEnv } from '../common.js';
import { EXIT_USAGE } from '../context.js';
import { parseKvArgs } from '../kvargs.js';
import { formatTable, formatValue, printJson, sortedEntries } from '../output.js';
import { mountEntries } from './secrets.js';

/** The `audit` command group. */
export function registerAudit(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const audit = program.command('audit').description('Enable, disable and list audit devices');

  audit
    .command('enable')
    .description('Enable an audit device, e.g. "audit enable file file_path=/var/log/coffer/audit.log"')
    .argument('<type>', 'device type (file)')
    .argument('[options...]', 'device options as key=value')
    .option('--path <path>', 'where to enable it (default: the type)')
    .option('--description <text>', 'a human-friendly description')
    .option('--local', 'do not replicate this device')
    .action(
      action(env, async (type: string, args: string[], opts: { path?: string; description?: string; local?: boolean }) => {
        const options = await parseKvArgs(args, kvSources(ctx));
        const path = cleanPath(opts.path ?? type, '-path');
        await makeClient(ctx).write(
          `sys/audit/${path}`,
          { type, description: opts.description ?? '', options, local: opts.local ?? false },
          { action: `enabling the ${type} audit device at ${path}/` },
        );
        ctx.io.out(`Success! Enabled the ${type} audit device at: ${path}/\n`);
      }),
    );

  audit
    .command('disable')
    .description('Disable an audit device')
    .argument('<path>')
    .action(
      action(env, async (pathArg: string) => {
        const path = cleanPath(pathArg);
        await makeClient(ctx).delete(`sys/audit/${path}`, { action: `disabling the audit device at ${path}/` });
        ctx.io.out(`Success! Disabled audit device (if it was enabled) at: ${path}/\n`);
      }),
    );

  addOutputOptions(
    audit.command('list').description('List the enabled audit devices').option('--detailed', 'show the options too'),
    false,
  ).action(
    action(env, async (opts: { detailed?: boolean; format?: string }) => {
      const po = printOptions(ctx, opts);
      const res = await makeClient(ctx).request('GET', 'sys/audit', { action: 'listing audit devices' });
      if (po.format === 'json') return printJson(ctx.io, res.body);
      const entries = mountEntries(res.body);
      if (entries.length === 0) {
        // Exit code 2 like vault, so scripts can test for "none enabled".
        ctx.io.out('No audit devices are enabled.\n');
        return EXIT_USAGE;
      }
      const header = opts.detailed ? ['Path', 'Type', 'Description', 'Options'] : ['Path', 'Type', 'Description'];
      ctx.io.out(
        formatTable(
          entries.map(([p, e]) => {
            const row = [p, e.type ?? '', e.description ?? ''];
            if (opts.detailed) row.push(formatValue(Object.fromEntries(sortedEntries(e.options ?? {}))));
            return row;
          }),
          header,
        ),
      );
    }),
  );

  addOutputOptions(
    audit
      .command('log')
      .description('Read a file audit device\'s log back, newest first (GET sys/audit-log/<device>; needs sudo)')
      .argument('<device>', 'the device path, e.g. file')
      .option('--since <time>', 'entries at or after this RFC 3339 time')
      .option('--until <time>', 'entries at or before this RFC 3339 time')
      .option('--path <prefix>', 'request paths starting with this')
      .option('--operation <op>', 'request operation (read, update, list, delete, ...)')
      .option('--accessor <accessor>', 'token accessor, plain or as hmac-sha256:... from the log')
      .option('--status <status>', '"error" or "ok"')
      .option('--type <type>', '"request" or "response"')
      .option('--limit <n>', 'entries per page (1-1000, default 100)')
      .option('--cursor <cursor>', 'continue from a previous page\'s next cursor')
      .option('--all', 'follow the cursor until the whole log is read'),
    false,
  ).action(
    action(env, async (deviceArg: string, opts: AuditLogOptions) => {
      const po = printOptions(ctx, opts);
      const device = cleanPath(deviceArg);
      const client = makeClient(ctx);
      const query: Record<string, string | undefined> = {
        since: opts.since,
        until: opts.until,
        path: opts.path,
        operation: opts.operation,
        accessor: opts.accessor,
        status: opts.status,
        type: opts.type,
        limit: opts.limit,
      };
      let cursor = opts.cursor;
      const entries: Record<string, unknown>[] = [];
      let next: string | null = null;
      do {
        const res = await client.request('GET', `sys/audit-log/${device}`, { query: { ...query, cursor }, action: `reading the audit log of ${device}/` });
        const data = (res.body as { data: { entries: Record<string, unknown>[]; next_cursor: string | null } }).data;
        entries.push(...data.entries);
        next = data.next_cursor;
        cursor = next ?? undefined;
      } while (opts.all && next);
      if (po.format === 'json') return printJson(ctx.io, { entries, next_cursor: next });
      if (entries.length === 0) ctx.io.out('No matching audit entries.\n');
      else ctx.io.out(formatTable(entries.map(auditRow), ['Time', 'Type', 'Operation', 'Path', 'Accessor', 'Error']));
      if (next) ctx.io.out(`More entries: --cursor ${next}\n`);
    }),
  );
}

interface AuditLogOptions {
  since?: string;
  until?: string;
  path?: string;
  operation?: string;
  accessor?: string;
  status?: string;
  type?: string;
  limit?: string;
  cursor?: string;
  all?: boolean;
  format?: string;
}

/** One table row of an audit entry (hashed values are shown as written). */
function auditRow(e: Record<string, unknown>): string[] {
  const req = (e.request ?? {}) as Record<string, unknown>;
  const auth = (e.auth ?? {}) as Record<string, unknown>;
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  return [s(e.time), s(e.type), s(req.operation), s(req.path), s(auth.accessor), s(e.error)];
}
