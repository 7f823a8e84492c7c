import { afterAll, describe, expect, it } from 'vitest';
import { merkleRoot } from '../../src/wasm/merkle.js';
import { chunkBits, postChunked } from '../../src/wasm/merkle-chunks.js';
import { MerkleOffload, type MerkleJob } from '../../src/wasm/merkle-offload.js';

/** One root posted on its own. */
const one = (o: MerkleOffload, leaves: Uint8Array, n: number): MerkleJob => o.submitAll([{ leaves, n }])[0]!;

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
        const ja = one(off, a, n);
        const jb = one(off, b, n + 1);
        // Give the helper time to take them before they are joined.
        await new Promise((res) => setImmediate(res));
        expect(jb.join()).toEqual(merkleRoot(b, n + 1));
        expect(ja.join()).toEqual(merkleRoot(a, n));
      }
      if (off.helperJobs > 20) break;
    }
    expect(off.helperJobs).toBeGreaterThan(20);
  });

  it('submitAll posts a batch: every root right (first leaf as zero too), the helper drains several of it, and what does not fit in SLOTS is computed here', async () => {
    const specs = Array.from({ length: 20 }, (_, i) => ({ leaves: leavesOf(300 + i, 40 + i), n: 300 + i, firstLeafZero: i % 2 === 0 }));
    const want = specs.map((s) => {
      const copy = s.leaves.slice();
      if (s.firstLeafZero) copy.fill(0, 0, 32);
      return merkleRoot(copy, s.n);
    });
    let most = 0;
    for (let round = 0; round < 100 && most < 2; round++) {
      const before = off.helperJobs;
      const jobs = off.submitAll(specs);
      expect(jobs).toHaveLength(20);
      // The helper works while this thread waits outside the event loop (as a block's checks do).
      const until = performance.now() + 5;
      while (performance.now() < until);
      jobs.forEach((j, i) => expect(j.join()).toEqual(want[i]));
      most = Math.max(most, off.helperJobs - before);
      await new Promise((res) => setImmediate(res));
    }
    // The helper drains more than one job of a batch it was woken for once.
    expect(most).toBeGreaterThanOrEqual(2);
  });

  it('flags a mutated tree (CVE-2012-2459 duplicate pair) from the helper too', async () => {
    const leaves = leavesOf(6, 3);
    leaves.copyWithin(32 * 5, 32 * 4, 32 * 5); // leaves 4 and 5 equal
    const want = merkleRoot(leaves, 6);
    expect(want.mutated).toBe(true);
    // Until the helper (not a take-back here) has computed one.
    const before = off.helperJobs;
    for (let i = 0; i < 100 && off.helperJobs === before; i++) {
      const job = one(off, leaves, 6);
      await new Promise((res) => setImmediate(res));
      expect(job.join()).toEqual(want);
    }
    expect(off.helperJobs).toBeGreaterThan(before);
  });

  it('grows a slot for a large tree, and a cancelled job frees its slot', async () => {
    const big = leavesOf(20_000, 9);
    const j1 = one(off, big, 20_000);
    j1.cancel();
    const j2 = one(off, big, 20_000);
    const j3 = one(off, leavesOf(5, 1), 5);
    await new Promise((res) => setImmediate(res));
    expect(j2.join()).toEqual(merkleRoot(big, 20_000));
    expect(j3.join()).toEqual(merkleRoot(leavesOf(5, 1), 5));
  });

  it('a fresh helper computes the jobs posted to it', async () => {
    const fresh = new MerkleOffload();
    try {
      for (let i = 0; i < 200 && fresh.helperJobs < 5; i++) {
        const leaves = leavesOf(500, i);
        const job = one(fresh, leaves, 500);
        await new Promise((res) => setImmediate(res));
        expect(job.join()).toEqual(merkleRoot(leaves, 500));
      }
      expect(fresh.helperJobs).toBeGreaterThanOrEqual(5);
    } finally {
      await fresh.close();
    }
  });

  it('computes inline when every slot is held, and after close', async () => {
    const held = [one(off, leavesOf(9, 1), 9), one(off, leavesOf(9, 2), 9)];
    const third = one(off, leavesOf(9, 3), 9);
    expect(third.join()).toEqual(merkleRoot(leavesOf(9, 3), 9));
    held.forEach((j) => j.join());
    const other = new MerkleOffload();
    await other.close();
    expect(one(other, leavesOf(4, 4), 4).join()).toEqual(merkleRoot(leavesOf(4, 4), 4));
  });
});

describe('merkle trees cut into chunks for two threads (postChunked)', () => {
  const helper = new MerkleOffload();
  const inline = new MerkleOffload();
  afterAll(async () => {
    await helper.close();
  });
  const zeroFirst = (leaves: Uint8Array): Uint8Array => {
    const c = leaves.slice();
    c.fill(0, 0, 32);
    return c;
  };

  it('gives Core\'s root for every size from 1 to 300, around chunk multiples and past the chunk-count bound', async () => {
    await inline.close(); // a closed offload computes every job here: the chunk arithmetic alone
    const sizes = [...Array.from({ length: 300 }, (_, i) => i + 1), 511, 512, 513, 1023, 1024, 1025, 1537, 3000, 4095, 4096, 4097, 4609, 9000, 20_000];
    expect(chunkBits(4096)).toBe(9);
    expect(chunkBits(4097)).toBe(10);
    for (const n of sizes) {
      const leaves = leavesOf(n, n);
      const whole = merkleRoot(leaves, n);
      expect(whole.mutated).toBe(false);
      for (const jobs of [inline, helper]) {
        const r = postChunked(jobs, [{ leaves, n }, { leaves, n, firstLeafZero: true }]);
        expect(r.root(0), `n = ${n}`).toEqual(whole);
        expect(r.root(1), `n = ${n}, first leaf zero`).toEqual(merkleRoot(zeroFirst(leaves), n));
      }
    }
  });

  it('keeps the CVE-2012-2459 flag wherever the duplicate pair sits: inside a chunk, the last chunk, or two equal chunks', () => {
    for (const n of [6, 1000, 1030, 3000]) {
      for (const at of [0, 510, n % 2 === 0 ? n - 2 : n - 3]) {
        if (at + 1 >= n) continue;
        const leaves = leavesOf(n, 7);
        leaves.copyWithin(32 * (at + 1), 32 * at, 32 * at + 32);
        const whole = merkleRoot(leaves, n);
        expect(whole.mutated, `n = ${n}, pair at ${at}`).toBe(true);
        expect(postChunked(helper, [{ leaves, n }]).root(0)).toEqual(whole);
      }
    }
    // Chunks 0 and 1 equal (512 leaves twice): their roots are an equal pair of the top level.
    const half = leavesOf(512, 5);
    const leaves = new Uint8Array(32 * 1100);
    leaves.set(half, 0);
    leaves.set(half, 32 * 512);
    leaves.set(leavesOf(76, 6), 32 * 1024);
    const whole = merkleRoot(leaves, 1100);
    expect(whole.mutated).toBe(true);
    expect(postChunked(helper, [{ leaves, n: 1100 }]).root(0)).toEqual(whole);
  });
});
