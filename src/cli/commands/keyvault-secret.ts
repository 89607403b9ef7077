/**
 * `coffer keyvault secret set|show|list|list-versions|list-deleted|show-deleted|set-attributes|
 * delete|recover|purge|backup|restore`: the az commands, over the `keyvault/<v>/` engine routes
 * of the Vault API (docs/dev/AZURE.md). They print az's JSON shapes; only `set` and `show`
 * print a secret value, as az does.
 */

import { readUserFile, writeNewFile } from '../files.js';
import { Option, type Command } from 'commander';
import type { CofferClient } from '../client.js';
import { action, intArg, makeClient, type CommandEnv } from '../common.js';
import { CliError, usageError, type CliContext } from '../context.js';
import {
  addAzOutput,
  azBool,
  isoToUnix,
  listAllItems,
  addObjectTarget,
  objectTarget,
  parseTags,
  printAz,
  secretJson,
  vaultMount,
  vaultUrl,
  type AzOutputOptions,
} from '../azure.js';

type Json = Record<string, unknown>;

type SecretOpts = AzOutputOptions & { vaultName?: string; name?: string; id?: string; version?: string };

const target = (opts: SecretOpts, needName = true) => objectTarget(opts, 'secrets', needName);
const addTarget = (cmd: Command, withVersion = false) => addObjectTarget(cmd, 'secrets', withVersion);

/** Attribute flags shared by set and set-attributes. */
function addAttributeFlags(cmd: Command): Command {
  return cmd
    .option('--content-type <type>', 'a content type, e.g. text/plain')
    .option('--tags <tags...>', 'space-separated tags: key[=value]; "" clears them')
    .option('--expires <iso>', 'expiration, ISO 8601 (e.g. 2027-01-31T00:00:00Z)')
    .option('--not-before <iso>', 'not valid before, ISO 8601');
}

type AttrOpts = { contentType?: string; tags?: string[]; expires?: string; notBefore?: string };

/** The `attributes` object of a request from the flags (only what was given). */
function attributesOf(opts: AttrOpts, enabled: boolean | undefined): Json {
  const attributes: Json = {};
  if (enabled !== undefined) attributes.enabled = enabled;
  if (opts.notBefore !== undefined) attributes.nbf = isoToUnix(opts.notBefore, '--not-before');
  if (opts.expires !== undefined) attributes.exp = isoToUnix(opts.expires, '--expires');
  return attributes;
}

const ENCODINGS = ['utf-8', 'ascii', 'base64', 'hex'] as const;

/** The secret value of `set`: `--value`, or `--file` (`-` is stdin) read with `--encoding`. */
async function valueOf(ctx: CliContext, opts: { value?: string; file?: string; encoding?: string }): Promise<{ value: string; fromFile: boolean }> {
  if ((opts.value === undefined) === (opts.file === undefined)) throw usageError('give exactly one of --value or --file');
  if (opts.value !== undefined) return { value: opts.value, fromFile: false };
  let bytes: Buffer;
  if (opts.file === '-') {
    bytes = Buffer.from(await ctx.io.readStdin(), 'utf8');
  } else {
    bytes = await readUserFile(opts.file!);
  }
  const encoding = (opts.encoding ?? 'utf-8').toLowerCase();
  const value = encoding === 'base64' ? bytes.toString('base64') : encoding === 'hex' ? bytes.toString('hex') : bytes.toString(encoding === 'ascii' ? 'ascii' : 'utf8');
  return { value, fromFile: true };
}

/** The engine path of a secret (or of one version). */
function secretPath(vault: string, name: string, version?: string): string {
  return `${vaultMount(vault)}/secrets/${name}${version ? `/${version}` : ''}`;
}

/** Reads a deleted secret; null when there is none. */
async function readDeleted(client: CofferClient, vault: string, name: string): Promise<Json | null> {
  const res = await client.request('GET', `${vaultMount(vault)}/deletedsecrets/${name}`, {
    allowNotFound: true,
    action: `reading deleted secret "${name}"`,
  });
  return res.status === 404 ? null : ((res.body?.data ?? null) as Json | null);
}

