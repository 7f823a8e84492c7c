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

/** Where matchShortIds reads a source's slots: `slots` of them, in chunks of `chunkSlots`. */
export interface ShortIdScan {
  readonly slots: number;
  readonly chunkSlots: number;
  /** 32-byte hashes of chunk c's slots, back to back. */
  hashChunk(c: number): Uint8Array;
  /**
   * One byte per slot of chunk c: non-zero = not scanned; null: no slot of chunk c is (its
   * hashes are not even copied). Absent: every slot is scanned.
   */
  skipChunk?(c: number): Uint8Array | null;
}

/** Reused across calls: the first slot of each chunk copied in. */
let chunkFirst = new Int32Array(64);

/**
 * Every scanned slot whose short id is in `table`, in one WASM call (assembly/siphash.ts
 * shortIdMatch, which documents the table: 16-byte entries, `mask` + 1 of them). Writes the
 * matches as (slot, table value) pairs to out[2 k], out[2 k + 1] (`out` must hold 2 × slots);
 * returns how many.
 */
export function matchShortIds(keys: Uint8Array, table: Uint8Array, mask: number, scan: ShortIdScan, out: Uint32Array): number {
  const m = scan.slots;
  const cs = scan.chunkSlots;
  if (table.length < 16 * (mask + 1) || out.length < 2 * m) throw new RangeError('matchShortIds: table or output too small');
  // The chunks with something to scan are copied in back to back; slot = chunkFirst[j] + offset.
  const chunks = Math.ceil(m / cs);
  if (chunkFirst.length < chunks) chunkFirst = new Int32Array(Math.max(chunks, 2 * chunkFirst.length));
  const skips: (Uint8Array | undefined)[] = [];
  let n = 0;
  for (let c = 0; c < chunks; c++) {
    const skip = scan.skipChunk?.(c);
    if (skip === null) continue;
    chunkFirst[skips.length] = c * cs;
    skips.push(skip);
    n += Math.min(cs, m - c * cs);
  }
  if (n === 0) return 0;
  const w = getWasm();
  // Input arena: keys, table, hashes, skip bytes.
  const tableP = 16;
  const hashesP = tableP + 16 * (mask + 1);
  const skipP = hashesP + 32 * n;
  const input = reserveInput(w, skipP + n);
  const outP = reserveScratch(w, 8 * n);
  const u8 = w.mem.u8();
  u8.set(keys.subarray(0, 16), input);
  u8.set(table.subarray(0, 16 * (mask + 1)), input + tableP);
  for (let j = 0, at = 0; j < skips.length; j++) {
    const first = chunkFirst[j]!;
    const k = Math.min(cs, m - first);
    u8.set(scan.hashChunk(first / cs).subarray(0, 32 * k), input + hashesP + 32 * at);
    const skip = skips[j];
    if (skip === undefined) u8.fill(0, input + skipP + at, input + skipP + at + k);
    else u8.set(skip.subarray(0, k), input + skipP + at);
    at += k;
  }
  const found = w.exports.shortIdMatch(input, input + hashesP, input + skipP, n, input + tableP, mask, outP) >>> 0;
  const u32 = w.mem.u32();
  for (let k = 0, p = outP >>> 2; k < found; k++, p += 2) {
    const i = u32[p]!;
    const j = Math.floor(i / cs);
    out[2 * k] = chunkFirst[j]! + (i - j * cs);
    out[2 * k + 1] = u32[p + 1]!;
  }
  return found;
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
