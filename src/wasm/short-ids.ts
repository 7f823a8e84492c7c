/**
 * BIP152 short ids in WASM (assembly/siphash.ts: SipHash-2-4, low 6 bytes). The keys come from
 * SHA256(header ‖ nonce) (src/chain/compact/short-id-keys.ts).
 */
import { getWasm } from './loader.js';
import { reserveInput, reserveScratch } from './staging.js';

/**
 * Short ids of the n hashes at hashes[32 i ..], as BIP152 puts them on the wire: 6 bytes
 * little-endian each, id i at [6 i ..]. `keys` is k0 ‖ k1, 16 bytes little-endian.
 */
export function shortIds(keys: Uint8Array, hashes: Uint8Array, n: number): Uint8Array {
  if (n === 0) return new Uint8Array(0);
  if (hashes.length < 32 * n) throw new RangeError(`shortIds: ${n} hashes need ${32 * n} bytes`);
  const w = getWasm();
  const input = reserveInput(w, 32 * n + 16);
  const outP = reserveScratch(w, 6 * n);
  const u8 = w.mem.u8();
  u8.set(keys.subarray(0, 16), input);
  u8.set(hashes.subarray(0, 32 * n), input + 16);
  w.exports.shortIds(input, input + 16, n, outP);
  return w.mem.u8().slice(outP, outP + 6 * n);
}

/**
 * Where claimShortIds reads a source's slots: `slotCount` of them, in chunks of `chunkSlots`
 * (src/chain/compact/tx-source.ts TxSource extends this with the transactions themselves).
 */
export interface ShortIdScan {
  readonly slotCount: number;
  readonly chunkSlots: number;
  /** 32-byte wtxids of chunk c's slots, back to back. */
  wtxidChunk(c: number): Uint8Array;
  /** 32-byte txids of chunk c's slots, laid out as the wtxids; absent when the source has none. */
  txidChunk?(c: number): Uint8Array;
  /**
   * One byte per slot of chunk c: non-zero = not scanned; null: no slot of chunk c is (its
   * hashes are not even copied). Absent: every slot is scanned.
   */
  skipChunk?(c: number): Uint8Array | null;
}

/**
 * A block being rebuilt, as the WASM scan sees it: its `ids` (6-byte wire short ids) and one
 * `state` byte per block index (0 missing, 1 prefilled, 2 found, 3 ambiguous: assembly/siphash.ts),
 * and the wtxid and txid of each index at 32 × index.
 */
export interface ShortIdBlock {
  readonly ids: Uint8Array;
  readonly state: Uint8Array;
  readonly wtxids: Uint8Array;
  readonly txids: Uint8Array;
  /** Longest probe run the table may need before the ids count as colliding. */
  readonly maxProbe: number;
}

/**
 * Table entries for `nIds` ids: a power of two at least four times as many (load ≤ 0.25). A
 * probe run over the bound reads as a collision and costs a full-block fetch, and at load 0.5
 * runs of 13 turn up in 3,000-id blocks.
 */
function tableMask(nIds: number): number {
  let size = 16;
  while (size < 4 * nIds) size *= 2;
  return size - 1;
}

/**
 * Builds the block's short-id table in WASM (assembly/siphash.ts shortIdTable). False when two
 * ids are equal or a probe run is too long: its transactions cannot be told apart.
 */
export function shortIdTableOk(block: ShortIdBlock): boolean {
  const w = getWasm();
  const nIds = block.ids.length / 6;
  const n = block.state.length;
  const mask = tableMask(nIds);
  const idsP = 0;
  const stateP = align16(idsP + block.ids.length);
  const tableP = align16(stateP + n);
  const input = reserveInput(w, tableP + 16 * (mask + 1));
  const u8 = w.mem.u8();
  u8.set(block.ids, input + idsP);
  u8.set(block.state, input + stateP);
  return w.exports.shortIdTable(input + idsP, nIds, input + stateP, input + tableP, mask, block.maxProbe) === 0;
}

/** Reused across calls: the first slot of each chunk copied in. */
let chunkFirst = new Int32Array(64);

/**
 * Every scanned slot whose short id is in the block, matched and claimed in one WASM call
 * (assembly/siphash.ts shortIdTable then shortIdMatch, whose doc gives the rules): updates
 * `block`'s state, wtxids and txids, and writes each change as (slot, index) to out[2 k],
 * out[2 k + 1] (`out` must hold 2 × slots); returns how many.
 */
