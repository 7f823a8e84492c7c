/**
 * BIP152 short ids of many 32-byte hashes in one WASM call (assembly/siphash.ts: SipHash-2-4,
 * low 6 bytes). The keys come from SHA256(header ‖ nonce) (src/chain/compact/short-id-keys.ts).
 */
import { getWasm } from './loader.js';
import { reserveInput, reserveScratch } from './staging.js';

/**
 * Short ids of the n hashes at hashes[32 i ..], as numbers (< 2^48, exact in a double) written to
 * out[outOff + i]. `keys` is k0 ‖ k1, 16 bytes little-endian.
 */
export function shortIdsInto(keys: Uint8Array, hashes: Uint8Array, n: number, out: Float64Array, outOff = 0): void {
  if (n === 0) return;
  if (hashes.length < 32 * n) throw new RangeError(`shortIds: ${n} hashes need ${32 * n} bytes`);
  const w = getWasm();
  const input = reserveInput(w, 32 * n + 16);
  const outP = reserveScratch(w, 8 * n);
  const u8 = w.mem.u8();
  u8.set(keys.subarray(0, 16), input);
  u8.set(hashes.subarray(0, 32 * n), input + 16);
  w.exports.shortIds(input, input + 16, n, outP);
  const u32 = w.mem.u32();
  let p = outP >>> 2;
  for (let i = 0; i < n; i++, p += 2) out[outOff + i] = u32[p]! + u32[p + 1]! * 4294967296;
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
