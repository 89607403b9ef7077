/**
 * `sys/events/subscriptions/<name>` (create/update, read, delete), `sys/events/subscriptions`
 * (list) and `sys/events/dead-letters` (list of failed deliveries).
 */
import type { Route, SecretEventType } from '../../core/backend.js';
import { badRequest, notFound } from '../../core/errors.js';
import { optDuration, optInt, optString, optStringList } from '../../core/fields.js';
import { NEAR_EXPIRY_MS } from './expiry.js';
import type { Storage } from '../../storage/types.js';
import type { DestinationPolicy } from './destination.js';
import { validateEndpoint } from './handshake.js';
import { DEAD, SUB, del, putJson, readJson, setSubscribedOp, type Delivery, type Subscription } from './store.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const EVENT_TYPES: readonly SecretEventType[] = ['SecretNewVersionCreated', 'SecretNearExpiry', 'SecretExpired'];
const MIN_SECRET = 16;
const MAX_SECRET = 1024;
const MAX_URL = 2048;
/** Bounds that keep one dead receiver from holding the worker for long. */
const MAX_ATTEMPTS = 10;
const MAX_TIMEOUT_S = 30;
const DEAD_LETTERS_SHOWN = 1000;
/** The worker reads this many subscriptions per fan-out; more could never be served. */
export const MAX_SUBSCRIPTIONS = 1000;

