/**
 * Change events and their webhooks, a server-wide service under `sys/events/`: engines emit
 * through BackendServices.events (inside the request's transaction, into the outbox), and the
 * leader's tick fans events out to subscriptions and delivers them (delivery.ts).
 */
import type { SecretEvent, SystemServiceFactory } from '../../core/backend.js';
import { eventOps, trimOld } from './store.js';
import { waitRoute } from './wait.js';
import { runDeliveries } from './delivery.js';
import { scanExpiry, watchExpiry } from './expiry.js';
import { subscriptionRoutes } from './subscriptions.js';

/** The events service registered with core (see features/index.ts). */
export const eventsServiceFactory: SystemServiceFactory = {
  name: 'events',
  create({ storage, now, logger, mayRead }) {
    return {
      routes: [...subscriptionRoutes(storage, now), waitRoute(storage, now, mayRead)],
      events: {
        // Part of the caller's transaction: the event exists exactly when the write commits.
        emit: (e: SecretEvent) => storage.batch(eventOps(e, now())),
        watchExpiry: (key, e) => watchExpiry(storage, key, e),
      },
      tick: async () => {
        await scanExpiry(storage, now());
        await trimOld(storage, now());
        await runDeliveries(storage, { now, logger });
      },
    };
  },
};
