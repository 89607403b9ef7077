/**
 * The route table of an `azure-ad` mount (paths relative to the mount, e.g. `auth/azure/`).
 * `oauth2/token`, `identity/login` and `keys` need no token; everything else is ACL-checked.
 */
import type { Route } from '../../core/backend.js';
import { identityLoginHandler, oauth2TokenHandler, type LoginDeps } from './login.js';
import { identityHandlers, identityName, policyHandlers, spHandlers } from './principals.js';

const APP_ID = '(?<app_id>[^/]+)';
const NAME = '(?<name>[^/]+)';

/** Builds the routes of one mount. */
export function azureIdentityRoutes(deps: LoginDeps): Route[] {
  const sp = spHandlers(deps);
  const identity = identityHandlers(deps);
  const policies = policyHandlers(deps);
  return [
    {
      pattern: /^sp\/?$/,
      fields: [],
      operations: { list: sp.list },
      help: 'List service principals (appIds, with display names and objectIds in key_info).',
    },
    {
      pattern: /^sp\/create$/,
      fields: ['display_name', 'displayName', 'policies'],
      operations: { update: sp.create, create: sp.create },
      help: 'Create a service principal {display_name, policies?}; the password is returned once.',
    },
    {
      pattern: new RegExp(`^sp/${APP_ID}$`),
      fields: [],
      operations: { read: sp.read, delete: sp.delete },
      help: 'Read (never the secret) or delete a service principal.',
    },
    {
      pattern: new RegExp(`^sp/${APP_ID}/password$`),
      fields: [],
      operations: { update: sp.resetPassword, create: sp.resetPassword },
      help: 'Reset the client secret of a service principal; the new password is returned once.',
    },
    {
      pattern: /^identity\/?$/,
      fields: [],
      operations: { list: identity.list },
      help: 'List managed identities.',
    },
    {
      pattern: /^identity\/login$/,
      // `issuer` is sent by the CLI's local MSI endpoint; it is deliberately not read (the issuer comes from configuration).
      fields: ['name', 'session_secret', 'resource', 'issuer'],
      operations: { update: identityLoginHandler(deps) },
      unauthenticated: ['update', 'create'],
      help: 'Exchange a managed identity session secret {name, session_secret, resource} for an access token.',
    },
    {
      pattern: new RegExp(`^identity/${NAME}$`),
      fields: ['policies'],
      existenceCheck: async (req) => (await deps.store.getMi(identityName(req.params.name))) !== undefined,
      operations: { create: identity.write, update: identity.write, read: identity.read, delete: identity.delete },
      help: 'Create (principalId and clientId are generated), read or delete a managed identity.',
    },
    {
      pattern: new RegExp(`^identity/${NAME}/session$`),
      fields: ['ttl'],
      operations: { update: identity.createSession, create: identity.createSession },
      help: 'Start a session {ttl?} of a managed identity: returns the session secret once.',
    },
    {
      pattern: new RegExp(`^identity/${NAME}/session/revoke$`),
      fields: ['session_secret'],
      operations: { update: identity.revokeSession, create: identity.revokeSession },
      help: 'End a session {session_secret}.',
    },
    {
      pattern: /^principal\/(?<id>[^/]+)\/policies$/,
      fields: ['policies', 'add', 'remove'],
      operations: { read: policies.read, update: policies.update, create: policies.update },
      help: 'Read or set the policies of a principal {policies} or {add, remove}; the id is an appId, objectId, principalId, clientId or identity name.',
    },
    {
      pattern: /^oauth2\/token$/,
      // The client-credentials form; `client_assertion` is read only to refuse it with a clear error.
      fields: ['grant_type', 'client_id', 'client_secret', 'scope', 'client_assertion', 'client_assertion_type'],
      operations: { update: oauth2TokenHandler(deps) },
      unauthenticated: ['update', 'create'],
      help: 'OAuth 2.0 client-credentials grant {grant_type, client_id, client_secret, scope}.',
    },
    {
      pattern: /^keys$/,
      fields: [],
      operations: { read: async () => ({ data: await deps.keys.jwks() }) },
      unauthenticated: ['read'],
      help: 'The JSON Web Key Set that verifies access-token signatures.',
    },
  ];
}
