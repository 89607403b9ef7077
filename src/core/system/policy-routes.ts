/**
 * ACL policy routes: the current API (`sys/policies/acl/*`), the legacy one (`sys/policy/*`,
 * used by node-vault) and the capability queries.
 */
import type { BackendRequest, Route } from '../backend.js';
import type { Core } from '../core.js';
import { badRequest, notFound } from '../errors.js';
import { optString, optStringList } from '../fields.js';

/** The body of a policy write: the CLI sends `policy`, node-vault's addPolicy `rules` (the legacy name). */
const POLICY_FIELDS = ['policy', 'rules'] as const;
/** The body of a capabilities query; `path` is the older single-path name. */
const CAPABILITY_FIELDS = ['paths', 'path'] as const;

function policyText(data: Record<string, unknown>): string {
  // node-vault's addPolicy sends `rules`; the CLI sends `policy`.
  const text = optString(data, 'policy') ?? optString(data, 'rules');
  if (text === undefined || text.trim() === '') throw badRequest('missing "policy": the policy document (HCL or JSON)');
  // OpenBao accepts base64-encoded policies too; a policy document always has a brace.
  if (!text.includes('{') && /^[A-Za-z0-9+/=\s]+$/.test(text)) {
    const decoded = Buffer.from(text, 'base64').toString('utf8');
    if (decoded.includes('{')) return decoded;
  }
  return text;
}

/**
 * Read/write/delete of one policy. The legacy API (`sys/policy/:name`) answers the text as
 * `rules` with the data also at the top level; the current one (`sys/policies/acl/:name`) as `policy`.
 */
function policyOperations(core: Core, textField: 'rules' | 'policy', inject: boolean): Route['operations'] {
  return {
    read: async (req) => {
      const p = await core.policies.read(req.params.name!);
      if (!p) throw notFound();
      return { data: { name: p.name, [textField]: p.policy }, injectData: inject };
    },
    update: async (req) => {
      await core.policies.write(req.params.name!, policyText(req.data));
      return null;
    },
    delete: async (req) => {
      await core.policies.delete(req.params.name!);
      return null;
    },
  };
}

/** Builds the policy and capability routes. */
export function policyRoutes(core: Core): Route[] {
  const existenceCheck = async (req: BackendRequest) => (await core.policies.read(req.params.name!)) !== undefined;
  return [
    {
      pattern: /^policy\/?$/,
      fields: [],
      operations: {
        read: async () => {
          const names = await core.policies.list();
          return { data: { keys: names, policies: names }, injectData: true };
        },
      },
    },
    { pattern: /^policy\/(?<name>[^/]+)$/, fields: POLICY_FIELDS, existenceCheck, operations: policyOperations(core, 'rules', true) },
    {
      pattern: /^policies\/acl\/?$/,
      fields: [],
      operations: {
        list: async () => ({ data: { keys: await core.policies.list() } }),
        read: async () => ({ data: { keys: await core.policies.list() } }),
      },
    },
    { pattern: /^policies\/acl\/(?<name>[^/]+)$/, fields: POLICY_FIELDS, existenceCheck, operations: policyOperations(core, 'policy', false) },
    {
      pattern: /^capabilities-self$/,
      fields: CAPABILITY_FIELDS,
      operations: {
        update: async (req) => capabilities(core, req.auth!.policies, req.data),
      },
    },
    {
      pattern: /^capabilities$/,
      fields: ['token', ...CAPABILITY_FIELDS],
      operations: {
        update: async (req) => {
          const token = optString(req.data, 'token');
          if (!token) throw badRequest('missing "token"');
          const entry = await core.tokens.lookup(token);
          if (!entry) throw badRequest('invalid token');
          return capabilities(core, entry.policies, req.data);
        },
      },
    },
    {
      pattern: /^capabilities-accessor$/,
      fields: ['accessor', ...CAPABILITY_FIELDS],
      operations: {
        update: async (req) => {
          const accessor = optString(req.data, 'accessor');
          if (!accessor) throw badRequest('missing "accessor"');
          const entry = await core.tokens.lookupByAccessor(accessor);
          if (!entry) throw badRequest('invalid accessor');
          return capabilities(core, entry.policies, req.data);
        },
      },
    },
  ];
}

async function capabilities(core: Core, policies: string[], data: Record<string, unknown>) {
  const paths = optStringList(data, 'paths') ?? optStringList(data, 'path');
  if (!paths || paths.length === 0) throw badRequest('missing "paths": the list of paths to check');
  const acl = await core.policies.acl(policies);
  const out: Record<string, unknown> = {};
  for (const path of paths) out[path] = acl.capabilities(path.replace(/^\/+/, ''));
  // Vault keeps a plain `capabilities` key for one-path callers (backward compatibility).
  if (paths.length === 1) out.capabilities = out[paths[0]!];
  return { data: out, injectData: true };
}
