/**
 * Merkle root of 32-byte leaves in one WASM call (assembly/merkle.ts), with Core's
 * CVE-2012-2459 mutation flag (src/consensus/merkle.cpp ComputeMerkleRoot).
 */
import { getWasm } from './loader.js';
import { reserveInput, reserveScratch } from './staging.js';

export interface MerkleResult {
  /** Internal byte order (as in the block header). */
  readonly root: Uint8Array;
  /** Two equal hashes at a pair position of some level: the root does not pin the tx list. */
  readonly mutated: boolean;
}

/**
 * Root of the n leaves at leaves[32 i ..]. With `levels` > 0: the node `levels` levels above
 * these leaves, taken as the last chunk of a larger tree (src/wasm/merkle-chunks.ts): a lone hash
 * is paired with itself at each level, as Core pairs a level's odd last hash.
 */
export function merkleRoot(leaves: Uint8Array, n: number, levels = 0): MerkleResult {
  if (leaves.length < 32 * n) throw new RangeError(`merkleRoot: ${n} leaves need ${32 * n} bytes, got ${leaves.length}`);
  const w = getWasm();
  // Input arena: the leaves, then the two level buffers; scratch: 32 bytes for spare lanes, the root.
  const input = reserveInput(w, 32 * n + 32 * (2 * n + 4));
  const scratch = reserveScratch(w, 64);
  const out = scratch + 32;
  w.mem.u8().set(leaves.subarray(0, 32 * n), input);
  const mutated = w.exports.merkleRoot(input, n, input + 32 * n, scratch, out, levels) !== 0;
  return { root: w.mem.u8().slice(out, out + 32), mutated };
}
