// ChaCha20 (RFC 8439 section 2.3) with WebAssembly SIMD, two kernels:
// - chacha4: four consecutive blocks at once, one block per i32x4 lane, then a 4x4 transpose per
//   group of four words to lay the blocks out in order (~41 ns per block here);
// - chacha2: two blocks side by side, one block in four row vectors, the diagonal round made by
//   rotating rows (~55 ns per block, but only two blocks: 8 state vectors fit the 16 registers).
// A message's last one or two blocks go through chacha2, so a 260-byte BIP324 packet (6 blocks:
// the Poly1305 key block and five data blocks) costs 4 + 2 blocks instead of 8.
// No allocation: the keystream goes to a static 256-byte buffer or to the caller's buffer.

const C0: i32 = 0x61707865; // "expand 32-byte k", little-endian words
const C1: i32 = 0x3320646e;
const C2: i32 = 0x79622d32;
const C3: i32 = 0x6b206574;

/** 256 bytes of keystream from the last chacha4 or chacha2 call made by chachaXor. */
const KS: usize = memory.data(256, 16);

// @ts-ignore: decorator
@inline function rotl16(v: v128): v128 {
  return i8x16.shuffle(v, v, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}
// Two shifts and an or rather than a byte shuffle: V8 turns that shuffle into pshufb with a
// constant mask, and the kernel measured ~10% slower with it (V8 12 / Node 20, x64).
// @ts-ignore: decorator
@inline function rotl8(v: v128): v128 {
  return v128.or(i32x4.shl(v, 8), i32x4.shr_u(v, 24));
}
// @ts-ignore: decorator
@inline function rotl12(v: v128): v128 {
  return v128.or(i32x4.shl(v, 12), i32x4.shr_u(v, 20));
}
// @ts-ignore: decorator
@inline function rotl7(v: v128): v128 {
  return v128.or(i32x4.shl(v, 7), i32x4.shr_u(v, 25));
}

/** Stores words 4g..4g+3 (lanes = blocks) of the four blocks at out + 64 j + 16 g. */
// @ts-ignore: decorator
@inline function storeGroup(out: usize, g: usize, a: v128, b: v128, c: v128, d: v128): void {
  const t0 = i32x4.shuffle(a, b, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(a, b, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(c, d, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(c, d, 2, 6, 3, 7);
  const o = out + (g << 4);
  v128.store(o, i64x2.shuffle(t0, t2, 0, 2));
  v128.store(o, i64x2.shuffle(t0, t2, 1, 3), 64);
  v128.store(o, i64x2.shuffle(t1, t3, 0, 2), 128);
  v128.store(o, i64x2.shuffle(t1, t3, 1, 3), 192);
}

/**
 * Writes 256 bytes of keystream to `out`: the ChaCha20 blocks `counter` .. `counter + 3` for the
 * 32-byte key at `key` and the 12-byte nonce at `nonce`. The block counter wraps at 2^32 as in
 * RFC 8439; BIP324 never comes near it (a packet is at most ~62,500 blocks).
 */
export function chacha4(key: usize, nonce: usize, counter: u32, out: usize): void {
  blocks4(key, nonce, i32x4.add(i32x4.splat(<i32>counter), i32x4(0, 1, 2, 3)), v128.load32_splat(nonce), out);
}

/**
 * Four blocks under one key whose lanes may differ in block counter and first nonce word: lane
 * j is the block with counter ctr[j] and nonce (n0[j], the words at nonce + 4 and nonce + 8),
 * written to out + 64 j; ctr and n0 are four u32 each at `ctrs` and `n0s`. BIP324 packets of one
 * direction under one key differ only in that nonce word (the packet number), so the blocks of
 * consecutive packets can share kernel calls.
 */
export function chachaLanes(key: usize, nonce: usize, ctrs: usize, n0s: usize, out: usize): void {
  blocks4(key, nonce, v128.load(ctrs), v128.load(n0s), out);
}

/** The kernel of chacha4 and chachaLanes: lane j is block (ctr[j], n0[j]). */
// @ts-ignore: decorator
@inline function blocks4(key: usize, nonce: usize, ctr: v128, n0: v128, out: usize): void {
  const k0 = i32x4.splat(load<i32>(key));
  const k1 = i32x4.splat(load<i32>(key, 4));
  const k2 = i32x4.splat(load<i32>(key, 8));
  const k3 = i32x4.splat(load<i32>(key, 12));
  const k4 = i32x4.splat(load<i32>(key, 16));
  const k5 = i32x4.splat(load<i32>(key, 20));
  const k6 = i32x4.splat(load<i32>(key, 24));
  const k7 = i32x4.splat(load<i32>(key, 28));
  const n1 = i32x4.splat(load<i32>(nonce, 4));
  const n2 = i32x4.splat(load<i32>(nonce, 8));
  let x0 = i32x4.splat(C0);
  let x1 = i32x4.splat(C1);
  let x2 = i32x4.splat(C2);
  let x3 = i32x4.splat(C3);
  let x4 = k0;
  let x5 = k1;
  let x6 = k2;
  let x7 = k3;
  let x8 = k4;
  let x9 = k5;
  let x10 = k6;
  let x11 = k7;
  let x12 = ctr;
  let x13 = n0;
  let x14 = n1;
  let x15 = n2;
  for (let i = 0; i < 10; i++) {
    // column round, then diagonal round
    x0 = i32x4.add(x0, x4); x12 = rotl16(v128.xor(x12, x0));
    x8 = i32x4.add(x8, x12); x4 = rotl12(v128.xor(x4, x8));
    x0 = i32x4.add(x0, x4); x12 = rotl8(v128.xor(x12, x0));
    x8 = i32x4.add(x8, x12); x4 = rotl7(v128.xor(x4, x8));
    x1 = i32x4.add(x1, x5); x13 = rotl16(v128.xor(x13, x1));
    x9 = i32x4.add(x9, x13); x5 = rotl12(v128.xor(x5, x9));
    x1 = i32x4.add(x1, x5); x13 = rotl8(v128.xor(x13, x1));
    x9 = i32x4.add(x9, x13); x5 = rotl7(v128.xor(x5, x9));
    x2 = i32x4.add(x2, x6); x14 = rotl16(v128.xor(x14, x2));
    x10 = i32x4.add(x10, x14); x6 = rotl12(v128.xor(x6, x10));
    x2 = i32x4.add(x2, x6); x14 = rotl8(v128.xor(x14, x2));
    x10 = i32x4.add(x10, x14); x6 = rotl7(v128.xor(x6, x10));
    x3 = i32x4.add(x3, x7); x15 = rotl16(v128.xor(x15, x3));
    x11 = i32x4.add(x11, x15); x7 = rotl12(v128.xor(x7, x11));
    x3 = i32x4.add(x3, x7); x15 = rotl8(v128.xor(x15, x3));
    x11 = i32x4.add(x11, x15); x7 = rotl7(v128.xor(x7, x11));
    x0 = i32x4.add(x0, x5); x15 = rotl16(v128.xor(x15, x0));
    x10 = i32x4.add(x10, x15); x5 = rotl12(v128.xor(x5, x10));
    x0 = i32x4.add(x0, x5); x15 = rotl8(v128.xor(x15, x0));
    x10 = i32x4.add(x10, x15); x5 = rotl7(v128.xor(x5, x10));
    x1 = i32x4.add(x1, x6); x12 = rotl16(v128.xor(x12, x1));
    x11 = i32x4.add(x11, x12); x6 = rotl12(v128.xor(x6, x11));
    x1 = i32x4.add(x1, x6); x12 = rotl8(v128.xor(x12, x1));
    x11 = i32x4.add(x11, x12); x6 = rotl7(v128.xor(x6, x11));
    x2 = i32x4.add(x2, x7); x13 = rotl16(v128.xor(x13, x2));
    x8 = i32x4.add(x8, x13); x7 = rotl12(v128.xor(x7, x8));
    x2 = i32x4.add(x2, x7); x13 = rotl8(v128.xor(x13, x2));
    x8 = i32x4.add(x8, x13); x7 = rotl7(v128.xor(x7, x8));
    x3 = i32x4.add(x3, x4); x14 = rotl16(v128.xor(x14, x3));
    x9 = i32x4.add(x9, x14); x4 = rotl12(v128.xor(x4, x9));
    x3 = i32x4.add(x3, x4); x14 = rotl8(v128.xor(x14, x3));
    x9 = i32x4.add(x9, x14); x4 = rotl7(v128.xor(x4, x9));
  }
  storeGroup(
    out,
    0,
    i32x4.add(x0, i32x4.splat(C0)),
    i32x4.add(x1, i32x4.splat(C1)),
    i32x4.add(x2, i32x4.splat(C2)),
    i32x4.add(x3, i32x4.splat(C3)),
  );
  storeGroup(out, 1, i32x4.add(x4, k0), i32x4.add(x5, k1), i32x4.add(x6, k2), i32x4.add(x7, k3));
  storeGroup(out, 2, i32x4.add(x8, k4), i32x4.add(x9, k5), i32x4.add(x10, k6), i32x4.add(x11, k7));
  storeGroup(out, 3, i32x4.add(x12, ctr), i32x4.add(x13, n0), i32x4.add(x14, n1), i32x4.add(x15, n2));
}

// Row rotations for chacha2's diagonal round: lane i takes lane i + k (mod 4).
// @ts-ignore: decorator
@inline function lanes1(v: v128): v128 {
  return i32x4.shuffle(v, v, 1, 2, 3, 0);
}
// @ts-ignore: decorator
@inline function lanes2(v: v128): v128 {
  return i32x4.shuffle(v, v, 2, 3, 0, 1);
}
// @ts-ignore: decorator
@inline function lanes3(v: v128): v128 {
  return i32x4.shuffle(v, v, 3, 0, 1, 2);
}

/**
 * Writes 128 bytes of keystream to `out`: blocks `counter` and `counter + 1`, as chacha4 does.
 * Block j is rows a, b, c, dj (words 0-3, 4-7, 8-11, 12-15); a column round works on whole rows,
 * and rotating row b by one lane, c by two and d by three lines the diagonals up as columns.
 */
export function chacha2(key: usize, nonce: usize, counter: u32, out: usize): void {
  const a = i32x4(C0, C1, C2, C3);
  const b = v128.load(key);
  const c = v128.load(key, 16);
  const d = i32x4(<i32>counter, load<i32>(nonce), load<i32>(nonce, 4), load<i32>(nonce, 8));
  const e = i32x4.add(d, i32x4(1, 0, 0, 0));
  let a0 = a;
  let b0 = b;
  let c0 = c;
  let d0 = d;
  let a1 = a;
  let b1 = b;
  let c1 = c;
  let d1 = e;
  for (let i = 0; i < 10; i++) {
    // column round, then rows turned so that the diagonals are columns
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1);
    d0 = rotl16(v128.xor(d0, a0)); d1 = rotl16(v128.xor(d1, a1));
    c0 = i32x4.add(c0, d0); c1 = i32x4.add(c1, d1);
    b0 = rotl12(v128.xor(b0, c0)); b1 = rotl12(v128.xor(b1, c1));
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1);
    d0 = rotl8(v128.xor(d0, a0)); d1 = rotl8(v128.xor(d1, a1));
    c0 = i32x4.add(c0, d0); c1 = i32x4.add(c1, d1);
    b0 = rotl7(v128.xor(b0, c0)); b1 = rotl7(v128.xor(b1, c1));
    b0 = lanes1(b0); b1 = lanes1(b1);
    c0 = lanes2(c0); c1 = lanes2(c1);
    d0 = lanes3(d0); d1 = lanes3(d1);
    // diagonal round, then rows turned back
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1);
    d0 = rotl16(v128.xor(d0, a0)); d1 = rotl16(v128.xor(d1, a1));
    c0 = i32x4.add(c0, d0); c1 = i32x4.add(c1, d1);
    b0 = rotl12(v128.xor(b0, c0)); b1 = rotl12(v128.xor(b1, c1));
    a0 = i32x4.add(a0, b0); a1 = i32x4.add(a1, b1);
    d0 = rotl8(v128.xor(d0, a0)); d1 = rotl8(v128.xor(d1, a1));
    c0 = i32x4.add(c0, d0); c1 = i32x4.add(c1, d1);
    b0 = rotl7(v128.xor(b0, c0)); b1 = rotl7(v128.xor(b1, c1));
    b0 = lanes3(b0); b1 = lanes3(b1);
    c0 = lanes2(c0); c1 = lanes2(c1);
    d0 = lanes1(d0); d1 = lanes1(d1);
  }
  v128.store(out, i32x4.add(a0, a));
  v128.store(out, i32x4.add(b0, b), 16);
  v128.store(out, i32x4.add(c0, c), 32);
  v128.store(out, i32x4.add(d0, d), 48);
  v128.store(out, i32x4.add(a1, a), 64);
  v128.store(out, i32x4.add(b1, b), 80);
  v128.store(out, i32x4.add(c1, c), 96);
  v128.store(out, i32x4.add(d1, e), 112);
}

/** dst[i] = src[i] ^ ks[i] for i < len (len <= 256); dst may equal src. */
// @ts-ignore: decorator
@inline export function xorKeystream(src: usize, dst: usize, ks: usize, len: u32): void {
  let i: usize = 0;
  const n = <usize>len;
  for (; i + 16 <= n; i += 16) v128.store(dst + i, v128.xor(v128.load(src + i), v128.load(ks + i)));
  for (; i < n; i++) store<u8>(dst + i, load<u8>(src + i) ^ load<u8>(ks + i));
}

/**
 * XORs `len` bytes at `src` with the keystream starting at block `counter` and writes them to
 * `dst` (which may equal `src`). Four blocks at a time; a last one or two blocks with chacha2.
 */
export function chachaXor(key: usize, nonce: usize, counter: u32, src: usize, dst: usize, len: u32): void {
  let c = counter;
  let off: usize = 0;
  let left = len;
  while (left > 128) {
    chacha4(key, nonce, c, KS);
    const take: u32 = left < 256 ? left : 256;
    xorKeystream(src + off, dst + off, KS, take);
    off += 256;
    left -= take;
    c += 4;
  }
  if (left > 0) {
    chacha2(key, nonce, c, KS);
    xorKeystream(src + off, dst + off, KS, left);
  }
}

/** In-place ChaCha20 of `len` bytes at `ptr` (docs/wasm-abi.md "BIP324"). */
export function chacha20Xor(key: usize, nonce: usize, counter: u32, ptr: usize, len: u32): void {
  chachaXor(key, nonce, counter, ptr, ptr, len);
}

