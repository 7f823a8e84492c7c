// Merkle root of a block's transaction ids (Core src/consensus/merkle.cpp ComputeMerkleRoot),
// each level's pairs hashed by the 4-lane multi-buffer hasher in one pass, and the CVE-2012-2459
// mutation check: two equal hashes at an even/odd pair position of any level mean the same root
// could come from a block with repeated transactions, so the root no longer identifies the block.

import { hash64x4 } from './sha256x4';

/**
 * `n` 32-byte leaves at `leaves` (left untouched). `work` must hold 32 (2 n + 4) bytes and
 * `desc` 32 bytes of scratch (the spare lanes of a short last group write there). Writes the root (internal byte order; zero for n = 0) to `out`;
 * returns 1 when the tree is mutated (CVE-2012-2459), else 0.
 *
 * `levels` > 0 runs exactly that many levels, a lone hash being paired with itself as Core does
 * for the odd last hash of a level: the node at that height over these leaves when they are the
 * right-hand part of a larger tree whose left part is a perfect subtree of 2^levels leaves
 * (src/wasm/merkle.ts splits a tree that way across two threads). 0 runs until one hash is left.
 */
export function merkleRoot(leaves: usize, n: u32, work: usize, desc: usize, out: usize, levels: u32): u32 {
  if (n == 0) {
    for (let i: usize = 0; i < 32; i += 8) store<u64>(out + i, 0);
    return 0;
  }
  let mutated: u32 = 0;
  let cur = work;
  let next = work + <usize>(n + 2) * 32;
  memory.copy(cur, leaves, <usize>n << 5);
  let m = n;
  let left = levels;
  while (levels == 0 ? m > 1 : left-- > 0) {
    for (let pos: usize = 0; pos + 1 < <usize>m; pos += 2) {
      const a = cur + (pos << 5);
      if (load<u64>(a) == load<u64>(a, 32) && load<u64>(a, 8) == load<u64>(a, 40) && load<u64>(a, 16) == load<u64>(a, 48) && load<u64>(a, 24) == load<u64>(a, 56)) mutated = 1;
    }
    if ((m & 1) != 0) {
      memory.copy(cur + (<usize>m << 5), cur + (<usize>(m - 1) << 5), 32);
      m++;
    }
    const pairs = <usize>(m >>> 1);
    // Four pairs per call; a short last group repeats its last pair into the spare lanes and
    // writes their digests to scratch (`desc`).
    for (let i: usize = 0; i < pairs; i += 4) {
      const a = cur + (i << 6);
      const last = pairs - 1;
      const i1 = i + 1 <= last ? i + 1 : last;
      const i2 = i + 2 <= last ? i + 2 : last;
      const i3 = i + 3 <= last ? i + 3 : last;
      hash64x4(
        a,
        cur + (i1 << 6),
        cur + (i2 << 6),
        cur + (i3 << 6),
        next + (i << 5),
        i + 1 <= last ? next + ((i + 1) << 5) : desc,
        i + 2 <= last ? next + ((i + 2) << 5) : desc,
        i + 3 <= last ? next + ((i + 3) << 5) : desc,
      );
    }
    const t = cur;
    cur = next;
    next = t;
    m = <u32>pairs;
  }
  memory.copy(out, cur, 32);
  return mutated;
}
