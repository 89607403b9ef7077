/**
 * Renders an audit entry as one JSON line for one device: elides list responses, hashes
 * tokens, accessors and every string in request/response data under the device's salt,
 * and adds the device's prefix. Builds a new object; the caller's entry is not modified.
 */
import { createStringHasher, hashedJson, hashStructure, type HashMemo, type StringHasher } from './hash.js';
import type {
  AuditAuth,
  AuditEntry,
  AuditFormatSettings,
  AuditLogContext,
  AuditRequest,
  AuditResponse,
  AuditResponseAuth,
  AuditWrapInfo,
} from './types.js';

/** Renders one entry as a line for one device; see createEntryFormatter. */
export type EntryFormatter = (entry: AuditEntry, ctx?: AuditLogContext) => string;

/**
 * A renderer for one device with `settings` and `salt`; the broker builds it once when the
 * device is enabled. The line has no trailing newline.
 */
export function createEntryFormatter(settings: AuditFormatSettings, saltBytes: Buffer): EntryFormatter {
  // Built once per device: the per-string HMAC reuses precomputed key pads (see createStringHasher).
  const hasher = createStringHasher(saltBytes);
  const logRaw = settings.logRaw;
  const hmacAccessor = settings.hmacAccessor;
  const elide = settings.elideListResponses;
  const prefix = settings.prefix;
  // The response entry of a request carries the very same auth and request objects as its
  // request entry: hash and serialise them once, keeping the JSON text. Keyed weakly by those
  // objects, so nothing outlives them.
  const authJson = new WeakMap<AuditAuth, string>();
  const requestJson = new WeakMap<AuditRequest, string>();
  // The HMACs of an authenticated token and its accessor across requests, keyed by the token
  // store's entry object the token resolved to (AuditLogContext.tokenIdentity), never by the
  // token: a request with a cached token then costs no HMAC for them. Invariant: the memo lives
  // and dies with this formatter, i.e. with this device's salt (re-enabling a device or
  // unsealing builds a new one), and a token entry that changes (renew, use, revoke) is a new
  // object, so a remembered value is always HMAC(this salt, that very token or accessor).
  // test/audit/format.test.ts checks the lines against hmacString, memo or not.
  const tokenHmacs = new WeakMap<object, TokenHmacs>();
  // Hashed copies (and their JSON) of deeply frozen response data (a KV version every read
  // shares), per salt: see HashMemo for the invariant.
  const dataMemo: HashMemo = new WeakMap();
  // The auth block of an authenticated request is built by core from its token entry: its JSON
  // is kept per entry object as well (tokenIdentity), and reused only while every field beside
  // the token and accessor (bound to the entry) is the same value, lists and maps being the same
  // frozen objects. What is kept holds no raw token.
  const authByToken = new WeakMap<object, { auth: AuthShape; json: string }>();
  return (entry, ctx) => {
    // Per call, so a raw token is not kept alive between entries by a memo.
    const identity = ctx?.tokenIdentity;
    const hs = logRaw ? RAW : hashers(hasher, hmacAccessor, entry.auth, identity, tokenHmacs, dataMemo);
    let response = entry.type === 'response' ? entry.response : undefined;
    if (response && elide && entry.request?.operation === 'list') response = elideList(response);
    // The line is assembled from JSON pieces in the order one JSON.stringify of
    // {time, type, auth, request, response, error} gives (undefined members left out), so the
    // bytes are those of the single-object form (test/audit/golden-lines.test.ts compares them).
    let json = '{"time":' + JSON.stringify(entry.time) + ',"type":' + JSON.stringify(entry.type);
    const auth = entry.auth;
    if (auth) {
      let text = authJson.get(auth);
      if (text === undefined) {
        const known = identity !== undefined && !logRaw ? authByToken.get(identity) : undefined;
        if (known !== undefined && sameAuthShape(known.auth, auth)) text = known.json;
        else {
          text = JSON.stringify(hashAuth(auth, hs));
          if (identity !== undefined && !logRaw && isStableAuth(auth)) authByToken.set(identity, { auth: authShape(auth), json: text });
        }
        authJson.set(auth, text);
      }
      json += ',"auth":' + text;
    }
    const request = entry.request;
    if (request) {
      let text = requestJson.get(request);
      if (text === undefined) {
        text = JSON.stringify(hashRequest(request, hs, ctx?.nonHmacRequestKeys));
        requestJson.set(request, text);
      }
      json += ',"request":' + text;
    }
    if (response) json += ',"response":' + (logRaw ? JSON.stringify(hashResponse(response, hs)) : responseJson(response, hs, ctx?.nonHmacResponseKeys));
    if (entry.error !== undefined && entry.error !== '') json += ',"error":' + JSON.stringify(entry.error);
    json += '}';
    return prefix ? prefix + json : json;
  };
}

