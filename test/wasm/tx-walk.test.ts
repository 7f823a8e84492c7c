import { describe, expect, it } from 'vitest';
import { walkBlock } from '../../src/wasm/tx-walk.js';
import { WireError } from '../../src/errors.js';
import { WireReader } from '../../src/wire/reader.js';
import { MAX_TXS, MIN_TX_SIZE, walkTx } from '../../src/wire/tx-id.js';
import { buildBlock, makeTx, mixedShape, rng } from '../../bench/support/blocks.js';

/** The JS walk (src/wire/tx-id.ts walkTx) over a whole block, as the WASM walk reports it. */
function jsWalk(raw: Uint8Array): { n: number; offsets: number[]; witness: number[] } | undefined {
  try {
    const r = new WireReader(raw);
    r.skip(80, 'header');
    const n = r.count(MAX_TXS, MIN_TX_SIZE, 'txs');
    const offsets: number[] = [];
    const witness: number[] = [];
    for (let i = 0; i < n; i++) {
      const b = walkTx(r);
      offsets.push(b.start, b.end, b.inputsStart, b.outputsEnd);
      witness.push(b.hasWitness ? 1 : 0);
    }
    r.finish('block');
    return { n, offsets, witness };
  } catch (err) {
    if (err instanceof WireError) return undefined;
    throw err;
  }
}

function wasmWalk(raw: Uint8Array): { n: number; offsets: number[]; witness: number[] } | undefined {
  const w = walkBlock(raw, MAX_TXS);
  if (w === undefined) return undefined;
  return { n: w.n, offsets: [...w.offsets.subarray(0, 4 * w.n)], witness: [...w.witness.subarray(0, w.n)] };
}

describe('the WASM block walk (assembly/tx-walk.ts)', () => {
  const r = rng(19);
  const block = buildBlock({ prev: new Uint8Array(32).fill(1), height: 500, time: 1_700_000_000, txs: Array.from({ length: 40 }, () => makeTx(mixedShape(r), r)) });

  it('finds the same boundaries and witness flags as the JS walk on a valid mixed block', () => {
    const js = jsWalk(block.raw);
    expect(js?.n).toBe(41);
    expect(js!.witness).toContain(1);
    expect(js!.witness).toContain(0);
    expect(wasmWalk(block.raw)).toEqual(js);
  });

  it('agrees with the JS walk on 3,000 corrupted copies: truncated, a byte changed, bytes appended', () => {
    let refused = 0;
    for (let k = 0; k < 3000; k++) {
      let raw: Uint8Array;
      const kind = k % 3;
      if (kind === 0) raw = block.raw.subarray(0, Math.floor(r() * block.raw.length));
      else if (kind === 1) {
        raw = block.raw.slice();
        // Mostly in the first transactions' structure (counts, lengths, markers), where a change matters.
        const at = 80 + Math.floor(r() * Math.min(raw.length - 80, k % 2 === 0 ? 400 : raw.length));
        raw[at] = Math.floor(r() * 256);
      } else {
        raw = new Uint8Array(block.raw.length + 1 + (k % 5));
        raw.set(block.raw);
      }
      const js = jsWalk(raw);
      if (js === undefined) refused++;
      expect(wasmWalk(raw), `case ${k} (kind ${kind})`).toEqual(js);
    }
    // Both outcomes were exercised.
    expect(refused).toBeGreaterThan(1000);
    expect(refused).toBeLessThan(3000);
  });

  it('refuses non-minimal CompactSizes, a bad segwit flag and an all-empty witness as the JS walk does', () => {
    const header = new Uint8Array(80);
    const tx = (body: number[]): Uint8Array => Uint8Array.from([...header, 1, ...body]);
    const input = [...new Array<number>(36).fill(7), 0, 0xff, 0xff, 0xff, 0xff];
    const output = [1, 0, 0, 0, 0, 0, 0, 0, 0];
    const plain = tx([1, 0, 0, 0, 1, ...input, 1, ...output, 0, 0, 0, 0]);
    expect(wasmWalk(plain)?.n).toBe(1);
    const segwit = tx([1, 0, 0, 0, 0, 1, 1, ...input, 1, ...output, 1, 1, 9, 0, 0, 0, 0]);
    expect(wasmWalk(segwit)).toEqual(jsWalk(segwit));
    expect(wasmWalk(segwit)?.witness).toEqual([1]);
    const cases = [
      tx([1, 0, 0, 0, 0xfd, 1, 0, ...input, 1, ...output, 0, 0, 0, 0]), // input count 1 as 0xfd 0x0001
      tx([1, 0, 0, 0, 0, 2, 1, ...input, 1, ...output, 1, 0, 0, 0, 0, 0]), // flag 2
      tx([1, 0, 0, 0, 0, 1, 1, ...input, 1, ...output, 0, 0, 0, 0, 0]), // marker, every witness empty
      tx([1, 0, 0, 0, 0, 1, 1, ...input, 1, ...output, 1, 5, 9, 0, 0, 0, 0]), // a 5-byte witness item eats the lock time
      // A script length of 2^64 - 4: with the 4-byte sequence after it, a sum that wraps to 0.
      tx([1, 0, 0, 0, 1, ...new Array<number>(36).fill(7), 0xff, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, ...output, 0, 0, 0, 0]),
    ];
    for (const raw of cases) {
      expect(jsWalk(raw)).toBeUndefined();
      expect(wasmWalk(raw)).toBeUndefined();
    }
  });
});
