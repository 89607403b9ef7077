/**
 * Key Vault remote cryptography on a key version: encrypt / decrypt and wrapKey / unwrapKey
 * (RSA-OAEP, RSA-OAEP-256, RSA1_5), sign / verify of a digest (RS*, PS*, ES* 256/384/512), and
 * random bytes. The cryptography is keys-core's; this file decides, as Key Vault does, whether
 * the version may be used:
 * - disabled: decrypt, unwrapKey and sign are refused (403 Forbidden, inner KeyDisabled);
 *   encrypt, wrapKey and verify still work;
 * - an operation not in the version's key_ops: 403 Forbidden, inner KeyOperationForbidden;
 * - outside its nbf/exp window: encrypt, wrapKey and sign are refused (403 Forbidden, inner
 *   KeyNotYetValid / KeyExpired); decrypt, unwrapKey and verify still work, so data made while
 *   the key was valid can still be read.
 * Inputs and outputs are base64url, as on the wire. Nothing here logs or echoes key material,
 * plaintexts or ciphertexts.
 */
import type { BackendRequest } from '../../core/backend.js';
import { isCofferError } from '../../core/errors.js';
import type { LogicalResponse } from '../../core/logical.js';
import {
  KEY_TYPE_INFO, randomData, rsaDecrypt, rsaEncrypt, signData, verifyData, type HashName, type NamedKey, type RsaPadding, type SignOptions,
} from '../keys-core/index.js';
import { badParameter, forbidden } from './azure-errors.js';
import { nowSeconds, type VaultDeps } from './deps.js';
import { keyProps, versionOf, versionProps } from './key-model.js';
import { CRYPTO_OPERATIONS, isCryptoOperation, type CryptoOperation } from './key-permissions.js';
import { loadLiveKey } from './keys.js';

/** Key Vault's largest getRandomBytes count. */
export const MAX_RANDOM_COUNT = 128;

const RSA_ENCRYPTION: Record<string, RsaPadding> = { 'RSA-OAEP': 'oaep-sha1', 'RSA-OAEP-256': 'oaep-sha256', RSA1_5: 'pkcs1v15' };
const HASH_OF: Record<string, HashName> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };
const EC_CURVE_OF: Record<string, string> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** Operations refused on a disabled key, and outside the validity window. */
const REFUSED_WHEN_DISABLED = new Set<CryptoOperation>(['decrypt', 'unwrapkey', 'sign']);
const REFUSED_OUTSIDE_WINDOW = new Set<CryptoOperation>(['encrypt', 'wrapkey', 'sign']);

/** Decodes a base64url (or base64) field; 400 naming the field. */
function bytesField(data: Record<string, unknown>, field: string): Buffer {
  const raw = data[field];
  if (typeof raw !== 'string' || raw === '') throw badParameter(`Property ${field} is required (base64url)`);
  if (!/^[A-Za-z0-9_\-+/]*=*$/.test(raw)) throw badParameter(`Property ${field} must be base64url-encoded`);
  return Buffer.from(raw, 'base64url');
}

function algField(data: Record<string, unknown>): string {
  const alg = data.alg;
  if (typeof alg !== 'string' || alg === '') throw badParameter('Property alg is required, e.g. RSA-OAEP-256 or PS256');
  return alg.toUpperCase() === 'RSA1_5' ? 'RSA1_5' : alg.toUpperCase();
}

/** keys-core's signing options for a Key Vault signature algorithm on `key`; 400 when they do not fit. */
function signOptions(alg: string, key: NamedKey): SignOptions {
  const m = /^(RS|PS|ES)(256|384|512)$/.exec(alg);
  const info = KEY_TYPE_INFO[key.type];
  if (!m) throw badParameter(`Invalid signature algorithm ${JSON.stringify(alg.slice(0, 20))}: use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or ES512`);
  const hash = HASH_OF[m[2]!]!;
  if (m[1] === 'ES') {
    if (info.family !== 'ec' || info.curve !== EC_CURVE_OF[alg]) {
      throw badParameter(`Algorithm ${alg} needs an EC key on curve ${EC_CURVE_OF[alg]}; this key is ${keyProps(key).kty}${info.curve ? ` ${info.curve}` : ''}`);
    }
    return { hash, prehashed: true, ecdsaFormat: 'ieee-p1363' };
  }
  if (info.family !== 'rsa') throw badParameter(`Algorithm ${alg} needs an RSA key; this key is ${keyProps(key).kty} ${info.curve ?? ''}`.trim());
  return m[1] === 'RS' ? { hash, prehashed: true, rsaPadding: 'pkcs1v15' } : { hash, prehashed: true, rsaPadding: 'pss', saltLength: 'hash' };
}

