/**
 * `coffer keyvault create|show|list|delete|set-policy|delete-policy`, `coffer keyvault secret ...` and `coffer keyvault key ...`:
 * az-style commands over the Vault HTTP API. A vault V is a `keyvault` mount at `keyvault/<v>/`;
 * its Azure URL is `https://<v>.<base-domain>[:port]/` (COFFER_KEYVAULT_BASE_DOMAIN, default
 * vault.localhost; the port of COFFER_ADDR). Output is az's JSON (keys sorted), `-o tsv` and
 * `--query` work for simple paths.
 */

import type { Command } from 'commander';
import { ApiError, type CofferClient } from '../client.js';
import { action, intArg, makeClient, type CommandEnv } from '../common.js';
import { usageError, type CliContext } from '../context.js';
import {
  KEYVAULT_TYPE,
  accessPolicyName,
  addAzOutput,
  azBool,
  grantVaultPolicy,
  policyComment,
  printAz,
  readVaultMount,
  readVaultPolicies,
  resolveObjectId,
  revokeVaultPolicy,
  vaultMount,
  vaultName,
  vaultUrl,
  type AzOutputOptions,
} from '../azure.js';
import { registerKeyvaultKey } from './keyvault-key.js';
import { registerKeyvaultSecret } from './keyvault-secret.js';

type Json = Record<string, unknown>;

/** What a vault's settings are (engine `config`, falling back to the mount options). */
interface VaultSettings {
  retentionDays: number;
  purgeProtection: boolean;
  enforceValidityWindow: boolean;
}

function boolOf(v: unknown): boolean {
  return v === true || v === 'true' || v === '1';
}

async function readSettings(client: CofferClient, v: string, mount: Json): Promise<VaultSettings> {
  let cfg: Json = {};
  try {
    const res = await client.request('GET', `${vaultMount(v)}/config`, { allowNotFound: true, action: `reading the settings of vault "${v}"` });
    if (res.status !== 404) cfg = (res.body?.data ?? {}) as Json;
  } catch (err) {
    // Without read on config the mount options still tell what the vault was created with.
    if (!(err instanceof ApiError && err.status === 403)) throw err;
  }
  const opts = (mount.options ?? {}) as Json;
  const days = Number(cfg.soft_delete_retention_days ?? opts.soft_delete_retention_days ?? 90);
  return {
    retentionDays: Number.isFinite(days) ? days : 90,
    purgeProtection: boolOf(cfg.purge_protection ?? opts.purge_protection),
    enforceValidityWindow: boolOf(cfg.enforce_validity_window ?? opts.enforce_validity_window),
  };
}

/** The access policies of a vault, from the ACL policies set-policy wrote; null when they cannot be listed. */
async function readAccessPolicies(client: CofferClient, v: string): Promise<Json[] | null> {
  const policies = await readVaultPolicies(client, v);
  if (policies === null) return null;
  return policies
    .filter((p) => p.permissions !== undefined)
    .map((p) => ({
      applicationId: null,
      objectId: p.principal,
      permissions: { certificates: null, keys: p.keyPermissions?.length ? p.keyPermissions : null, secrets: p.permissions?.length ? p.permissions : null, storage: null },
      tenantId: 'adfs',
    }));
}

/** az's `keyvault show` JSON for a vault. */
async function vaultJson(ctx: CliContext, client: CofferClient, v: string): Promise<Json> {
  const mount = await readVaultMount(client, v);
  const settings = await readSettings(client, v, mount);
  return {
    id: vaultMount(v),
    location: 'local',
    name: v,
    properties: {
      accessPolicies: await readAccessPolicies(client, v),
      enablePurgeProtection: settings.purgeProtection ? true : null,
      enableRbacAuthorization: false,
      enableSoftDelete: true,
      enforceValidityWindow: settings.enforceValidityWindow,
      provisioningState: 'Succeeded',
      publicNetworkAccess: 'Enabled',
      sku: { family: 'A', name: 'standard' },
      softDeleteRetentionInDays: settings.retentionDays,
      tenantId: 'adfs',
      vaultUri: `${vaultUrl(ctx.env, v)}/`,
    },
    resourceGroup: null,
    tags: {},
    type: 'Microsoft.KeyVault/vaults',
  };
}

type VaultOpts = AzOutputOptions & { name?: string };

