/**
 * The system backend mounted at `sys/`: seal control, mounts, policies, audit, keys, response wrapping, leases,
 * host information and counters.
 * It lives in core because it manages core's own state.
 */
import type { Backend, Route } from '../backend.js';
import type { Core } from '../core.js';
import { auditLogRoutes } from './audit-log-routes.js';
import { auditRoutes } from './audit-routes.js';
import { counterRoutes } from './counter-routes.js';
import { hostInfoRoutes } from './host-info.js';
import { clusterRoutes } from './cluster-routes.js';
import { keyRoutes } from './key-routes.js';
import { leaseRoutes } from './lease-routes.js';
import { lockoutRoutes } from './lockout-routes.js';
import { metricsRoutes } from './metrics-routes.js';
import { mountRoutes } from './mount-routes.js';
import { policyRoutes } from './policy-routes.js';
import { sealRoutes } from './seal-routes.js';
import { generateRootRoutes } from './generate-root.js';
import { rekeyRoutes } from './rekey.js';
import { snapshotRoutes } from './snapshot-routes.js';
import { wrappingRoutes } from './wrapping-routes.js';

/** Builds the system backend for `core`; `extra` are the system services' routes (see SystemService). */
export function createSystemBackend(core: Core, extra: Route[] = []): Backend {
  return { routes: [...extra, ...sealRoutes(core), ...generateRootRoutes(core), ...rekeyRoutes(core), ...clusterRoutes(core), ...mountRoutes(core), ...policyRoutes(core), ...auditRoutes(core), ...auditLogRoutes(core), ...keyRoutes(core), ...wrappingRoutes(core), ...leaseRoutes(core), ...lockoutRoutes(core), ...hostInfoRoutes(core), ...counterRoutes(core), ...metricsRoutes(core), ...snapshotRoutes(core)] };
}
