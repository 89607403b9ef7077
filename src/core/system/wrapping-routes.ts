/**
 * sys/wrapping/wrap|unwrap|lookup|rewrap.
 */
import type { Route } from '../backend.js';
import type { Core } from '../core.js';
import { badRequest, permissionDenied } from '../errors.js';
import { optString } from '../fields.js';
import { WRAPPING_POLICY } from '../wrapping.js';

/** Default TTL of sys/wrapping/wrap without an X-Vault-Wrap-TTL header. */
const DEFAULT_WRAP_TTL = 300;

/** Builds the wrapping routes. */
export function wrappingRoutes(core: Core): Route[] {
  return [
    {
      pattern: /^wrapping\/wrap$/,
      fields: '*',
      operations: {
        update: async (req) => {
          if (Object.keys(req.data).length === 0) throw badRequest('empty wrapping request: give the key=value pairs to wrap');
          return { data: req.data, wrapTTL: DEFAULT_WRAP_TTL };
        },
      },
    },
    {
      // Unauthenticated at the route level: the caller is either the wrapping token itself
      // (X-Vault-Token) or another token that sends the wrapping token in the body.
      pattern: /^wrapping\/unwrap$/,
      fields: ['token'],
      unauthenticated: ['update', 'create'],
      operations: {
        update: async (req) => {
          const bodyToken = optString(req.data, 'token');
          if (bodyToken) {
            if (!req.auth) throw permissionDenied();
            if (req.auth.policies.length === 1 && req.auth.policies[0] === WRAPPING_POLICY) {
              throw badRequest('give the wrapping token either as X-Vault-Token or in the body, not both');
            }
            const acl = await core.policies.acl(req.auth.policies);
            if (!acl.check({ operation: 'update', path: 'sys/wrapping/unwrap' }).allowed) throw permissionDenied();
            return core.wrapper.unwrap(bodyToken);
          }
          if (!req.auth) throw badRequest('wrapping token is not valid or does not exist');
          return core.wrapper.unwrap(req.auth.clientToken);
        },
      },
    },
    {
      pattern: /^wrapping\/lookup$/,
      fields: ['token'],
      unauthenticated: ['update', 'create', 'read'],
      operations: {
        update: async (req) => {
          const token = optString(req.data, 'token') ?? req.auth?.clientToken;
          if (!token) throw badRequest('missing "token": the wrapping token to look up');
          return { data: await core.wrapper.lookup(token) };
        },
        read: async (req) => {
          const token = optString(req.data, 'token') ?? req.auth?.clientToken;
          if (!token) throw badRequest('missing "token": the wrapping token to look up');
          return { data: await core.wrapper.lookup(token) };
        },
      },
    },
    {
      pattern: /^wrapping\/rewrap$/,
      fields: ['token'],
      operations: {
        update: async (req) => {
          const token = optString(req.data, 'token');
          if (!token) throw badRequest('missing "token": the wrapping token to rewrap');
          const entry = await core.wrapper.entryFor(token);
          const original = await core.wrapper.unwrap(token);
          return core.wrapper.wrap(original, entry.creationTTL, entry.path, req.requestId);
        },
      },
    },
  ];
}
