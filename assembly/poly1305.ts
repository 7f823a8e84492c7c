// Poly1305 (RFC 8439 section 2.5) in 26-bit limbs: the accumulator and r as five u32 limbs, the
// products in u64, so that five 26-bit limbs times 5 * r (< 2^29) summed five times stays below
// 2^64. One global state: BIP324 packets are authenticated one after the other, and nothing here
// allocates. The API is the three steps an AEAD needs: init with the one-time key, absorb
// zero-padded segments, finish into a 16-byte tag.
//
// Runs of blocks go through a 2-lane SIMD loop: h = m1 r^2k + m2 r^(2k-1) + ... + m2k r splits
// into odd and even blocks, each lane Horner-multiplied by r^2 (the last step: r^2 and r), then
// the lanes are added. i64x2.extmul_low_i32x4_u is one unsigned 32x32->64 multiply per lane.

const MASK26: u32 = 0x3ffffff;

let r0: u32 = 0;
let r1: u32 = 0;
let r2: u32 = 0;
let r3: u32 = 0;
let r4: u32 = 0;
let h0: u32 = 0;
let h1: u32 = 0;
let h2: u32 = 0;
let h3: u32 = 0;
let h4: u32 = 0;
let pad0: u32 = 0;
// r^2 in limbs (slightly over 26 bits after the reduction; the bounds above still hold).
let q0: u32 = 0;
let q1: u32 = 0;
let q2: u32 = 0;
let q3: u32 = 0;
let q4: u32 = 0;
/** Whether q0..q4 hold r^2 for the current key (computed on the first SIMD run only). */
let haveSquare = false;

/** r^2 into q0..q4: a zero block (no high bit) multiplied into h = r; h is kept. */
function square(): void {
  const s0 = h0;
  const s1 = h1;
  const s2 = h2;
  const s3 = h3;
  const s4 = h4;
  h0 = r0;
  h1 = r1;
  h2 = r2;
  h3 = r3;
  h4 = r4;
  v128.store(LAST, i64x2.splat(0));
  blocks(LAST, 1, 0);
  q0 = h0;
  q1 = h1;
  q2 = h2;
  q3 = h3;
  q4 = h4;
  h0 = s0;
  h1 = s1;
  h2 = s2;
  h3 = s3;
  h4 = s4;
  haveSquare = true;
}
let pad1: u32 = 0;
let pad2: u32 = 0;
let pad3: u32 = 0;

/** Zero-filled copy of a trailing partial block. */
const LAST: usize = memory.data(16, 16);
/** A message's last blocks for fullBlocks: a zero-padded partial block and/or the lengths block. */
const TAIL: usize = memory.data(32, 16);
/** fullBlocks' copy of a block pair split between its two buffers. */
const PAIR: usize = memory.data(48, 16);

/** Starts a MAC with the 32-byte one-time key at `key` (r clamped as RFC 8439 requires). */
export function polyInit(key: usize): void {
  const t0 = load<u32>(key);
  const t1 = load<u32>(key, 4);
  const t2 = load<u32>(key, 8);
  const t3 = load<u32>(key, 12);
  r0 = t0 & 0x3ffffff;
  r1 = ((t0 >>> 26) | (t1 << 6)) & 0x3ffff03;
  r2 = ((t1 >>> 20) | (t2 << 12)) & 0x3ffc0ff;
  r3 = ((t2 >>> 14) | (t3 << 18)) & 0x3f03fff;
  r4 = (t3 >>> 8) & 0x00fffff;
  haveSquare = false;
  h0 = 0;
  h1 = 0;
  h2 = 0;
  h3 = 0;
  h4 = 0;
  pad0 = load<u32>(key, 16);
  pad1 = load<u32>(key, 20);
  pad2 = load<u32>(key, 24);
  pad3 = load<u32>(key, 28);
}

