/**
 * `coffer identity assign|show|list|remove`: managed identities of the Azure identity provider
 * (`auth/azure/identity/<name>`), like `az webapp identity assign`. An application runs with one
 * through `coffer run --identity <name> -- cmd`.
 */

import type { Command } from 'commander';
import type { CofferClient } from '../client.js';
import { action, makeClient, type CommandEnv } from '../common.js';
import { CliError } from '../context.js';
import { AZURE_AUTH_PATH, addAzOutput, ensureAzureAuth, pathSegment, pick, printAz, type AzOutputOptions } from '../azure.js';

type Json = Record<string, unknown>;

/** az's JSON for a system-assigned identity. */
function identityJson(name: string, data: Json): Json {
  return {
    clientId: pick(data, 'clientId', 'client_id') ?? null,
    name: pick(data, 'name') ?? name,
    principalId: pick(data, 'principalId', 'principal_id', 'objectId', 'object_id') ?? null,
    tenantId: pick(data, 'tenantId', 'tenant_id', 'tenant') ?? 'adfs',
    type: 'SystemAssigned',
    userAssignedIdentities: null,
  };
}

async function readIdentity(client: CofferClient, name: string): Promise<Json | null> {
  const res = await client.request('GET', `auth/${AZURE_AUTH_PATH}/identity/${name}`, { allowNotFound: true, action: `reading identity "${name}"` });
  return res.status === 404 ? null : ((res.body?.data ?? {}) as Json);
}

/** The `identity` command group. */
export function registerIdentity(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const identity = program.command('identity').description('Managed identities for applications (az webapp identity ...), over the Vault API');
  const nameOption = (cmd: Command): Command =>
    cmd.option('-n, --name <app>', 'the application name').option('-g, --resource-group <name>', 'accepted for az compatibility; ignored');

  addAzOutput(nameOption(identity.command('assign').description('Give an application a managed identity (enables auth/azure/ if needed)'))).action(
    action(env, async (opts: AzOutputOptions & { name?: string }) => {
      const name = pathSegment(opts.name, '--name');
      const client = makeClient(ctx);
      await ensureAzureAuth(client);
      const res = await client.request('POST', `auth/${AZURE_AUTH_PATH}/identity/${name}`, { body: {}, action: `assigning an identity to "${name}"` });
      let data = (res.body?.data ?? null) as Json | null;
      // An answer without data (204) still created it: read it back for the ids.
      data ??= await readIdentity(client, name);
      printAz(ctx.io, identityJson(name, data ?? {}), opts);
    }),
  );

  addAzOutput(nameOption(identity.command('show').description('Show the managed identity of an application'))).action(
    action(env, async (opts: AzOutputOptions & { name?: string }) => {
      const name = pathSegment(opts.name, '--name');
      const data = await readIdentity(makeClient(ctx), name);
      if (!data) throw new CliError(`"${name}" has no managed identity: create one with "coffer identity assign --name ${name}"`);
      printAz(ctx.io, identityJson(name, data), opts);
    }),
  );

  addAzOutput(identity.command('list').description('List the applications that have a managed identity')).action(
    action(env, async (opts: AzOutputOptions) => {
      const client = makeClient(ctx);
      const res = await client.request('LIST', `auth/${AZURE_AUTH_PATH}/identity/`, { allowNotFound: true, action: 'listing identities' });
      const data = (res.status === 404 ? {} : (res.body?.data ?? {})) as Json;
      const info = (data.key_info ?? {}) as Record<string, Json>;
      const out: Json[] = [];
      for (const name of Array.isArray(data.keys) ? (data.keys as unknown[]).map(String) : []) {
        // key_info carries the ids; read the identity only when it does not.
        const one = info[name] ?? (await readIdentity(client, name));
        if (one) out.push(identityJson(name, one));
      }
      printAz(ctx.io, out, opts);
    }),
  );

  nameOption(identity.command('remove').description('Remove the managed identity of an application (its sessions end)')).action(
    action(env, async (opts: { name?: string }) => {
      const name = pathSegment(opts.name, '--name');
      await makeClient(ctx).request('DELETE', `auth/${AZURE_AUTH_PATH}/identity/${name}`, { action: `removing the identity of "${name}"` });
    }),
  );
}
