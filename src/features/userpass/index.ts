/**
 * The userpass auth method (`type: "userpass"`, spec §2.8): people log in with a user name and
 * a password (scrypt-hashed at rest) and get a token carrying the user's policies and TTLs.
 */
import type { Backend, BackendFactory } from '../../core/backend.js';
import { userpassRoutes } from './routes.js';

/** The userpass factory registered with core. */
export const userpassFactory: BackendFactory = {
  type: 'userpass',
  kind: 'auth',
  create(ctx): Backend {
    return { routes: userpassRoutes({ storage: ctx.storage, services: ctx.services }) };
  },
};
