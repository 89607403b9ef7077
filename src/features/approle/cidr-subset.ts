/**
 * CIDR containment for secret-id bindings: a secret-id's `cidr_list` (and `token_bound_cidrs`)
 * may only narrow the role's, never widen them.
 */
import { isIP } from 'node:net';
import { isInCidrs } from '../../core/cidr.js';

function split(block: string): { addr: string; bits: number; family: number } {
  const [addr = '', bitsText] = block.trim().split('/');
  const family = isIP(addr);
  const full = family === 6 ? 128 : 32;
  return { addr, bits: bitsText === undefined ? full : Number(bitsText), family };
}

/** True when every block of `inner` lies inside some block of `outer` (both already validated). */
export function cidrsWithin(inner: string[], outer: string[]): boolean {
  return inner.every((child) => {
    const c = split(child);
    return outer.some((parent) => {
      const p = split(parent);
      // Same family, parent no narrower, and the child's base address inside the parent: then
      // every address of the child shares the parent's prefix bits.
      return p.family === c.family && p.bits <= c.bits && isInCidrs(c.addr, [parent]);
    });
  });
}
