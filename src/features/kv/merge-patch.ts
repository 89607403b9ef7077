/**
 * JSON Merge Patch (RFC 7386), as Vault applies it for PATCH on KV v2 data and metadata:
 * objects merge key by key, `null` removes a key, anything else replaces the target.
 */
import { isPlainObject, setOwn } from './codec.js';

/** Returns `target` with `patch` applied; neither input is modified. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = {};
  if (isPlainObject(target)) for (const [k, v] of Object.entries(target)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete out[k];
    } else {
      const current = Object.hasOwn(out, k) ? out[k] : undefined;
      setOwn(out, k, mergePatch(current, v));
    }
  }
  return out;
}
