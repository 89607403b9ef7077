/**
 * Transit encryption: `encrypt/:name` (creates an AEAD key on first use when the token may
 * `create`), `decrypt/:name`, `rewrap/:name` (single or `batch_input`) and
 * `datakey/(plaintext|wrapped)/:name`. AEAD keys and RSA keys (OAEP SHA-256 by default,
 * `padding_scheme=pkcs1v15` for encryption) are supported, as in Vault.
 */
import type { BackendRequest, Route } from '../../core/backend.js';
import { badRequest } from '../../core/errors.js';
import { optBool, optInt, optString } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { route } from '../../core/route.js';
import {
  KEY_TYPE_INFO, aeadDecrypt, aeadEncrypt, checkKeyName, createKey, randomData, rsaDecrypt, rsaEncrypt, versionForDecryption,
  versionForEncryption, type NamedKey, type RsaPadding,
} from '../keys-core/index.js';
import { decodeBase64, envelope, parseEnvelope } from './format.js';
import { batchItems, loadKey, perItem, requireKey, storeOf, type TransitDeps } from './shared.js';

const NAME = '(?<name>\\w(?:[\\w.-]*\\w)?)';

/** Reads an optional base64 field of an item (falling back to the request's own field). */
function b64Field(item: Record<string, unknown>, top: Record<string, unknown>, field: string): Buffer | undefined {
  const text = optString(item, field) ?? optString(top, field);
  if (text === undefined || text === '') return undefined;
  return decodeBase64(text, field);
}

function rsaPadding(item: Record<string, unknown>, top: Record<string, unknown>): RsaPadding {
  const scheme = optString(item, 'padding_scheme') ?? optString(top, 'padding_scheme') ?? 'oaep';
  if (scheme === 'oaep') return 'oaep-sha256';
  if (scheme === 'pkcs1v15') return 'pkcs1v15';
  throw badRequest(`unsupported padding scheme ${scheme.slice(0, 20)}: use "oaep" or "pkcs1v15"`);
}

function refuseNonce(item: Record<string, unknown>): void {
  const nonce = optString(item, 'nonce');
  // Nonces are derived (convergent keys) or random here; a caller-chosen nonce risks reuse.
  if (nonce) throw badRequest('nonce provided when not allowed');
}

/** Encrypts `plaintext` with the chosen version; returns Vault's envelope and the version. */
function encryptBytes(key: NamedKey, plaintext: Buffer, item: Record<string, unknown>, top: Record<string, unknown>): { ciphertext: string; key_version: number } {
  const family = KEY_TYPE_INFO[key.type].family;
  if (family !== 'aead' && family !== 'rsa') throw badRequest(`message encryption not supported for key type ${key.type}`);
  refuseNonce(item);
  const v = versionForEncryption(key, optInt(item, 'key_version', { min: 0 }));
  const ct = family === 'aead'
    ? aeadEncrypt(key, v, plaintext, { context: b64Field(item, {}, 'context'), associatedData: b64Field(item, top, 'associated_data') })
    : rsaEncrypt(key, v, plaintext, rsaPadding(item, top));
  return { ciphertext: envelope(v.version, ct), key_version: v.version };
}

function decryptBytes(key: NamedKey, item: Record<string, unknown>, top: Record<string, unknown>): Buffer {
  const family = KEY_TYPE_INFO[key.type].family;
  if (family !== 'aead' && family !== 'rsa') throw badRequest(`message decryption not supported for key type ${key.type}`);
  const text = optString(item, 'ciphertext');
  if (!text) throw badRequest('missing ciphertext to decrypt');
  const { version, payload } = parseEnvelope(text, 'ciphertext');
  const v = versionForDecryption(key, version, 'ciphertext');
  let bytes: Buffer;
  try {
    bytes = decodeBase64(payload);
  } catch {
    throw badRequest('invalid ciphertext: could not decode base64');
  }
  return family === 'aead'
    ? aeadDecrypt(key, v, bytes, { context: b64Field(item, {}, 'context'), associatedData: b64Field(item, top, 'associated_data') })
    : rsaDecrypt(key, v, bytes, rsaPadding(item, top));
}

const UPSERT_TYPES = ['aes128-gcm96', 'aes256-gcm96', 'chacha20-poly1305'];

