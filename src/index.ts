/**
 * Coffer as a library: start a server from code (tests, embedding). The `coffer` command is
 * the usual way to run it.
 */
export { runServer, type RunningServer, type ServerOptions } from './server/run.js';
export type { BackendFactory, Backend, Route } from './core/backend.js';
