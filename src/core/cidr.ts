/**
 * CIDR checks for token and secret-id bindings, on Node's net.BlockList.
 */
import { BlockList, isIP } from 'node:net';
import { badRequest } from './errors.js';

const cache = new Map<string, BlockList>();

/** Validates CIDR blocks (or bare addresses) and returns them normalised; throws a 400 naming a bad one. */
export function parseCidrs(blocks: string[], field: string): string[] {
  for (const block of blocks) toBlockList([block], field);
  return blocks;
}

function toBlockList(blocks: string[], field = 'cidr'): BlockList {
  const key = blocks.join(',');
  const hit = cache.get(key);
  if (hit) return hit;
  const list = new BlockList();
  for (const block of blocks) {
    const [addr, bitsText] = block.trim().split('/');
    const family = isIP(addr ?? '');
    if (!addr || family === 0) throw badRequest(`invalid CIDR block "${block}" in ${field}`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bitsText === undefined) {
      list.addAddress(addr, type);
    } else {
      const bits = Number(bitsText);
      if (!Number.isInteger(bits) || bits < 0 || bits > (family === 6 ? 128 : 32)) throw badRequest(`invalid CIDR block "${block}" in ${field}`);
      list.addSubnet(addr, bits, type);
    }
  }
  if (cache.size > 1000) cache.clear();
  cache.set(key, list);
  return list;
}

/** True when `address` lies in one of `blocks` (IPv4-mapped IPv6 addresses are unwrapped). */
export function isInCidrs(address: string | undefined, blocks: string[]): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(plain);
  if (family === 0) return false;
  return toBlockList(blocks).check(plain, family === 6 ? 'ipv6' : 'ipv4');
}
