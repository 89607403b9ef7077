/** The CLI's version, read from package.json (src/cli and dist/cli both sit two levels below it). */

import { createRequire } from 'node:module';

/** The package version, e.g. `0.1.0`. */
export const CLI_VERSION: string = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
