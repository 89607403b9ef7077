/**
 * The `azure-ad` auth method: an Entra ID / ADFS look-alike so that unmodified Azure SDK
 * clients can authenticate to Coffer's Key Vault front (docs/dev/AZURE.md "Identity").
 * Service principals log in with a client secret at `oauth2/token`; managed identities log
 * in with a session secret at `identity/login`; both get a Coffer login token wrapped in an
 * ES256 JWT (see token.ts).
 */
import type { Backend, BackendFactory } from '../../core/backend.js';
import { azureIdentityRoutes } from './routes.js';
import { SigningKeys } from './signing-key.js';
import { AzureIdentityStore } from './store.js';

/** Expired sessions are swept at most this often (core's ticker calls tidy every second). */
const TIDY_INTERVAL_MS = 60_000;

/** The azure-ad factory registered with core. */
export const azureIdentityFactory: BackendFactory = {
  type: 'azure-ad',
  kind: 'auth',
  create(ctx): Backend {
    const now = () => ctx.services.now();
    const store = new AzureIdentityStore(ctx.storage);
    const keys = new SigningKeys(ctx.storage, now);
    let lastTidy = 0;
    return {
      routes: azureIdentityRoutes({ store, services: ctx.services, keys }),
      initialize: async () => {
        await store.salt();
      },
      tidy: async () => {
        if (now() - lastTidy < TIDY_INTERVAL_MS) return;
        lastTidy = now();
        await store.tidySessions(now());
      },
    };
  },
};

export { ACCESS_TOKEN_PURPOSE, TENANT, type AccessTokenContent } from './token.js';
