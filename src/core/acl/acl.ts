/**
 * The ACL engine: a token's policies compiled once into lookup structures, then asked per
 * request whether an operation on a path is allowed (Vault's semantics, spec §3.3–§3.5).
 *
 * Compiled form:
 * - exact rules: a Map from path to permissions;
 * - prefix rules (`foo/*`, stored without the `*`): a sorted array searched by binary search,
 *   with each key's longest proper prefix key precomputed, for longest-prefix lookup;
 * - segment rules (`foo/+/bar`, maybe ending in `*`): an array pre-sorted by Vault's priority,
 *   so the first one that matches is the best `+` rule;
 * - sorted key arrays of the exact and prefix rules for the "anything under this mount" query.
 * Rules with the same pattern are merged across policies (union, deny wins, parameters merged).
 */
import type { Operation } from '../logical.js';
import { CAPABILITIES, type Capability, type Policy } from './policy.js';

/** What {@link ACL.check} is asked. */
export interface AclRequest {
  operation: Operation;
  /** The API path without `/v1/`; LIST paths end in `/`. */
  path: string;
  /** Request data, for parameter constraints (read, create, update, patch). */
  data?: Record<string, unknown>;
  /** The requested response-wrapping TTL in seconds (X-Vault-Wrap-TTL), if any. */
  wrapTTL?: number;
}

/** The verdict of {@link ACL.check}. */
export interface AclResult {
  allowed: boolean;
  /** True when the matched rule grants `sudo` (core requires it on root paths); always true for root. */
  sudo: boolean;
  /** Capabilities of the matched rule, sorted; `['root']` for root, `[]` when no rule matched. */
  capabilities: string[];
  /** Why the request was denied (safe to log: names parameters, never their values). */
  reason?: string;
}

const BIT: Record<Capability, number> = {
  deny: 1,
  create: 1 << 1,
  read: 1 << 2,
  update: 1 << 3,
  delete: 1 << 4,
  list: 1 << 5,
  sudo: 1 << 6,
  patch: 1 << 7,
  subscribe: 1 << 8,
  recover: 1 << 9,
  scan: 1 << 10,
};

const OP_BIT: Record<Exclude<Operation, 'help'>, number> = {
  read: BIT.read,
  create: BIT.create,
  update: BIT.update,
  patch: BIT.patch,
  delete: BIT.delete,
  list: BIT.list,
  // OpenBao's recursive listing: its own capability, so granting `list` never grants recursion.
  scan: BIT.scan,
};

/** Capability names in alphabetical order, for sorted output. */
const SORTED_CAPS = [...CAPABILITIES].sort();

/** The merged permissions of one pattern. */
interface Perms {
  bits: number;
  allowed?: Map<string, unknown[]>;
  denied?: Map<string, unknown[]>;
  required?: string[];
  minWrap: number;
  maxWrap: number;
  /** Sorted capability names, computed once after compilation. */
  names: string[];
}

/** A `+` rule with what Vault's priority order needs. */
interface SegmentRule {
  parts: string[];
  isPrefix: boolean;
  /** Offset of the first `+` (or of the `*` for a plain prefix rule). */
  firstWildcard: number;
  wildcards: number;
  /** The pattern without its trailing `*`. */
  base: string;
  /** Text before the first `+`: a path that does not start with it cannot match. */
  literalPrefix: string;
  perms: Perms;
}

type Candidate = Pick<SegmentRule, 'firstWildcard' | 'isPrefix' | 'wildcards' | 'base'>;

/**
 * Vault's priority order between two matching non-exact rules: negative when `a` has lower
 * priority. Earlier first wildcard < ends in `*` < more `+` segments < shorter < smaller text.
 */
function comparePriority(a: Candidate, b: Candidate): number {
  if (a.firstWildcard !== b.firstWildcard) return a.firstWildcard - b.firstWildcard;
  if (a.isPrefix !== b.isPrefix) return a.isPrefix ? -1 : 1;
  if (a.wildcards !== b.wildcards) return b.wildcards - a.wildcards;
  if (a.base.length !== b.base.length) return a.base.length - b.base.length;
  return a.base < b.base ? -1 : a.base > b.base ? 1 : 0;
}

/** Operations whose parameters are checked (§3.5). */
const PARAM_BITS = BIT.read | BIT.create | BIT.update | BIT.patch;