/** Absorbs `n` whole 16-byte blocks at `m`; `hibit` is 1 << 24 for full blocks, 0 for the padded last one. */
function blocks(m: usize, n: u32, hibit: u32): void {
  const R0 = <u64>r0;
  const R1 = <u64>r1;
  const R2 = <u64>r2;
  const R3 = <u64>r3;
  const R4 = <u64>r4;
  const S1 = R1 * 5;
  const S2 = R2 * 5;
  const S3 = R3 * 5;
  const S4 = R4 * 5;
  let a0 = h0;
  let a1 = h1;
  let a2 = h2;
  let a3 = h3;
  let a4 = h4;
  let p = m;
  for (let i: u32 = 0; i < n; i++) {
    const t0 = load<u32>(p);
    const t1 = load<u32>(p, 4);
    const t2 = load<u32>(p, 8);
    const t3 = load<u32>(p, 12);
    p += 16;
    a0 += t0 & MASK26;
    a1 += ((t0 >>> 26) | (t1 << 6)) & MASK26;
    a2 += ((t1 >>> 20) | (t2 << 12)) & MASK26;
    a3 += ((t2 >>> 14) | (t3 << 18)) & MASK26;
    a4 += (t3 >>> 8) | hibit;
    const b0 = <u64>a0;
    const b1 = <u64>a1;
    const b2 = <u64>a2;
    const b3 = <u64>a3;
    const b4 = <u64>a4;
    let d0 = b0 * R0 + b1 * S4 + b2 * S3 + b3 * S2 + b4 * S1;
    let d1 = b0 * R1 + b1 * R0 + b2 * S4 + b3 * S3 + b4 * S2;
    let d2 = b0 * R2 + b1 * R1 + b2 * R0 + b3 * S4 + b4 * S3;
    let d3 = b0 * R3 + b1 * R2 + b2 * R1 + b3 * R0 + b4 * S4;
    let d4 = b0 * R4 + b1 * R3 + b2 * R2 + b3 * R1 + b4 * R0;
    d1 += d0 >> 26;
    a0 = <u32>d0 & MASK26;
    d2 += d1 >> 26;
    a1 = <u32>d1 & MASK26;
    d3 += d2 >> 26;
    a2 = <u32>d2 & MASK26;
    d4 += d3 >> 26;
    a3 = <u32>d3 & MASK26;
    const c = <u32>(d4 >> 26);
    a4 = <u32>d4 & MASK26;
    a0 += c * 5;
    a1 += a0 >>> 26;
    a0 &= MASK26;
  }
  h0 = a0;
  h1 = a1;
  h2 = a2;
  h3 = a3;
  h4 = a4;
}

/** Below this many blocks the scalar loop is used (the SIMD setup and lane merge cost ~2 blocks). */
const SIMD_MIN_BLOCKS: u32 = 8;

// @ts-ignore: decorator
@inline function mul2(a: v128, b: v128): v128 {
  return i64x2.extmul_low_i32x4_u(a, b);
}

/** Low 32 bits of both i64 lanes into i32 lanes 0 and 1 (the multiply inputs). */
// @ts-ignore: decorator
@inline function narrow(v: v128): v128 {
  return i32x4.shuffle(v, v, 0, 2, 0, 2);
}

/**
 * Absorbs `n` (even) full blocks at `m`, then `n2` (even) at `m2`, two lanes at a time; n + n2 >= 2.
 */
