/**
 * Vault ACL policies: parsing HCL1 / JSON policy documents into path rules, plus the text of
 * the built-in `default` and `response-wrapping` policies. Compiling rules into a lookup
 * structure is acl.ts's job; this module only validates and normalizes one document.
 */
import { CofferError, isCofferError } from '../errors.js';
import { parseDuration } from '../fields.js';
import {
  HclError,
  blocks,
  hclPosition,
  labeledBlocks,
  mergeBlocks,
  own,
  parseHcl,
  type HclObject,
  type HclValue,
} from '../hcl/parser.js';

/** A capability a path rule can grant. `deny` overrides all others, `sudo` included. */
export type Capability = 'create' | 'read' | 'update' | 'patch' | 'delete' | 'list' | 'sudo' | 'deny' | 'subscribe' | 'recover' | 'scan';

/** Every capability name a policy may use. */
export const CAPABILITIES: readonly Capability[] = ['create', 'read', 'update', 'patch', 'delete', 'list', 'sudo', 'deny', 'subscribe', 'recover', 'scan'];

/** One `path "..." { ... }` stanza, normalized. */
export interface PathRule {
  /** The pattern with one leading `/` removed; may end in `*` and contain `+` segments. */
  path: string;
  /** Granted capabilities, de-duplicated; exactly `['deny']` when the rule denies. */
  capabilities: Capability[];
  /** Parameter name (lower-cased) → allowed values (`[]` = any value). */
  allowedParameters?: Record<string, unknown[]>;
  /** Parameter name (lower-cased) → denied values (`[]` = any value). */
  deniedParameters?: Record<string, unknown[]>;
  /** Parameters (lower-cased) that must be present in the request data. */
  requiredParameters?: string[];
  /** Requests must be response-wrapped with at least this TTL (seconds). */
  minWrappingTTL?: number;
  /** Requests must be response-wrapped with at most this TTL (seconds). */
  maxWrappingTTL?: number;
}

/** A parsed policy: its name, the text it came from, and its rules in document order. */
export interface Policy {
  name: string;
  raw: string;
  rules: PathRule[];
}

/** Vault's legacy `policy = "..."` values and the capabilities each one stands for. */
const LEGACY_POLICY: Record<string, Capability[]> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

const CAPABILITY_SET: ReadonlySet<string> = new Set(CAPABILITIES);

/** Keys accepted in a path block and ignored: Enterprise-only or informational in Vault CE. */
const IGNORED_KEYS: ReadonlySet<string> = new Set(['mfa_methods', 'control_group', 'comment']);

/**
 * OpenBao-only keys. They are refused rather than ignored: silently dropping `expiration`
 * would turn a grant meant to expire into a permanent one.
 */
const UNSUPPORTED_KEYS: ReadonlySet<string> = new Set(['expiration', 'pagination_limit', 'list_scan_response_keys_filter_path']);

/**
 * Parses a policy document (HCL1 or JSON). Names are used as given (the policy API lower-cases
 * them first). Throws `CofferError('invalid_request', 'failed to parse policy: <detail>')`.
 */
export function parsePolicy(name: string, text: string): Policy {
  if (typeof text !== 'string') throw parseError('the policy must be a string of HCL or JSON');
  try {
    return { name, raw: text, rules: readRules(parseHcl(text)) };
  } catch (err) {
    if (err instanceof HclError) throw parseError(err.message);
    if (!isCofferError(err)) throw err;
    // Positions are not recorded on the fast path; parse again to name the line in the message.
    try {
      readRules(parseHcl(text, { positions: true }));
    } catch (again) {
      if (isCofferError(again)) throw again;
    }
    throw err;
  }
}

