/**
 * Reading Key Vault request bodies: the secret value and the settable properties
 * (`contentType`, `tags`, `attributes.{enabled,nbf,exp}`). Read-only attributes
 * (`created`, `updated`, `recoveryLevel`, ...) are ignored, as Key Vault does. Every bad field
 * is a 400 `BadParameter` that names it.
 */
import { parseBool } from '../../core/fields.js';
import { badParameter } from './azure-errors.js';
import type { VersionRecord } from './store.js';

/** Key Vault's limit on a secret value: 25 KiB (UTF-8 bytes). */
export const MAX_VALUE_BYTES = 25 * 1024;
/** Key Vault's limit on tags per version. */
export const MAX_TAGS = 15;
/** Longest tag name, in characters. */
export const MAX_TAG_NAME = 512;
/** Longest tag value, in characters. */
export const MAX_TAG_VALUE = 512;

/** Properties a request changes; absent (or null) fields stay as they are. */
export interface PropertyChanges {
  contentType?: string;
  tags?: Record<string, string>;
  enabled?: boolean;
  nbf?: number;
  exp?: number;
}

/** The required `value` of a set. */
export function parseValue(data: Record<string, unknown>): string {
  const value = data.value;
  if (value === undefined || value === null) throw badParameter('Property value is required');
  if (typeof value !== 'string') throw badParameter('Property value must be a string');
  const size = Buffer.byteLength(value, 'utf8');
  if (size > MAX_VALUE_BYTES) {
    throw badParameter(`Property value is too large: ${size} bytes; a secret value may be at most ${MAX_VALUE_BYTES} bytes (25 KiB).`);
  }
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseTags(raw: unknown): Record<string, string> {
  if (!isObject(raw)) throw badParameter('Property tags must be an object of string values');
  const entries = Object.entries(raw);
  if (entries.length > MAX_TAGS) throw badParameter(`Too many tags: ${entries.length}; at most ${MAX_TAGS} tags are allowed`);
  for (const [k, v] of entries) {
    if (k.length === 0 || k.length > MAX_TAG_NAME) throw badParameter(`Tag names must be 1-${MAX_TAG_NAME} characters long`);
    if (typeof v !== 'string') throw badParameter(`Tag ${JSON.stringify(k.slice(0, 64))} must have a string value`);
    if (v.length > MAX_TAG_VALUE) throw badParameter(`Tag ${JSON.stringify(k.slice(0, 64))} has a value longer than ${MAX_TAG_VALUE} characters`);
  }
  // fromEntries defines own properties, so a tag named "__proto__" is kept as a tag.
  return Object.fromEntries(entries) as Record<string, string>;
}

function parseUnixTime(raw: unknown, field: string): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 0) throw badParameter(`Property attributes.${field} must be a date in unix seconds (a non-negative integer)`);
  return n;
}

function parseEnabled(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const parsed = typeof raw === 'string' ? parseBool(raw.trim()) : undefined;
  if (parsed === undefined) throw badParameter('Property attributes.enabled must be true or false');
  return parsed;
}

/** The property changes in a set or update-properties body. */
export function parseProperties(data: Record<string, unknown>): PropertyChanges {
  const out: PropertyChanges = {};
  if (data.contentType !== undefined && data.contentType !== null) {
    if (typeof data.contentType !== 'string') throw badParameter('Property contentType must be a string');
    out.contentType = data.contentType;
  }
  if (data.tags !== undefined && data.tags !== null) out.tags = parseTags(data.tags);
  const attrs = data.attributes;
  if (attrs !== undefined && attrs !== null) {
    if (!isObject(attrs)) throw badParameter('Property attributes must be an object ({enabled, nbf, exp})');
    if (attrs.enabled !== undefined && attrs.enabled !== null) out.enabled = parseEnabled(attrs.enabled);
    if (attrs.nbf !== undefined && attrs.nbf !== null) out.nbf = parseUnixTime(attrs.nbf, 'nbf');
    if (attrs.exp !== undefined && attrs.exp !== null) out.exp = parseUnixTime(attrs.exp, 'exp');
  }
  return out;
}

/** Applies `changes` to a version (in place) and stamps `updated`. */
export function applyProperties(version: VersionRecord, changes: PropertyChanges, now: number): void {
  if (changes.contentType !== undefined) version.contentType = changes.contentType;
  if (changes.tags !== undefined) version.tags = changes.tags;
  if (changes.enabled !== undefined) version.enabled = changes.enabled;
  if (changes.nbf !== undefined) version.nbf = changes.nbf;
  if (changes.exp !== undefined) version.exp = changes.exp;
  version.updated = now;
}
