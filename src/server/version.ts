/** The Coffer version reported by `sys/health`, `sys/seal-status` and `coffer version` (from package.json). */
import { createRequire } from 'node:module';

// Both src/server and dist/server sit two levels below the package root.
export const VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