function rsaPadding(alg: string, key: NamedKey): RsaPadding {
  const padding = RSA_ENCRYPTION[alg];
  if (!padding) throw badParameter(`Invalid encryption algorithm ${JSON.stringify(alg.slice(0, 20))}: use RSA-OAEP, RSA-OAEP-256 or RSA1_5`);
  if (KEY_TYPE_INFO[key.type].family !== 'rsa') throw badParameter(`Algorithm ${alg} needs an RSA key; EC keys can only sign and verify`);
  return padding;
}

/** Refuses what Key Vault refuses for the version's state (see the file header). */
function checkUsable(op: CryptoOperation, p: ReturnType<typeof versionProps>, now: number): void {
  if (!p.enabled && REFUSED_WHEN_DISABLED.has(op)) throw forbidden(`Operation ${CRYPTO_OPERATIONS[op]} is not allowed on a disabled key.`, 'KeyDisabled');
  if (!p.keyOps.includes(CRYPTO_OPERATIONS[op])) {
    throw forbidden(`Operation ${CRYPTO_OPERATIONS[op]} is not permitted on this key. (Its key_ops are ${p.keyOps.join(', ') || 'empty'}; update them to allow it.)`, 'KeyOperationForbidden');
  }
  if (!REFUSED_OUTSIDE_WINDOW.has(op)) return;
  if (p.nbf !== undefined && now < p.nbf) throw forbidden(`Operation ${CRYPTO_OPERATIONS[op]} is not allowed on a key that is not yet valid (its nbf date is in the future).`, 'KeyNotYetValid');
  if (p.exp !== undefined && now >= p.exp) throw forbidden(`Operation ${CRYPTO_OPERATIONS[op]} is not allowed on an expired key.`, 'KeyExpired');
}

/** Runs keys-core, turning its refusals into Key Vault's BadParameter with the reason. */
function core<T>(alg: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (isCofferError(err) && err.status === 400) throw badParameter(`${alg}: ${err.messages.join('; ')}`);
    throw err;
  }
}

/** `update keys/<name>/<version>/<op>` (version `latest` = the latest): one remote cryptographic operation. */
export async function cryptoOperation(deps: VaultDeps, req: BackendRequest): Promise<LogicalResponse> {
  const op = req.params.op?.toLowerCase();
  if (!isCryptoOperation(op)) throw badParameter('Unknown key operation: use encrypt, decrypt, wrapkey, unwrapkey, sign or verify');
  const key = await loadLiveKey(req);
  // `latest` is what the Azure front sends for an empty version (a real version id is 32 hex digits).
  const v = versionOf(key, req.params.version === 'latest' ? undefined : req.params.version);
  const alg = algField(req.data);
  const value = bytesField(req.data, 'value');
  const reply = (out: Buffer) => ({ data: { name: keyProps(key).displayName, version: v.externalId, value: out.toString('base64url') } });
  if (op === 'sign' || op === 'verify') {
    const opts = signOptions(alg, key);
    const digest = op === 'verify' ? bytesField(req.data, 'digest') : value;
    checkUsable(op, versionProps(v), nowSeconds(deps));
    if (op === 'sign') return reply(core(alg, () => signData(key, v, digest, opts)));
    return { data: { value: core(alg, () => verifyData(key, v, digest, value, opts)) } };
  }
  const padding = rsaPadding(alg, key);
  checkUsable(op, versionProps(v), nowSeconds(deps));
  if (op === 'encrypt' || op === 'wrapkey') return reply(core(alg, () => rsaEncrypt(key, v, value, padding)));
  return reply(core(alg, () => rsaDecrypt(key, v, value, padding)));
}

/** `update rng` `{count}`: `{value}` = count random bytes (1-128), base64url. */
export async function randomBytes(req: BackendRequest): Promise<LogicalResponse> {
  const raw = req.data.count;
  const count = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(count) || count < 1 || count > MAX_RANDOM_COUNT) {
    throw badParameter(`Property count must be a whole number of bytes from 1 to ${MAX_RANDOM_COUNT}`);
  }
  return { data: { value: randomData(count).toString('base64url') } };
}
