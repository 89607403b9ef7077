/**
 * Keyless helpers: `random[/:source][/:bytes]` and `hash[/:algorithm]`, served by transit and,
 * with the same behaviour, as `sys/tools/random` and `sys/tools/hash` (tools-service.ts).
 */
import type { BackendRequest, Route } from '../../core/backend.js';
import { badRequest } from '../../core/errors.js';
import { optInt, optString } from '../../core/fields.js';
import type { LogicalResponse } from '../../core/logical.js';
import { route } from '../../core/route.js';
import { hashData, randomData, type HashName } from '../keys-core/index.js';
import { decodeBase64, hashAlgorithm } from './format.js';

function encoding(req: BackendRequest, fallback: 'hex' | 'base64'): 'hex' | 'base64' {
  const format = optString(req.data, 'format') || fallback;
  if (format !== 'hex' && format !== 'base64') throw badRequest(`unsupported encoding format ${format.slice(0, 20)}; must be "hex" or "base64"`);
  return format;
}

async function random(req: BackendRequest): Promise<LogicalResponse> {
  const source = req.params.source || optString(req.data, 'source') || 'platform';
  if (!['platform', 'seal', 'all'].includes(source)) throw badRequest(`unsupported entropy source ${source.slice(0, 20)}; must be "platform", "seal" or "all"`);
  const fromUrl = req.params.urlbytes;
  let bytes: number;
  if (fromUrl !== undefined && fromUrl !== '') {
    if (!/^\d{1,9}$/.test(fromUrl)) throw badRequest(`error parsing url-set byte count: "${fromUrl.slice(0, 20)}" is not a number`);
    bytes = Number(fromUrl);
  } else {
    bytes = optInt(req.data, 'bytes') ?? 32;
  }
  // Every source is the system CSPRNG here: Coffer has no separate seal entropy source.
  return { data: { random_bytes: randomData(bytes).toString(encoding(req, 'base64')) } };
}

async function hash(req: BackendRequest): Promise<LogicalResponse> {
  const name = req.params.urlalgorithm || optString(req.data, 'algorithm') || 'sha2-256';
  const alg = hashAlgorithm(name) as HashName;
  const format = encoding(req, 'hex');
  const input = decodeBase64(optString(req.data, 'input') ?? '', 'input');
  return { data: { sum: hashData(alg, input).toString(format) } };
}

/** The random and hash routes, below `prefix` (e.g. `tools/`; a literal path, not a pattern). */
export function utilRoutes(prefix = ''): Route[] {
  const at = prefix.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  return [
    route(new RegExp(`^${at}random(?:\/(?<source>platform|seal|all))?(?:\/(?<urlbytes>[^/]+))?$`), { create: random, update: random }, {
      fields: ['bytes', 'format', 'source'],
      help: 'Random bytes from the system CSPRNG (bytes: 1..131072, format: base64 or hex).',
    }),
    route(new RegExp(`^${at}hash(?:\/(?<urlalgorithm>[^/]+))?$`), { create: hash, update: hash }, {
      fields: ['input', 'algorithm', 'format'],
      help: 'Hash base64 input (algorithm sha2-256 by default; format hex or base64).',
    }),
  ];
}
