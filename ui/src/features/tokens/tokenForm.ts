/** The token-create form → the body of `auth/token/create` (pure, tested). */

/** The form's fields, as typed. */
export interface TokenFormValues {
  policies: string;
  ttl: string;
  explicitMaxTtl: string;
  period: string;
  numUses: string;
  displayName: string;
  orphan: boolean;
  noDefaultPolicy: boolean;
  renewable: boolean;
}

/** An empty form. */
export const EMPTY_TOKEN_FORM: TokenFormValues = { policies: '', ttl: '', explicitMaxTtl: '', period: '', numUses: '', displayName: '', orphan: false, noDefaultPolicy: false, renewable: true };

const DURATION = /^\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d)?$|^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d))+$/;

/** True for a Vault duration (`90`, `30m`, `1h30m`, `7d`). */
export function isDuration(text: string): boolean {
  return DURATION.test(text.trim());
}

/** Splits `a, b ,c` into policy names (no empties, no duplicates). */
export function parsePolicies(text: string): string[] {
  return [...new Set(text.split(/[,\s]+/).map((p) => p.trim()).filter(Boolean))];
}

/**
 * The API path and JSON body for the form (orphans go to `create-orphan`, which, unlike
 * `no_parent`, needs no sudo). Throws an Error naming the first invalid field.
 */
export function tokenCreateRequest(v: TokenFormValues): { path: string; body: Record<string, unknown> } {
  const body: Record<string, unknown> = {};
  const policies = parsePolicies(v.policies);
  if (policies.length) body.policies = policies;
  for (const [field, key, label] of [
    [v.ttl, 'ttl', 'TTL'],
    [v.explicitMaxTtl, 'explicit_max_ttl', 'Explicit max TTL'],
    [v.period, 'period', 'Period'],
  ] as const) {
    if (field.trim() === '') continue;
    if (!isDuration(field)) throw new Error(`${label} must be a duration such as 30m, 12h or 3600 (seconds).`);
    body[key] = field.trim();
  }
  if (v.numUses.trim() !== '') {
    if (!/^\d+$/.test(v.numUses.trim())) throw new Error('Number of uses must be a whole number (0 = unlimited).');
    body.num_uses = Number(v.numUses.trim());
  }
  if (v.displayName.trim()) body.display_name = v.displayName.trim();
  if (v.noDefaultPolicy) body.no_default_policy = true;
  if (!v.renewable) body.renewable = false;
  return { path: v.orphan ? 'auth/token/create-orphan' : 'auth/token/create', body };
}
