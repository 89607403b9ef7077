/**
 * The transit secrets engine (`type: "transit"`): encryption as a service in Vault's API.
 * Keys never leave the server (unless made exportable); apps send data to be encrypted,
 * decrypted, signed, verified or HMACed. All key material, versions, rotation and
 * cryptography come from keys-core, which the Azure Key Vault keys view shares; this folder
 * only speaks Vault's wire format.
 */
import type { Backend, BackendFactory } from '../../core/backend.js';
import { cryptoRoutes } from './crypto-routes.js';
import { keyRoutes } from './key-routes.js';
import type { TransitDeps } from './shared.js';
import { signRoutes } from './sign-routes.js';
import { utilRoutes } from './util-routes.js';

/** The transit factory registered with core. */
export const transitFactory: BackendFactory = {
  type: 'transit',
  kind: 'secret',
  create(ctx): Backend {
    const deps: TransitDeps = { now: () => ctx.services.now() };
    return { routes: [...keyRoutes(deps), ...cryptoRoutes(deps), ...signRoutes(deps), ...utilRoutes()] };
  },
};
