/**
 * The KV secrets engine, versions 1 and 2 (`type: "kv"`; `kv-v2` and `generic` are aliases).
 * The mount option `version` picks the implementation when the mount is instantiated.
 */
import type { BackendFactory } from '../../core/backend.js';
import { badRequest } from '../../core/errors.js';
import { createKvV1 } from './kv-v1.js';
import { createKvV2 } from './kv-v2.js';
import { KeyedMutex } from '../../core/keyed-mutex.js';

/**
 * Normalises the mount options: `version` becomes the string "1" or "2" (numbers are accepted,
 * absent means "1"); anything else is a 400. Other options pass through unchanged.
 */
export function validateKvOptions(options: Record<string, string>, previous?: Record<string, string>): Record<string, string> {
  const raw: unknown = (options as Record<string, unknown>).version;
  const text = raw === undefined || raw === null ? '' : String(raw).trim();
  if (text !== '' && text !== '1' && text !== '2') {
    throw badRequest(`invalid value for "options.version": KV version must be 1 or 2 (got ${JSON.stringify(String(raw).slice(0, 20))})`);
  }
  const version = text === '' ? (previous?.version ?? '1') : text;
  // The two versions store data differently; switching in place would hide every secret.
  if (previous?.version && previous.version !== version) {
    throw badRequest(`changing a KV mount from version ${previous.version} to ${version} in place is not supported: enable a new mount with -version=${version} and copy the secrets`);
  }
  return { ...options, version };
}

/** The KV factory registered with core. */
export const kvFactory: BackendFactory = {
  type: 'kv',
  kind: 'secret',
  aliases: { 'kv-v2': { version: '2' }, generic: {} },
  validateOptions: validateKvOptions,
  create(ctx) {
    if (ctx.mount.options.version === '2') return createKvV2({ now: () => ctx.services.now(), locks: new KeyedMutex(), events: ctx.services.events });
    return createKvV1();
  },
};
