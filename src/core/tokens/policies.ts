/**
 * Policy-list helpers with Vault's semantics (`policyutil.SanitizePolicies`, `strutil` globs),
 * shared by the token routes and by core when it issues login tokens.
 */

/** Policies no token may carry: they are attached internally only. */
export const NON_ASSIGNABLE_POLICIES: readonly string[] = ['response-wrapping', 'control-group'];

/**
 * Lower-cases and trims names, drops empties and duplicates, sorts, and adds `default` when
 * asked. A list holding `root` collapses to `['root']` (root implies everything else).
 */
export function sanitizePolicies(policies: readonly string[], addDefault: boolean): string[] {
  const set = new Set<string>();
  for (const raw of policies) {
    const p = raw.trim().toLowerCase();
    if (p === '') continue;
    if (p === 'root') return ['root'];
    set.add(p);
  }
  if (addDefault) set.add('default');
  return [...set].sort();
}

/** True when every item of `subset` is in `superset`. */
export function isSubset(superset: readonly string[], subset: readonly string[]): boolean {
  const have = new Set(superset);
  return subset.every((p) => have.has(p));
}

/** Vault's glob: `*` matches any run of characters, everything else is literal. */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const parts = pattern.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!value.startsWith(first)) return false;
  let pos = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const idx = value.indexOf(parts[i]!, pos);
    if (idx < 0) return false;
    pos = idx + parts[i]!.length;
  }
  return value.length - last.length >= pos && value.endsWith(last);
}

/** True when any glob in `patterns` matches `value`. */
export function anyGlobMatch(patterns: readonly string[], value: string): boolean {
  return patterns.some((g) => globMatch(g, value));
}
