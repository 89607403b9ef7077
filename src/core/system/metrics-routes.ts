/**
 * `GET sys/metrics`: this node's metrics, in Prometheus text (`?format=prometheus`) or Vault's
 * JSON shape (no `format`). Needs `read` on `sys/metrics`, or no token at all when the server
 * config has `telemetry { unauthenticated_metrics_access = true }` (as in Vault).
 */
import type { Route } from '../backend.js';
import type { Core } from '../core.js';
import { badRequest } from '../errors.js';

/** Builds the metrics route. */
export function metricsRoutes(core: Core): Route[] {
  return [
    {
      pattern: /^metrics\/?$/,
      fields: ['format'],
      unauthenticated: core.metrics.unauthenticatedAccess ? ['read'] : undefined,
      operations: {
        read: async (req) => {
          const format = req.data.format;
          if (format === 'prometheus') {
            const { contentType, text } = await core.metrics.prometheus();
            return { raw: { status: 200, body: text, contentType } };
          }
          if (format !== undefined && format !== '') {
            throw badRequest(`unknown metrics format "${String(format)}": use format=prometheus, or no format for JSON`);
          }
          return { raw: { status: 200, body: await core.metrics.vaultJson(new Date(core.clock.now())) } };
        },
      },
      help: 'Metrics of this node: Prometheus text with format=prometheus, else JSON (Gauges, Counters, Samples).',
    },
  ];
}
