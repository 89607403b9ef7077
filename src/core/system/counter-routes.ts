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
        read: async () => ({ data: { counters: { service_tokens: { total: await core.tokens.count() } } } }),
      },
      help: 'The number of service tokens in the token store.',
    },
  ];
}