/** A compiled set of policies. Build once per policy set (see AclCache), check many times. */
export class ACL {
  /** True for the root policy: every check passes, sudo included. */
  readonly isRoot: boolean;
  private readonly exact = new Map<string, Perms>();
  private readonly prefixes = new Map<string, Perms>();
  /** Prefix keys sorted; `prefixParent[i]` is the index of the longest key that is a proper prefix of key i, or -1. */
  private readonly prefixKeys: string[];
  private readonly prefixPerms: Perms[];
  private readonly prefixParent: Int32Array;
  private readonly segments: SegmentRule[] = [];
  private readonly segmentMap = new Map<string, Perms>();
  private readonly exactKeys: string[];

  /** Compiles `policies`; a policy named `root` anywhere in the set makes a root ACL. */
  constructor(policies: readonly Policy[]) {
    this.isRoot = policies.some((p) => p.name === 'root');
    if (!this.isRoot) {
      for (const policy of policies) {
        for (const rule of policy.rules) this.addRule(rule);
      }
    }
    for (const perms of [...this.exact.values(), ...this.prefixes.values(), ...this.segmentMap.values()]) finalize(perms);
    for (const [pattern, perms] of this.segmentMap) this.segments.push(compileSegment(pattern, perms));
    // Highest priority first, so the first match is the best segment rule.
    this.segments.sort((a, b) => comparePriority(b, a));
    this.exactKeys = [...this.exact.keys()].sort();
    this.prefixKeys = [...this.prefixes.keys()].sort();
    this.prefixPerms = this.prefixKeys.map((k) => this.prefixes.get(k)!);
    // In sorted order a key's prefixes come before it, and every key in between shares them,
    // so a stack of the current ancestor chain finds each key's parent in one pass.
    this.prefixParent = new Int32Array(this.prefixKeys.length);
    const stack: number[] = [];
    this.prefixKeys.forEach((key, i) => {
      while (stack.length > 0 && !key.startsWith(this.prefixKeys[stack[stack.length - 1]!]!)) stack.pop();
      this.prefixParent[i] = stack.length > 0 ? stack[stack.length - 1]! : -1;
      stack.push(i);
    });
  }

  /** The root ACL. */
  static root(): ACL {
    return ROOT_ACL;
  }

  /** Decides whether `req` is allowed, and whether the matched rule grants sudo. */
  check(req: AclRequest): AclResult {
    if (this.isRoot) return { allowed: true, sudo: true, capabilities: ['root'] };
    const op = req.operation;
    if (op === 'help') return { allowed: true, sudo: false, capabilities: [] };
    const bit = OP_BIT[op];
    if (bit === undefined) return deny(false, [], `unknown operation "${String(op)}"`);

    const perms = this.lookup(stripSlashes(req.path), op === 'list' || op === 'scan');
    if (!perms) return deny(false, [], 'no policy grants access to this path');
    const bits = perms.bits;
    if (bits & BIT.deny) return deny(false, ['deny'], 'a policy denies this path');
    const sudo = (bits & BIT.sudo) !== 0;
    if (!(bits & bit)) return deny(sudo, perms.names.slice(), `the "${op}" capability is required`);

    // Response-wrapping bounds apply to every operation.
    if (perms.maxWrap > 0 || perms.minWrap > 0) {
      const ttl = req.wrapTTL ?? 0;
      if (perms.maxWrap > 0 && (ttl <= 0 || ttl > perms.maxWrap)) {
        return deny(sudo, perms.names.slice(), `the response must be wrapped with a TTL of at most ${perms.maxWrap}s (X-Vault-Wrap-TTL)`);
      }
      if (perms.minWrap > 0 && (ttl <= 0 || ttl < perms.minWrap)) {
        return deny(sudo, perms.names.slice(), `the response must be wrapped with a TTL of at least ${perms.minWrap}s (X-Vault-Wrap-TTL)`);
      }
      if (perms.minWrap > 0 && perms.maxWrap > 0 && perms.maxWrap < perms.minWrap) {
        return deny(sudo, perms.names.slice(), 'the merged policies require conflicting wrapping TTLs');
      }
    }

    if (bit & PARAM_BITS) {
      const problem = checkParameters(perms, req.data ?? {});
      if (problem) return deny(sudo, perms.names.slice(), problem);
    }
    return { allowed: true, sudo, capabilities: perms.names.slice() };
  }