/** The fields of an auth block besides the token and accessor (what authByToken compares). */
type AuthShape = Omit<AuditAuth, 'client_token' | 'accessor'>;

function authShape(a: AuditAuth): AuthShape {
  return {
    display_name: a.display_name, policies: a.policies, token_policies: a.token_policies, metadata: a.metadata, entity_id: a.entity_id,
    token_type: a.token_type, token_ttl: a.token_ttl, token_issue_time: a.token_issue_time, remaining_uses: a.remaining_uses,
  };
}

/** Lists and maps that cannot change behind the memo's back (the token store freezes its entries). */
function isStableAuth(a: AuditAuth): boolean {
  return Object.isFrozen(a.policies) && Object.isFrozen(a.token_policies) && (a.metadata === null || Object.isFrozen(a.metadata));
}

function sameAuthShape(k: AuthShape, a: AuditAuth): boolean {
  return k.display_name === a.display_name && k.policies === a.policies && k.token_policies === a.token_policies && k.metadata === a.metadata &&
    k.entity_id === a.entity_id && k.token_type === a.token_type && k.token_ttl === a.token_ttl && k.token_issue_time === a.token_issue_time &&
    k.remaining_uses === a.remaining_uses;
}

/**
 * `JSON.stringify(hashResponse(r, hs, nonHmac))`, written member by member so that the data can
 * come from the memo's JSON text (hashedJson); members JSON.stringify would drop are left out.
 */
function responseJson(r: AuditResponse, hs: Hashers, nonHmac?: readonly string[]): string {
  let out = '';
  const add = (name: string, text: string | undefined): void => {
    if (text !== undefined) out += (out === '' ? '{"' : ',"') + name + '":' + text;
  };
  add('mount_type', JSON.stringify(r.mount_type));
  add('mount_accessor', JSON.stringify(r.mount_accessor));
  add('mount_point', JSON.stringify(r.mount_point));
  add('data', r.data == null ? JSON.stringify(r.data) : hs.dataJson(r.data, nonHmac));
  add('auth', r.auth ? JSON.stringify(hashResponseAuth(r.auth, hs)) : undefined);
  add('wrap_info', r.wrap_info ? JSON.stringify(hashWrapInfo(r.wrap_info, hs)) : undefined);
  add('warnings', JSON.stringify(r.warnings));
  return out === '' ? '{}' : out + '}';
}

/** One-off form of createEntryFormatter (tests, tools). */
export function formatEntry(entry: AuditEntry, settings: AuditFormatSettings, salt: Buffer, ctx?: AuditLogContext): string {
  return createEntryFormatter(settings, salt)(entry, ctx);
}

type Mapper = (s: string) => string;

/** How one device maps values: tokens, accessors and data. */
interface Hashers {
  token: Mapper;
  accessor: Mapper;
  data: (value: unknown, nonHmacKeys?: readonly string[]) => unknown;
  /** JSON.stringify(data(value, nonHmacKeys)). */
  dataJson: (value: unknown, nonHmacKeys?: readonly string[]) => string | undefined;
}

const asIs: Mapper = (s) => s;

/** log_raw: everything in the clear. */
const RAW: Hashers = { token: asIs, accessor: asIs, data: (v) => v, dataJson: (v) => JSON.stringify(v) };

/** The HMACs of one authenticated token and its accessor under one device's salt. */
interface TokenHmacs {
  token: string;
  /** Computed on first use ('' until then; an empty accessor stays empty anyway). */
  accessor: string | undefined;
}

function hashers(hasher: StringHasher, hmacAccessor: boolean, auth: AuditAuth | undefined, identity: object | undefined, known: WeakMap<object, TokenHmacs>, memo: HashMemo): Hashers {
  // The entry's own token and accessor (what `identity` stands for), when core vouched for them.
  const authToken = identity && auth ? auth.client_token ?? '' : '';
  const authAccessor = identity && auth ? auth.accessor ?? '' : '';
  const remembered = (): TokenHmacs => {
    let h = known.get(identity!);
    if (h === undefined) {
      h = { token: hasher(authToken), accessor: undefined };
      known.set(identity!, h);
    }
    return h;
  };
  const tokenHmac = authToken === '' ? hasher : (s: string) => (s === authToken ? remembered().token : hasher(s));
  const accessorHmac = authAccessor === '' || authToken === '' ? hasher : (s: string) => {
    if (s !== authAccessor) return hasher(s);
    const h = remembered();
    return (h.accessor ??= hasher(s));
  };
  return {
    token: memoHmac(tokenHmac),
    accessor: hmacAccessor ? memoHmac(accessorHmac) : asIs,
    data: (v, nonHmacKeys) => hashStructure(v, hasher, { nonHmacKeys, memo }),
    dataJson: (v, nonHmacKeys) => hashedJson(v, hasher, { nonHmacKeys, memo }),
  };
}

