/**
 * `sys/tools/random[/:source][/:bytes]` and `sys/tools/hash[/:algorithm]`: Vault's general-purpose
 * tools, the same helpers transit serves keylessly (util-routes.ts). The default policy grants
 * `sys/tools/hash`; random needs a policy that names it. Nothing is stored.
 */
import type { SystemServiceFactory } from '../../core/backend.js';
import { utilRoutes } from './util-routes.js';

/** The tools service (routes only). */
export const toolsServiceFactory: SystemServiceFactory = {
  name: 'tools',
  create: () => ({ routes: utilRoutes('tools/') }),
};
