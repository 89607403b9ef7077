/** A helper for engines' route tables. */
import type { Handler, Route } from './backend.js';
import { CofferError } from './errors.js';
import type { Operation } from './logical.js';

const OPERATIONS: Operation[] = ['read', 'create', 'update', 'patch', 'delete', 'list', 'scan'];

/** 405 `unsupported operation`, Vault's answer for a method a path does not handle. */
export const unsupported: Handler = async () => {
  throw new CofferError('unsupported_operation', 'unsupported operation');
};

/**
 * Builds a route whose missing operations answer 405, so that a path which matched never falls
 * through to a later route for a method it does not support.
 */
export function route(pattern: RegExp, operations: Route['operations'], extra: Omit<Route, 'pattern' | 'operations'> = {}): Route {
  const ops: Route['operations'] = { ...operations };
  for (const op of OPERATIONS) ops[op] ??= unsupported;
  return { pattern, operations: ops, ...extra };
}
