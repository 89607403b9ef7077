/**
 * Key Vault front, outbound, for KEYS: the engine's URL-free key data as Key Vault JSON
 * (KeyBundle, DeletedKeyBundle, KeyItem pages, KeyOperationResult, KeyVerifyResult,
 * KeyRotationPolicy, RandomBytes). `kid`, `recoveryId`, the policy `id` and `nextLink` are built
 * from the request's own origin, as for secrets.
 */
import { attributes, segment as seg, type RenderContext } from './render.js';

type Json = Record<string, unknown>;

/** The public JWK members Key Vault returns (never a private member, even if one slipped in). */
const JWK_KEYS = ['kty', 'key_ops', 'n', 'e', 'crv', 'x', 'y'] as const;
/** `https://<vault>/keys/<name>[/<version>]`. */
export function keyId(ctx: RenderContext, name: unknown, version?: unknown): string {
  return version ? `${ctx.origin}/keys/${seg(name)}/${seg(version)}` : `${ctx.origin}/keys/${seg(name)}`;
}

/** A KeyBundle (or DeletedKeyBundle when `deleted`). */
export function keyBundle(data: Json, ctx: RenderContext, deleted: boolean): Json {
  const jwk = (data.key && typeof data.key === 'object' ? data.key : {}) as Json;
  const key: Json = { kid: keyId(ctx, data.name, data.version) };
  for (const k of JWK_KEYS) if (jwk[k] !== undefined) key[k] = jwk[k];
  const out: Json = { key, attributes: attributes(data.attributes) };
  if (data.tags && typeof data.tags === 'object') out.tags = data.tags;
  if (typeof data.managed === 'boolean') out.managed = data.managed;
  return deleted || data.deletedDate !== undefined ? withDeletion(out, data, ctx) : out;
}

function withDeletion(out: Json, data: Json, ctx: RenderContext): Json {
  out.recoveryId = `${ctx.origin}/deletedkeys/${seg(data.name)}`;
  if (typeof data.deletedDate === 'number') out.deletedDate = Math.floor(data.deletedDate);
  if (typeof data.scheduledPurgeDate === 'number') out.scheduledPurgeDate = Math.floor(data.scheduledPurgeDate);
  return out;
}

/** A KeyItem (lists): `kid` (versioned or not), attributes, tags. */
function keyItem(data: Json, ctx: RenderContext, opts: { versioned: boolean; deleted: boolean }): Json {
  const out: Json = { kid: keyId(ctx, data.name, opts.versioned ? data.version : undefined), attributes: attributes(data.attributes) };
  if (data.tags && typeof data.tags === 'object') out.tags = data.tags;
  if (typeof data.managed === 'boolean') out.managed = data.managed;
  return opts.deleted ? withDeletion(out, data, ctx) : out;
}

/** A page of KeyItems with its nextLink. */
export function keyPage(data: Json, ctx: RenderContext, opts: { versioned: boolean; deleted: boolean }, nextLink: string | null): Json {
  const items = Array.isArray(data.items) ? (data.items as Json[]) : [];
  return { value: items.map((item) => keyItem(item, ctx, opts)), nextLink };
}

/** KeyOperationResult: `{kid, value}` (base64url). */
export function keyOperationResult(data: Json, ctx: RenderContext): Json {
  return { kid: keyId(ctx, data.name, data.version), value: typeof data.value === 'string' ? data.value : '' };
}

/** KeyRotationPolicy with its `id`. */
export function rotationPolicy(data: Json, ctx: RenderContext): Json {
  const out: Json = { id: `${keyId(ctx, data.name)}/rotationpolicy` };
  if (Array.isArray(data.lifetimeActions)) out.lifetimeActions = data.lifetimeActions;
  if (data.attributes && typeof data.attributes === 'object') out.attributes = data.attributes;
  return out;
}
