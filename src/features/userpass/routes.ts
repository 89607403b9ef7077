/**
 * The userpass route table (spec §2.8): users CRUD and LIST, password and policies sub-paths,
 * and `login/:username`. Storage: `user/<name>` → UserEntry.
 */
import type { BackendRequest, BackendServices, Handler, Route } from '../../core/backend.js';
import { isInCidrs } from '../../core/cidr.js';
import { badRequest, notFound, permissionDenied } from '../../core/errors.js';
import { optString } from '../../core/fields.js';
import type { Storage } from '../../storage/types.js';
import { KeyedMutex } from '../../core/keyed-mutex.js';
import { decodeJson, encodeJson, normalizeName } from '../auth-common/names.js';
import { issueParams, tokenFieldNames } from '../auth-common/token-fields.js';
import { hashPassword, verifyAgainstNothing, verifyPassword } from './password.js';
import { applyUserFields, newUser, passwordField, USER_ALIASES, userView, type UserEntry } from './user.js';

const USER = '(?<username>[^/]+)';
const INVALID = 'invalid username or password';

/** Dependencies of the userpass routes. */
export interface UserpassDeps {
  storage: Storage;
  services: BackendServices;
}

/** Builds the routes of one userpass mount. */
export function userpassRoutes(deps: UserpassDeps): Route[] {
  const { storage, services } = deps;
  const locks = new KeyedMutex();

  const userName = (req: BackendRequest): string => normalizeName(req.params.username, 'username');
  const getUser = async (name: string): Promise<UserEntry | undefined> => {
    const raw = await storage.get(`user/${name}`);
    return raw ? decodeJson<UserEntry>(raw) : undefined;
  };
  const putUser = (user: UserEntry) => storage.put(`user/${user.name}`, encodeJson(user));

  /** Read-modify-write of an existing user (400 naming it when missing). */
  const modify = (req: BackendRequest, change: (user: UserEntry) => Promise<void> | void): Promise<null> => {
    const name = userName(req);
    return locks.run(name, async () => {
      const existing = await getUser(name);
      if (!existing) throw badRequest(`user "${name}" does not exist; create it first with a write to users/${name}`);
      const user = structuredClone(existing);
      await change(user);
      await putUser(user);
      return null;
    });
  };

  const writeUser: Handler = (req) => {
    const name = userName(req);
    return locks.run(name, async () => {
      const existing = await getUser(name);
      const password = passwordField(req.data);
      if (!existing && password === undefined) throw badRequest('missing password: a new user needs one');
      // Validate the token fields before paying for the hash.
      const probe = existing ? structuredClone(existing) : newUser(name, { alg: 'scrypt', N: 0, r: 0, p: 0, salt: '', hash: '' });
      applyUserFields(probe, req.data);
      if (password !== undefined) probe.password = await hashPassword(password);
      await putUser(probe);
      return null;
    });
  };

  const login: Handler = async (req) => {
    const alias = (req.params.username ?? '').trim().toLowerCase();
    const password = optString(req.data, 'password') ?? '';
    if (password === '') throw badRequest('missing password');
    const { lockout } = services;
    if (await lockout.isLocked(req.mount, alias)) throw permissionDenied('login temporarily locked after repeated failures');

    let user: UserEntry | undefined;
    try {
      user = await getUser(normalizeName(alias, 'username'));
    } catch {
      user = undefined; // an invalid name is just an unknown user
    }
    // Unknown users cost the same KDF work, so timing does not tell which names exist.
    const ok = user ? await verifyPassword(password, user.password) : await verifyAgainstNothing(password);
    if (!user || !ok) {
      await lockout.failed(req.mount, alias);
      throw badRequest(INVALID);
    }
    if (user.token_bound_cidrs.length > 0 && !isInCidrs(req.clientAddress, user.token_bound_cidrs)) {
      throw permissionDenied(`source address "${req.clientAddress ?? 'unknown'}" is not allowed by the user's token_bound_cidrs`);
    }
    await lockout.succeeded(req.mount, alias);
    const params = issueParams(user);
    params.metadata = { username: user.name };
    params.displayName = user.name;
    return { auth: await services.issueToken(req.mount, params) };
  };

  return [
    {
      pattern: /^users\/?$/,
      operations: { list: async () => ({ data: { keys: (await storage.list('user/')).filter((n) => !n.endsWith('/')) } }) },
      help: 'List the users.',
    },
    {
      pattern: new RegExp(`^users/${USER}$`),
      fields: ['password', 'password_hash', ...tokenFieldNames(USER_ALIASES)],
      existenceCheck: async (req) => (await getUser(userName(req))) !== undefined,
      operations: {
        create: writeUser,
        update: writeUser,
        read: async (req) => {
          const user = await getUser(userName(req));
          if (!user) throw notFound();
          return { data: userView(user) };
        },
        delete: async (req) => {
          const name = userName(req);
          await locks.run(name, () => storage.delete(`user/${name}`));
          return null;
        },
      },
      help: 'Create, read, update or delete a user (the password is never returned).',
    },
    {
      pattern: new RegExp(`^users/${USER}/password$`),
      fields: ['password', 'password_hash'],
      operations: {
        update: async (req) => {
          const password = passwordField(req.data);
          if (password === undefined) throw badRequest('missing password');
          // Hash outside the lock: the KDF is the slow part.
          const hash = await hashPassword(password);
          return modify(req, (user) => {
            user.password = hash;
          });
        },
      },
      help: 'Change a user\'s password.',
    },
    {
      pattern: new RegExp(`^users/${USER}/policies$`),
      fields: ['token_policies', 'policies'],
      operations: {
        update: (req) => {
          const given = ['token_policies', 'policies'].filter((f) => req.data[f] !== undefined && req.data[f] !== null);
          if (given.length === 0) throw badRequest('missing token_policies');
          const picked = Object.fromEntries(given.map((f) => [f, req.data[f]]));
          return modify(req, (user) => applyUserFields(user, picked));
        },
      },
      help: 'Change a user\'s policies.',
    },
    {
      pattern: new RegExp(`^login/${USER}$`),
      fields: ['password'],
      operations: { update: login },
      unauthenticated: ['update', 'create'],
      help: 'Log in with a username and password.',
    },
  ];
}