/** Flags az users pass out of habit that mean nothing here (accepted, ignored). */
function addAzIgnored(cmd: Command): Command {
  return cmd
    .option('-g, --resource-group <name>', 'accepted for az compatibility; ignored')
    .option('-l, --location <name>', 'accepted for az compatibility; ignored');
}

/** The `keyvault` command group. */
export function registerKeyvault(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const kv = program
    .command('keyvault')
    .description('Azure Key Vault-style vaults, secrets and keys (az keyvault ...), over the Vault API')
    .addHelpText(
      'after',
      '\nVault URLs are https://<vault>.<base domain>[:port]/ with the base domain from\n' +
        'COFFER_KEYVAULT_BASE_DOMAIN (default vault.localhost) and the port of COFFER_ADDR.',
    );

  addAzOutput(
    addAzIgnored(
      kv
        .command('create')
        .description('Create a vault (a keyvault mount at keyvault/<name>/)')
        .option('-n, --name <name>', 'the vault name (3-24 letters, digits, hyphens)')
        .option('--retention-days <days>', 'soft-delete retention, 7-90 days (default 90)', intArg)
        .option('--enable-purge-protection [bool]', 'forbid purging deleted secrets before their retention ends')
        .option('--enforce-validity-window [bool]', 'refuse reads of secrets outside their not-before/expires window')
        .option('--description <text>', 'a description of the mount'),
    ),
  ).action(
    action(env, async (opts: VaultOpts & { retentionDays?: number; enablePurgeProtection?: string | boolean; enforceValidityWindow?: string | boolean; description?: string }) => {
      const v = vaultName(opts.name);
      if (opts.retentionDays !== undefined && (opts.retentionDays < 7 || opts.retentionDays > 90)) {
        throw usageError('--retention-days must be between 7 and 90');
      }
      const purge = azBool(opts.enablePurgeProtection, '--enable-purge-protection');
      const validity = azBool(opts.enforceValidityWindow, '--enforce-validity-window');
      const options: Record<string, string> = {};
      if (opts.retentionDays !== undefined) options.soft_delete_retention_days = String(opts.retentionDays);
      if (purge !== undefined) options.purge_protection = String(purge);
      if (validity !== undefined) options.enforce_validity_window = String(validity);
      const client = makeClient(ctx);
      try {
        await client.request('POST', `sys/mounts/${vaultMount(v)}`, {
          body: { type: KEYVAULT_TYPE, description: opts.description ?? `Key Vault ${v}`, options },
          action: `creating vault "${v}"`,
        });
      } catch (err) {
        if (err instanceof ApiError && err.status === 400 && /already|existing|in use/i.test(err.message)) {
          throw usageError(`A vault named "${v}" already exists (see "coffer keyvault show --name ${v}")`);
        }
        throw err;
      }
      printAz(ctx.io, await vaultJson(ctx, client, v), opts);
    }),
  );

  addAzOutput(addAzIgnored(kv.command('show').description('Show a vault').option('-n, --name <name>', 'the vault name'))).action(
    action(env, async (opts: VaultOpts) => {
      const v = vaultName(opts.name);
      printAz(ctx.io, await vaultJson(ctx, makeClient(ctx), v), opts);
    }),
  );

  addAzOutput(addAzIgnored(kv.command('list').description('List vaults'))).action(
    action(env, async (opts: VaultOpts) => {
      const res = await makeClient(ctx).request('GET', 'sys/mounts', { action: 'listing vaults' });
      const mounts = (res.body?.data ?? res.body ?? {}) as Record<string, Json>;
      const out: Json[] = [];
      for (const [path, m] of Object.entries(mounts)) {
        const match = /^keyvault\/([^/]+)\/$/.exec(path);
        if (!match || m?.type !== KEYVAULT_TYPE) continue;
        const v = match[1]!;
        out.push({ id: vaultMount(v), location: 'local', name: v, resourceGroup: null, tags: {}, type: 'Microsoft.KeyVault/vaults', vaultUri: `${vaultUrl(ctx.env, v)}/` });
      }
      out.sort((a, b) => String(a.name).localeCompare(String(b.name)));
      printAz(ctx.io, out, opts);
    }),
  );

  addAzIgnored(kv.command('delete').description('Delete a vault and every secret in it (no soft delete for vaults)').option('-n, --name <name>', 'the vault name')).action(
    action(env, async (opts: VaultOpts) => {
      const v = vaultName(opts.name);
      const client = makeClient(ctx);
      // Make sure it is a vault before unmounting whatever is there.
      await readVaultMount(client, v);
      await client.request('DELETE', `sys/mounts/${vaultMount(v)}`, { action: `deleting vault "${v}"` });
      // A vault created later under the same name must not inherit these grants.
      for (const p of (await readVaultPolicies(client, v)) ?? []) {
        try {
          await revokeVaultPolicy(client, p.principal, p.name);
        } catch (err) {
          // The principal may be gone already: the policy itself must still go.
          if (!(err instanceof ApiError && err.status === 400)) throw err;
          await client.request('DELETE', `sys/policies/acl/${p.name}`, { action: `deleting policy "${p.name}"` });
        }
      }
    }),
  );

  const principalOptions = (cmd: Command): Command =>
    cmd
      .option('-n, --name <name>', 'the vault name')
      .option('--spn <appId>', 'the service principal (its appId)')
      .option('--object-id <id>', 'the principal object id (a service principal objectId or a managed identity principalId)');

  addAzOutput(
    addAzIgnored(
      principalOptions(
        kv
          .command('set-policy')
          .description('Grant a principal secret and/or key permissions on a vault (an ACL policy keyvault-<vault>-<objectId>)')
          .option('--secret-permissions <permissions...>', 'get, list, set, delete, backup, restore, recover, purge or all')
          .option('--key-permissions <permissions...>', 'get, list, create, import, update, delete, recover, backup, restore, purge, encrypt, decrypt, wrapKey, unwrapKey, sign, verify, rotate, getrotationpolicy, setrotationpolicy or all')
          .option('--certificate-permissions <permissions...>', 'not supported (Coffer vaults hold secrets and keys)'),
      ),
    ),
  ).action(
    action(env, async (opts: VaultOpts & { spn?: string; objectId?: string; secretPermissions?: string[]; keyPermissions?: string[]; certificatePermissions?: string[] }) => {
      const v = vaultName(opts.name);
      if (opts.certificatePermissions) throw usageError('--certificate-permissions are not supported: Coffer vaults hold secrets and keys');
      const split = (list: string[] | undefined) => list?.flatMap((p) => p.split(',')).map((p) => p.trim()).filter((p) => p !== '');
      const secretPerms = split(opts.secretPermissions)?.map((p) => p.toLowerCase());
      const keyPerms = split(opts.keyPermissions);
      if (secretPerms === undefined && keyPerms === undefined) {
        throw usageError('give --secret-permissions and/or --key-permissions, e.g. --secret-permissions get list or --key-permissions get sign');
      }
      const client = makeClient(ctx);
      await readVaultMount(client, v);
      const objectId = await resolveObjectId(client, { spn: opts.spn, objectId: opts.objectId });
      // As az: each permission type given replaces that type's list; the types not given are kept.
      const name = accessPolicyName(v, objectId);
      const current = ((await readVaultPolicies(client, v)) ?? []).find((p) => p.name === name);
      const secrets = secretPerms ?? current?.permissions ?? [];
      const keys = keyPerms ?? current?.keyPermissions ?? [];
      if (secrets.length === 0 && keys.length === 0) throw usageError('the policy would grant nothing: give at least one permission (or use delete-policy)');
      const template: Record<string, string> = {};
      if (secrets.length > 0) template.permissions = secrets.join(',');
      if (keys.length > 0) template.key_permissions = keys.join(',');
      const what = [secrets.length > 0 ? `secret-permissions=${secrets.join(',')}` : '', keys.length > 0 ? `key-permissions=${keys.join(',')}` : ''].filter((x) => x).join(' ');
      await grantVaultPolicy(client, v, objectId, name, template, policyComment(v, objectId, what));
      printAz(ctx.io, await vaultJson(ctx, client, v), opts);
    }),
  );

  addAzOutput(addAzIgnored(principalOptions(kv.command('delete-policy').description('Remove the access policy of a principal from a vault')))).action(
    action(env, async (opts: VaultOpts & { spn?: string; objectId?: string }) => {
      const v = vaultName(opts.name);
      const client = makeClient(ctx);
      await readVaultMount(client, v);
      const objectId = await resolveObjectId(client, { spn: opts.spn, objectId: opts.objectId });
      await revokeVaultPolicy(client, objectId, accessPolicyName(v, objectId));
      printAz(ctx.io, await vaultJson(ctx, client, v), opts);
    }),
  );

  registerKeyvaultSecret(kv, env);
  registerKeyvaultKey(kv, env);
}