/** Checks a webhook URL: absolute http(s), no credentials in it (they would be shown on read), a destination the server allows. */
function parseUrl(raw: string | undefined, policy: DestinationPolicy): string {
  if (!raw) throw badRequest('missing url: give the webhook address, e.g. "https://hooks.example.com/coffer"');
  if (raw.length > MAX_URL) throw badRequest(`invalid url: longer than ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badRequest('invalid url: expected an absolute http:// or https:// address');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest(`invalid url: the scheme must be http or https (got "${url.protocol.slice(0, 20)}")`);
  if (url.username || url.password) throw badRequest('invalid url: do not put credentials in the url; the receiver checks the X-Coffer-Signature header instead');
  const refused = policy.checkUrl(url);
  if (refused) throw badRequest(`invalid url: ${refused}`);
  return url.toString();
}

function parseTypes(list: string[] | undefined): SecretEventType[] {
  const out: SecretEventType[] = [];
  for (const raw of list ?? []) {
    // Accept the full Event Grid name as well as the short one.
    const short = raw.replace(/^(Microsoft\.KeyVault|Coffer\.KV)\./, '');
    const t = EVENT_TYPES.find((x) => x === short);
    if (!t) throw badRequest(`invalid event_types: "${raw.slice(0, 64)}" is not an event type (use ${EVENT_TYPES.join(', ')})`);
    if (!out.includes(t)) out.push(t);
  }
  return out;
}

function parseMounts(list: string[] | undefined): string[] {
  return (list ?? []).map((m) => {
    if (m.length > 256 || /[\x00-\x1f\x7f]/.test(m) || m.split('/').includes('..')) throw badRequest(`invalid mounts: "${m.slice(0, 64)}" is not a mount path (e.g. "secret/" or "keyvault/main/")`);
    const trimmed = m.replace(/^\/+/, '');
    return trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
  });
}

/** The subscription as shown: everything but the secret. */
function view(s: Subscription): Record<string, unknown> {
  return {
    name: s.name, url: s.url, event_types: s.eventTypes, mounts: s.mounts, max_attempts: s.maxAttempts,
    timeout: s.timeoutMs / 1000, endpoint_type: s.endpointType ?? 'webhook', near_expiry: (s.nearExpiryMs ?? NEAR_EXPIRY_MS) / 1000, created_time: new Date(s.createdAt).toISOString(), secret_set: true,
  };
}

function subName(raw: string | undefined): string {
  if (!raw || !NAME.test(raw)) throw badRequest('invalid subscription name: use 1-64 letters, digits, "_", "-" or "." starting with a letter or digit');
  return raw;
}

/** The routes, relative to `sys/`; `storage` is the events service's view. */
export function subscriptionRoutes(storage: Storage, now: () => number, policy: DestinationPolicy): Route[] {
  return [
    {
      pattern: /^events\/subscriptions\/?$/,
      fields: [],
      operations: {
        list: async () => ({ data: { keys: await storage.list(SUB) } }),
      },
      help: 'List webhook subscriptions.',
    },
    {
      pattern: /^events\/subscriptions\/(?<name>[^/]+)$/,
      fields: ['url', 'secret', 'event_types', 'mounts', 'max_attempts', 'timeout', 'near_expiry', 'endpoint_type'],
      existenceCheck: async (req) => NAME.test(req.params.name ?? '') && (await storage.get(SUB + req.params.name)) !== undefined,
      operations: {
        create: async (req) => {
          const name = subName(req.params.name);
          const previous = await readJson<Subscription>(storage, SUB + name);
          if (!previous && (await storage.list(SUB, { limit: MAX_SUBSCRIPTIONS })).length >= MAX_SUBSCRIPTIONS) {
            throw badRequest(`too many subscriptions: at most ${MAX_SUBSCRIPTIONS}; delete one first or widen an existing one's filters`);
          }
          const url = parseUrl(optString(req.data, 'url') ?? previous?.url, policy);
          // The secret may be omitted on update (it is never shown, so it could not be echoed back).
          const secret = optString(req.data, 'secret') ?? previous?.secret;
          if (!secret) throw badRequest(`missing secret: give a random string of at least ${MIN_SECRET} characters; deliveries are signed with HMAC-SHA256 under it`);
          if (secret.length < MIN_SECRET || secret.length > MAX_SECRET) throw badRequest(`invalid secret: it must be ${MIN_SECRET} to ${MAX_SECRET} characters long`);
          const timeout = optInt(req.data, 'timeout', { min: 1, max: MAX_TIMEOUT_S });
          const near = optDuration(req.data, 'near_expiry');
          if (near !== undefined && (near < 60 || near * 1000 > NEAR_EXPIRY_MS)) {
            throw badRequest('invalid near_expiry: give a duration from 1m to 30d (SecretNearExpiry is raised 30 days before the expiry; a shorter window delays its delivery)');
          }
          const endpointType = optString(req.data, 'endpoint_type') ?? previous?.endpointType ?? 'webhook';
          if (endpointType !== 'webhook' && endpointType !== 'eventgrid') {
            throw badRequest('invalid endpoint_type: use "webhook" (default) or "eventgrid" (the endpoint must pass Event Grid\'s validation handshake)');
          }
          const sub: Subscription = {
            name, url, secret,
            eventTypes: req.data.event_types !== undefined ? parseTypes(optStringList(req.data, 'event_types')) : previous?.eventTypes ?? [],
            mounts: req.data.mounts !== undefined ? parseMounts(optStringList(req.data, 'mounts')) : previous?.mounts ?? [],
            maxAttempts: optInt(req.data, 'max_attempts', { min: 1, max: MAX_ATTEMPTS }) ?? previous?.maxAttempts ?? 5,
            timeoutMs: timeout !== undefined ? timeout * 1000 : previous?.timeoutMs ?? 5000,
            ...(near !== undefined ? { nearExpiryMs: near * 1000 } : previous?.nearExpiryMs !== undefined ? { nearExpiryMs: previous.nearExpiryMs } : {}),
            createdAt: previous?.createdAt ?? now(),
            ...(endpointType === 'eventgrid' ? { endpointType } : {}),
          };
          // Event Grid endpoints prove they want these events before any is sent (again when the URL changes).
          if (endpointType === 'eventgrid' && (previous?.endpointType !== 'eventgrid' || previous.url !== url)) {
            await validateEndpoint(url, secret, sub.timeoutMs, policy, `coffer:sys/events/subscriptions/${name}`, now());
          }
          await storage.batch([putJson(SUB + name, sub), await setSubscribedOp(storage, true)]);
          return null;
        },
        read: async (req) => {
          const sub = await readJson<Subscription>(storage, SUB + subName(req.params.name));
          if (!sub) throw notFound();
          return { data: view(sub) };
        },
        delete: async (req) => {
          const name = subName(req.params.name);
          const others = (await storage.list(SUB, { limit: 2 })).filter((n) => n !== name);
          await storage.batch([del(SUB + name), await setSubscribedOp(storage, others.length > 0)]);
          return null;
        },
      },
      help: 'Create, read or delete a webhook subscription (url, secret, event_types, mounts, max_attempts, timeout, near_expiry, endpoint_type).',
    },
    {
      pattern: /^events\/dead-letters\/?$/,
      fields: [],
      operations: {
        read: async () => deadLetters(storage),
        list: async () => deadLetters(storage),
      },
      help: 'Deliveries that failed every attempt, oldest first.',
    },
  ];
}

async function deadLetters(storage: Storage) {
  const keys = await storage.list(DEAD, { limit: DEAD_LETTERS_SHOWN });
  const items: Record<string, unknown>[] = [];
  for (const key of keys) {
    const d = await readJson<Delivery>(storage, DEAD + key);
    if (d) items.push({ id: d.id, subscription: d.subscription, event_type: d.event.eventType, subject: d.event.subject, event_id: d.event.id, attempts: d.attempts, last_error: d.lastError, failed_time: new Date(d.failedAt ?? 0).toISOString(), event: d.event });
  }
  return { data: { keys: items.map((i) => i.id as string), dead_letters: items } };
}