export function claimShortIds(keys: Uint8Array, block: ShortIdBlock, scan: ShortIdScan, out: Uint32Array): number {
  const m = scan.slotCount;
  const cs = scan.chunkSlots;
  if (out.length < 2 * m) throw new RangeError('claimShortIds: output too small');
  // The chunks with something to scan are copied in back to back; slot = chunkFirst[j] + offset.
  const chunks = Math.ceil(m / cs);
  if (chunkFirst.length < chunks) chunkFirst = new Int32Array(Math.max(chunks, 2 * chunkFirst.length));
  const skips: (Uint8Array | undefined)[] = [];
  let slots = 0;
  for (let c = 0; c < chunks; c++) {
    const skip = scan.skipChunk?.(c);
    if (skip === null) continue;
    chunkFirst[skips.length] = c * cs;
    skips.push(skip);
    slots += Math.min(cs, m - c * cs);
  }
  if (slots === 0) return 0;
  const w = getWasm();
  const nIds = block.ids.length / 6;
  const n = block.state.length;
  const mask = tableMask(nIds);
  const withTxids = scan.txidChunk !== undefined;
  // Input arena, 16-byte aligned parts: keys, ids, state, table, wtxids and txids by index, the
  // slots' wtxids and txids, skip bytes.
  const idsP = 16;
  const stateP = align16(idsP + block.ids.length);
  const tableP = align16(stateP + n);
  const wOutP = tableP + 16 * (mask + 1);
  const tOutP = wOutP + 32 * n;
  const hashesP = tOutP + 32 * n;
  const txidsP = hashesP + 32 * slots;
  const skipP = txidsP + (withTxids ? 32 * slots : 0);
  const input = reserveInput(w, skipP + slots);
  const outP = reserveScratch(w, 8 * slots);
  const u8 = w.mem.u8();
  u8.set(keys.subarray(0, 16), input);
  u8.set(block.ids, input + idsP);
  u8.set(block.state, input + stateP);
  u8.set(block.wtxids.subarray(0, 32 * n), input + wOutP);
  if (withTxids) u8.set(block.txids.subarray(0, 32 * n), input + tOutP);
  for (let j = 0, at = 0; j < skips.length; j++) {
    const first = chunkFirst[j]!;
    const k = Math.min(cs, m - first);
    u8.set(scan.wtxidChunk(first / cs).subarray(0, 32 * k), input + hashesP + 32 * at);
    if (withTxids) u8.set(scan.txidChunk!(first / cs).subarray(0, 32 * k), input + txidsP + 32 * at);
    const skip = skips[j];
    if (skip === undefined) u8.fill(0, input + skipP + at, input + skipP + at + k);
    else u8.set(skip.subarray(0, k), input + skipP + at);
    at += k;
  }
  const x = w.exports;
  if (x.shortIdTable(input + idsP, nIds, input + stateP, input + tableP, mask, block.maxProbe) !== 0) {
    throw new Error('claimShortIds: the block\'s short ids collide (shortIdTableOk should have refused it)');
  }
  const found =
    x.shortIdMatch(input, input + hashesP, withTxids ? input + txidsP : 0, input + skipP, slots, input + tableP, mask, input + stateP, input + wOutP, input + tOutP, outP) >>> 0;
  if (found === 0) return 0;
  block.state.set(u8.subarray(input + stateP, input + stateP + n));
  block.wtxids.set(u8.subarray(input + wOutP, input + wOutP + 32 * n));
  if (withTxids) block.txids.set(u8.subarray(input + tOutP, input + tOutP + 32 * n));
  const u32 = w.mem.u32();
  for (let k = 0, p = outP >>> 2; k < found; k++, p += 2) {
    const i = u32[p]!;
    const j = Math.floor(i / cs);
    out[2 * k] = chunkFirst[j]! + (i - j * cs);
    out[2 * k + 1] = u32[p + 1]!;
  }
  return found;
}

function align16(n: number): number {
  return (n + 15) & ~15;
}

/** Full 64-bit SipHash-2-4 of one 32-byte hash (for tests against other implementations). */
export function sipHash32(keys: Uint8Array, hash: Uint8Array): bigint {
  const w = getWasm();
  const input = reserveInput(w, 48);
  const u8 = w.mem.u8();
  u8.set(keys.subarray(0, 16), input);
  u8.set(hash.subarray(0, 32), input + 16);
  return BigInt.asUintN(64, w.exports.sipHash32(input, input + 16));
}
