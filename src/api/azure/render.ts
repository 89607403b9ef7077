/**
 * Key Vault front, outbound: turns the engine's URL-free data into Key Vault JSON (SecretBundle,
 * DeletedSecretBundle, pages with `nextLink`) and errors into `{"error":{"code","message","innererror"}}`.
 * Every URL is built from the request's own origin, so `parseKeyVaultSecretIdentifier` finds the
 * vault, name and version the client used.
 */
import { keyBundle, keyOperationResult, keyPage, rotationPolicy } from './render-keys.js';
import type { RenderKind } from './translate.js';

/** An HTTP answer of the front. */
export interface AzureRendered {
  status: number;
  /** JSON text, or undefined for an empty body (204). */
  body?: string;
  headers?: Record<string, string>;
}

type Json = Record<string, unknown>;

/** Where the request came from and how it paged. */
export interface RenderContext {
  /** `https://<vault host>[:port]`. */
  origin: string;
  /** The api-version the client sent (echoed into nextLink). */
  apiVersion?: string;
  /** The page size the client asked for. */
  maxResults?: string;
  /** Coffer's `expiring_within` filter on a listing, carried into nextLink. */
  expiringWithin?: string;
  /** For lists: the collection path (`/secrets`, `/secrets/<n>/versions`, `/deletedsecrets`). */
  collection?: string;
  /** Coffer's `tag` filter of the listing, carried into nextLink so later pages stay filtered. */
  tag?: string;
}

/** The api-version put into nextLinks when the client sent none. */
export const DEFAULT_API_VERSION = '7.6';

/** Integer unix seconds (the engine already uses seconds; be strict about the type). */
function seconds(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : undefined;
}

/** Attribute members Key Vault returns; `exportable` only ever comes with keys. */
const ATTRIBUTE_KEYS = ['enabled', 'nbf', 'exp', 'created', 'updated', 'recoveryLevel', 'recoverableDays', 'exportable'] as const;

/** The `attributes` object of a secret or key, from the engine's data: known members only, typed. */
export function attributes(raw: unknown): Json {
  const src = (raw && typeof raw === 'object' ? raw : {}) as Json;
  const out: Json = {};
  for (const key of ATTRIBUTE_KEYS) {
    const v = src[key];
    if (v === undefined || v === null) continue;
    if (key === 'enabled' || key === 'exportable') out[key] = Boolean(v);
    else if (key === 'recoveryLevel') out.recoveryLevel = String(v);
    else {
      const n = seconds(v);
      if (n !== undefined) out[key] = n;
    }
  }
  return out;
}

/** One URL path segment. */
export function segment(value: unknown): string {
  return encodeURIComponent(String(value ?? ''));
}

/**
 * One secret object. `versioned` puts the version into `id`; `deleted` adds `recoveryId` and the
 * deletion dates; `withValue` keeps `value` (get and set only).
 */
function secretObject(data: Json, ctx: RenderContext, opts: { versioned: boolean; deleted: boolean }): Json {
  const name = segment(data.name);
  const out: Json = {};
  if (typeof data.value === 'string') out.value = data.value;
  out.id = opts.versioned && data.version ? `${ctx.origin}/secrets/${name}/${segment(data.version)}` : `${ctx.origin}/secrets/${name}`;
  if (typeof data.contentType === 'string') out.contentType = data.contentType;
  if (data.tags && typeof data.tags === 'object') out.tags = data.tags;
  out.attributes = attributes(data.attributes);
  if (typeof data.kid === 'string') out.kid = data.kid;
  if (typeof data.managed === 'boolean') out.managed = data.managed;
  if (opts.deleted || data.deletedDate !== undefined) {
    out.recoveryId = `${ctx.origin}/deletedsecrets/${name}`;
    const deletedDate = seconds(data.deletedDate);
    const purgeDate = seconds(data.scheduledPurgeDate);
    if (deletedDate !== undefined) out.deletedDate = deletedDate;
    if (purgeDate !== undefined) out.scheduledPurgeDate = purgeDate;
  }
  return out;
}

