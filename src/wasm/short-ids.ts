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
  /** One byte per slot of chunk c: non-zero = not scanned. Undefined: every slot is. */
  skipChunk?(c: number): Uint8Array;
}

/**
 * Every scanned slot whose short id is in `table`, in one WASM call (assembly/siphash.ts
 * shortIdMatch, which documents the table: 16-byte entries, `mask` + 1 of them). Writes the
 * matches as (slot, table value) pairs to out[2 k], out[2 k + 1] (`out` must hold 2 × slots);
 * returns how many.
 */
export function matchShortIds(keys: Uint8Array, table: Uint8Array, mask: number, scan: ShortIdScan, out: Uint32Array): number {
  const m = scan.slots;
  if (m === 0) return 0;
  if (table.length < 16 * (mask + 1) || out.length < 2 * m) throw new RangeError('matchShortIds: table or output too small');
  const w = getWasm();
  // Input arena: keys, table, hashes, skip bytes.
  const tableP = 16;
  const hashesP = tableP + 16 * (mask + 1);
  const skipP = hashesP + 32 * m;
  const input = reserveInput(w, skipP + m);
  const outP = reserveScratch(w, 8 * m);
  const u8 = w.mem.u8();
  u8.set(keys.subarray(0, 16), input);
  u8.set(table.subarray(0, 16 * (mask + 1)), input + tableP);
  const cs = scan.chunkSlots;
  for (let c = 0, first = 0; first < m; c++, first += cs) {
    const k = Math.min(cs, m - first);
    u8.set(scan.hashChunk(c).subarray(0, 32 * k), input + hashesP + 32 * first);
    if (scan.skipChunk === undefined) u8.fill(0, input + skipP + first, input + skipP + first + k);
    else u8.set(scan.skipChunk(c).subarray(0, k), input + skipP + first);
  }
  const found = w.exports.shortIdMatch(input, input + hashesP, input + skipP, m, input + tableP, mask, outP) >>> 0;
  out.set(w.mem.u32().subarray(outP >>> 2, (outP >>> 2) + 2 * found));
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
