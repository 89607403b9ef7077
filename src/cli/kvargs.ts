/**
 * `k=v` argument parsing, as the vault CLI's kv-builder does it:
 * - `k=v`       the string `v` (values stay strings; the server parses them leniently);
 * - `k=@file`   the contents of `file`;
 * - `k=-`       all of standard input;
 * - `-`         a JSON object read from standard input, merged in;
 * - a key given twice becomes a list of its values (`policies=a policies=b`).
 */

import { usageError } from './context.js';

/** Where `@file` and `-` values come from (injected so tests need no files or stdin). */
export interface KvSources {
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
}

/** Parse `k=v` arguments into a request body. Throws a usage error (exit 2) on bad input. */
export async function parseKvArgs(args: readonly string[], sources: KvSources): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  let stdinUsed = false;
  const stdinOnce = async (what: string): Promise<string> => {
    if (stdinUsed) throw usageError(`${what}: standard input can be read only once per command`);
    stdinUsed = true;
    return sources.readStdin();
  };
  const add = (key: string, value: unknown): void => {
    if (!Object.hasOwn(result, key)) {
      result[key] = value;
      return;
    }
    const existing = result[key];
    result[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  };

  for (const [i, arg] of args.entries()) {
    if (arg === '-') {
      const text = await stdinOnce('"-"');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw usageError('"-" expects a JSON object on standard input, but it is not valid JSON');
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw usageError('"-" expects a JSON object on standard input (e.g. {"key": "value"})');
      }
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) add(k, v);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      // Do not echo the argument: it may be a secret typed without its key.
      const n = i + 1;
      throw usageError(
        `data argument ${n} is not a key/value pair: use key=value, key=@file, key=- or "-" (a JSON object on stdin)`,
      );
    }
    const key = arg.slice(0, eq);
    const raw = arg.slice(eq + 1);
    if (raw === '-') {
      add(key, await stdinOnce(`${key}=-`));
    } else if (raw.startsWith('@') && raw.length > 1) {
      const file = raw.slice(1);
      try {
        add(key, await sources.readFile(file));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? 'error';
        throw usageError(`${key}=@${file}: cannot read the file (${code})`);
      }
    } else {
      add(key, raw);
    }
  }
  return result;
}