/** Validates a parsed document and returns its rules; throws the 400 parse error. */
function readRules(doc: HclObject): PathRule[] {
  try {
    for (const key of Object.keys(doc)) {
      if (key !== 'path' && key !== 'name') throw parseError(`invalid key "${key}"${at(doc, key)}: only "path" blocks (and "name") are allowed at the top level`, hclPosition(doc, key));
    }
    const docName = own(doc, 'name');
    if (docName !== undefined && typeof docName !== 'string') throw parseError(`"name"${at(doc, 'name')} must be a string`, hclPosition(doc, 'name'));
    return labeledBlocks(doc, 'path').map(({ label, body, wrapper }) => parseRule(label, body, wrapper));
  } catch (err) {
    if (err instanceof HclError) throw parseError(err.message);
    throw err;
  }
}

/**
 * The 400 for a bad policy. With `pos` the detail starts with `line N, column C: ` — the same
 * form as the HCL syntax errors — so every parse error names where to look (the UI's editor
 * marks that line).
 */
function parseError(detail: string, pos?: { line: number; column: number }): CofferError {
  return new CofferError('invalid_request', `failed to parse policy: ${pos ? `line ${pos.line}, column ${pos.column}: ` : ''}${detail}`);
}

/** A 1-based source position. */
type Position = { line: number; column: number };

/** " (line N)" when the key's position in the HCL source is known, else "". */
function at(obj: HclObject, key: string): string {
  const pos = hclPosition(obj, key);
  return pos ? ` (line ${pos.line})` : '';
}

function parseRule(pattern: string, body: HclObject, wrapper: HclObject): PathRule {
  const path = pattern.startsWith('/') ? pattern.slice(1) : pattern;
  // Built only when an error needs it (the position lookups are not free).
  const label = (): string => `path "${path}"${at(wrapper, pattern)}`;
  const labelPos = () => hclPosition(wrapper, pattern);
  if (path.includes('+*')) throw parseError(`${label()}: invalid use of wildcards ('+*' is forbidden)`, labelPos());

  const caps = new Set<Capability>();
  const rule: PathRule = { path, capabilities: [] };
  let legacy: string | undefined;

  for (const key of Object.keys(body)) {
    const value = body[key]!;
    const field = (): string => `${label()}: "${key}"${at(body, key)}`;
    const fieldPos = () => hclPosition(body, key) ?? labelPos();
    switch (key) {
      case 'capabilities':
        for (const cap of stringList(value, field, fieldPos)) {
          if (!CAPABILITY_SET.has(cap)) throw parseError(`${label()}: invalid capability ${JSON.stringify(cap)} (valid: ${CAPABILITIES.join(', ')})`, fieldPos());
          caps.add(cap as Capability);
        }
        break;
      case 'policy':
        if (typeof value !== 'string' || !Object.prototype.hasOwnProperty.call(LEGACY_POLICY, value)) {
          throw parseError(`${label()}: invalid policy ${typeof value === 'string' ? JSON.stringify(value) : 'value'} (valid: deny, read, write, sudo)`, fieldPos());
        }
        legacy = value;
        break;
      case 'allowed_parameters':
        rule.allowedParameters = parameterMap(value, field, fieldPos);
        break;
      case 'denied_parameters':
        rule.deniedParameters = parameterMap(value, field, fieldPos);
        break;
      case 'required_parameters':
        rule.requiredParameters = [...new Set(stringList(value, field, fieldPos).map((p) => p.toLowerCase()))];
        break;
      case 'min_wrapping_ttl':
        rule.minWrappingTTL = duration(value, key, label, fieldPos);
        break;
      case 'max_wrapping_ttl':
        rule.maxWrappingTTL = duration(value, key, label, fieldPos);
        break;
      default:
        if (IGNORED_KEYS.has(key)) break;
        if (UNSUPPORTED_KEYS.has(key)) throw parseError(`${field()} is not supported by Coffer`, fieldPos());
        throw parseError(
          `${label()}: invalid key "${key}"${at(body, key)} (valid: capabilities, policy, allowed_parameters, denied_parameters, ` +
            'required_parameters, min_wrapping_ttl, max_wrapping_ttl, mfa_methods, control_group, comment)',
          fieldPos(),
        );
    }
  }

  // Legacy `policy = "deny"` replaces capabilities; the other values add to them (as Vault does).
  if (legacy !== undefined) {
    if (legacy === 'deny') caps.clear();
    for (const c of LEGACY_POLICY[legacy]!) caps.add(c);
  }
  if (caps.has('deny')) {
    // A deny rule denies everything; its parameters and TTLs can never apply.
    return { path, capabilities: ['deny'] };
  }
  rule.capabilities = CAPABILITIES.filter((c) => caps.has(c));
  if (
    rule.minWrappingTTL !== undefined &&
    rule.maxWrappingTTL !== undefined &&
    rule.minWrappingTTL > 0 &&
    rule.maxWrappingTTL > 0 &&
    rule.maxWrappingTTL < rule.minWrappingTTL
  ) {
    throw parseError(`${label()}: max_wrapping_ttl cannot be less than min_wrapping_ttl`, labelPos());
  }
  return rule;
}

