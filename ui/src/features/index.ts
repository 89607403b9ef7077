/**
 * The feature registry: one line per feature folder (`export * as <name> from './<name>';`),
 * each exporting `routes: RouteDef[]`. Keep the lines sorted by name; the nav is ordered by
 * each route's `nav.order`, not by this list.
 */
export * as kv from './kv';
export * as login from './login';
export * as status from './status';
