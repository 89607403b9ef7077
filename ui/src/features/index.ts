/**
 * The feature registry: one line per feature folder (`export * as <name> from './<name>';`),
 * each exporting `routes: RouteDef[]`. Keep the lines sorted by name; the nav is ordered by
 * each route's `nav.order`, not by this list.
 */
export * as audit from './audit';
export * as authMethods from './auth-methods';
export * as engines from './engines';
export * as init from './init';
export * as keyvault from './keyvault';
export * as kv from './kv';
export * as login from './login';
export * as policies from './policies';
export * as status from './status';
export * as tokens from './tokens';
export * as unseal from './unseal';