function blocks2(m: usize, n: u32, m2: usize, n2: u32): void {
  const M = i64x2.splat(MASK26);
  const M32 = i32x4.splat(MASK26);
  const HI = i32x4.splat(1 << 24);
  // Multipliers: r^2 in both lanes for every step but the last, which uses [r^2, r].
  let R0 = i32x4.splat(q0);
  let R1 = i32x4.splat(q1);
  let R2 = i32x4.splat(q2);
  let R3 = i32x4.splat(q3);
  let R4 = i32x4.splat(q4);
  // Lane A starts with h, lane B with 0.
  let a0 = i32x4(h0, 0, 0, 0);
  let a1 = i32x4(h1, 0, 0, 0);
  let a2 = i32x4(h2, 0, 0, 0);
  let a3 = i32x4(h3, 0, 0, 0);
  let a4 = i32x4(h4, 0, 0, 0);
  let p = m;
  const pairs = (n + n2) >>> 1;
  const switchAt = n >>> 1;
  for (let i: u32 = 0; i < pairs; i++) {
    if (i == switchAt) p = m2;
    if (i == pairs - 1) {
      R0 = i32x4(q0, r0, 0, 0);
      R1 = i32x4(q1, r1, 0, 0);
      R2 = i32x4(q2, r2, 0, 0);
      R3 = i32x4(q3, r3, 0, 0);
      R4 = i32x4(q4, r4, 0, 0);
    }
    const S1 = i32x4.mul(R1, i32x4.splat(5));
    const S2 = i32x4.mul(R2, i32x4.splat(5));
    const S3 = i32x4.mul(R3, i32x4.splat(5));
    const S4 = i32x4.mul(R4, i32x4.splat(5));
    const x = v128.load(p);
    const y = v128.load(p, 16);
    p += 32;
    const w0 = i32x4.shuffle(x, y, 0, 4, 0, 4);
    const w1 = i32x4.shuffle(x, y, 1, 5, 1, 5);
    const w2 = i32x4.shuffle(x, y, 2, 6, 2, 6);
    const w3 = i32x4.shuffle(x, y, 3, 7, 3, 7);
    a0 = i32x4.add(a0, v128.and(w0, M32));
    a1 = i32x4.add(a1, v128.and(v128.or(i32x4.shr_u(w0, 26), i32x4.shl(w1, 6)), M32));
    a2 = i32x4.add(a2, v128.and(v128.or(i32x4.shr_u(w1, 20), i32x4.shl(w2, 12)), M32));
    a3 = i32x4.add(a3, v128.and(v128.or(i32x4.shr_u(w2, 14), i32x4.shl(w3, 18)), M32));
    a4 = i32x4.add(a4, v128.or(i32x4.shr_u(w3, 8), HI));
    let d0 = i64x2.add(i64x2.add(i64x2.add(mul2(a0, R0), mul2(a1, S4)), i64x2.add(mul2(a2, S3), mul2(a3, S2))), mul2(a4, S1));
    let d1 = i64x2.add(i64x2.add(i64x2.add(mul2(a0, R1), mul2(a1, R0)), i64x2.add(mul2(a2, S4), mul2(a3, S3))), mul2(a4, S2));
    let d2 = i64x2.add(i64x2.add(i64x2.add(mul2(a0, R2), mul2(a1, R1)), i64x2.add(mul2(a2, R0), mul2(a3, S4))), mul2(a4, S3));
    let d3 = i64x2.add(i64x2.add(i64x2.add(mul2(a0, R3), mul2(a1, R2)), i64x2.add(mul2(a2, R1), mul2(a3, R0))), mul2(a4, S4));
    let d4 = i64x2.add(i64x2.add(i64x2.add(mul2(a0, R4), mul2(a1, R3)), i64x2.add(mul2(a2, R2), mul2(a3, R1))), mul2(a4, R0));
    d1 = i64x2.add(d1, i64x2.shr_u(d0, 26));
    d0 = v128.and(d0, M);
    d2 = i64x2.add(d2, i64x2.shr_u(d1, 26));
    d1 = v128.and(d1, M);
    d3 = i64x2.add(d3, i64x2.shr_u(d2, 26));
    d2 = v128.and(d2, M);
    d4 = i64x2.add(d4, i64x2.shr_u(d3, 26));
    d3 = v128.and(d3, M);
    const c = i64x2.shr_u(d4, 26);
    d4 = v128.and(d4, M);
    d0 = i64x2.add(d0, i64x2.add(c, i64x2.shl(c, 2)));
    d1 = i64x2.add(d1, i64x2.shr_u(d0, 26));
    d0 = v128.and(d0, M);
    a0 = narrow(d0);
    a1 = narrow(d1);
    a2 = narrow(d2);
    a3 = narrow(d3);
    a4 = narrow(d4);
  }
  // h = lane A + lane B, then one carry pass so the scalar code gets 26-bit-ish limbs.
  let b0 = <u32>i32x4.extract_lane(a0, 0) + <u32>i32x4.extract_lane(a0, 1);
  let b1 = <u32>i32x4.extract_lane(a1, 0) + <u32>i32x4.extract_lane(a1, 1);
  let b2 = <u32>i32x4.extract_lane(a2, 0) + <u32>i32x4.extract_lane(a2, 1);
  let b3 = <u32>i32x4.extract_lane(a3, 0) + <u32>i32x4.extract_lane(a3, 1);
  let b4 = <u32>i32x4.extract_lane(a4, 0) + <u32>i32x4.extract_lane(a4, 1);
  b1 += b0 >>> 26;
  b0 &= MASK26;
  b2 += b1 >>> 26;
  b1 &= MASK26;
  b3 += b2 >>> 26;
  b2 &= MASK26;
  b4 += b3 >>> 26;
  b3 &= MASK26;
  b0 += (b4 >>> 26) * 5;
  b4 &= MASK26;
  b1 += b0 >>> 26;
  b0 &= MASK26;
  h0 = b0;
  h1 = b1;
  h2 = b2;
  h3 = b3;
  h4 = b4;
}

/**
 * Absorbs `n` full blocks at `m`, then `n2` (0..2) at `m2`: SIMD for long runs (an odd first block
 * scalar), scalar otherwise. Taking the message's last blocks from a second buffer lets a padded
 * tail and the AEAD's lengths block run in the SIMD loop instead of two scalar blocks after it.
 */
function fullBlocks(m: usize, n: u32, m2: usize, n2: u32): void {
  const total = n + n2;
  if (total < SIMD_MIN_BLOCKS) {
    if (n > 0) blocks(m, n, 1 << 24);
    if (n2 > 0) blocks(m2, n2, 1 << 24);
    return;
  }
  let p = m;
  let k = n;
  let q = m2;
  let k2 = n2;
  if ((total & 1) != 0) {
    blocks(p, 1, 1 << 24); // n >= 1: total >= SIMD_MIN_BLOCKS > n2
    p += 16;
    k--;
  }
  if ((k & 1) != 0) {
    // A pair straddles the two buffers: move the last block of the first one over.
    k--;
    memory.copy(PAIR, p + (<usize>k << 4), 16);
    memory.copy(PAIR + 16, q, <usize>k2 << 4);
    q = PAIR;
    k2++;
  }
  if (!haveSquare) square();
  blocks2(p, k, q, k2);
}