/** Registers the `keyvault secret` subgroup on `kv`. */
export function registerKeyvaultSecret(kv: Command, env: CommandEnv): void {
  const { ctx } = env;
  const secret = kv.command('secret').description('Manage secrets in a vault (az keyvault secret ...)');

  addAttributeFlags(
    addTarget(
      secret
        .command('set')
        .description('Create a secret, or a new version of it (prints the secret, value included, like az)')
        .option('--value <value>', 'the value (visible in process listings: prefer --file)')
        .option('-f, --file <path>', 'read the value from a file ("-" for stdin)')
        .addOption(new Option('-e, --encoding <encoding>', 'how --file bytes become the value (kept as the file-encoding tag)').choices(ENCODINGS))
        .option('--disabled [bool]', 'create the version disabled'),
    ),
  ).action(
    action(env, async (opts: SecretOpts & AttrOpts & { value?: string; file?: string; encoding?: string; disabled?: string | boolean }) => {
      const t = target(opts);
      if (t.version) throw usageError('secret set creates a new version: --version does not apply');
      const { value, fromFile } = await valueOf(ctx, opts);
      const disabled = azBool(opts.disabled, '--disabled');
      const body: Json = { value, attributes: attributesOf(opts, disabled === undefined ? undefined : !disabled) };
      let tags = parseTags(opts.tags);
      // Like az: a value from a file records how it was encoded.
      if (fromFile) tags = { 'file-encoding': (opts.encoding ?? 'utf-8').toLowerCase(), ...(tags ?? {}) };
      if (tags !== undefined) body.tags = tags;
      if (opts.contentType !== undefined) body.contentType = opts.contentType;
      const client = makeClient(ctx);
      client.addSecret(value);
      const res = await client.request('PUT', secretPath(t.vault, t.name), { body, action: `setting secret "${t.name}" in vault "${t.vault}"` });
      // The engine does not echo the value; az prints it, and it is the one we just sent.
      printAz(ctx.io, secretJson(vaultUrl(ctx.env, t.vault), { name: t.name, ...(res.body?.data ?? {}), value }, { kind: 'bundle', withValue: true }), opts);
    }),
  );

  addTarget(secret.command('show').description('Show a secret, value included (like az)'), true).action(
    action(env, async (opts: SecretOpts) => {
      const t = target(opts);
      const res = await makeClient(ctx).request('GET', secretPath(t.vault, t.name, t.version), { action: `reading secret "${t.name}" in vault "${t.vault}"` });
      printAz(ctx.io, secretJson(vaultUrl(ctx.env, t.vault), { name: t.name, ...(res.body?.data ?? {}) }, { kind: 'bundle', withValue: true }), opts);
    }),
  );

  addAzOutput(
    secret
      .command('list')
      .description('List the secrets of a vault (no values)')
      .option('--vault-name <name>', 'the vault name')
      .option('--maxresults <n>', 'list at most this many', intArg)
      .option('--include-managed [bool]', 'include managed (certificate-backed) secrets'),
  ).action(
    action(env, async (opts: SecretOpts & { maxresults?: number; includeManaged?: string | boolean }) => {
      const { vault } = target(opts, false);
      const items = await listAllItems(makeClient(ctx), `${vaultMount(vault)}/secrets/`, `listing the secrets of vault "${vault}"`, opts.maxresults);
      const includeManaged = azBool(opts.includeManaged, '--include-managed') ?? false;
      const url = vaultUrl(ctx.env, vault);
      printAz(
        ctx.io,
        items.filter((i) => includeManaged || !i.managed).map((i) => secretJson(url, i, { kind: 'item' })),
        opts,
      );
    }),
  );

  addTarget(secret.command('list-versions').description('List the versions of a secret (no values)'))
    .option('--maxresults <n>', 'list at most this many', intArg)
    .action(
      action(env, async (opts: SecretOpts & { maxresults?: number }) => {
        const t = target(opts);
        const items = await listAllItems(makeClient(ctx), `${secretPath(t.vault, t.name)}/versions/`, `listing the versions of secret "${t.name}"`, opts.maxresults);
        const url = vaultUrl(ctx.env, t.vault);
        printAz(ctx.io, items.map((i) => secretJson(url, { name: t.name, ...i }, { kind: 'item', versioned: true })), opts);
      }),
    );

  addAzOutput(
    secret
      .command('list-deleted')
      .description('List the deleted (recoverable) secrets of a vault')
      .option('--vault-name <name>', 'the vault name')
      .option('--maxresults <n>', 'list at most this many', intArg),
  ).action(
    action(env, async (opts: SecretOpts & { maxresults?: number }) => {
      const { vault } = target(opts, false);
      const items = await listAllItems(makeClient(ctx), `${vaultMount(vault)}/deletedsecrets/`, `listing the deleted secrets of vault "${vault}"`, opts.maxresults);
      const url = vaultUrl(ctx.env, vault);
      printAz(ctx.io, items.map((i) => secretJson(url, i, { kind: 'deletedItem' })), opts);
    }),
  );

  addTarget(secret.command('show-deleted').description('Show a deleted secret (no value)')).action(
    action(env, async (opts: SecretOpts) => {
      const t = target(opts);
      const data = await readDeleted(makeClient(ctx), t.vault, t.name);
      if (!data) throw new CliError(`No deleted secret "${t.name}" in vault "${t.vault}"`);
      printAz(ctx.io, secretJson(vaultUrl(ctx.env, t.vault), { name: t.name, ...data }, { kind: 'deleted' }), opts);
    }),
  );

  addAttributeFlags(
    addTarget(secret.command('set-attributes').description('Change the attributes of a secret version (default: the latest)'), true)
      .option('--enabled [bool]', 'enable (true) or disable (false) the version')
      .option('--disabled [bool]', 'the opposite of --enabled'),
  ).action(
    action(env, async (opts: SecretOpts & AttrOpts & { enabled?: string | boolean; disabled?: string | boolean }) => {
      const t = target(opts);
      const enabledFlag = azBool(opts.enabled, '--enabled');
      const disabledFlag = azBool(opts.disabled, '--disabled');
      if (enabledFlag !== undefined && disabledFlag !== undefined) throw usageError('give --enabled or --disabled, not both');
      const enabled = enabledFlag ?? (disabledFlag === undefined ? undefined : !disabledFlag);
      const body: Json = {};
      const attributes = attributesOf(opts, enabled);
      if (Object.keys(attributes).length > 0) body.attributes = attributes;
      const tags = parseTags(opts.tags);
      if (tags !== undefined) body.tags = tags;
      if (opts.contentType !== undefined) body.contentType = opts.contentType;
      const res = await makeClient(ctx).request('PATCH', secretPath(t.vault, t.name, t.version), {
        body,
        contentType: 'application/merge-patch+json',
        action: `updating secret "${t.name}" in vault "${t.vault}"`,
      });
      printAz(ctx.io, secretJson(vaultUrl(ctx.env, t.vault), { name: t.name, ...(res.body?.data ?? {}) }, { kind: 'bundle' }), opts);
    }),
  );

  addTarget(secret.command('delete').description('Delete a secret (recoverable until purged or its retention ends)')).action(
    action(env, async (opts: SecretOpts) => {
      const t = target(opts);
      const client = makeClient(ctx);
      const res = await client.request('DELETE', secretPath(t.vault, t.name), { action: `deleting secret "${t.name}" in vault "${t.vault}"` });
      const data = (res.body?.data as Json | undefined) ?? (await readDeleted(client, t.vault, t.name));
      if (data) printAz(ctx.io, secretJson(vaultUrl(ctx.env, t.vault), { name: t.name, ...data }, { kind: 'deleted' }), opts);
    }),
  );

  addTarget(secret.command('recover').description('Recover a deleted secret')).action(
    action(env, async (opts: SecretOpts) => {
      const t = target(opts);
      const res = await makeClient(ctx).request('POST', `${vaultMount(t.vault)}/deletedsecrets/${t.name}/recover`, {
        body: {},
        action: `recovering secret "${t.name}" in vault "${t.vault}"`,
      });
      printAz(ctx.io, secretJson(vaultUrl(ctx.env, t.vault), { name: t.name, ...(res.body?.data ?? {}) }, { kind: 'bundle' }), opts);
    }),
  );

  addTarget(secret.command('purge').description('Delete a deleted secret for good')).action(
    action(env, async (opts: SecretOpts) => {
      const t = target(opts);
      await makeClient(ctx).request('DELETE', `${vaultMount(t.vault)}/deletedsecrets/${t.name}`, { action: `purging secret "${t.name}" in vault "${t.vault}"` });
    }),
  );

  addTarget(secret.command('backup').description('Write an encrypted backup of every version of a secret to a file (mode 0600)'))
    .option('-f, --file <path>', 'the backup file to create (must not exist)')
    .action(
      action(env, async (opts: SecretOpts & { file?: string }) => {
        const t = target(opts);
        if (!opts.file) throw usageError('--file is required: where to write the backup');
        const res = await makeClient(ctx).request('POST', `${secretPath(t.vault, t.name)}/backup`, {
          body: {},
          action: `backing up secret "${t.name}" in vault "${t.vault}"`,
        });
        const blob = res.body?.data?.value;
        if (typeof blob !== 'string' || blob === '') throw new CliError('The server returned no backup blob');
        await writeNewFile(opts.file, Buffer.from(blob, 'base64url'));
      }),
    );

  addAzOutput(
    secret
      .command('restore')
      .description('Restore a secret (all its versions) from a backup file')
      .option('--vault-name <name>', 'the vault name')
      .option('-f, --file <path>', 'the backup file'),
  ).action(
    action(env, async (opts: SecretOpts & { file?: string }) => {
      const { vault } = target(opts, false);
      if (!opts.file) throw usageError('--file is required: the backup file');
      const bytes = await readUserFile(opts.file);
      const res = await makeClient(ctx).request('POST', `${vaultMount(vault)}/restore`, {
        body: { value: bytes.toString('base64url') },
        action: `restoring a secret into vault "${vault}"`,
      });
      printAz(ctx.io, secretJson(vaultUrl(ctx.env, vault), (res.body?.data ?? {}) as Json, { kind: 'bundle' }), opts);
    }),
  );
}