  /**
   * Capabilities on `path` for sys/capabilities-self: sorted names; `['root']` for root;
   * `['deny']` when no rule matches, the rule denies, or it grants nothing. Like Vault, this
   * also tries the exact rule without a trailing `/`.
   */
  capabilities(path: string): string[] {
    if (this.isRoot) return ['root'];
    const perms = this.lookup(stripSlashes(path), true);
    if (!perms || perms.bits & BIT.deny || perms.names.length === 0) return ['deny'];
    return perms.names.slice();
  }

  /**
   * The sys/internal/ui/mounts preflight rule: true when the token has any non-deny capability
   * on `mountPath` itself, or any exact, prefix or `+` rule under it that grants something.
   */
  hasMountAccess(mountPath: string): boolean {
    if (this.isRoot) return true;
    let mount = stripSlashes(mountPath);
    if (!mount.endsWith('/')) mount += '/';
    if (this.capabilities(mount)[0] !== 'deny') return true;
    if (anyGrantUnder(this.exactKeys, this.exact, mount)) return true;
    if (anyGrantUnder(this.prefixKeys, this.prefixes, mount)) return true;
    const mountParts = mount.slice(0, -1).split('/');
    for (const seg of this.segments) {
      if (grants(seg.perms) && segmentReachesUnder(seg, mountParts)) return true;
    }
    return false;
  }

  /** The permissions that govern `path`: exact, then (LIST) exact without `/`, then the best glob. */
  private lookup(path: string, isList: boolean): Perms | undefined {
    const exact = this.exact.get(path);
    if (exact) return exact;
    if (isList && path.endsWith('/')) {
      const bare = this.exact.get(path.slice(0, -1));
      if (bare) return bare;
    }
    return this.nonExact(path);
  }

  /**
   * Index of the longest prefix key of `path`, or -1. Every key that is a prefix of `path` sorts
   * at or before the greatest key k <= path and is a prefix of k too; so take k, then climb its
   * ancestor chain (a few steps at most) until a key is a prefix of `path`.
   */
  private longestPrefix(path: string): number {
    const keys = this.prefixKeys;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! <= path) lo = mid + 1;
      else hi = mid;
    }
    let k = lo - 1;
    while (k >= 0 && !hasPrefix(path, keys[k]!)) k = this.prefixParent[k]!;
    return k;
  }

  private nonExact(path: string): Perms | undefined {
    const k = this.prefixKeys.length > 0 ? this.longestPrefix(path) : -1;
    const bestPrefix = k >= 0 ? this.prefixPerms[k] : undefined;
    if (this.segments.length === 0) return bestPrefix;
    const prefixCandidate: Candidate | undefined =
      k >= 0 ? { firstWildcard: this.prefixKeys[k]!.length, isPrefix: true, wildcards: 0, base: this.prefixKeys[k]! } : undefined;
    let parts: string[] | undefined;
    for (const seg of this.segments) {
      // Sorted by priority: once below the prefix candidate, nothing later can win.
      if (prefixCandidate && comparePriority(seg, prefixCandidate) < 0) break;
      if (!hasPrefix(path, seg.literalPrefix)) continue;
      parts ??= path.split('/');
      if (segmentMatches(seg, parts)) return seg.perms;
    }
    return bestPrefix;
  }

  private addRule(rule: Policy['rules'][number]): void {
    const path = rule.path;
    let target: Map<string, Perms>;
    let key = path;
    if (path === '+' || path.startsWith('+/') || path.includes('/+')) {
      target = this.segmentMap;
    } else if (path.endsWith('*')) {
      target = this.prefixes;
      key = path.slice(0, -1);
    } else {
      target = this.exact;
    }
    const incoming = fromRule(rule);
    const existing = target.get(key);
    if (!existing) {
      target.set(key, incoming);
      return;
    }
    mergeInto(existing, incoming);
  }
}

const ROOT_ACL = new ACL([{ name: 'root', raw: '', rules: [] }]);

function deny(sudo: boolean, capabilities: string[], reason: string): AclResult {
  return { allowed: false, sudo, capabilities, reason };
}

/** `s.startsWith(prefix)`, written the way V8 runs about twice as fast on hot paths. */
function hasPrefix(s: string, prefix: string): boolean {
  return s.lastIndexOf(prefix, 0) === 0;
}

function stripSlashes(path: string): string {
  let i = 0;
  while (path.charCodeAt(i) === 47) i++;
  return i === 0 ? path : path.slice(i);
}

