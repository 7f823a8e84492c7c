// Proof of work of many 80-byte block headers in one call: each header's double SHA-256 (the
// 4-lane multi-buffer hasher) and the check that the hash, read as a 256-bit little-endian
// number, is at most the target its compact `bits` encode, and that target is positive, does not
// overflow and is at most the network's limit (Core src/pow.cpp CheckProofOfWork, DeriveTarget).
// Verifying a header is exactly this; a 2,000-header message costs one call.

import { runDescriptors } from './sha256x4';

/** The header's hash is at or below its target, the target valid. */
export const POW_OK: u8 = 0;
/** `bits` is negative, zero, overflows 256 bits or exceeds the network's limit. */
export const POW_BAD_BITS: u8 = 1;
/** The hash is above the target. */
export const POW_HIGH_HASH: u8 = 2;

const TARGET: usize = memory.data(32, 16);

/** Compares two 256-bit little-endian numbers: -1, 0 or 1. */
function cmp256(a: usize, b: usize): i32 {
  for (let i: i32 = 28; i >= 0; i -= 4) {
    const x = load<u32>(a + <usize>i);
    const y = load<u32>(b + <usize>i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Expands `bits` into TARGET; false when it is negative, zero or overflows (arith_uint256::SetCompact). */
function expand(bits: u32): bool {
  const size = bits >>> 24;
  let word = bits & 0x007fffff;
  for (let i: usize = 0; i < 32; i += 8) store<u64>(TARGET + i, 0);
  if (word == 0) return false;
  if ((bits & 0x00800000) != 0) return false;
  if (size > 34 || (word > 0xff && size > 33) || (word > 0xffff && size > 32)) return false;
  if (size <= 3) {
    word >>>= 8 * (3 - size);
    if (word == 0) return false;
    store<u32>(TARGET, word);
    return true;
  }
  const shift = size - 3;
  for (let k: u32 = 0; k < 3; k++) {
    const at = shift + k;
    if (at < 32) store<u8>(TARGET + <usize>at, <u8>(word >>> (8 * k)));
  }
  return true;
}

/**
 * `n` headers back to back at `headers`; `limit` is the network's 256-bit proof-of-work limit
 * (little-endian). `desc` is room for 8 n bytes of hash descriptors. Writes each header's hash
 * (internal byte order) at `hashOut` + 32 i and its POW_* status at `statusOut` + i. Returns the
 * number of headers that are not POW_OK.
 */
export function headersPow(headers: usize, n: u32, limit: usize, desc: usize, hashOut: usize, statusOut: usize): u32 {
  for (let i: usize = 0; i < <usize>n; i++) {
    store<u32>(desc + (i << 3), <u32>(headers + i * 80));
    store<u32>(desc + (i << 3), 80, 4);
  }
  runDescriptors(desc, n, hashOut, true);
  let bad: u32 = 0;
  for (let i: usize = 0; i < <usize>n; i++) {
    const bits = load<u32>(headers + i * 80, 72);
    let status = POW_OK;
    if (!expand(bits) || cmp256(TARGET, limit) > 0) status = POW_BAD_BITS;
    else if (cmp256(hashOut + (i << 5), TARGET) > 0) status = POW_HIGH_HASH;
    store<u8>(statusOut + i, status);
    if (status != POW_OK) bad++;
  }
  return bad;
}
