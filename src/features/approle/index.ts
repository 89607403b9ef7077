/**
 * The AppRole auth method (`type: "approle"`, spec §2.7): machines log in with a role-id and
 * a secret-id and get a token carrying the role's policies and TTLs.
 */
import type { Backend, BackendFactory } from '../../core/backend.js';
import { approleRoutes } from './routes.js';
import { ApproleStore } from './store.js';

/** The AppRole factory registered with core. */
export const approleFactory: BackendFactory = {
  type: 'approle',
  kind: 'auth',
  create(ctx): Backend {
    const store = new ApproleStore(ctx.storage, () => ctx.services.now());
    return {
      routes: approleRoutes({ store, services: ctx.services }),
      initialize: async () => {
        await store.salt();
      },
      // Called every second by core: one small list of the expiry index when nothing is due.
      tidy: async () => {
        await store.tidy();
      },
    };
  },
};
