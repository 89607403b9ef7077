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
import { DEFAULT_ISSUER } from './token.js';

/** Expired sessions are swept at most this often (core's ticker calls tidy every second). */
const TIDY_INTERVAL_MS = 60_000;

/** Settings of the azure-ad feature that come from the server configuration. */
export interface AzureIdentityOptions {
  /**
   * The issuer of access tokens (`<api_addr>/adfs` or `https://<base-domain>:<port>/adfs`),
   * read at each login so the server can fix it once its listener is bound.
   */
  issuer?: () => string;
}

/** Builds the azure-ad factory with the server's settings. */
export function createAzureIdentityFactory(options: AzureIdentityOptions = {}): BackendFactory {
  const issuer = options.issuer ?? (() => DEFAULT_ISSUER);
  return {
    type: 'azure-ad',
    kind: 'auth',
    create(ctx): Backend {
      const now = () => ctx.services.now();
      const store = new AzureIdentityStore(ctx.storage);
      const keys = new SigningKeys(ctx.storage, now);
      let lastTidy = 0;
      return {
        routes: azureIdentityRoutes({ store, services: ctx.services, keys, issuer }),
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
}

/** The azure-ad factory with the default issuer (the server wiring replaces it with a configured one). */
export const azureIdentityFactory: BackendFactory = createAzureIdentityFactory();

export { ACCESS_TOKEN_PURPOSE, DEFAULT_ISSUER, TENANT, type AccessTokenContent } from './token.js';
