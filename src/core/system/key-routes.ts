/**
 * Barrier key routes: `sys/rotate` (add a keyring term) and `sys/key-status`.
 */
import type { Route } from '../backend.js';
import type { Core } from '../core.js';

/** Builds the key routes. */
export function keyRoutes(core: Core): Route[] {
  const status = () => {
    const s = core.barrier.keyStatus();
    return { term: s.term, install_time: new Date(s.installTime).toISOString(), encryptions: s.encryptions };
  };
  return [
    {
      pattern: /^rotate$/,
      fields: [],
      sudo: true,
      operations: {
        update: async () => {
          await core.barrier.rotate();
          core.logger.info({ term: core.barrier.keyStatus().term }, 'barrier key rotated');
          return null;
        },
      },
    },
    { pattern: /^key-status$/, fields: [], operations: { read: async () => ({ data: status(), injectData: true }) } },
  ];
}
