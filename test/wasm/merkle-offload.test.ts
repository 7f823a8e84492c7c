import { afterAll, describe, expect, it } from 'vitest';
import { joinHalves, merkleRoot, splitPoint } from '../../src/wasm/merkle.js';
import { MerkleOffload } from '../../src/wasm/merkle-offload.js';

/** n distinct pseudo-random leaves (xorshift32 from the seed). */
const leavesOf = (n: number, seed: number): Uint8Array => {
  let x = (seed * 2654435761 + 1) >>> 0 || 1;
  return Uint8Array.from({ length: 32 * n }, () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x & 0xff;
  });
};

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

  it('prepare() before any job starts the helper with its slots, and it computes the jobs that follow', async () => {
    const fresh = new MerkleOffload();
    try {
      fresh.prepare();
      for (let i = 0; i < 200 && fresh.helperJobs < 5; i++) {
        fresh.prepare();
        const leaves = leavesOf(500, i);
        const job = fresh.submit(leaves, 500);
        await new Promise((res) => setImmediate(res));
        expect(job.join()).toEqual(merkleRoot(leaves, 500));
      }
      expect(fresh.helperJobs).toBeGreaterThanOrEqual(5);
    } finally {
      await fresh.close();
    }
  });

  it('computes inline when every slot is held, and after close', async () => {
    const held = [off.submit(leavesOf(9, 1), 9), off.submit(leavesOf(9, 2), 9)];
    const third = off.submit(leavesOf(9, 3), 9);
    expect(third.join()).toEqual(merkleRoot(leavesOf(9, 3), 9));
    held.forEach((j) => j.join());
    const other = new MerkleOffload();
    await other.close();
    expect(other.submit(leavesOf(4, 4), 4).join()).toEqual(merkleRoot(leavesOf(4, 4), 4));
  });
});

describe('a merkle tree split across two threads (splitPoint / joinHalves)', () => {
  const split = (leaves: Uint8Array, n: number): ReturnType<typeof merkleRoot> => {
    const k = splitPoint(n);
    const from = 2 ** k;
    return joinHalves(merkleRoot(leaves.subarray(0, 32 * from), from), merkleRoot(leaves.subarray(32 * from), n - from, k));
  };

  it('gives Core\'s root for every size from 3 to 300 and around powers of two up to 4,097', () => {
    const sizes = [...Array.from({ length: 298 }, (_, i) => i + 3), 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 2049, 3000, 4095, 4096, 4097];
    for (const n of sizes) {
      const leaves = leavesOf(n, n);
      const whole = merkleRoot(leaves, n);
      expect(whole.mutated).toBe(false);
      expect(split(leaves, n), `n = ${n}`).toEqual(whole);
    }
  });

  it('keeps the CVE-2012-2459 flag wherever the duplicate pair sits: left part, right part, or the two halves', () => {
    for (const n of [5, 6, 12, 33, 100, 3000]) {
      const k = splitPoint(n);
      const from = 2 ** k;
      // A duplicated last pair in the right part (n even), a duplicated pair in the left part.
      for (const at of [n % 2 === 0 ? n - 2 : n - 3, 0, from - 2]) {
        if (at < 0 || at + 1 >= n || at % 2 !== 0) continue;
        const leaves = leavesOf(n, 7);
        leaves.copyWithin(32 * (at + 1), 32 * at, 32 * at + 32);
        const whole = merkleRoot(leaves, n);
        expect(whole.mutated, `n = ${n}, pair at ${at}`).toBe(true);
        expect(split(leaves, n)).toEqual(whole);
      }
    }
    // The two halves equal: 2^k leaves followed by the same 2^k leaves.
    const half = leavesOf(8, 5);
    const leaves = new Uint8Array(32 * 16);
    leaves.set(half, 0);
    leaves.set(half, 32 * 8);
    const whole = merkleRoot(leaves, 16);
    expect(whole.mutated).toBe(true);
    expect(split(leaves, 16)).toEqual(whole);
  });
});
