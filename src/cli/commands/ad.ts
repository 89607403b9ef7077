/**
 * `coffer ad sp create-for-rbac|credential reset|show|list|delete`: service principals of the
 * Azure identity provider (auth method `azure-ad` at `auth/azure/`), like `az ad sp ...`.
 * The client secret (`password`) is printed once, by create-for-rbac and credential reset.
 */

import type { Command } from 'commander';
import type { CofferClient } from '../client.js';
import { action, makeClient, type CommandEnv } from '../common.js';
import { CliError, type Io } from '../context.js';
import {
  AZURE_AUTH_PATH,
  addAzOutput,
  assignRole,
  ensureAzureAuth,
  parseScope,
  pathSegment,
  pick,
  printAz,
  readServicePrincipal,
  servicePrincipalOf,
  type AzOutputOptions,
  type ServicePrincipal,
} from '../azure.js';

type Json = Record<string, unknown>;

const CREDENTIAL_WARNING =
  'WARNING: The output includes credentials that you must protect. Be sure that you do not include these credentials in your code or check the credentials into your source control.\n';

/** az's JSON for a service principal in `ad sp show|list`. */
function spJson(sp: ServicePrincipal): Json {
  return {
    accountEnabled: true,
    appDisplayName: sp.displayName ?? null,
    appId: sp.appId,
    displayName: sp.displayName ?? null,
    id: sp.objectId ?? null,
    servicePrincipalNames: [sp.appId],
    servicePrincipalType: 'Application',
  };
}

/** The client secret and tenant of a create or reset answer (field names of either case). */
function credentialOf(data: Json): { password: string; tenant: string } {
  const password = pick(data, 'password', 'client_secret', 'clientSecret', 'secret');
  if (!password) throw new CliError('The server returned no client secret');
  return { password, tenant: pick(data, 'tenant', 'tenant_id', 'tenantId') ?? 'adfs' };
}

/** Every service principal (the list gives items, or appIds to read one by one). */
async function listServicePrincipals(client: CofferClient): Promise<ServicePrincipal[]> {
  const res = await client.request('LIST', `auth/${AZURE_AUTH_PATH}/sp/`, { allowNotFound: true, action: 'listing service principals' });
  if (res.status === 404) return [];
  const data = (res.body?.data ?? {}) as Json;
  const keys = Array.isArray(data.keys) ? (data.keys as unknown[]).map(String) : [];
  const info = (data.key_info ?? {}) as Record<string, Json>;
  const out: ServicePrincipal[] = [];
  for (const appId of keys) {
    // key_info carries the display name and objectId; read the principal only when it does not.
    const sp = info[appId] ? servicePrincipalOf(info[appId]!, appId) : await readServicePrincipal(client, appId);
    if (sp) out.push(sp);
  }
  return out;
}

function warn(io: Io): void {
  io.err(CREDENTIAL_WARNING);
}

/** The `ad` command group. */
export function registerAd(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const ad = program.command('ad').description('Azure AD-style service principals (az ad sp ...), over the Vault API');
  const sp = ad.command('sp').description('Service principals: an appId and a client secret that get Azure tokens');

  addAzOutput(
    sp
      .command('create-for-rbac')
      .description('Create a service principal and print its appId and client secret (enables auth/azure/ if needed)')
      .option('-n, --name <name>', 'display name (default: coffer-sp-<date>)')
      .option('--role <role>', 'also assign this role on each --scopes vault, e.g. "Key Vault Secrets User"')
      .option('--scopes <scopes...>', 'vaults to assign --role on: V, keyvault/V or .../vaults/V'),
  ).action(
    action(env, async (opts: AzOutputOptions & { name?: string; role?: string; scopes?: string[] }) => {
      if ((opts.role === undefined) !== (opts.scopes === undefined)) throw new CliError('give --role and --scopes together', 2);
      const vaults = (opts.scopes ?? []).map(parseScope);
      const displayName = opts.name?.trim() || `coffer-sp-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '')}`;
      const client = makeClient(ctx);
      await ensureAzureAuth(client);
      const res = await client.request('POST', `auth/${AZURE_AUTH_PATH}/sp/create`, {
        body: { display_name: displayName },
        action: `creating service principal "${displayName}"`,
      });
      const data = (res.body?.data ?? {}) as Json;
      const created = servicePrincipalOf(data);
      const cred = credentialOf(data);
      client.addSecret(cred.password);
      if (opts.role !== undefined) {
        const objectId = created.objectId ?? (await readServicePrincipal(client, created.appId))?.objectId;
        if (!objectId) throw new CliError(`The server did not return the objectId of ${created.appId}`);
        for (const v of vaults) await assignRole(client, v, pathSegment(objectId, 'objectId'), opts.role);
      }
      warn(ctx.io);
      printAz(ctx.io, { appId: created.appId, displayName: created.displayName ?? displayName, password: cred.password, tenant: cred.tenant }, opts);
    }),
  );

  const credential = sp.command('credential').description('Client secrets of a service principal');
  addAzOutput(
    credential
      .command('reset')
      .description('Replace the client secret of a service principal and print the new one')
      .option('--id <appId>', 'the appId'),
  ).action(
    action(env, async (opts: AzOutputOptions & { id?: string }) => {
      const appId = pathSegment(opts.id, '--id');
      const client = makeClient(ctx);
      const res = await client.request('POST', `auth/${AZURE_AUTH_PATH}/sp/${appId}/password`, { body: {}, action: `resetting the client secret of ${appId}` });
      const cred = credentialOf((res.body?.data ?? {}) as Json);
      client.addSecret(cred.password);
      warn(ctx.io);
      printAz(ctx.io, { appId, password: cred.password, tenant: cred.tenant }, opts);
    }),
  );

  addAzOutput(sp.command('show').description('Show a service principal').option('--id <appId>', 'the appId')).action(
    action(env, async (opts: AzOutputOptions & { id?: string }) => {
      const appId = pathSegment(opts.id, '--id');
      const found = await readServicePrincipal(makeClient(ctx), appId);
      if (!found) throw new CliError(`No service principal with appId ${appId}`);
      printAz(ctx.io, spJson(found), opts);
    }),
  );

  addAzOutput(
    sp
      .command('list')
      .description('List service principals')
      .option('--display-name <name>', 'only those with this display name')
      .option('--all', 'accepted for az compatibility (all are listed)'),
  ).action(
    action(env, async (opts: AzOutputOptions & { displayName?: string }) => {
      let sps = await listServicePrincipals(makeClient(ctx));
      if (opts.displayName !== undefined) sps = sps.filter((s) => s.displayName === opts.displayName);
      printAz(ctx.io, sps.map(spJson), opts);
    }),
  );

  sp.command('delete')
    .description('Delete a service principal (its client secrets stop working at once)')
    .option('--id <appId>', 'the appId')
    .action(
      action(env, async (opts: { id?: string }) => {
        const appId = pathSegment(opts.id, '--id');
        await makeClient(ctx).request('DELETE', `auth/${AZURE_AUTH_PATH}/sp/${appId}`, { action: `deleting service principal ${appId}` });
      }),
    );
}
