/**
 * The `subkeys` view of a secret: its key structure with every value replaced by `null`, so a
 * caller can see which fields exist without reading them.
 */
import { isPlainObject, setOwn } from './codec.js';

/** Vault's own ceiling on nesting, used when the caller asks for no limit (depth 0). */
export const MAX_SUBKEYS_DEPTH = 100;

/**
 * Strips values from `data`. A nested non-empty object is walked while its depth is within
 * `depth` (0 = no limit); deeper objects, empty objects and every other value become `null`.
 */
export function subkeys(data: Record<string, unknown>, depth = 0): Record<string, unknown> {
  const maxDepth = depth > 0 ? depth : MAX_SUBKEYS_DEPTH;
  const walk = (node: Record<string, unknown>, level: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      const walkInto = isPlainObject(v) && Object.keys(v).length > 0 && level + 1 <= maxDepth;
      setOwn(out, k, walkInto ? walk(v as Record<string, unknown>, level + 1) : null);
    }
    return out;
  };
  return walk(data, 1);
}