/** A list of strings; a single string is accepted as a one-element list. */
function stringList(value: HclValue, field: () => string, pos: () => Position | undefined): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw parseError(`${field()} must be a list of strings`, pos());
  return value as string[];
}

/** `blocks()` whose error names the field's position. */
function blocksAt(value: HclValue, field: () => string, pos: () => Position | undefined): HclObject[] {
  try {
    return blocks(value, field());
  } catch (err) {
    if (err instanceof HclError) throw parseError(err.message, pos());
    throw err;
  }
}

/** `{ "name" = [values] }` → lower-cased names; a single scalar value counts as a one-element list. */
function parameterMap(value: HclValue, field: () => string, pos: () => Position | undefined): Record<string, unknown[]> {
  const merged = mergeBlocks(Array.isArray(value) && value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))
    ? (value as HclObject[])
    : blocksAt(value, field, pos));
  // Object.fromEntries defines own properties, so a key named "__proto__" stays a plain key.
  return Object.fromEntries(
    Object.keys(merged).map((key) => {
      const v = merged[key]!;
      return [key.toLowerCase(), Array.isArray(v) ? v.map(plain) : [plain(v)]];
    }),
  );
}

/**
 * Turns a decoded HCL value into plain JSON-like data for value comparisons:
 * a block array of one object (how the parser stores `{...}`) becomes that object.
 */
function plain(v: HclValue): unknown {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v).map((k) => {
        const inner = v[k]!;
        const single = Array.isArray(inner) && inner.length === 1 && typeof inner[0] === 'object' && inner[0] !== null && !Array.isArray(inner[0]);
        return [k, plain(single ? inner[0]! : inner)];
      }),
    );
  }
  return v;
}

function duration(value: HclValue, key: string, label: () => string, pos: () => Position | undefined): number {
  if (typeof value !== 'string' && typeof value !== 'number') throw parseError(`${label()}: "${key}" must be a duration such as "30m" or a number of seconds`, pos());
  try {
    return parseDuration(value, key);
  } catch (err) {
    if (isCofferError(err)) throw parseError(`${label()}: ${err.messages.join('; ')}`, pos());
    throw err;
  }
}

/**
 * The built-in `default` policy (Vault CE's table, minus the Enterprise control-group and the
 * identity OIDC rules). Editable by operators, attached to every token unless `no_default_policy`.
 */
export const DEFAULT_POLICY_TEXT = `# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own entity by id or name
path "identity/entity/id/{{identity.entity.id}}" {
  capabilities = ["read"]
}
path "identity/entity/name/{{identity.entity.name}}" {
  capabilities = ["read"]
}

# Allow a token to look up its resultant ACL from all policies. This is useful
# for UIs. It is an internal path and doesn't guarantee backwards compatibility.
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties. This requires knowing the lease ID ahead
# of time and does not divulge any sensitive information.
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token. This is a convenience to
# avoid client token swapping since this is also part of the response wrapping
# policy.
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}
`;

/** The internal `response-wrapping` policy given to wrapping tokens (immutable, not assignable). */
export const RESPONSE_WRAPPING_POLICY_TEXT = `path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}
`;
