/**
 * Vault-style flag normalisation. The vault CLI takes flags with one dash (`-format=json`,
 * `-key-shares 5`); commander wants GNU style (`--format=json`). We rewrite argv before
 * commander sees it so both styles work.
 */

/** What the normaliser knows about the program's flags (long names, without dashes). */
export interface FlagInfo {
  /** Flags that take no value (`orphan`, `no-store`); they may be written `-orphan=true|false`. */
  booleanFlags?: ReadonlySet<string>;
  /** Flags that take a value: the word after `-flag` (no `=`) is a value and is left alone. */
  valueFlags?: ReadonlySet<string>;
}

// A flag word: letters, digits, `-` and `_`, starting with a letter; an optional `=value`.
const FLAG_WORD = /^-{1,2}([A-Za-z][A-Za-z0-9_-]*)(=[\s\S]*)?$/;
const NEGATIVE_NUMBER = /^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Parse a boolean the way Go's strconv.ParseBool does (`1`, `t`, `T`, `TRUE`, `true`, `True`
 * and their false forms). Returns undefined for anything else.
 */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/**
 * Rewrite `argv` (without `node` and the script) from Vault style to GNU style:
 * - a single-dash word longer than one letter becomes `--word` (`-format=json` → `--format=json`);
 * - `-` alone, negative numbers, one-letter flags (`-f`), `k=v` arguments and everything after
 *   `--` are left as they are;
 * - the word after a value flag written without `=` is its value and is never rewritten;
 * - a boolean flag given a value (`-orphan=true`, `-no-store=false`) becomes `--orphan`; a false
 *   value becomes `--no-<flag>` when that negation is defined, else it is dropped (the default).
 */
export function normalizeArgv(argv: readonly string[], info: FlagInfo = {}): string[] {
  const booleans = info.booleanFlags ?? new Set<string>();
  const values = info.valueFlags ?? new Set<string>();
  const out: string[] = [];
  let expectValue = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (expectValue) {
      // The value of `-flag value`, even when it starts with a dash.
      out.push(arg);
      expectValue = false;
      continue;
    }
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg === '-' || !arg.startsWith('-') || NEGATIVE_NUMBER.test(arg)) {
      out.push(arg);
      continue;
    }
    const m = FLAG_WORD.exec(arg);
    if (!m) {
      out.push(arg);
      continue;
    }
    const name = m[1]!;
    const assigned = m[2];
    const singleDash = !arg.startsWith('--');
    if (singleDash && name.length === 1 && assigned === undefined) {
      // `-f`, `-h`: commander's short flags.
      out.push(arg);
      continue;
    }
    const long = `--${name}`;
    if (assigned === undefined) {
      out.push(long);
      if (values.has(name)) expectValue = true;
      continue;
    }
    // A name that takes a value somewhere (`-version=2` in `kv get`) keeps its value.
    if (booleans.has(name) && !values.has(name)) {
      const b = parseGoBool(assigned.slice(1));
      if (b === true) {
        out.push(long);
        continue;
      }
      if (b === false) {
        // `-cas-required=false` means `--no-cas-required` when that negation exists; else the default (off).
        if (booleans.has(`no-${name}`)) out.push(`--no-${name}`);
        continue;
      }
    }
    out.push(long + assigned);
  }
  return out;
}
