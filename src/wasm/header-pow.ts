/**
 * Proof of work of a batch of 80-byte headers in one WASM call (assembly/header-pow.ts): the
 * double SHA-256 of each and the target check against its compact bits and the network limit.
 */
import { getWasm } from './loader.js';
import { reserveInput, reserveScratch } from './staging.js';

/** Per-header outcome of the batch check; values match assembly/header-pow.ts. */
export const PowStatus = Object.freeze({
  OK: 0,
  /** bits negative, zero, overflowing or above the network's limit (Core: "bad-diffbits" territory, checked before the hash). */
  BAD_BITS: 1,
  /** Hash above the target (Core CheckProofOfWork false: "high-hash"). */
  HIGH_HASH: 2,
});

/** Result arrays of one batch; valid until the next call (they are reused). */
export interface PowBatch {
  /** Hash of header i at hashes[32 i ..] (internal byte order). */
  readonly hashes: Uint8Array;
  /** PowStatus of header i. */
  readonly status: Uint8Array;
  /** How many are not OK. */
  readonly bad: number;
}

/** 256-bit little-endian encoding of a non-negative bigint below 2^256. */
export function u256le(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = x;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

let hashesOut = new Uint8Array(32 * 2048);
let statusOut = new Uint8Array(2048);

/**
 * Hashes and checks `n` headers laid out back to back in src[off ..off + 80 n). `limitLe` is the
 * network's proof-of-work limit as 32 little-endian bytes (u256le(params.powLimit)).
 */
export function checkHeadersPow(src: Uint8Array, off: number, n: number, limitLe: Uint8Array): PowBatch {
  if (off < 0 || off + 80 * n > src.length) throw new RangeError(`checkHeadersPow: ${n} headers at ${off} overrun ${src.length} bytes`);
  if (hashesOut.length < 32 * n) {
    hashesOut = new Uint8Array(32 * n);
    statusOut = new Uint8Array(n);
  }
  const w = getWasm();
  const input = reserveInput(w, 80 * n + 32);
  const scratch = reserveScratch(w, 8 * n + 32 * n + n + 16);
  const desc = scratch;
  const hashes = desc + 8 * n;
  const status = hashes + 32 * n;
  const u8 = w.mem.u8();
  u8.set(src.subarray(off, off + 80 * n), input);
  u8.set(limitLe, input + 80 * n);
  const bad = w.exports.headersPow(input, n, input + 80 * n, desc, hashes, status) >>> 0;
  const mem = w.mem.u8();
  hashesOut.set(mem.subarray(hashes, hashes + 32 * n));
  statusOut.set(mem.subarray(status, status + n));
  return { hashes: hashesOut.subarray(0, 32 * n), status: statusOut.subarray(0, n), bad };
}
