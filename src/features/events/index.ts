/**
 * Change events and their webhooks, a server-wide service under `sys/events/`: engines emit
 * through BackendServices.events (inside the request's transaction, into the outbox), and the
 * leader's tick fans events out to subscriptions and delivers them (delivery.ts).
 */
import type { SecretEvent, SystemServiceFactory } from '../../core/backend.js';
import { emitOps, trimOld } from './store.js';
import { waitRoute } from './wait.js';
import { runDeliveries } from './delivery.js';
import { scanExpiry, watchExpiry } from './expiry.js';
import { subscriptionRoutes } from './subscriptions.js';
import { DestinationPolicy, type EventsOptions } from './destination.js';

export type { EventsOptions } from './destination.js';

/** The events service with the server's `events { ... }` settings (destination policy). */
export function createEventsServiceFactory(options: EventsOptions = {}): SystemServiceFactory {
  const policy = new DestinationPolicy(options);
  return {
    name: 'events',
    create({ storage, now, logger, mayRead, detached }) {
      return {
        routes: [...subscriptionRoutes(storage, now, policy), waitRoute(storage, now, mayRead, detached)],
        events: {
          // Part of the caller's transaction: the event exists exactly when the write commits.
          emit: (e: SecretEvent) => emitOps(storage, e, now()).then((ops) => (ops.length > 0 ? storage.batch(ops) : undefined)),
          watchExpiry: (key, e) => watchExpiry(storage, key, e),
        },
        tick: async () => {
          await scanExpiry(storage, now());
          await trimOld(storage, now());
          await runDeliveries(storage, { now, logger, policy });
        },
      };
    },
  };
}

/** The events service with the default settings (see features/index.ts). */
export const eventsServiceFactory: SystemServiceFactory = createEventsServiceFactory();
