// Scalar SHA-256 (FIPS 180-4). Used for single messages, where a 4-lane SIMD pass would spend
// three quarters of its work on empty lanes. State lives in locals; the message schedule in a
// static 256-byte buffer; no allocation.

import { BLOCK_BYTES } from './constants';

/** Round constants K[0..63]. */
export const K: usize = memory.data<u32>(
  [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ],
  16,
);

/** Initial hash value H(0). */
export const IV: usize = memory.data<u32>(
  [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19],
  16,
);

/** Byte shuffle that reverses each 32-bit word: message words are big-endian. */
// @ts-ignore: decorator
@inline export function bswapMask(): v128 {
  return i8x16(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);
}

const W: usize = memory.data(64 * 4, 16);
/** The 8-word state between blocks (kept in memory only across calls). */
export const H: usize = memory.data(8 * 4, 16);
/** Padded final block(s) of the current message. */
const TAIL: usize = memory.data(2 * 64, 16);

/**
 * Writes the padded final block(s) of a message to `dst` (128 bytes): the `rem` (< 64) bytes at
 * `src`, 0x80, zeros, and the bit length of the whole `totalLen`-byte message big-endian.
 * Returns the number of tail blocks (1 or 2). Reads the 64 bytes at `src` whatever `rem` is and
 * masks the excess off: the arena keeps slack past its top for this (arena.ts SLACK), and masking
 * four vectors is cheaper than a byte loop or a memory.copy call for a few bytes.
 */
