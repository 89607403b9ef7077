/**
 * Transit signatures and HMACs: `sign/:name[/:hash]`, `verify/:name[/:hash]` (a `signature`
 * or an `hmac`), `hmac/:name[/:hash]`; single or `batch_input`. Options as in Vault:
 * `hash_algorithm` (`sha2-256` default), `prehashed`, `signature_algorithm` (`pss` default,
 * `pkcs1v15`) and `salt_length` for RSA, `marshaling_algorithm` (`asn1` default, `jws`).
 */
import type { BackendRequest, Route } from '../../core/backend.js';
import { badRequest } from '../../core/errors.js';
import { optBool, optInt, optString } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { route } from '../../core/route.js';
import {
  KEY_TYPE_INFO, checkKeyName, hmacData, hmacVerify, signData, verifyData, versionForDecryption, versionForEncryption,
  type HashName, type NamedKey, type SignOptions,
} from '../keys-core/index.js';
import { decodeBase64, envelope, hashAlgorithm, parseEnvelope } from './format.js';
import { batchItems, perItem, requireKey, type TransitDeps } from './shared.js';

const NAME = '(?<name>\\w(?:[\\w.-]*\\w)?)';
const HASH = '(?:/(?<urlalgorithm>[^/]+))?';

function hashName(req: BackendRequest, allowNone: boolean): HashName | 'none' {
  return hashAlgorithm(req.params.urlalgorithm || optString(req.data, 'hash_algorithm') || optString(req.data, 'algorithm'), allowNone);
}

function signOptions(req: BackendRequest): { opts: SignOptions; jws: boolean } {
  const d = req.data;
  const marshaling = optString(d, 'marshaling_algorithm') || 'asn1';
  if (marshaling !== 'asn1' && marshaling !== 'jws') throw badRequest(`invalid marshaling type "${marshaling.slice(0, 20)}": use "asn1" or "jws"`);
  const sigAlg = optString(d, 'signature_algorithm') || 'pss';
  if (sigAlg !== 'pss' && sigAlg !== 'pkcs1v15') throw badRequest(`unsupported rsa signature algorithm ${sigAlg.slice(0, 20)}: use "pss" or "pkcs1v15"`);
  const saltText = optString(d, 'salt_length') || 'auto';
  let saltLength: SignOptions['saltLength'];
  if (saltText === 'auto' || saltText === 'hash') saltLength = saltText;
  else if (/^\d{1,5}$/.test(saltText)) saltLength = Number(saltText);
  else throw badRequest(`invalid salt_length "${saltText.slice(0, 20)}": use "auto", "hash" or a number of bytes`);
  const opts: SignOptions = {
    hash: hashName(req, true),
    prehashed: optBool(d, 'prehashed') ?? false,
    rsaPadding: sigAlg,
    saltLength,
    ecdsaFormat: marshaling === 'jws' ? 'ieee-p1363' : 'der',
  };
  return { opts, jws: marshaling === 'jws' };
}

function requireSigning(key: NamedKey, verb: string): void {
  const f = KEY_TYPE_INFO[key.type].family;
  if (f !== 'rsa' && f !== 'ec' && f !== 'ed25519') throw badRequest(`key type ${key.type} does not support ${verb}`);
}

function input(item: Record<string, unknown>): Buffer {
  return decodeBase64(optString(item, 'input') ?? '', 'input');
}

function refuseContext(key: NamedKey, item: Record<string, unknown>): void {
  if (optString(item, 'context')) throw badRequest(`context was given but key ${key.name} does not use key derivation for signing`);
}

async function signHandler(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await requireKey(deps, req, checkKeyName(req.params.name), 'signing key not found');
  requireSigning(key, 'signing');
  const { opts, jws } = signOptions(req);
  const v = versionForEncryption(key, optInt(req.data, 'key_version', { min: 0 }), 'signing');
  return perItem(req.data, (item) => {
    refuseContext(key, item);
    return { signature: envelope(v.version, signData(key, v, input(item), opts), jws), key_version: v.version };
  });
}

