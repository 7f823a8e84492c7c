import { afterAll, describe, expect, it } from 'vitest';
import { merkleRoot } from '../../src/wasm/merkle.js';
import { INLINE_MERKLE, MerkleOffload } from '../../src/wasm/merkle-offload.js';

const leavesOf = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: 32 * n }, (_, i) => (i * 31 + seed * 7) & 0xff);

describe('MerkleOffload: roots on a helper thread (real worker, shared memory)', () => {
  const off = new MerkleOffload();
  afterAll(() => off.close());

  it('gives the same root and mutation flag as the inline WASM tree, for many sizes, two jobs at a time', async () => {
    // The first jobs may be taken back and computed here while the thread starts; keep posting
    // until the helper has computed some (its result path is what this checks).
    for (let round = 0; round < 200; round++) {
      for (const n of [2, 3, 7, 64, 1000, 3001]) {
        const a = leavesOf(n, round);
        const b = leavesOf(n + 1, round + 1);
        const ja = off.submit(a, n);
        const jb = off.submit(b, n + 1);
        // Give the helper time to take them before they are joined.
        await new Promise((res) => setImmediate(res));
        expect(jb.join()).toEqual(merkleRoot(b, n + 1));
        expect(ja.join()).toEqual(merkleRoot(a, n));
      }
      if (off.helperJobs > 20) break;
    }
    expect(off.helperJobs).toBeGreaterThan(20);
  });

  it('flags a mutated tree (CVE-2012-2459 duplicate pair) from the helper too', async () => {
    const leaves = leavesOf(6, 3);
    leaves.copyWithin(32 * 5, 32 * 4, 32 * 5); // leaves 4 and 5 equal
    const want = merkleRoot(leaves, 6);
    expect(want.mutated).toBe(true);
    // Until the helper (not a take-back here) has computed one.
    const before = off.helperJobs;
    for (let i = 0; i < 100 && off.helperJobs === before; i++) {
      const job = off.submit(leaves, 6);
      await new Promise((res) => setImmediate(res));
      expect(job.join()).toEqual(want);
    }
    expect(off.helperJobs).toBeGreaterThan(before);
  });

  it('grows a slot for a large tree, and a cancelled job frees its slot', async () => {
    const big = leavesOf(20_000, 9);
    const j1 = off.submit(big, 20_000);
    j1.cancel();
    const j2 = off.submit(big, 20_000);
    const j3 = off.submit(leavesOf(5, 1), 5);
    await new Promise((res) => setImmediate(res));
    expect(j2.join()).toEqual(merkleRoot(big, 20_000));
    expect(j3.join()).toEqual(merkleRoot(leavesOf(5, 1), 5));
  });

  it('computes inline when every slot is held, and after close', async () => {
    const held = [off.submit(leavesOf(9, 1), 9), off.submit(leavesOf(9, 2), 9)];
    const third = off.submit(leavesOf(9, 3), 9);
    expect(third.join()).toEqual(merkleRoot(leavesOf(9, 3), 9));
    held.forEach((j) => j.join());
    const other = new MerkleOffload();
    await other.close();
    expect(other.submit(leavesOf(4, 4), 4).join()).toEqual(merkleRoot(leavesOf(4, 4), 4));
    expect(INLINE_MERKLE.submit(leavesOf(4, 4), 4).join()).toEqual(merkleRoot(leavesOf(4, 4), 4));
  });
});