export function buildTail(dst: usize, src: usize, rem: u32, totalLen: u32): u32 {
  const r = i8x16.splat(<i8>rem);
  const pad = i8x16.splat(<i8>0x80);
  const i0 = i8x16(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const sixteen = i8x16.splat(16);
  const i1 = i8x16.add(i0, sixteen);
  const i2 = i8x16.add(i1, sixteen);
  const i3 = i8x16.add(i2, sixteen);
  v128.store(dst, v128.or(v128.and(v128.load(src), i8x16.lt_u(i0, r)), v128.and(i8x16.eq(i0, r), pad)));
  v128.store(dst, v128.or(v128.and(v128.load(src, 16), i8x16.lt_u(i1, r)), v128.and(i8x16.eq(i1, r), pad)), 16);
  v128.store(dst, v128.or(v128.and(v128.load(src, 32), i8x16.lt_u(i2, r)), v128.and(i8x16.eq(i2, r), pad)), 32);
  v128.store(dst, v128.or(v128.and(v128.load(src, 48), i8x16.lt_u(i3, r)), v128.and(i8x16.eq(i3, r), pad)), 48);
  const zero = i32x4.splat(0);
  v128.store(dst, zero, 64);
  v128.store(dst, zero, 80);
  v128.store(dst, zero, 96);
  v128.store(dst, zero, 112);
  const blocks: u32 = rem < 56 ? 1 : 2;
  store<u64>(dst + (<usize>blocks << 6) - 8, bswap<u64>(<u64>totalLen << 3));
  return blocks;
}

// @ts-ignore: decorator
@inline function S0(a: u32): u32 {
  return rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
}
// @ts-ignore: decorator
@inline function S1(e: u32): u32 {
  return rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
}
// @ts-ignore: decorator
@inline function s0(x: u32): u32 {
  return rotr<u32>(x, 7) ^ rotr<u32>(x, 18) ^ (x >>> 3);
}
// @ts-ignore: decorator
@inline function s1(x: u32): u32 {
  return rotr<u32>(x, 17) ^ rotr<u32>(x, 19) ^ (x >>> 10);
}
// @ts-ignore: decorator
@inline function ch(e: u32, f: u32, g: u32): u32 {
  return g ^ (e & (f ^ g));
}
// @ts-ignore: decorator
@inline function maj(a: u32, b: u32, c: u32): u32 {
  return (a & b) | (c & (a | b));
}

/** Expands W[16..63] from W[0..15]. */
// @ts-ignore: decorator
@inline function expand(): void {
  for (let t: usize = 16; t < 64; t++) {
    const p = W + (t << 2);
    store<u32>(p, s1(load<u32>(p - 8)) + load<u32>(p - 28) + s0(load<u32>(p - 60)) + load<u32>(p - 64));
  }
}

/** Loads one message block into W[0..15], converting from big-endian. */
// @ts-ignore: decorator
@inline function loadBlock(p: usize): void {
  const m = bswapMask();
  v128.store(W, i8x16.swizzle(v128.load(p), m));
  v128.store(W, i8x16.swizzle(v128.load(p, 16), m), 16);
  v128.store(W, i8x16.swizzle(v128.load(p, 32), m), 32);
  v128.store(W, i8x16.swizzle(v128.load(p, 48), m), 48);
}

/** 64 rounds over W applied to the state at H (updated in place). */
function rounds(): void {
  let a = load<u32>(H, 0);
  let b = load<u32>(H, 4);
  let c = load<u32>(H, 8);
  let d = load<u32>(H, 12);
  let e = load<u32>(H, 16);
  let f = load<u32>(H, 20);
  let g = load<u32>(H, 24);
  let h = load<u32>(H, 28);
  for (let t: usize = 0; t < 64; t += 8) {
    const w = W + (t << 2);
    const k = K + (t << 2);
    let x: u32;
    x = h + S1(e) + ch(e, f, g) + load<u32>(k, 0) + load<u32>(w, 0);
    d += x;
    h = x + S0(a) + maj(a, b, c);
    x = g + S1(d) + ch(d, e, f) + load<u32>(k, 4) + load<u32>(w, 4);
    c += x;
    g = x + S0(h) + maj(h, a, b);
    x = f + S1(c) + ch(c, d, e) + load<u32>(k, 8) + load<u32>(w, 8);
    b += x;
    f = x + S0(g) + maj(g, h, a);
    x = e + S1(b) + ch(b, c, d) + load<u32>(k, 12) + load<u32>(w, 12);
    a += x;
    e = x + S0(f) + maj(f, g, h);
    x = d + S1(a) + ch(a, b, c) + load<u32>(k, 16) + load<u32>(w, 16);
    h += x;
    d = x + S0(e) + maj(e, f, g);
    x = c + S1(h) + ch(h, a, b) + load<u32>(k, 20) + load<u32>(w, 20);
    g += x;
    c = x + S0(d) + maj(d, e, f);
    x = b + S1(g) + ch(g, h, a) + load<u32>(k, 24) + load<u32>(w, 24);
    f += x;
    b = x + S0(c) + maj(c, d, e);
    x = a + S1(f) + ch(f, g, h) + load<u32>(k, 28) + load<u32>(w, 28);
    e += x;
    a = x + S0(b) + maj(b, c, d);
  }
  store<u32>(H, load<u32>(H, 0) + a, 0);
  store<u32>(H, load<u32>(H, 4) + b, 4);
  store<u32>(H, load<u32>(H, 8) + c, 8);
  store<u32>(H, load<u32>(H, 12) + d, 12);
  store<u32>(H, load<u32>(H, 16) + e, 16);
  store<u32>(H, load<u32>(H, 20) + f, 20);
  store<u32>(H, load<u32>(H, 24) + g, 24);
  store<u32>(H, load<u32>(H, 28) + h, 28);
}

/** Runs the first SHA-256 over `len` bytes at `ptr`, leaving the state words in H. */
export function digestToState(ptr: usize, len: u32): void {
  v128.store(H, v128.load(IV));
  v128.store(H, v128.load(IV, 16), 16);
  const full = len >>> 6;
  let p = ptr;
  for (let i: u32 = 0; i < full; i++) {
    loadBlock(p);
    expand();
    rounds();
    p += BLOCK_BYTES;
  }
  const n = buildTail(TAIL, p, len & 63, len);
  for (let i: u32 = 0; i < n; i++) {
    loadBlock(TAIL + (<usize>i << 6));
    expand();
    rounds();
  }
}

// Constant second half of the block that hashes a 32-byte digest: 0x80 pad, zeros, bit length 256.
const PAD32: usize = memory.data<u32>([0x80000000, 0, 0, 0, 0, 0, 0, 256], 16);

/**
 * Replaces the state in H by SHA-256 of its own 32-byte big-endian encoding. The digest words are
 * already the big-endian message words, so no byte swapping is needed, and the padding is constant.
 */
export function rehashState(): void {
  v128.store(W, v128.load(H));
  v128.store(W, v128.load(H, 16), 16);
  v128.store(W, v128.load(PAD32), 32);
  v128.store(W, v128.load(PAD32, 16), 48);
  v128.store(H, v128.load(IV));
  v128.store(H, v128.load(IV, 16), 16);
  expand();
  rounds();
}

/** Writes the state in H to `out` as 32 big-endian bytes. */
// @ts-ignore: decorator
@inline export function writeState(out: usize): void {
  const m = bswapMask();
  v128.store(out, i8x16.swizzle(v128.load(H), m));
  v128.store(out, i8x16.swizzle(v128.load(H, 16), m), 16);
}

/** SHA-256 of `len` bytes at `ptr`, 32 bytes written to `out`. */
export function sha256(ptr: usize, len: u32, out: usize): void {
  digestToState(ptr, len);
  writeState(out);
}
