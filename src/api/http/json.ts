/**
 * Bounded JSON parsing for request bodies, shared by the wire fronts. JSON.parse itself copes
 * with any nesting, but much of what comes after (audit hashing, JSON.stringify, merge
 * patches, structuredClone) recurses and overflows the stack a few thousand levels down, which
 * surfaced as a 500. The fronts therefore refuse deep bodies up front, with a 400.
 */

/**
 * The deepest nesting of objects and arrays a request body may have; the body's own outer
 * object is level 1. Real secrets and Key Vault payloads use a handful of levels; Vault's
 * comparable listener setting (max_json_depth) defaults to a more permissive 500.
 */
export const MAX_JSON_DEPTH = 64;

/** Why a body could not be parsed; each front words the answer in its own dialect. */
export class JsonBodyError extends Error {
  constructor(
    readonly reason: 'syntax' | 'depth',
    message: string,
  ) {
    super(message);
    this.name = 'JsonBodyError';
  }
}

/**
 * Parses `text` as JSON, refusing nesting deeper than `maxDepth` before parsing anything.
 * Throws a JsonBodyError whose message says what is wrong (never quoting the body).
 */
export function parseJsonBounded(text: string, maxDepth = MAX_JSON_DEPTH): unknown {
  if (nestedDeeperThan(text, maxDepth)) {
    throw new JsonBodyError('depth', `the JSON is nested more than ${maxDepth} levels deep (objects and arrays; the limit is ${maxDepth})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 says e.g. `Unexpected token } in JSON at position 9`; keep the position, drop any quoted input.
    const detail = err instanceof SyntaxError ? err.message.replace(/ in JSON at position (\d+).*/, ' at position $1').replace(/, ".*$/s, '') : 'invalid JSON';
    throw new JsonBodyError('syntax', detail.slice(0, 120));
  }
}

/**
 * Whether `text` opens more than `limit` objects/arrays at once, found by one scan that skips
 * string contents (so brackets inside strings do not count). O(length), no allocation; a string's
 * contents are skipped with indexOf, so long values (base64 payloads) cost next to nothing.
 */
function nestedDeeperThan(text: string, limit: number): boolean {
  if (text.length <= limit) return false; // too short to open limit + 1 brackets
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i = stringEnd(text, i);
      if (i < 0) return false; // unterminated string: JSON.parse reports it
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote that closes the string opened at `open`, or -1. */
function stringEnd(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at >= 0; at = text.indexOf('"', at + 1)) {
    // Escaped when preceded by an odd number of backslashes.
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return -1;
}
