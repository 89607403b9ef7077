/**
 * Small helpers shared by the KV route tables.
 */
import type { Handler, Route } from '../../core/backend.js';
import { CofferError } from '../../core/errors.js';
import type { Operation } from '../../core/logical.js';
import type { KeyedMutex } from '../../core/keyed-mutex.js';

/** What KV handlers need besides the request: the clock and the per-key locks of this mount. */
export interface KvDeps {
  /** Unix milliseconds (core's controllable clock). */
  now(): number;
  locks: KeyedMutex;
}

const OPERATIONS: Operation[] = ['read', 'create', 'update', 'patch', 'delete', 'list'];

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
