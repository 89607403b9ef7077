/**
 * `.env` text <-> a flat map of strings, with the quoting rules the KV editor documents:
 *
 * - one `KEY=value` per line; blank lines and lines starting with `#` are ignored; an optional
 *   `export ` prefix is accepted (and not written back);
 * - a key is any run of characters without whitespace, `=`, `#`, or quotes;
 * - an unquoted value is trimmed, and ` #…` after it is a comment;
 * - `'single quoted'` values are literal (no escapes, no comment);
 * - `"double quoted"` values understand `\n`, `\r`, `\t`, `\"` and `\\` (so a value with a line
 *   break stays on one line); nothing is expanded (`$X` is kept as is);
 * - a key given twice is an error (the editor would otherwise drop one silently).
 *
 * serializeEnv writes a value bare when that is unambiguous and double-quoted otherwise, so
 * `parseEnv(serializeEnv(m))` gives back `m` for every map of valid keys (unit-tested).
 */

/** One parse problem, with its 1-based line number. */
export interface EnvError {
  line: number;
  message: string;
}

/** What parseEnv returns: the entries in file order and any errors (entries is partial then). */
export interface EnvParse {
  entries: [string, string][];
  errors: EnvError[];
}

const KEY_RE = /^[^\s=#'"]+$/;
const BARE_RE = /^[A-Za-z0-9_./:@+,%~^-]+$/;

/** Why `key` cannot be written as an env key, or undefined when it can. */
export function envKeyProblem(key: string): string | undefined {
  if (key === '') return 'an empty key cannot be written';
  if (!KEY_RE.test(key)) return `key "${key}" contains whitespace, "=", "#" or a quote`;
  return undefined;
}

/** Quotes `value` for a `.env` line (bare when safe). */
export function quoteEnvValue(value: string): string {
  if (BARE_RE.test(value)) return value;
  const escaped = value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return `"${escaped}"`;
}

/** Serialises entries as `.env` text (throws on a key that cannot be written; see envKeyProblem). */
export function serializeEnv(entries: Iterable<[string, string]>): string {
  const lines: string[] = [];
  for (const [k, v] of entries) {
    const problem = envKeyProblem(k);
    if (problem) throw new Error(problem);
    lines.push(`${k}=${quoteEnvValue(v)}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

function unescapeDouble(body: string): string {
  return body.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c));
}

/** Parses `.env` text. */
export function parseEnv(text: string): EnvParse {
  const entries: [string, string][] = [];
  const errors: EnvError[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const body = trimmed.startsWith('export ') ? trimmed.slice(7).trimStart() : trimmed;
    const eq = body.indexOf('=');
    if (eq < 0) {
      errors.push({ line, message: 'expected KEY=value' });
      return;
    }
    const key = body.slice(0, eq).trim();
    const problem = envKeyProblem(key);
    if (problem) {
      errors.push({ line, message: problem });
      return;
    }
    const rest = body.slice(eq + 1).trimStart();
    let value: string;
    if (rest.startsWith('"')) {
      const m = /^"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(rest);
      if (!m) {
        errors.push({ line, message: 'unterminated or malformed "double-quoted" value (write a line break as \\n)' });
        return;
      }
      value = unescapeDouble(m[1]!);
    } else if (rest.startsWith("'")) {
      const m = /^'([^']*)'\s*(#.*)?$/.exec(rest);
      if (!m) {
        errors.push({ line, message: "unterminated or malformed 'single-quoted' value" });
        return;
      }
      value = m[1]!;
    } else {
      const hash = rest.search(/\s#/);
      value = (hash >= 0 ? rest.slice(0, hash) : rest).trim();
    }
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({ line, message: `key "${key}" is already set on line ${first}` });
      return;
    }
    seen.set(key, line);
    entries.push([key, value]);
  });
  return { entries, errors };
}