/** The key for an encrypt, created (Vault's upsert) when missing and the request is a `create`. */
async function keyForEncrypt(deps: TransitDeps, req: BackendRequest): Promise<NamedKey> {
  const name = checkKeyName(req.params.name);
  const existing = await loadKey(deps, req, name);
  if (existing) return existing;
  if (req.operation !== 'create') throw badRequest('encryption key not found');
  const items = batchItems(req.data) ?? [req.data];
  const withContext = items.filter((i) => optString(i, 'context')).length;
  if (withContext !== 0 && withContext !== items.length) throw badRequest('context should be set either in all the request blocks or in none');
  const type = optString(req.data, 'type') || 'aes256-gcm96';
  if (!UPSERT_TYPES.includes(type)) {
    throw badRequest(type.startsWith('ecdsa-') || type.startsWith('rsa-') || type === 'ed25519' || type === 'hmac'
      ? `key type ${type} not supported for this operation`
      : `unknown key type ${type.slice(0, 40)}`);
  }
  const convergent = optBool(req.data, 'convergent_encryption') ?? false;
  if (convergent && withContext === 0) throw badRequest('convergent encryption requires derivation to be enabled, so context is required');
  const key = createKey(name, type as NamedKey['type'], deps.now(), { derived: withContext > 0, convergentEncryption: convergent });
  await storeOf(req).put(key);
  return key;
}

async function encrypt(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  if (batchItems(req.data) === undefined && !optString(req.data, 'plaintext')) throw badRequest('missing plaintext to encrypt');
  const key = await keyForEncrypt(deps, req);
  return perItem(req.data, (item) => encryptBytes(key, decodeBase64(optString(item, 'plaintext') ?? '', 'plaintext'), item, req.data));
}

async function decrypt(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await requireKey(deps, req, checkKeyName(req.params.name));
  return perItem(req.data, (item) => ({ plaintext: decryptBytes(key, item, req.data).toString('base64') }));
}

async function rewrap(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await requireKey(deps, req, checkKeyName(req.params.name));
  return perItem(req.data, (item) => encryptBytes(key, decryptBytes(key, item, req.data), item, req.data));
}

async function datakey(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const kind = req.params.plaintext;
  if (kind !== 'plaintext' && kind !== 'wrapped') throw badRequest("Invalid path, must be 'plaintext' or 'wrapped'");
  const key = await requireKey(deps, req, checkKeyName(req.params.name));
  const bits = optInt(req.data, 'bits') ?? 256;
  if (bits !== 128 && bits !== 256 && bits !== 512) throw badRequest('invalid bit length: use 128, 256 or 512');
  const plaintext = randomData(bits / 8);
  const out = encryptBytes(key, plaintext, req.data, req.data);
  const data: Record<string, unknown> = { ciphertext: out.ciphertext, key_version: out.key_version };
  if (kind === 'plaintext') data.plaintext = plaintext.toString('base64');
  return { data };
}

/** The encryption routes. */
export function cryptoRoutes(deps: TransitDeps): Route[] {
  const exists = async (req: BackendRequest) => (await storeOf(req).get(checkKeyName(req.params.name))) !== undefined;
  const enc = (r: BackendRequest) => encrypt(deps, r);
  const dec = (r: BackendRequest) => decrypt(deps, r);
  const rew = (r: BackendRequest) => rewrap(deps, r);
  const dk = (r: BackendRequest) => datakey(deps, r);
  return [
    route(new RegExp(`^encrypt/${NAME}$`), { create: enc, update: enc }, {
      existenceCheck: exists,
      fields: ['plaintext', 'context', 'nonce', 'key_version', 'type', 'convergent_encryption', 'associated_data', 'padding_scheme', 'batch_input', 'partial_failure_response_code'],
      help: 'Encrypt base64 plaintext (or a batch_input list) with a named key; creates an aes256-gcm96 key when missing.',
    }),
    route(new RegExp(`^decrypt/${NAME}$`), { create: dec, update: dec }, {
      fields: ['ciphertext', 'context', 'nonce', 'associated_data', 'padding_scheme', 'batch_input', 'partial_failure_response_code'],
      help: 'Decrypt a vault:v<N>: ciphertext (or a batch_input list).',
    }),
    route(new RegExp(`^rewrap/${NAME}$`), { create: rew, update: rew }, {
      fields: ['ciphertext', 'context', 'nonce', 'key_version', 'associated_data', 'padding_scheme', 'batch_input', 'partial_failure_response_code'],
      help: 'Re-encrypt a ciphertext with the latest (or key_version) version, without revealing the plaintext.',
    }),
    route(new RegExp(`^datakey/(?<plaintext>[^/]+)/${NAME}$`), { create: dk, update: dk }, {
      fields: ['context', 'nonce', 'bits', 'key_version', 'associated_data', 'padding_scheme'],
      help: 'Generate a data key: returned encrypted under the named key, and also in plaintext for datakey/plaintext.',
    }),
  ];
}
