/**
 * `coffer role assignment create|delete|list`: Key Vault data-plane roles ("Key Vault Secrets
 * User", "Key Vault Secrets Officer", ...) on a vault, like `az role assignment`. A role
 * assignment is an ACL policy `keyvault-<vault>-<objectId>-role-<role>` built by the engine's
 * access-policy template and attached to the principal.
 */

import type { Command } from 'commander';
import type { CofferClient } from '../client.js';
import { action, makeClient, type CommandEnv } from '../common.js';
import { CliError, usageError } from '../context.js';
import {
  addAzOutput,
  assignRole,
  parseScope,
  printAz,
  readVaultMount,
  readVaultPolicies,
  resolveObjectId,
  revokeVaultPolicy,
  roleAssignmentJson,
  rolePolicyName,
  type AzOutputOptions,
} from '../azure.js';

type Json = Record<string, unknown>;

type RoleOpts = AzOutputOptions & { role?: string; assignee?: string; assigneeObjectId?: string; scope?: string };

/** The role assignments on vault `v` (optionally of one principal), read back from the policies' comments. */
async function listAssignments(client: CofferClient, v: string, objectId?: string): Promise<Json[]> {
  const policies = await readVaultPolicies(client, v);
  if (policies === null) throw new CliError('Listing role assignments needs "list" on sys/policies/acl');
  return policies
    .filter((p) => p.role !== undefined && (objectId === undefined || p.principal.toLowerCase() === objectId.toLowerCase()))
    .map((p) => roleAssignmentJson(v, p.principal, p.role!, p.name));
}

function principalOf(opts: RoleOpts): { assignee?: string; objectId?: string } {
  if (opts.assignee !== undefined && opts.assigneeObjectId !== undefined) throw usageError('give --assignee or --assignee-object-id, not both');
  if (opts.assignee === undefined && opts.assigneeObjectId === undefined) throw usageError('--assignee is required: an appId or a principal object id');
  return { assignee: opts.assignee, objectId: opts.assigneeObjectId };
}

function scopeOf(opts: RoleOpts): string {
  if (!opts.scope) throw usageError('--scope is required: the vault (V, keyvault/V or .../vaults/V)');
  return parseScope(opts.scope);
}

/** The `role` command group. */
export function registerRole(program: Command, env: CommandEnv): void {
  const { ctx } = env;
  const role = program.command('role').description('Key Vault role assignments on vaults (az role assignment ...), over the Vault API');
  const assignment = role.command('assignment').description('Assign, remove and list roles of principals on vaults');
  const common = (cmd: Command): Command =>
    addAzOutput(
      cmd
        .option('--role <role>', 'e.g. "Key Vault Secrets User", "Key Vault Secrets Officer"')
        .option('--assignee <id>', 'a service principal appId, or a principal object id')
        .option('--assignee-object-id <id>', 'a principal object id (managed identity principalId)')
        .option('--scope <vault>', 'the vault: V, keyvault/V or .../vaults/V'),
    );

  common(assignment.command('create').description('Assign a role on a vault to a principal')).action(
    action(env, async (opts: RoleOpts) => {
      const v = scopeOf(opts);
      if (!opts.role) throw usageError('--role is required, e.g. --role "Key Vault Secrets User"');
      const client = makeClient(ctx);
      await readVaultMount(client, v);
      const objectId = await resolveObjectId(client, principalOf(opts));
      printAz(ctx.io, await assignRole(client, v, objectId, opts.role), opts);
    }),
  );

  common(assignment.command('delete').description('Remove a role (or, without --role, every role) of a principal on a vault')).action(
    action(env, async (opts: RoleOpts) => {
      const v = scopeOf(opts);
      const client = makeClient(ctx);
      const objectId = await resolveObjectId(client, principalOf(opts));
      const names = opts.role
        ? [rolePolicyName(v, objectId, opts.role)]
        : (await listAssignments(client, v, objectId)).map((a) => String(a.name));
      if (names.length === 0) throw new CliError(`No role assignment of ${objectId} on vault "${v}"`);
      for (const name of names) await revokeVaultPolicy(client, objectId, name);
    }),
  );

  common(assignment.command('list').description('List the role assignments on a vault')).action(
    action(env, async (opts: RoleOpts) => {
      const v = scopeOf(opts);
      const client = makeClient(ctx);
      const objectId = opts.assignee || opts.assigneeObjectId ? await resolveObjectId(client, principalOf(opts)) : undefined;
      let out = await listAssignments(client, v, objectId);
      if (opts.role) out = out.filter((a) => String(a.roleDefinitionName).toLowerCase() === opts.role!.trim().toLowerCase());
      printAz(ctx.io, out, opts);
    }),
  );
}
