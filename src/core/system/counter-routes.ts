/**
 * `GET sys/internal/counters/tokens`, in Vault's shape: `{"counters": {"service_tokens": {"total": N}}}`.
 */
import type { Route } from '../backend.js';
import type { Core } from '../core.js';

/** Builds the counter routes. */
export function counterRoutes(core: Core): Route[] {
  return [
    {
      pattern: /^internal\/counters\/tokens\/?$/,
      fields: [],
      operations: {
        // Bounded cost on a large store: a recent count is reused (src/core/metrics/bounded-count.ts).
        read: async () => ({ data: { counters: { service_tokens: { total: await core.counts.tokens.get() } } } }),
      },
      help: 'The number of service tokens in the token store.',
    },
  ];
}
