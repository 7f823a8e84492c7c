/**
 * Merkle root of 32-byte leaves in one WASM call (assembly/merkle.ts), with Core's
 * CVE-2012-2459 mutation flag (src/consensus/merkle.cpp ComputeMerkleRoot).
 */
import { hash256 } from './hasher.js';
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
 * these leaves taken as the right-hand part of a larger tree (see splitPoint).
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

/**
 * Where a tree of n > 2 leaves splits into two independent halves: the left 2^k leaves (the
 * largest power of two below n) form a perfect subtree of height k, and the rest, reduced k levels
 * (its lone last hash paired with itself, as Core pairs a level's odd last hash), is the root's
 * right child. Returns k, or 0 when n is too small to split.
 */
export function splitPoint(n: number): number {
  if (n < 3) return 0;
  return Math.floor(Math.log2(n - 1));
}

/**
 * The root from the two halves at splitPoint: hash256(left ‖ right), mutated if either half was or
 * the two are equal (the top pair of Core's mutation check).
 */
export function joinHalves(left: MerkleResult, right: MerkleResult): MerkleResult {
  const pair = new Uint8Array(64);
  pair.set(left.root, 0);
  pair.set(right.root, 32);
  let same = true;
  for (let i = 0; i < 32 && same; i++) same = left.root[i] === right.root[i];
  return { root: hash256(pair), mutated: left.mutated || right.mutated || same };
}