function nextLink(token: unknown, ctx: RenderContext): string | null {
  if (typeof token !== 'string' || token === '' || !ctx.collection) return null;
  const apiVersion = encodeURIComponent(ctx.apiVersion ?? DEFAULT_API_VERSION);
  const max = ctx.maxResults && /^\d+$/.test(ctx.maxResults) ? ctx.maxResults : '25';
  const tag = ctx.tag ? `&tag=${encodeURIComponent(ctx.tag)}` : '';
  const within = ctx.expiringWithin ? `&expiring_within=${encodeURIComponent(ctx.expiringWithin)}` : '';
  return `${ctx.origin}${ctx.collection}?api-version=${apiVersion}&$skiptoken=${encodeURIComponent(token)}&maxresults=${max}${tag}${within}`;
}

function page(data: Json, ctx: RenderContext, opts: { versioned: boolean; deleted: boolean }): Json {
  const items = Array.isArray(data.items) ? (data.items as Json[]) : [];
  return {
    value: items.map((item) => {
      const obj = secretObject(item, ctx, opts);
      delete obj.value; // list items never carry values
      return obj;
    }),
    nextLink: nextLink(data.nextSkipToken, ctx),
  };
}

/** Renders a successful engine answer. */
export function renderSuccess(kind: RenderKind, data: Json | null | undefined, ctx: RenderContext): AzureRendered {
  const d = data ?? {};
  switch (kind) {
    case 'empty':
      return { status: 204 };
    case 'backup':
      return { status: 200, body: JSON.stringify({ value: typeof d.value === 'string' ? d.value : '' }) };
    case 'bundle':
      return { status: 200, body: JSON.stringify(secretObject(d, ctx, { versioned: true, deleted: false })) };
    case 'deleted':
      return { status: 200, body: JSON.stringify(secretObject(d, ctx, { versioned: true, deleted: true })) };
    case 'page':
      return { status: 200, body: JSON.stringify(page(d, ctx, { versioned: false, deleted: false })) };
    case 'versions':
      return { status: 200, body: JSON.stringify(page(d, ctx, { versioned: true, deleted: false })) };
    case 'deletedPage':
      return { status: 200, body: JSON.stringify(page(d, ctx, { versioned: false, deleted: true })) };
    case 'key':
      return { status: 200, body: JSON.stringify(keyBundle(d, ctx, false)) };
    case 'deletedKey':
      return { status: 200, body: JSON.stringify(keyBundle(d, ctx, true)) };
    case 'keyPage':
      return { status: 200, body: JSON.stringify(keyPage(d, ctx, { versioned: false, deleted: false }, nextLink(d.nextSkipToken, ctx))) };
    case 'keyVersions':
      return { status: 200, body: JSON.stringify(keyPage(d, ctx, { versioned: true, deleted: false }, nextLink(d.nextSkipToken, ctx))) };
    case 'deletedKeyPage':
      return { status: 200, body: JSON.stringify(keyPage(d, ctx, { versioned: false, deleted: true }, nextLink(d.nextSkipToken, ctx))) };
    case 'keyOperation':
      return { status: 200, body: JSON.stringify(keyOperationResult(d, ctx)) };
    case 'verify':
      return { status: 200, body: JSON.stringify({ value: d.value === true }) };
    case 'rotationPolicy':
      return { status: 200, body: JSON.stringify(rotationPolicy(d, ctx)) };
    case 'random':
      return { status: 200, body: JSON.stringify({ value: typeof d.value === 'string' ? d.value : '' }) };
  }
}

/** Key Vault's error body. */
export function renderAzureError(status: number, code: string, message: string, inner?: string, headers?: Record<string, string>): AzureRendered {
  const error: Json = { code, message };
  if (inner) error.innererror = { code: inner };
  return { status, body: JSON.stringify({ error }), headers };
}
