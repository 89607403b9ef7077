/**
 * Deeply frozen JSON values that hot paths may share between requests (a KV version decoded
 * once per stored ciphertext, see Barrier.getDecoded), and the registry that lets later stages
 * (the audit formatter) remember work per such value by its identity.
 *
 * Invariant: a value is in the registry only if it and everything reachable from it is frozen
 * and made of plain objects, arrays and primitives (no toJSON, Date, Buffer, getter), so its
 * content can never change while it lives: anything derived from it stays correct as long as
 * the object does. Registration happens only here, after freezing the whole tree.
 */

const registry = new WeakSet<object>();

/**
 * Freezes `value` and everything below it and registers every container (see the module
 * comment). Meant for values fresh from JSON.parse (shared with nobody yet). Returns `value`.
 * A tree holding anything but plain objects, arrays and primitives is frozen except for those
 * nodes (left as they are), and the containers above them are not registered.
 */
export function deepFreeze<T>(value: T): T {
  freezeTree(value, 0);
  return value;
}

/** True when `value` is a container registered by deepFreeze (so it and its subtree never change). */
export function isDeepFrozen(value: unknown): value is object {
  return typeof value === 'object' && value !== null && registry.has(value);
}

/** Deeper than this is not registered (JSON that deep does not come from the fronts, which cap nesting at 64). */
const MAX_DEPTH = 256;

/** Freezes the tree; true when `value` is a primitive or a registered container. */
function freezeTree(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return typeof value !== 'function' && typeof value !== 'symbol';
  if (registry.has(value)) return true;
  let stable = depth < MAX_DEPTH;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!freezeTree(value[i], depth + 1)) stable = false;
  } else {
    const proto = Object.getPrototypeOf(value) as unknown;
    // Not plain (a Date, a Buffer, a class instance): left alone, and nothing above it is registered.
    if (proto !== Object.prototype && proto !== null) return false;
    for (const key of Object.keys(value)) {
      const desc = Object.getOwnPropertyDescriptor(value, key)!;
      if (!('value' in desc)) stable = false; // an accessor computes its value on each read
      else if (!freezeTree(desc.value, depth + 1)) stable = false;
    }
    if (Object.getOwnPropertySymbols(value).length > 0) stable = false;
  }
  Object.freeze(value);
  if (stable) registry.add(value);
  return stable;
}

/** JSON text of registered values, by identity (see frozenJson). */
const jsonTexts = new WeakMap<object, string>();

/**
 * `JSON.stringify(value)` of a value registered by deepFreeze, computed once per object (it can
 * never change, so neither can its text) and kept no longer than the object.
 */
export function frozenJson(value: object): string {
  let text = jsonTexts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    jsonTexts.set(value, text);
  }
  return text;
}
