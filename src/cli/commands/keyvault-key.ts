/**
 * `coffer keyvault key create|import|show|list|list-versions|list-deleted|show-deleted|set-attributes|
 * delete|recover|purge|backup|restore|rotate|rotation-policy show|update|encrypt|decrypt|sign|verify|random`:
 * the az commands, over the `keyvault/<v>/` key routes of the Vault API (docs/dev/AZURE.md).
 * They print az's JSON shapes; no command ever prints private key material (the server never
 * returns it). Byte values on the command line are standard base64, as in az.
 */

import { readFile } from 'node:fs/promises';
import { readUserFile, writeNewFile } from '../files.js';
import { Option, type Command } from 'commander';
import type { CofferClient } from '../client.js';
import { action, intArg, makeClient, type CommandEnv } from '../common.js';
import { CliError, usageError } from '../context.js';
import {
  addAzOutput, addObjectTarget, azBool, azDate, isoToUnix, listAllItems, objectTarget, parseTags, printAz, vaultMount, vaultUrl, type AzOutputOptions,
} from '../azure.js';

type Json = Record<string, unknown>;
type KeyOpts = AzOutputOptions & { vaultName?: string; name?: string; id?: string; version?: string };

const target = (opts: KeyOpts, needName = true) => objectTarget(opts, 'keys', needName);
const addTarget = (cmd: Command, withVersion = false) => addObjectTarget(cmd, 'keys', withVersion);

function keyPath(vault: string, name: string, version?: string): string {
  return `${vaultMount(vault)}/keys/${name}${version ? `/${version}` : ''}`;
}

/** Engine key data in az's KeyVaultKey / DeletedKey / KeyProperties shape. */
function keyJson(url: string, data: Json, kind: 'bundle' | 'item' | 'deleted' | 'deletedItem', versioned = kind === 'bundle' || kind === 'deleted'): Json {
  const name = String(data.name ?? '');
  const kid = `${url}/keys/${name}${versioned && data.version ? `/${String(data.version)}` : ''}`;
  const a = (data.attributes ?? {}) as Json;
  const out: Json = {
    attributes: {
      created: azDate(a.created), enabled: a.enabled === undefined ? true : Boolean(a.enabled), expires: azDate(a.exp), exportable: false,
      notBefore: azDate(a.nbf), recoverableDays: a.recoverableDays ?? null, recoveryLevel: a.recoveryLevel ?? null, updated: azDate(a.updated),
    },
    managed: null,
    tags: data.tags ?? null,
  };
  if (kind === 'bundle' || kind === 'deleted') {
    const k = (data.key ?? {}) as Json;
    out.key = { crv: k.crv ?? null, e: k.e ?? null, keyOps: k.key_ops ?? [], kid, kty: k.kty ?? null, n: k.n ?? null, x: k.x ?? null, y: k.y ?? null };
  } else {
    out.kid = kid;
    out.name = name;
  }
  if (kind === 'deleted' || kind === 'deletedItem') {
    out.deletedDate = azDate(data.deletedDate);
    out.recoveryId = `${url}/deletedkeys/${name}`;
    out.scheduledPurgeDate = azDate(data.scheduledPurgeDate);
  }
  return out;
}

type AttrOpts = { tags?: string[]; expires?: string; notBefore?: string; ops?: string[] };

function addAttributeFlags(cmd: Command): Command {
  return cmd
    .option('--tags <tags...>', 'space-separated tags: key[=value]; "" clears them')
    .option('--expires <iso>', 'expiration, ISO 8601')
    .option('--not-before <iso>', 'not valid before, ISO 8601')
    .option('--ops <operations...>', 'permitted key operations: encrypt decrypt sign verify wrapKey unwrapKey');
}

/** The attributes/tags/key_ops of a request from the flags (only what was given). */
function bodyOf(opts: AttrOpts, enabled: boolean | undefined): Json {
  const body: Json = {};
  const attributes: Json = {};
  if (enabled !== undefined) attributes.enabled = enabled;
  if (opts.notBefore !== undefined) attributes.nbf = isoToUnix(opts.notBefore, '--not-before');
  if (opts.expires !== undefined) attributes.exp = isoToUnix(opts.expires, '--expires');
  if (Object.keys(attributes).length > 0) body.attributes = attributes;
  const tags = parseTags(opts.tags);
  if (tags !== undefined) body.tags = tags;
  if (opts.ops !== undefined) body.key_ops = opts.ops.flatMap((o) => o.split(',')).filter((o) => o !== '');
  return body;
}