function fromRule(rule: Policy['rules'][number]): Perms {
  let bits = 0;
  for (const c of rule.capabilities) bits |= BIT[c] ?? 0;
  if (bits & BIT.deny) return { bits: BIT.deny, minWrap: 0, maxWrap: 0, names: [] };
  const perms: Perms = { bits, minWrap: rule.minWrappingTTL ?? 0, maxWrap: rule.maxWrappingTTL ?? 0, names: [] };
  if (rule.allowedParameters && Object.keys(rule.allowedParameters).length > 0) perms.allowed = toParamMap(rule.allowedParameters);
  if (rule.deniedParameters && Object.keys(rule.deniedParameters).length > 0) perms.denied = toParamMap(rule.deniedParameters);
  if (rule.requiredParameters && rule.requiredParameters.length > 0) perms.required = rule.requiredParameters.map((p) => p.toLowerCase());
  return perms;
}

function toParamMap(params: Record<string, unknown[]>): Map<string, unknown[]> {
  const map = new Map<string, unknown[]>();
  for (const key of Object.keys(params)) {
    const lower = key.toLowerCase();
    const values = params[key]!;
    const prev = map.get(lower);
    map.set(lower, prev === undefined ? values.slice() : mergeValues(prev, values));
  }
  return map;
}

/** Empty list = any value, and wins; otherwise the union of both lists. */
function mergeValues(a: unknown[], b: unknown[]): unknown[] {
  if (a.length === 0 || b.length === 0) return [];
  return [...a, ...b];
}

/** Vault's merge of a second rule for the same pattern into the first (spec §3.4). */
function mergeInto(existing: Perms, incoming: Perms): void {
  if (existing.bits & BIT.deny) return;
  if (incoming.bits & BIT.deny) {
    existing.bits = BIT.deny;
    existing.allowed = undefined;
    existing.denied = undefined;
    existing.required = undefined;
    existing.minWrap = 0;
    existing.maxWrap = 0;
    return;
  }
  existing.bits |= incoming.bits;
  // The smaller non-zero TTL wins for both bounds.
  if (incoming.maxWrap > 0 && (existing.maxWrap === 0 || incoming.maxWrap < existing.maxWrap)) existing.maxWrap = incoming.maxWrap;
  if (incoming.minWrap > 0 && (existing.minWrap === 0 || incoming.minWrap < existing.minWrap)) existing.minWrap = incoming.minWrap;
  existing.allowed = mergeParamMaps(existing.allowed, incoming.allowed);
  existing.denied = mergeParamMaps(existing.denied, incoming.denied);
  if (incoming.required) {
    const set = new Set(existing.required ?? []);
    for (const r of incoming.required) set.add(r);
    existing.required = [...set];
  }
}

function mergeParamMaps(a: Map<string, unknown[]> | undefined, b: Map<string, unknown[]> | undefined): Map<string, unknown[]> | undefined {
  if (!b) return a;
  if (!a) return new Map([...b].map(([k, v]) => [k, v.slice()]));
  for (const [k, v] of b) {
    const prev = a.get(k);
    a.set(k, prev === undefined ? v.slice() : mergeValues(prev, v));
  }
  return a;
}

function finalize(perms: Perms): void {
  perms.names = perms.bits & BIT.deny ? ['deny'] : SORTED_CAPS.filter((c) => perms.bits & BIT[c]);
}

function compileSegment(pattern: string, perms: Perms): SegmentRule {
  const isPrefix = pattern.endsWith('*');
  const base = isPrefix ? pattern.slice(0, -1) : pattern;
  const parts = base.split('/');
  const firstWildcard = pattern.indexOf('+');
  // literalPrefix: everything before the first `+` segment (whole segments only).
  const plusSeg = parts.indexOf('+');
  const literalPrefix = plusSeg <= 0 ? '' : `${parts.slice(0, plusSeg).join('/')}/`;
  return { parts, isPrefix, firstWildcard, wildcards: parts.filter((p) => p === '+').length, base, literalPrefix, perms };
}

