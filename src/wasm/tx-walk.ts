/**
 * A block's transaction boundaries from the WASM walk (assembly/tx-walk.ts walkBlock, which has
 * the rules of src/wire/tx-id.ts walkTx): one call and no object per transaction, where the JS
 * walk cost ~0.5 ms per 3,000 transactions in the compact-block hop.
 */
import { hash256Spans } from './hasher.js';
import { getWasm } from './loader.js';
import { reserveInput, reserveScratch } from './staging.js';

/** Boundaries of every transaction, valid until the next walk. */
export interface BlockWalk {
  /** Transaction count. */
  readonly n: number;
  /** Per transaction i at 4 i: start, end (past the lock time), inputs start, outputs end (block offsets). */
  readonly offsets: Int32Array;
  /** 1 where the transaction has the segwit marker and witnesses. */
  readonly witness: Uint8Array;
}

let offsets = new Int32Array(4 * 4096);
let witness = new Uint8Array(4096);

/** The walk of `raw` (a `block` payload), or undefined if it is not exactly a header and transactions. */
export function walkBlock(raw: Uint8Array, maxTxs: number): BlockWalk | undefined {
  // Every transaction takes at least 10 bytes: the output room is bounded by the block's size.
  const cap = Math.min(maxTxs, Math.floor(raw.length / 10));
  const w = getWasm();
  const input = reserveInput(w, raw.length);
  const out = reserveScratch(w, 17 * cap + 16);
  const wit = out + 16 * cap;
  w.mem.u8().set(raw, input);
  const n = w.exports.walkBlock(input, raw.length, cap, out, wit);
  if (n < 0) return undefined;
  if (offsets.length < 4 * n) {
    offsets = new Int32Array(4 * Math.max(n, 2 * (offsets.length >>> 2)));
    witness = new Uint8Array(offsets.length >>> 2);
  }
  offsets.set(w.mem.u32().subarray(out >>> 2, (out >>> 2) + 4 * n));
  witness.set(w.mem.u8().subarray(wit, wit + n));
  return { n, offsets, witness };
}

/** The wtxid of each of the block's transactions, 32 bytes each in block order; undefined if `raw` does not walk. */
export function blockWtxids(raw: Uint8Array, maxTxs: number): Uint8Array | undefined {
  const walk = walkBlock(raw, maxTxs);
  if (walk === undefined) return undefined;
  const n = walk.n;
  const spans = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    spans[2 * i] = walk.offsets[4 * i]!;
    spans[2 * i + 1] = walk.offsets[4 * i + 1]! - walk.offsets[4 * i]!;
  }
  const wtxids = new Uint8Array(32 * n);
  hash256Spans(raw, spans, n, 1, wtxids, 0);
  return wtxids;
}