/** Standard base64 (az) → base64url (wire); a clear error for anything else. */
function b64In(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw usageError(`${flag} is required (base64)`);
  if (!/^[A-Za-z0-9+/_-]*=*$/.test(value)) throw usageError(`${flag} must be base64`);
  return Buffer.from(value, 'base64').toString('base64url');
}

const b64Out = (v: unknown) => Buffer.from(String(v ?? ''), 'base64url').toString('base64');

async function readDeletedKey(client: CofferClient, vault: string, name: string): Promise<Json | null> {
  const res = await client.request('GET', `${vaultMount(vault)}/deletedkeys/${name}`, { allowNotFound: true, action: `reading deleted key "${name}"` });
  return res.status === 404 ? null : ((res.body?.data ?? null) as Json | null);
}

/** Registers the `keyvault key` subgroup on `kv`. */
export function registerKeyvaultKey(kv: Command, env: CommandEnv): void {
  const { ctx } = env;
  const key = kv.command('key').description('Manage keys in a vault (az keyvault key ...): keys never leave the server');
  const client = () => makeClient(ctx);
  const print = (vault: string, data: unknown, kind: Parameters<typeof keyJson>[2], opts: AzOutputOptions) =>
    printAz(ctx.io, keyJson(vaultUrl(ctx.env, vault), (data ?? {}) as Json, kind), opts);

  addAttributeFlags(
    addTarget(
      key
        .command('create')
        .description('Create a key, or a new version of it')
        .addOption(new Option('--kty <type>', 'key type (RSA-HSM/EC-HSM are served as software keys)').choices(['RSA', 'RSA-HSM', 'EC', 'EC-HSM']).default('RSA'))
        .option('--size <bits>', 'RSA key size: 2048, 3072 or 4096', intArg)
        .addOption(new Option('--curve <name>', 'EC curve').choices(['P-256', 'P-384', 'P-521']))
        .addOption(new Option('-p, --protection <type>', 'software or hsm (hsm means RSA-HSM/EC-HSM)').choices(['software', 'hsm']))
        .option('--disabled [bool]', 'create the version disabled'),
    ),
  ).action(
    action(env, async (opts: KeyOpts & AttrOpts & { kty: string; size?: number; curve?: string; protection?: string; disabled?: string | boolean }) => {
      const t = target(opts);
      const disabled = azBool(opts.disabled, '--disabled');
      const kty = opts.protection === 'hsm' && !opts.kty.endsWith('-HSM') ? `${opts.kty}-HSM` : opts.kty;
      const body: Json = { kty, ...bodyOf(opts, disabled === undefined ? undefined : !disabled) };
      if (opts.size !== undefined) body.key_size = opts.size;
      if (opts.curve !== undefined) body.crv = opts.curve;
      const res = await client().request('POST', `${keyPath(t.vault, t.name)}/create`, { body, action: `creating key "${t.name}" in vault "${t.vault}"` });
      print(t.vault, res.body?.data, 'bundle', opts);
    }),
  );

  addAttributeFlags(
    addTarget(key.command('import').description('Import a private key (a JWK file or a PEM file) as a key, or a new version of it'))
      .option('--pem-file <path>', 'a PEM private key (PKCS#8, PKCS#1 or SEC1)')
      .option('--byok-file <path>', 'not supported (no HSM)'),
  ).action(
    action(env, async (opts: KeyOpts & AttrOpts & { pemFile?: string; byokFile?: string }) => {
      const t = target(opts);
      if (opts.byokFile) throw usageError('--byok-file is not supported: Coffer has no HSM; use --pem-file');
      if (!opts.pemFile) throw usageError('--pem-file is required');
      const { createPrivateKey } = await import('node:crypto');
      let jwk: Json;
      try {
        jwk = createPrivateKey(await readFile(opts.pemFile)).export({ format: 'jwk' }) as Json;
      } catch (err) {
        throw usageError(`cannot read a private key from ${opts.pemFile} (${(err as NodeJS.ErrnoException).code ?? 'not a PEM private key'})`);
      }
      const res = await client().request('PUT', keyPath(t.vault, t.name), { body: { key: jwk, ...bodyOf(opts, undefined) }, action: `importing key "${t.name}" into vault "${t.vault}"` });
      print(t.vault, res.body?.data, 'bundle', opts);
    }),
  );

  addTarget(key.command('show').description('Show a key (public part only)'), true).action(
    action(env, async (opts: KeyOpts) => {
      const t = target(opts);
      const res = await client().request('GET', keyPath(t.vault, t.name, t.version), { action: `reading key "${t.name}" in vault "${t.vault}"` });
      print(t.vault, res.body?.data, 'bundle', opts);
    }),
  );

  const listCommand = (name: string, description: string, path: (t: { vault: string; name: string }) => string, kind: 'item' | 'deletedItem', needName: boolean, versioned = false) =>
    (needName ? addTarget(key.command(name).description(description)) : addAzOutput(key.command(name).description(description).option('--vault-name <name>', 'the vault name')))
      .option('--maxresults <n>', 'list at most this many', intArg)
      .action(
        action(env, async (opts: KeyOpts & { maxresults?: number }) => {
          const t = target(opts, needName);
          const items = await listAllItems(client(), path(t), `listing keys of vault "${t.vault}"`, opts.maxresults);
          const url = vaultUrl(ctx.env, t.vault);
          printAz(ctx.io, items.map((i) => keyJson(url, { ...(needName ? { name: t.name } : {}), ...i }, kind, versioned)), opts);
        }),
      );
  listCommand('list', 'List the keys of a vault', (t) => `${vaultMount(t.vault)}/keys/`, 'item', false);
  listCommand('list-versions', 'List the versions of a key', (t) => `${keyPath(t.vault, t.name)}/versions/`, 'item', true, true);
  listCommand('list-deleted', 'List the deleted (recoverable) keys of a vault', (t) => `${vaultMount(t.vault)}/deletedkeys/`, 'deletedItem', false);

  addTarget(key.command('show-deleted').description('Show a deleted key')).action(
    action(env, async (opts: KeyOpts) => {
      const t = target(opts);
      const data = await readDeletedKey(client(), t.vault, t.name);
      if (!data) throw new CliError(`No deleted key "${t.name}" in vault "${t.vault}"`);
      print(t.vault, data, 'deleted', opts);
    }),
  );

  addAttributeFlags(
    addTarget(key.command('set-attributes').description('Change the attributes of a key version (default: the latest)'), true)
      .option('--enabled [bool]', 'enable (true) or disable (false) the version'),
  ).action(
    action(env, async (opts: KeyOpts & AttrOpts & { enabled?: string | boolean }) => {
      const t = target(opts);
      const res = await client().request('PATCH', keyPath(t.vault, t.name, t.version), {
        body: bodyOf(opts, azBool(opts.enabled, '--enabled')),
        contentType: 'application/merge-patch+json',
        action: `updating key "${t.name}" in vault "${t.vault}"`,
      });
      print(t.vault, res.body?.data, 'bundle', opts);
    }),
  );

  addTarget(key.command('delete').description('Delete a key (recoverable until purged or its retention ends)')).action(
    action(env, async (opts: KeyOpts) => {
      const t = target(opts);
      const res = await client().request('DELETE', keyPath(t.vault, t.name), { action: `deleting key "${t.name}" in vault "${t.vault}"` });
      print(t.vault, res.body?.data, 'deleted', opts);
    }),
  );

  addTarget(key.command('recover').description('Recover a deleted key')).action(
    action(env, async (opts: KeyOpts) => {
      const t = target(opts);
      const res = await client().request('POST', `${vaultMount(t.vault)}/deletedkeys/${t.name}/recover`, { body: {}, action: `recovering key "${t.name}"` });
      print(t.vault, res.body?.data, 'bundle', opts);
    }),
  );

  addTarget(key.command('purge').description('Delete a deleted key for good')).action(
    action(env, async (opts: KeyOpts) => {
      const t = target(opts);
      await client().request('DELETE', `${vaultMount(t.vault)}/deletedkeys/${t.name}`, { action: `purging key "${t.name}" in vault "${t.vault}"` });
    }),
  );

  addTarget(key.command('backup').description('Write an encrypted backup of every version of a key to a file (mode 0600)'))
    .option('-f, --file <path>', 'the backup file to create (must not exist)')
    .action(
      action(env, async (opts: KeyOpts & { file?: string }) => {
        const t = target(opts);
        if (!opts.file) throw usageError('--file is required: where to write the backup');
        const res = await client().request('POST', `${keyPath(t.vault, t.name)}/backup`, { body: {}, action: `backing up key "${t.name}"` });
        const blob = res.body?.data?.value;
        if (typeof blob !== 'string' || blob === '') throw new CliError('The server returned no backup blob');
        await writeNewFile(opts.file, Buffer.from(blob, 'base64url'));
      }),
    );

  addAzOutput(key.command('restore').description('Restore a key (all its versions) from a backup file').option('--vault-name <name>', 'the vault name').option('-f, --file <path>', 'the backup file')).action(
    action(env, async (opts: KeyOpts & { file?: string }) => {
      const { vault } = target(opts, false);
      if (!opts.file) throw usageError('--file is required: the backup file');
      const bytes = await readUserFile(opts.file);
      const res = await client().request('POST', `${vaultMount(vault)}/restorekey`, { body: { value: bytes.toString('base64url') }, action: `restoring a key into vault "${vault}"` });
      print(vault, res.body?.data, 'bundle', opts);
    }),
  );

  addTarget(key.command('rotate').description('Rotate a key: a new version with fresh material')).action(
    action(env, async (opts: KeyOpts) => {
      const t = target(opts);
      const res = await client().request('POST', `${keyPath(t.vault, t.name)}/rotate`, { body: {}, action: `rotating key "${t.name}"` });
      print(t.vault, res.body?.data, 'bundle', opts);
    }),
  );

  const policy = key.command('rotation-policy').description('Show or set the rotation policy of a key');
  addTarget(policy.command('show').description('Show the rotation policy of a key')).action(
    action(env, async (opts: KeyOpts) => {
      const t = target(opts);
      const res = await client().request('GET', `${vaultMount(t.vault)}/rotationpolicy/${t.name}`, { action: `reading the rotation policy of key "${t.name}"` });
      printAz(ctx.io, { id: `${vaultUrl(ctx.env, t.vault)}/keys/${t.name}/rotationpolicy`, ...(res.body?.data ?? {}) }, opts);
    }),
  );
  addTarget(policy.command('update').description('Set the rotation policy of a key from a JSON file (az format)'))
    .option('--value <path>', 'a JSON file: {"lifetimeActions":[{"trigger":{"timeAfterCreate":"P90D"},"action":{"type":"Rotate"}}],"attributes":{"expiryTime":"P1Y"}}')
    .action(
      action(env, async (opts: KeyOpts & { value?: string }) => {
        const t = target(opts);
        if (!opts.value) throw usageError('--value is required: a JSON file with the policy');
        let body: Json;
        try {
          body = JSON.parse(await readFile(opts.value, 'utf8')) as Json;
        } catch (err) {
          throw usageError(`cannot read a JSON policy from ${opts.value} (${(err as NodeJS.ErrnoException).code ?? 'invalid JSON'})`);
        }
        const res = await client().request('PUT', `${vaultMount(t.vault)}/rotationpolicy/${t.name}`, { body, action: `setting the rotation policy of key "${t.name}"` });
        printAz(ctx.io, { id: `${vaultUrl(ctx.env, t.vault)}/keys/${t.name}/rotationpolicy`, ...(res.body?.data ?? {}) }, opts);
      }),
    );

  /** One remote crypto operation on `keys/<n>/<version|latest>/<op>`. */
  const crypto = async (t: { vault: string; name: string; version?: string }, op: string, body: Json) => {
    const res = await client().request('POST', `${keyPath(t.vault, t.name)}/${t.version ?? 'latest'}/${op}`, { body, action: `${op} with key "${t.name}" in vault "${t.vault}"` });
    const data = (res.body?.data ?? {}) as Json;
    return { data, kid: `${vaultUrl(ctx.env, t.vault)}/keys/${t.name}${data.version ? `/${String(data.version)}` : ''}` };
  };
  const dataType = () => new Option('--data-type <type>', 'base64 (default) or plaintext: how --value is given (encrypt) or the result shown (decrypt)').choices(['base64', 'plaintext']).default('base64');

  for (const [name, op, alg] of [['encrypt', 'encrypt', 'RSA-OAEP-256'], ['decrypt', 'decrypt', 'RSA-OAEP-256']] as const) {
    addTarget(key.command(name).description(`${name === 'encrypt' ? 'Encrypt' : 'Decrypt'} a value with a key (RSA-OAEP, RSA-OAEP-256, RSA1_5)`), true)
      .addOption(new Option('-a, --algorithm <alg>', 'the algorithm').choices(['RSA-OAEP', 'RSA-OAEP-256', 'RSA1_5']).default(alg))
      .option('--value <value>', name === 'encrypt' ? 'the plaintext (base64 unless --data-type plaintext)' : 'the ciphertext (base64)')
      .addOption(dataType())
      .action(
        action(env, async (opts: KeyOpts & { algorithm: string; value?: string; dataType: string }) => {
          const t = target(opts);
          if (opts.value === undefined) throw usageError('--value is required');
          const value = op === 'encrypt' && opts.dataType === 'plaintext' ? Buffer.from(opts.value, 'utf8').toString('base64url') : b64In(opts.value, '--value');
          const { data, kid } = await crypto(t, op, { alg: opts.algorithm, value });
          const raw = Buffer.from(String(data.value ?? ''), 'base64url');
          const result = op === 'decrypt' && opts.dataType === 'plaintext' ? raw.toString('utf8') : raw.toString('base64');
          printAz(ctx.io, { algorithm: opts.algorithm, kid, result }, opts);
        }),
      );
  }

  const SIGN_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
  addTarget(key.command('sign').description('Sign a digest with a key'), true)
    .addOption(new Option('-a, --algorithm <alg>', 'the signature algorithm').choices(SIGN_ALGS).makeOptionMandatory())
    .option('-d, --digest <base64>', 'the digest to sign (base64), e.g. of: openssl dgst -sha256 -binary file | base64')
    .action(
      action(env, async (opts: KeyOpts & { algorithm: string; digest?: string }) => {
        const t = target(opts);
        const { data, kid } = await crypto(t, 'sign', { alg: opts.algorithm, value: b64In(opts.digest, '--digest') });
        printAz(ctx.io, { algorithm: opts.algorithm, kid, signature: b64Out(data.value) }, opts);
      }),
    );
  addTarget(key.command('verify').description('Verify a signature of a digest with a key'), true)
    .addOption(new Option('-a, --algorithm <alg>', 'the signature algorithm').choices(SIGN_ALGS).makeOptionMandatory())
    .option('-d, --digest <base64>', 'the digest that was signed (base64)')
    .option('-s, --signature <base64>', 'the signature (base64)')
    .action(
      action(env, async (opts: KeyOpts & { algorithm: string; digest?: string; signature?: string }) => {
        const t = target(opts);
        const { data, kid } = await crypto(t, 'verify', { alg: opts.algorithm, digest: b64In(opts.digest, '--digest'), value: b64In(opts.signature, '--signature') });
        printAz(ctx.io, { algorithm: opts.algorithm, isValid: data.value === true, kid }, opts);
      }),
    );

  addAzOutput(key.command('random').description('Get random bytes from the server (base64)').option('--vault-name <name>', 'the vault name').option('--count <n>', 'how many bytes, 1-128', intArg)).action(
    action(env, async (opts: KeyOpts & { count?: number }) => {
      const { vault } = target(opts, false);
      if (opts.count === undefined) throw usageError('--count is required (1-128)');
      const res = await client().request('POST', `${vaultMount(vault)}/rng`, { body: { count: opts.count }, action: 'getting random bytes' });
      printAz(ctx.io, { value: b64Out(res.body?.data?.value) }, opts);
    }),
  );
}