/**
 * HMAC with a one-value memo: an entry carries the same token in `auth` and `request`
 * (and the same accessor twice), so this saves two of the ~9 HMACs of a typical entry.
 * Empty strings (no token on an unauthenticated request) stay empty, as in Vault.
 */
function memoHmac(hasher: StringHasher): Mapper {
  let lastIn = '';
  let lastOut = '';
  return (s) => {
    if (s === '') return s;
    if (s !== lastIn) {
      lastIn = s;
      lastOut = hasher(s);
    }
    return lastOut;
  };
}

// The builders below copy known fields only (an allowlist): a stray field that core
// might add by mistake, such as a raw token under another name, never reaches the log.

function hashAuth(a: AuditAuth, hs: Hashers): AuditAuth {
  return {
    client_token: hs.token(a.client_token ?? ''),
    accessor: hs.accessor(a.accessor ?? ''),
    display_name: a.display_name,
    policies: a.policies,
    token_policies: a.token_policies,
    metadata: a.metadata,
    entity_id: a.entity_id,
    token_type: a.token_type,
    token_ttl: a.token_ttl,
    token_issue_time: a.token_issue_time,
    remaining_uses: a.remaining_uses,
  };
}

function hashRequest(r: AuditRequest, hs: Hashers, nonHmac?: readonly string[]): AuditRequest {
  return {
    id: r.id,
    operation: r.operation,
    mount_type: r.mount_type,
    mount_accessor: r.mount_accessor,
    mount_point: r.mount_point,
    client_token: hs.token(r.client_token ?? ''),
    client_token_accessor: hs.accessor(r.client_token_accessor ?? ''),
    namespace: r.namespace,
    path: r.path,
    data: r.data == null ? r.data : (hs.data(r.data, nonHmac) as Record<string, unknown>),
    remote_address: r.remote_address,
    remote_port: r.remote_port,
    wrap_ttl: r.wrap_ttl,
    headers: r.headers === undefined ? undefined : (hs.data(r.headers) as Record<string, string[]>),
  };
}

function hashResponse(r: AuditResponse, hs: Hashers, nonHmac?: readonly string[]): AuditResponse {
  return {
    mount_type: r.mount_type,
    mount_accessor: r.mount_accessor,
    mount_point: r.mount_point,
    data: r.data == null ? r.data : (hs.data(r.data, nonHmac) as Record<string, unknown>),
    auth: r.auth ? hashResponseAuth(r.auth, hs) : undefined,
    wrap_info: r.wrap_info ? hashWrapInfo(r.wrap_info, hs) : undefined,
    warnings: r.warnings,
  };
}

function hashResponseAuth(a: AuditResponseAuth, hs: Hashers): AuditResponseAuth {
  return {
    client_token: hs.token(a.client_token ?? ''),
    accessor: hs.accessor(a.accessor ?? ''),
    display_name: a.display_name,
    policies: a.policies,
    token_policies: a.token_policies,
    metadata: a.metadata,
    entity_id: a.entity_id,
    token_type: a.token_type,
    token_ttl: a.token_ttl,
    num_uses: a.num_uses,
    orphan: a.orphan,
    renewable: a.renewable,
    lease_duration: a.lease_duration,
  };
}

function hashWrapInfo(w: AuditWrapInfo, hs: Hashers): AuditWrapInfo {
  return {
    token: hs.token(w.token ?? ''),
    accessor: hs.accessor(w.accessor ?? ''),
    ttl: w.ttl,
    creation_time: w.creation_time,
    creation_path: w.creation_path,
    wrapped_accessor: w.wrapped_accessor === undefined ? undefined : hs.accessor(w.wrapped_accessor),
  };
}

/**
 * Vault's `elide_list_responses`: a list response's `keys` array becomes its length and its
 * `key_info` map the number of its entries, which keeps huge listings out of the log.
 */
function elideList(resp: AuditResponse): AuditResponse {
  const data = resp.data;
  if (!data) return resp;
  const copy: Record<string, unknown> = { ...data };
  if (Array.isArray(data.keys)) copy.keys = data.keys.length;
  if (data.key_info && typeof data.key_info === 'object' && !Array.isArray(data.key_info)) {
    copy.key_info = Object.keys(data.key_info).length;
  }
  return { ...resp, data: copy };
}
