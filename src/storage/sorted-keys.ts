/**
 * A sorted set of keys for the memory backend: a list of sorted blocks (at most
 * MAX_BLOCK keys each). Insert and delete binary-search the block, then splice inside
 * it, so they cost O(log n + MAX_BLOCK) instead of shifting one big array;
 * iteration from a lower bound is two binary searches, then a walk.
 */

import { compareKeys } from './keys.js';

const MAX_BLOCK = 1024;

/** Index of the first element of `arr` >= `key`. */
function lowerBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(arr[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keys in byte (code point) order. */
export class SortedKeys {
  /** Non-empty sorted blocks; every key of block i sorts before every key of block i+1. */
  private blocks: string[][] = [];

  /** Add `key`; false when it was present. */
  add(key: string): boolean {
    if (this.blocks.length === 0) {
      this.blocks.push([key]);
      return true;
    }
    const b = Math.min(this.blockFor(key), this.blocks.length - 1);
    const block = this.blocks[b]!;
    const i = lowerBound(block, key);
    if (block[i] === key) return false;
    block.splice(i, 0, key);
    if (block.length > MAX_BLOCK) this.blocks.splice(b, 1, block.slice(0, MAX_BLOCK / 2), block.slice(MAX_BLOCK / 2));
    return true;
  }

  /** Remove `key`; false when it was absent. */
  delete(key: string): boolean {
    const b = this.blockFor(key);
    const block = this.blocks[b];
    if (block === undefined) return false;
    const i = lowerBound(block, key);
    if (block[i] !== key) return false;
    block.splice(i, 1);
    if (block.length === 0) this.blocks.splice(b, 1);
    return true;
  }

  /** Keys >= `lower`, in order. Do not modify the set while iterating. */
  *from(lower: string): Generator<string> {
    const blocks = this.blocks;
    let b = this.blockFor(lower);
    if (b >= blocks.length) return;
    let i = lowerBound(blocks[b]!, lower);
    for (; b < blocks.length; b++, i = 0) {
      const block = blocks[b]!;
      for (; i < block.length; i++) yield block[i]!;
    }
  }

  /** Remove every key. */
  clear(): void {
    this.blocks = [];
  }

  /** Index of the first block whose last key is >= `key` (blocks.length when none). */
  private blockFor(key: string): number {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = blocks[mid]!;
      if (compareKeys(block[block.length - 1]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
