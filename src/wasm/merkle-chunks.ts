/**
 * Merkle trees cut into subtrees that two threads hash side by side. A tree of n leaves is cut
 * into chunks of 2^k leaves (chunkBits); each chunk's root, k levels up, is a node of the whole
 * tree (Core src/consensus/merkle.cpp pairs a level's odd last hash with itself, and only the
 * last chunk can hold an odd last hash: merkleRoot's `levels` mode does exactly that), so the
 * chunk roots, hashed as leaves, give the tree's root. The CVE-2012-2459 mutation flag is the OR
 * of the chunks' flags and the top's: every pair of the whole tree is compared in exactly one of
 * them.
 *
 * The chunks of all trees are posted in order to a MerkleJobs (the helper thread takes them from
 * the first); the poster joins them from the last, so it computes those the helper has not
 * reached and waits only for the one or two the helper is on. Neither thread idles while the
 * other has work, whichever of them is slow.
 */
import type { JobSpec, MerkleJob, MerkleJobs } from './merkle-offload.js';
import { merkleRoot, type MerkleResult } from './merkle.js';

/** Chunks of at least 2^MIN_CHUNK_BITS leaves (~0.15 ms of hashing each): smaller ones cost more in posting than they save. */
const MIN_CHUNK_BITS = 9;
/** At most this many chunks per tree (larger trees get larger chunks). */
export const MAX_CHUNKS_PER_TREE = 8;

/** k such that a tree of n leaves is cut into chunks of 2^k leaves (a single chunk when n ≤ 2^k). */
export function chunkBits(n: number): number {
  let k = MIN_CHUNK_BITS;
  while (n > MAX_CHUNKS_PER_TREE * 2 ** k) k++;
  return k;
}

export interface TreeToPost {
  /** 32 bytes per leaf; must not change until the roots are taken or cancelled. */
  readonly leaves: Uint8Array;
  readonly n: number;
  /** The first leaf counts as zero (BIP141: the coinbase's wtxid in the witness tree). */
  readonly firstLeafZero?: boolean;
}

export interface ChunkedRoots {
  /** The root of tree `t` (the order posted). The first call joins every chunk of every tree. */
  root(t: number): MerkleResult;
  /** The roots are not wanted (any more): posted chunks free their slots. */
  cancel(): void;
}

interface Chunk {
  readonly tree: number;
  readonly job: MerkleJob;
  result?: MerkleResult;
}

/** Posts the chunks of `trees` to `jobs`, in order. */
export function postChunked(jobs: MerkleJobs, trees: readonly TreeToPost[]): ChunkedRoots {
  const specs: JobSpec[] = [];
  const treeOf: number[] = [];
  trees.forEach((t, tree) => {
    const k = chunkBits(t.n);
    const size = 2 ** k;
    const levels = t.n <= size ? 0 : k;
    const count = Math.max(1, Math.ceil(t.n / size));
    for (let c = 0; c < count; c++) {
      const from = c * size;
      const n = Math.min(size, t.n - from);
      specs.push({ leaves: t.leaves.subarray(32 * from, 32 * (from + n)), n, levels, firstLeafZero: from === 0 && t.firstLeafZero === true });
      treeOf.push(tree);
    }
  });
  const chunks: Chunk[] = jobs.submitAll(specs).map((job, i) => ({ tree: treeOf[i]!, job }));
  let joined = false;
  return {
    root: (t) => {
      if (!joined) {
        joined = true;
        // Last posted first: the helper takes them from the first.
        for (let i = chunks.length - 1; i >= 0; i--) chunks[i]!.result = chunks[i]!.job.join();
      }
      const mine = chunks.filter((c) => c.tree === t);
      if (mine.length === 1) return mine[0]!.result!;
      const tops = new Uint8Array(32 * mine.length);
      let mutated = false;
      mine.forEach((c, i) => {
        tops.set(c.result!.root, 32 * i);
        mutated ||= c.result!.mutated;
      });
      const top = merkleRoot(tops, mine.length);
      return { root: top.root, mutated: mutated || top.mutated };
    },
    cancel: () => {
      for (const c of chunks) c.job.cancel();
    },
  };
}
