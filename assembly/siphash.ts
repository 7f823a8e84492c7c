// BIP152 short transaction ids: SipHash-2-4 of a 32-byte (w)txid under the keys (k0, k1) taken
// from SHA256(header ‖ nonce), truncated to the low 6 bytes. Core computes one id per mempool
// entry for every compact block it rebuilds (src/blockencodings.cpp InitData/GetShortID), so the
// whole relay cache is hashed here in one call: a JS BigInt SipHash costs ~2 µs per id, this
// loop a few tens of ns.

/**
 * SipHash-2-4 of the 32 bytes at `p` (Core SipHashUint256: the hash's 4 words little-endian).
 * The state lives in locals and the 14 rounds are written out: with module globals (one WASM
 * global each) every round stored and reloaded them, and the scan ran at ~190 ns per id; a loop
 * over the rounds (binaryen does not unroll it) takes 1.9x as long as this (250 vs 131 us per
 * 6,000 ids).
 */
function sip32(k0: u64, k1: u64, p: usize): u64 {
  let v0: u64 = k0 ^ 0x736f6d6570736575;
  let v1: u64 = k1 ^ 0x646f72616e646f6d;
  let v2: u64 = k0 ^ 0x6c7967656e657261;
  let v3: u64 = k1 ^ 0x7465646279746573;
  let m: u64;
  m = load<u64>(p, 0);
  v3 ^= m;
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 ^= m;
  m = load<u64>(p, 8);
  v3 ^= m;
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 ^= m;
  m = load<u64>(p, 16);
  v3 ^= m;
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 ^= m;
  m = load<u64>(p, 24);
  v3 ^= m;
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 ^= m;
  // the final block: no tail bytes, the message length (32) in the top byte
  m = <u64>32 << 56;
  v3 ^= m;
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 ^= m;
  v2 ^= 0xff;
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  v0 += v1; v1 = rotl<u64>(v1, 13); v1 ^= v0; v0 = rotl<u64>(v0, 32);
  v2 += v3; v3 = rotl<u64>(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl<u64>(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl<u64>(v1, 17); v1 ^= v2; v2 = rotl<u64>(v2, 32);
  return v0 ^ v1 ^ v2 ^ v3;
}

/**
 * Short ids of `n` 32-byte hashes laid out back to back at `hashes`; keys k0, k1 as two u64 at
 * `keys`. Writes id i as BIP152 puts it on the wire, 6 bytes little-endian at `out` + 6 i.
 * Reads only caller memory.
 */
export function shortIds(keys: usize, hashes: usize, n: u32, out: usize): void {
  const k0 = load<u64>(keys);
  const k1 = load<u64>(keys, 8);
  for (let i: usize = 0; i < <usize>n; i++) {
    const id = sip32(k0, k1, hashes + (i << 5));
    const o = out + i * 6;
    store<u32>(o, <u32>id);
    store<u16>(o, <u16>(id >>> 32), 4);
  }
}

/** Empty entry of a short-id table: no 48-bit short id equals it. */
const EMPTY: u64 = 0xffffffffffffffff;

// The state byte of each block index during a rebuild (src/chain/compact/partial-block.ts).
const MISSING: u8 = 0;
const PREFILLED: u8 = 1;
const FOUND: u8 = 2;
/** Two different transactions matched the index's short id: it is requested (Core InitData). */
const AMBIGUOUS: u8 = 3;

// @ts-ignore: decorator
@inline function firstEntry(id: u64, mask: u32): u32 {
  return ((<u32>id * 0x9e3779b1) ^ <u32>(id >>> 32)) & mask;
}

/**
 * Builds the block's short-id table (Core InitData's shorttxids map): an open-addressing table of
 * 16-byte entries, `mask` + 1 of them, each the short id as a u64 (EMPTY when free) and its block
 * index as a u32 at +8; an id's run starts at ((lo32(id) × 0x9e3779b1) ^ hi16(id)) & mask and
 * probes linearly. `ids` holds `nIds` 6-byte wire short ids; id i belongs to the i-th index whose
 * `state` byte is not PREFILLED (the caller has checked that there are that many). Returns 0, or
 * 1 when two ids are equal or a probe run is longer than `maxProbe`: the block's transactions
 * cannot be told apart (a collision, fetch the full block).
 */
export function shortIdTable(ids: usize, nIds: u32, state: usize, table: usize, mask: u32, maxProbe: u32): u32 {
  for (let s: usize = 0; s <= <usize>mask; s++) store<u64>(table + (s << 4), EMPTY);
  let idx: u32 = 0;
  for (let i: u32 = 0; i < nIds; i++) {
    while (load<u8>(state + <usize>idx) == PREFILLED) idx++;
    const p = ids + <usize>i * 6;
    const id = <u64>load<u32>(p) | (<u64>load<u16>(p, 4) << 32);
    let s = firstEntry(id, mask);
    for (let probes: u32 = 0; ; probes++) {
      const e = table + (<usize>s << 4);
      const t = load<u64>(e);
      if (t == EMPTY) {
        store<u64>(e, id);
        store<u32>(e, idx, 8);
        break;
      }
      if (t == id || probes >= maxProbe) return 1;
      s = (s + 1) & mask;
    }
    idx++;
  }
  return 0;
}

// @ts-ignore: decorator
@inline function copy32(dst: usize, src: usize): void {
  v128.store(dst, v128.load(src));
  v128.store(dst, v128.load(src, 16), 16);
}

// @ts-ignore: decorator
@inline function same32(a: usize, b: usize): bool {
  return v128.any_true(v128.or(v128.xor(v128.load(a), v128.load(b)), v128.xor(v128.load(a, 16), v128.load(b, 16)))) == 0;
}

/**
 * The rebuild's scan and claims (Core src/blockencodings.cpp InitData: every mempool entry's
 * short id looked up in the block's table). `hashes` holds `n` 32-byte wtxids back to back, and
 * `txids` (0 when the source has none) their txids; a slot whose byte at `skip` + i is non-zero is
 * not hashed (a free slot, a block, a confirmed tx). `table` is shortIdTable's. For each slot whose
 * short id is in the table, with block index idx:
 * - idx MISSING: it becomes FOUND, and the slot's wtxid goes to `wOut` + 32 idx (its txid to
 *   `tOut` + 32 idx when `txids` is given);
 * - idx FOUND with a different wtxid: it becomes AMBIGUOUS;
 * - otherwise nothing changes.
 * Each change is written as (slot, idx), two u32 at `out` + 8 k; returns k.
 */
export function shortIdMatch(
  keys: usize,
  hashes: usize,
  txids: usize,
  skip: usize,
  n: u32,
  table: usize,
  mask: u32,
  state: usize,
  wOut: usize,
  tOut: usize,
  out: usize,
): u32 {
  const k0 = load<u64>(keys);
  const k1 = load<u64>(keys, 8);
  let k: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (load<u8>(skip + <usize>i) != 0) continue;
    const h = hashes + (<usize>i << 5);
    const id = sip32(k0, k1, h) & 0xffffffffffff;
    let s = firstEntry(id, mask);
    for (;;) {
      const e = table + (<usize>s << 4);
      const t = load<u64>(e);
      if (t == EMPTY) break;
      if (t != id) {
        s = (s + 1) & mask;
        continue;
      }
      const idx = <usize>load<u32>(e, 8);
      const st = load<u8>(state + idx);
      if (st == MISSING) {
        store<u8>(state + idx, FOUND);
        copy32(wOut + (idx << 5), h);
        if (txids != 0) copy32(tOut + (idx << 5), txids + (<usize>i << 5));
      } else if (st == FOUND && !same32(wOut + (idx << 5), h)) {
        store<u8>(state + idx, AMBIGUOUS);
      } else {
        break;
      }
      store<u32>(out + (<usize>k << 3), i);
      store<u32>(out + (<usize>k << 3), <u32>idx, 4);
      k++;
      break;
    }
  }
  return k;
}

/** Full 64-bit SipHash-2-4 of one 32-byte hash (tests compare it with other implementations). */
export function sipHash32(keys: usize, p: usize): u64 {
  return sip32(load<u64>(keys), load<u64>(keys, 8), p);
}