/** Vault's segment match: `+` is any one segment; a trailing `*` allows any continuation. */
function segmentMatches(seg: SegmentRule, pathParts: string[]): boolean {
  const acl = seg.parts;
  if (pathParts.length < acl.length) return false;
  if (!seg.isPrefix && acl.length !== pathParts.length) return false;
  const last = acl.length - 1;
  for (let i = 0; i <= last; i++) {
    const a = acl[i]!;
    const p = pathParts[i]!;
    if (a === '+' || a === p) continue;
    if (seg.isPrefix && i === last && p.startsWith(a)) continue;
    return false;
  }
  return true;
}

/** True when a `+` rule can match some path under the mount whose segments are `mountParts`. */
function segmentReachesUnder(seg: SegmentRule, mountParts: string[]): boolean {
  const acl = seg.parts;
  const last = acl.length - 1;
  for (let i = 0; i <= last; i++) {
    // The rule goes on below the mount: it reaches paths under it.
    if (i >= mountParts.length) return true;
    const a = acl[i]!;
    const m = mountParts[i]!;
    if (seg.isPrefix && i === last) return m.startsWith(a);
    if (a !== '+' && a !== m) return false;
  }
  // The rule names the mount path itself (without the slash), which LIST on the mount honours.
  return acl.length === mountParts.length;
}

function grants(perms: Perms): boolean {
  return (perms.bits & BIT.deny) === 0 && perms.bits !== 0;
}

/** Any rule key starting with `mount` (found by binary search in the sorted keys) that grants something. */
function anyGrantUnder(keys: string[], map: Map<string, Perms>, mount: string): boolean {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < mount) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < keys.length && keys[i]!.startsWith(mount); i++) {
    if (grants(map.get(keys[i]!)!)) return true;
  }
  return false;
}

// --- parameter constraints (§3.5) ------------------------------------------------------------

/** Returns why the data breaks the rule's parameter constraints, or undefined when it is fine. */
function checkParameters(perms: Perms, data: Record<string, unknown>): string | undefined {
  const keys = Object.keys(data);
  if (perms.required) {
    const present = new Set(keys.map((k) => k.toLowerCase()));
    for (const r of perms.required) if (!present.has(r)) return `missing required parameter "${r}"`;
  }
  if (keys.length === 0) return undefined;

  const denied = perms.denied;
  if (denied && denied.size > 0) {
    if (denied.has('*')) return 'every parameter is denied on this path';
    for (const k of keys) {
      const list = denied.get(k.toLowerCase());
      if (list && valueDenied(data[k], list)) return `parameter "${k}" is denied`;
    }
  }

  const allowed = perms.allowed;
  if (!allowed || allowed.size === 0) return undefined;
  const allowAll = allowed.has('*');
  if (allowAll && allowed.size === 1) return undefined;
  for (const k of keys) {
    const list = allowed.get(k.toLowerCase());
    if (!list) {
      if (!allowAll) return `parameter "${k}" is not allowed`;
      continue;
    }
    if (!valueAllowed(data[k], list)) return `the value of parameter "${k}" is not allowed`;
  }
  return undefined;
}

/** Allowed-list test: an empty list allows anything; a request list needs every element allowed. */
function valueAllowed(v: unknown, list: unknown[]): boolean {
  if (list.length === 0) return true;
  if (inList(v, list)) return true;
  // An empty request list is allowed only if `[]` itself is listed (it may mean "defaults").
  return Array.isArray(v) && v.length > 0 && v.every((el) => inList(el, list));
}

/** Denied-list test: an empty list denies anything; a request list is denied if any element is. */
function valueDenied(v: unknown, list: unknown[]): boolean {
  if (list.length === 0) return true;
  if (inList(v, list)) return true;
  return Array.isArray(v) && v.some((el) => inList(el, list));
}

function inList(v: unknown, list: unknown[]): boolean {
  for (const el of list) {
    if (el === null || v === null || v === undefined) {
      if (el === v || (el === null && v === undefined)) return true;
    } else if (typeof el === 'string' && typeof v === 'string') {
      if (globMatch(el, v)) return true;
    } else if (deepEqual(el, v)) {
      return true;
    }
  }
  return false;
}

/** Vault's GlobbedStringsMatch: a `*` at the start and/or end of the pattern is a wildcard. */
function globMatch(pattern: string, value: string): boolean {
  if (pattern.length < 2) return pattern === value;
  const pre = pattern.startsWith('*');
  const suf = pattern.endsWith('*');
  if (pre && suf) return value.includes(pattern.slice(1, -1));
  if (pre) return value.endsWith(pattern.slice(1));
  if (suf) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