function verifySignature(key: NamedKey, item: Record<string, unknown>, text: string, opts: SignOptions, jws: boolean): boolean {
  requireSigning(key, 'verification');
  refuseContext(key, item);
  const { version, payload } = parseEnvelope(text, 'signature');
  const v = versionForDecryption(key, version, 'signature');
  const bytes = jws ? (/^[A-Za-z0-9_-]*$/.test(payload) ? Buffer.from(payload, 'base64url') : undefined) : tryBase64(payload);
  if (!bytes) throw badRequest('invalid base64 signature value');
  return verifyData(key, v, input(item), bytes, opts);
}

function tryBase64(text: string): Buffer | undefined {
  try {
    return decodeBase64(text);
  } catch {
    return undefined;
  }
}

function verifyHmac(key: NamedKey, item: Record<string, unknown>, text: string, hash: HashName): boolean {
  const { version, payload } = parseEnvelope(text, 'HMAC');
  const v = versionForDecryption(key, version, 'HMAC');
  const mac = tryBase64(payload);
  if (!mac) throw badRequest('invalid HMAC: could not decode base64');
  return hmacVerify(v, hash, input(item), mac);
}

async function verifyHandler(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await requireKey(deps, req, checkKeyName(req.params.name), 'signature verification key not found');
  const single = batchItems(req.data) === undefined;
  if (single && optString(req.data, 'signature') && optString(req.data, 'hmac')) throw badRequest("provide one of 'signature' or 'hmac', not both");
  const usesHmac = (item: Record<string, unknown>) => Boolean(optString(item, 'hmac'));
  // Options are parsed once; an HMAC verification only needs the hash.
  const hash = hashName(req, true);
  const parsed = optString(req.data, 'hmac') && single ? undefined : signOptions(req);
  return perItem(req.data, (item) => {
    const sig = optString(item, 'signature');
    if (usesHmac(item)) {
      if (sig) throw badRequest("provide one of 'signature' or 'hmac', not both");
      if (hash === 'none') throw badRequest('unsupported hash algorithm none for HMAC');
      return { valid: verifyHmac(key, item, optString(item, 'hmac')!, hash) };
    }
    if (!sig) throw badRequest("missing 'signature' or 'hmac' to verify");
    return { valid: verifySignature(key, item, sig, parsed!.opts, parsed!.jws) };
  });
}

async function hmacHandler(deps: TransitDeps, req: BackendRequest): Promise<LogicalResponse> {
  const key = await requireKey(deps, req, checkKeyName(req.params.name), 'HMAC key not found');
  const hash = hashName(req, false) as HashName;
  const v = versionForEncryption(key, optInt(req.data, 'key_version', { min: 0 }), 'hmac');
  return perItem(req.data, (item) => ({ hmac: envelope(v.version, hmacData(v, hash, input(item))) }));
}

/** The signing and HMAC routes. */
export function signRoutes(deps: TransitDeps): Route[] {
  const sign = (r: BackendRequest) => signHandler(deps, r);
  const verify = (r: BackendRequest) => verifyHandler(deps, r);
  const hmac = (r: BackendRequest) => hmacHandler(deps, r);
  const common = ['input', 'key_version', 'hash_algorithm', 'algorithm', 'context', 'prehashed', 'signature_algorithm', 'marshaling_algorithm', 'salt_length', 'batch_input', 'partial_failure_response_code'];
  return [
    route(new RegExp(`^sign/${NAME}${HASH}$`), { create: sign, update: sign }, { fields: common, help: 'Sign base64 input with a named RSA, ECDSA or Ed25519 key.' }),
    route(new RegExp(`^verify/${NAME}${HASH}$`), { create: verify, update: verify }, {
      fields: [...common, 'signature', 'hmac'],
      help: 'Verify a vault:v<N>: signature or HMAC of base64 input.',
    }),
    route(new RegExp(`^hmac/${NAME}${HASH}$`), { create: hmac, update: hmac }, {
      fields: ['input', 'key_version', 'algorithm', 'hash_algorithm', 'batch_input', 'partial_failure_response_code'],
      help: 'HMAC base64 input with the named key’s HMAC key.',
    }),
  ];
}
