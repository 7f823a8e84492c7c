// Merkle root of a block's transaction ids (Core src/consensus/merkle.cpp ComputeMerkleRoot),
// each level's pairs hashed by the 4-lane multi-buffer hasher in one pass, and the CVE-2012-2459
// mutation check: two equal hashes at an even/odd pair position of any level mean the same root
// could come from a block with repeated transactions, so the root no longer identifies the block.

import { runDescriptors } from './sha256x4';

/**
 * `n` 32-byte leaves at `leaves` (left untouched). `work` must hold 32 (2 n + 4) bytes and
 * `desc` 8 (n / 2 + 1) bytes. Writes the root (internal byte order; zero for n = 0) to `out`;
 * returns 1 when the tree is mutated (CVE-2012-2459), else 0.
 */
export function merkleRoot(leaves: usize, n: u32, work: usize, desc: usize, out: usize): u32 {
  if (n == 0) {
    for (let i: usize = 0; i < 32; i += 8) store<u64>(out + i, 0);
    return 0;
  }
  let mutated: u32 = 0;
  let cur = work;
  let next = work + <usize>(n + 2) * 32;
  memory.copy(cur, leaves, <usize>n << 5);
  let m = n;
  while (m > 1) {
    for (let pos: usize = 0; pos + 1 < <usize>m; pos += 2) {
      const a = cur + (pos << 5);
      if (load<u64>(a) == load<u64>(a, 32) && load<u64>(a, 8) == load<u64>(a, 40) && load<u64>(a, 16) == load<u64>(a, 48) && load<u64>(a, 24) == load<u64>(a, 56)) mutated = 1;
    }
    if ((m & 1) != 0) {
      memory.copy(cur + (<usize>m << 5), cur + (<usize>(m - 1) << 5), 32);
      m++;
    }
    const pairs = m >>> 1;
    for (let i: usize = 0; i < <usize>pairs; i++) {
      store<u32>(desc + (i << 3), <u32>(cur + (i << 6)));
      store<u32>(desc + (i << 3), 64, 4);
    }
    runDescriptors(desc, pairs, next, true);
    const t = cur;
    cur = next;
    next = t;
    m = pairs;
  }
  memory.copy(out, cur, 32);
  return mutated;
}
