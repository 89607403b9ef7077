/**
 * Every feature this build can mount. Core receives this list from the server wiring and
 * never imports a feature itself: adding an engine means adding a folder and a line here.
 */
import type { BackendFactory, SystemServiceFactory } from '../core/backend.js';
import { cubbyholeFactory } from './cubbyhole/index.js';
import { kvFactory } from './kv/index.js';
import { keyvaultFactory } from './keyvault/index.js';
import { approleFactory } from './approle/index.js';
import { userpassFactory } from './userpass/index.js';
import { azureIdentityFactory } from './azure-identity/index.js';
import { transitFactory } from './transit/index.js';
import { toolsServiceFactory } from './transit/tools-service.js';
import { eventsServiceFactory } from './events/index.js';

/** The features mounted by type name. */
export const features: BackendFactory[] = [cubbyholeFactory, kvFactory, approleFactory, userpassFactory, keyvaultFactory, azureIdentityFactory, transitFactory];

/** Server-wide services under `sys/` (change events and their webhooks; sys/tools). */
export const systemServices: SystemServiceFactory[] = [eventsServiceFactory, toolsServiceFactory];
