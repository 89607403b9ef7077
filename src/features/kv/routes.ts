/**
 * Small helpers shared by the KV route tables.
 */
import type { EventSink } from '../../core/backend.js';
import type { KeyedMutex } from '../../core/keyed-mutex.js';

/** What KV handlers need besides the request: the clock and the per-key locks of this mount. */
export interface KvDeps {
  /** Unix milliseconds (core's controllable clock). */
  now(): number;
  locks: KeyedMutex;
  /** Change events (new versions); absent when no event service is wired. */
  events?: EventSink;
}

export { route, unsupported } from '../../core/route.js';
