// BIP152 short transaction ids: SipHash-2-4 of a 32-byte (w)txid under the keys (k0, k1) taken
// from SHA256(header ‖ nonce), truncated to the low 6 bytes. Core computes one id per mempool
// entry for every compact block it rebuilds (src/blockencodings.cpp InitData/GetShortID), so the
// whole relay cache is hashed here in one call: a JS BigInt SipHash costs ~2 µs per id, this
// loop a few tens of ns.

// @ts-ignore: decorator
@inline function rotl(x: u64, b: u64): u64 {
  return (x << b) | (x >>> (64 - b));
}

let v0: u64 = 0;
let v1: u64 = 0;
let v2: u64 = 0;
let v3: u64 = 0;

// @ts-ignore: decorator
@inline function sipRound(): void {
  v0 += v1;
  v1 = rotl(v1, 13);
  v1 ^= v0;
  v0 = rotl(v0, 32);
  v2 += v3;
  v3 = rotl(v3, 16);
  v3 ^= v2;
  v0 += v3;
  v3 = rotl(v3, 21);
  v3 ^= v0;
  v2 += v1;
  v1 = rotl(v1, 17);
  v1 ^= v2;
  v2 = rotl(v2, 32);
}

// @ts-ignore: decorator
@inline function absorb(m: u64): void {
  v3 ^= m;
  sipRound();
  sipRound();
  v0 ^= m;
}

/** SipHash-2-4 of the 32 bytes at `p` (Core SipHashUint256: the hash's 4 words little-endian). */
function sip32(k0: u64, k1: u64, p: usize): u64 {
  v0 = k0 ^ 0x736f6d6570736575;
  v1 = k1 ^ 0x646f72616e646f6d;
  v2 = k0 ^ 0x6c7967656e657261;
  v3 = k1 ^ 0x7465646279746573;
  absorb(load<u64>(p));
  absorb(load<u64>(p, 8));
  absorb(load<u64>(p, 16));
  absorb(load<u64>(p, 24));
  // Final block: no tail bytes, the message length (32) in the top byte.
  absorb(<u64>32 << 56);
  v2 ^= 0xff;
  sipRound();
  sipRound();
  sipRound();
  sipRound();
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

/**
 * The compact-block rebuild's scan (Core src/blockencodings.cpp InitData: every mempool entry's
 * short id looked up in the block's table). `hashes` holds `n` 32-byte wtxids back to back; a slot
 * whose byte at `skip` + i is non-zero is not hashed (a free slot, a block, a confirmed tx).
 * `table` is an open-addressing table of 16-byte entries, `mask` + 1 of them: the short id as a
 * u64 (EMPTY when free) and the block index as a u32 at +8; entry of id starts at
 * ((lo32(id) * 0x9e3779b1) ^ hi16(id)) & mask and probes linearly. For every slot whose short id
 * is in the table, writes (slot, index) as two u32 at `out` + 8 k; returns k, the match count.
 */
export function shortIdMatch(keys: usize, hashes: usize, skip: usize, n: u32, table: usize, mask: u32, out: usize): u32 {
  const k0 = load<u64>(keys);
  const k1 = load<u64>(keys, 8);
  let k: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (load<u8>(skip + <usize>i) != 0) continue;
    const id = sip32(k0, k1, hashes + (<usize>i << 5)) & 0xffffffffffff;
    let s = ((<u32>id * 0x9e3779b1) ^ <u32>(id >>> 32)) & mask;
    for (;;) {
      const e = table + (<usize>s << 4);
      const t = load<u64>(e);
      if (t == id) {
        store<u32>(out + (<usize>k << 3), i);
        store<u32>(out + (<usize>k << 3), load<u32>(e, 8), 4);
        k++;
        break;
      }
      if (t == EMPTY) break;
      s = (s + 1) & mask;
    }
  }
  return k;
}

/** Full 64-bit SipHash-2-4 of one 32-byte hash (tests compare it with other implementations). */
export function sipHash32(keys: usize, p: usize): u64 {
  return sip32(load<u64>(keys), load<u64>(keys, 8), p);
}