/** Absorbs `len` bytes at `ptr` zero-padded to a multiple of 16 (the AEAD's segments). */
export function polyPadded(ptr: usize, len: u32): void {
  const whole = len >>> 4;
  const rest = len & 15;
  if (rest != 0) {
    v128.store(TAIL, i64x2.splat(0));
    memory.copy(TAIL, ptr + (<usize>whole << 4), rest);
  }
  fullBlocks(ptr, whole, TAIL, rest != 0 ? 1 : 0);
}

/**
 * Absorbs the last segment of an RFC 8439 AEAD MAC: the `len` bytes of ciphertext at `ptr`
 * zero-padded, then the block of the two lengths (`aadLen`, `len`) as u64 little-endian.
 */
export function polyCiphertext(ptr: usize, len: u32, aadLen: u32): void {
  const whole = len >>> 4;
  const rest = len & 15;
  let lens = TAIL;
  if (rest != 0) {
    v128.store(TAIL, i64x2.splat(0));
    memory.copy(TAIL, ptr + (<usize>whole << 4), rest);
    lens = TAIL + 16;
  }
  store<u64>(lens, <u64>aadLen);
  store<u64>(lens, <u64>len, 8);
  fullBlocks(ptr, whole, TAIL, rest != 0 ? 2 : 1);
}

/** Absorbs a final message tail of 1..15 bytes, padded with 0x01 then zeros (plain Poly1305). */
function polyTail(ptr: usize, len: u32): void {
  v128.store(LAST, i64x2.splat(0));
  memory.copy(LAST, ptr, len);
  store<u8>(LAST + <usize>len, 1);
  blocks(LAST, 1, 0);
}

/** Writes the 16-byte tag to `out`. */
export function polyFinish(out: usize): void {
  let a0 = h0;
  let a1 = h1;
  let a2 = h2;
  let a3 = h3;
  let a4 = h4;
  // Full carry.
  a2 += a1 >>> 26;
  a1 &= MASK26;
  a3 += a2 >>> 26;
  a2 &= MASK26;
  a4 += a3 >>> 26;
  a3 &= MASK26;
  a0 += (a4 >>> 26) * 5;
  a4 &= MASK26;
  a1 += a0 >>> 26;
  a0 &= MASK26;
  // g = h + 5 - 2^130: if it does not borrow, h >= p and the result is g.
  let g0 = a0 + 5;
  let g1 = a1 + (g0 >>> 26);
  g0 &= MASK26;
  let g2 = a2 + (g1 >>> 26);
  g1 &= MASK26;
  let g3 = a3 + (g2 >>> 26);
  g2 &= MASK26;
  let g4 = a4 + (g3 >>> 26) - (1 << 26);
  g3 &= MASK26;
  const useG = (g4 >>> 31) - 1; // all ones when g4 did not go negative
  const useH = ~useG;
  a0 = (a0 & useH) | (g0 & useG);
  a1 = (a1 & useH) | (g1 & useG);
  a2 = (a2 & useH) | (g2 & useG);
  a3 = (a3 & useH) | (g3 & useG);
  a4 = (a4 & useH) | (g4 & useG);
  // h mod 2^128 as four words, plus the pad.
  const w0 = a0 | (a1 << 26);
  const w1 = (a1 >>> 6) | (a2 << 20);
  const w2 = (a2 >>> 12) | (a3 << 14);
  const w3 = (a3 >>> 18) | (a4 << 8);
  let f = <u64>w0 + <u64>pad0;
  store<u32>(out, <u32>f);
  f = <u64>w1 + <u64>pad1 + (f >> 32);
  store<u32>(out, <u32>f, 4);
  f = <u64>w2 + <u64>pad2 + (f >> 32);
  store<u32>(out, <u32>f, 8);
  f = <u64>w3 + <u64>pad3 + (f >> 32);
  store<u32>(out, <u32>f, 12);
}

/** Poly1305 of `len` bytes at `ptr` with the 32-byte key at `key`; the tag goes to `out`. */
export function poly1305Mac(key: usize, ptr: usize, len: u32, out: usize): void {
  polyInit(key);
  const whole = len >>> 4;
  if (whole > 0) fullBlocks(ptr, whole, 0, 0);
  const rest = len & 15;
  if (rest != 0) polyTail(ptr + (<usize>whole << 4), rest);
  polyFinish(out);
}
