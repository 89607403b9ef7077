/**
 * Change events and their webhooks, a server-wide service under `sys/events/`: engines emit
 * through BackendServices.events (inside the request's transaction, into the outbox), and the
 * leader's tick fans events out to subscriptions and delivers them (delivery.ts).
 */
import type { SecretEvent, SystemServiceFactory } from '../../core/backend.js';
import { gridEvent } from './schema.js';
import { OUTBOX, putJson, timedKey, type OutboxEntry } from './store.js';
import { runDeliveries } from './delivery.js';
import { subscriptionRoutes } from './subscriptions.js';

/** The events service registered with core (see features/index.ts). */
export const eventsServiceFactory: SystemServiceFactory = {
  name: 'events',
  create({ storage, now, logger }) {
    return {
      routes: subscriptionRoutes(storage, now),
      events: {
        async emit(e: SecretEvent) {
          const entry: OutboxEntry = { type: e.type, mount: e.mount, event: gridEvent(e, now()) };
          // Part of the caller's transaction: the event exists exactly when the write commits.
          await storage.batch([putJson(timedKey(OUTBOX, now()), entry)]);
        },
      },
      tick: () => runDeliveries(storage, { now, logger }),
    };
  },
};
