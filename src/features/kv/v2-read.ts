/**
 * The KV v2 read path's shared reads: a secret's metadata and version data decoded once per
 * stored value and handed, deeply frozen, to every read of it (Barrier.getDecoded through the
 * mount's storage view; other storages decode on each read). The audit formatter remembers the
 * HMACs of such a frozen version per device, so a repeated read of one version hashes nothing.
 *
 * Invariant: what these return is never changed by anyone (frozen: a write would throw), and a
 * new stored value (a write, on this node or another, or a discarded transaction's value) has
 * new ciphertext bytes, hence a new object. Writers keep reading mutable copies through
 * readMeta/readVersionData (v2-store.ts), which they change in place.
 */
import { deepFreeze, isDeepFrozen } from '../../core/deep-freeze.js';
import { MAX_SHARED_DECODED_BYTES, getDecoded } from '../../storage/decoded.js';
import type { Storage } from '../../storage/types.js';
import { decodeJson } from './codec.js';
import { metaKey, versionKey, versionView, type KeyMeta } from './v2-store.js';

/** The one decoder of the shared reads (its identity keys the barrier's memo). */
function decodeFrozen(raw: Uint8Array, shared: boolean): unknown {
  const value = decodeJson<unknown>(raw);
  // Frozen only when shared (see Decoder). A value too large for the barrier's memo is never
  // shared, so the size check stays for storages that report everything as shared.
  return shared && raw.byteLength <= MAX_SHARED_DECODED_BYTES ? deepFreeze(value) : value;
}

/** A secret's metadata, shared and frozen; undefined when the secret has none. */
export function readMetaShared(storage: Storage, path: string): Promise<Readonly<KeyMeta> | undefined> {
  return getDecoded(storage, metaKey(path), decodeFrozen) as Promise<KeyMeta | undefined>;
}

/** One version's data, shared and frozen; undefined when it is not in storage (destroyed or pruned). */
export function readVersionDataShared(storage: Storage, path: string, version: number): Promise<Readonly<Record<string, unknown>> | undefined> {
  return getDecoded(storage, versionKey(path, version), decodeFrozen) as Promise<Record<string, unknown> | undefined>;
}

/** The last version view built from each frozen metadata object. */
const views = new WeakMap<KeyMeta, { version: number; view: Record<string, unknown> }>();

/**
 * versionView of a metadata object from readMetaShared: built once per (metadata, version) and
 * frozen, so it too is shared (and its audit HMACs remembered). A view holds nothing that changes
 * with the clock (a deletion time is a fixed time); other metadata gets a fresh versionView.
 */
export function sharedVersionView(meta: KeyMeta, version: number): Record<string, unknown> {
  if (!isDeepFrozen(meta)) return versionView(meta, version);
  const last = views.get(meta);
  if (last !== undefined && last.version === version) return last.view;
  const view = deepFreeze(versionView(meta, version));
  views.set(meta, { version, view });
  return view;
}
