/**
 * BIP152 short-id keys: SHA256(header ‖ nonce little-endian); k0 and k1 are its first two
 * little-endian 64-bit words (Core CBlockHeaderAndShortTxIDs::FillShortTxIDSelector), i.e. the
 * first 16 bytes as they are.
 */
import { sha256 } from '../../wasm/hasher.js';

export function shortIdKeys(header: Uint8Array, nonce: bigint): Uint8Array {
  const pre = new Uint8Array(88);
  pre.set(header.subarray(0, 80), 0);
  new DataView(pre.buffer).setBigUint64(80, BigInt.asUintN(64, nonce), true);
  return sha256(pre).subarray(0, 16);
}

/** The 6-byte little-endian short id at ids[6 i ..] as a number (< 2^48, exact). */
export function readShortId(ids: Uint8Array, i: number): number {
  const o = 6 * i;
  return (ids[o]! | (ids[o + 1]! << 8) | (ids[o + 2]! << 16)) + ids[o + 3]! * 0x1000000 + (ids[o + 4]! | (ids[o + 5]! << 8)) * 0x100000000;
}
