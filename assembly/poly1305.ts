// Poly1305 (RFC 8439 section 2.5) in 26-bit limbs: the accumulator and r as five u32 limbs, the
// products in u64, so that five 26-bit limbs times 5 * r (< 2^29) summed five times stays below
// 2^64. One global state: BIP324 packets are authenticated one after the other, and nothing here
// allocates. The API is the three steps an AEAD needs: init with the one-time key, absorb
// zero-padded segments, finish into a 16-byte tag.

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
let pad1: u32 = 0;
let pad2: u32 = 0;
let pad3: u32 = 0;

/** Zero-filled copy of a trailing partial block. */
const LAST: usize = memory.data(16, 16);

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

/** Absorbs `len` bytes at `ptr` zero-padded to a multiple of 16 (the AEAD's segments). */
export function polyPadded(ptr: usize, len: u32): void {
  const whole = len >>> 4;
  if (whole > 0) blocks(ptr, whole, 1 << 24);
  const rest = len & 15;
  if (rest == 0) return;
  v128.store(LAST, i64x2.splat(0));
  memory.copy(LAST, ptr + (<usize>whole << 4), rest);
  blocks(LAST, 1, 1 << 24);
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
  if (whole > 0) blocks(ptr, whole, 1 << 24);
  const rest = len & 15;
  if (rest != 0) polyTail(ptr + (<usize>whole << 4), rest);
  polyFinish(out);
}
