/**
 * Event Grid's synchronous validation handshake, for subscriptions with `endpoint_type =
 * "eventgrid"` (receivers written for Azure Event Grid refuse events from a source that never
 * validated): when the subscription is written, the endpoint gets a
 * `Microsoft.EventGrid.SubscriptionValidationEvent` with a fresh `validationCode` (header
 * `aeg-event-type: SubscriptionValidation`) and must answer 200 with
 * `{"validationResponse": "<the code>"}`. Only then is the subscription stored.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { badRequest } from '../../core/errors.js';
import type { DestinationPolicy } from './destination.js';
import { sign } from './delivery.js';
import { failureReason, postJson } from './post.js';

/** The validation event as Event Grid sends it (its schema; `validationUrl` is not offered). */
export function validationEvent(code: string, topic: string, now: number) {
  return {
    id: randomUUID(),
    topic,
    subject: '',
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: new Date(now).toISOString(),
    data: { validationCode: code },
    dataVersion: '2',
    metadataVersion: '1',
  };
}

/** Runs the handshake against `url`; throws a 400 saying what the endpoint did wrong. */
export async function validateEndpoint(url: string, secret: string, timeoutMs: number, policy: DestinationPolicy, topic: string, now: number): Promise<void> {
  const code = randomUUID();
  const body = JSON.stringify([validationEvent(code, topic, now)]);
  const fail = (why: string) =>
    badRequest(`the endpoint did not complete Event Grid's validation handshake (${why}); it must answer the SubscriptionValidationEvent with 200 and {"validationResponse": "<data.validationCode>"}, or use endpoint_type "webhook"`);
  let res: { status: number; text: string };
  try {
    res = await postJson(url, body, { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation', 'x-coffer-signature': sign(secret, body) }, timeoutMs, policy);
  } catch (err) {
    throw fail(failureReason(err, timeoutMs));
  }
  if (res.status !== 200) throw fail(`HTTP ${res.status}`);
  let answer: unknown;
  try {
    answer = JSON.parse(res.text);
  } catch {
    throw fail('the answer is not JSON');
  }
  const echoed = (answer as { validationResponse?: unknown } | null)?.validationResponse;
  if (typeof echoed !== 'string') throw fail('the answer has no validationResponse');
  const a = Buffer.from(echoed);
  const b = Buffer.from(code);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw fail('the validationResponse is not the validationCode sent');
}
