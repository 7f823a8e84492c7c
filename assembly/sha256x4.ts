// 4-lane multi-buffer SHA-256 with WebAssembly SIMD (i32x4). Each lane hashes a different message;
// when a lane's message ends, the lane is refilled with the next job at once, so a batch of
// messages of different lengths keeps all four lanes busy until the last few blocks. For small
// P2P messages (1–3 blocks) that is what makes WASM competitive with OpenSSL: a native call costs
// ~0.8 µs of overhead per message, a 4-lane block here costs about as much as one scalar block.
//
// Double SHA-256 runs in two stages: a lane that finishes its first hash parks the 8 state words
// in a 4-slot queue, already transposed (slot q = lane q of each word vector). When the queue is
// full, one 4-lane compression hashes all four 32-byte digests: their words are the big-endian
// message words of the second block as they are, and the padding words are constants.
//
// Jobs come from one of three sources (MODE_*), so that the framer can feed its records and
// frames straight in without building a descriptor list first.

import { HDR_CHECKSUM, HEADER_SIZE, HDR_LENGTH, RECORD_DIGEST, RECORD_SIZE } from './constants';
import { K, IV, bswapMask, buildTail } from './sha256';
import { OK, BAD_CHECKSUM, PENDING_CHECKSUM } from './status';

/** Jobs are (ptr u32, len u32) descriptors; the digest of job i goes to out + 32 i. */
export const MODE_DESC: u32 = 0;
/** Jobs are result records with status PENDING_CHECKSUM; completion sets OK or BAD_CHECKSUM. */
export const MODE_SCAN: u32 = 1;
/** Jobs are the frames of a region with payload < nativeHashMin; completion writes the checksum. */
export const MODE_SEAL: u32 = 2;
/**
 * Jobs are result records with status PENDING_CHECKSUM of frames the caller laid out itself;
 * completion writes the digest into the record, its first word into the header, and status OK.
 */
export const MODE_FILL: u32 = 3;

// --- static buffers (no allocation anywhere below) ---
const W4: usize = memory.data(64 * 16, 16); // message schedule, W[t] for 4 lanes
const K4: usize = memory.data(64 * 16, 16); // K[t] splatted to 4 lanes
const IV4: usize = memory.data(8 * 16, 16); // H(0) splatted
const PAD4: usize = memory.data(8 * 16, 16); // words 8..15 of the block hashing a 32-byte digest
// σ terms of the constant words 8..15 that the second block's schedule needs.
const S1_W15: usize = memory.data(16, 16); // σ1(256)
const S0_W8: usize = memory.data(16, 16); // σ0(0x80000000)
const S0_W15: usize = memory.data(16, 16); // σ0(256)
const ST: usize = memory.data(8 * 16, 16); // transposed state of the 4 lanes
const FIN: usize = memory.data(8 * 16, 16); // state of the second-stage compression
const Q: usize = memory.data(8 * 16, 16); // queued first-stage digests, transposed
const QTAG: usize = memory.data(4 * 8, 16); // tag of each queued digest
const TAILS: usize = memory.data(4 * 128, 16); // padded last block(s) per lane
const ZERO_BLOCK: usize = memory.data(64, 16); // fed to idle lanes
// Lane bookkeeping, 4 entries each.
const L_CUR: usize = memory.data(4 * 8, 16); // next block pointer
const L_LEFT: usize = memory.data(4 * 4, 16); // blocks left, including the current one
const L_FULL: usize = memory.data(4 * 4, 16); // full message blocks left (goes negative in the tail)
const L_TAG: usize = memory.data(4 * 8, 16);
const L_ACTIVE: usize = memory.data(4 * 4, 16);

function initTables(): void {
  for (let t: usize = 0; t < 64; t++) v128.store(K4 + (t << 4), i32x4.splat(load<i32>(K + (t << 2))));
  for (let i: usize = 0; i < 8; i++) v128.store(IV4 + (i << 4), i32x4.splat(load<i32>(IV + (i << 2))));
  v128.store(PAD4, i32x4.splat(<i32>0x80000000));
  for (let i: usize = 1; i < 7; i++) v128.store(PAD4 + (i << 4), i32x4.splat(0));
  v128.store(PAD4 + 7 * 16, i32x4.splat(256));
  v128.store(S1_W15, smallS1(i32x4.splat(256)));
  v128.store(S0_W8, smallS0(i32x4.splat(<i32>0x80000000)));
  v128.store(S0_W15, smallS0(i32x4.splat(256)));
}

// --- job source state, set by the callers before run() ---
let mode: u32 = MODE_DESC;
let twice_: bool = true;
let srcPtr: usize = 0; // descriptors, records or region start
let srcN: u32 = 0; // descriptor/record count, or region length in bytes
let cursor: u32 = 0;
let outPtr: usize = 0;
let base: usize = 0; // frame offsets in records are relative to this
let nativeMin: u32 = 0;

let jobPtr: usize = 0;
let jobLen: u32 = 0;
let jobTag: usize = 0;

/** Fetches the next job into jobPtr/jobLen/jobTag; false when the source is exhausted. */
function nextJob(): bool {
  if (mode == MODE_DESC) {
    if (cursor >= srcN) return false;
    const d = srcPtr + (<usize>cursor << 3);
    jobPtr = <usize>load<u32>(d);
    jobLen = load<u32>(d, 4);
    jobTag = outPtr + (<usize>cursor << 5);
    cursor++;
    return true;
  }
  if (mode == MODE_SCAN || mode == MODE_FILL) {
    while (cursor < srcN) {
      const r = srcPtr + <usize>cursor * RECORD_SIZE;
      cursor++;
      if (load<u32>(r, 12) == PENDING_CHECKSUM) {
        jobPtr = base + <usize>load<u32>(r) + HEADER_SIZE;
        jobLen = load<u32>(r, 4);
        jobTag = r;
        return true;
      }
    }
    return false;
  }
  // MODE_SEAL: cursor walks the region; frames that do not fit are ignored.
  while (<u64>cursor + HEADER_SIZE <= <u64>srcN) {
    const h = srcPtr + <usize>cursor;
    const len = load<u32>(h, HDR_LENGTH);
    const end = <u64>cursor + HEADER_SIZE + len;
    if (end > <u64>srcN) {
      cursor = srcN;
      return false;
    }
    cursor = <u32>end;
    if (len < nativeMin) {
      jobPtr = h + HEADER_SIZE;
      jobLen = len;
      jobTag = h;
      return true;
    }
  }
  return false;
}

// --- SIMD round functions ---
// @ts-ignore: decorator
@inline function rotr4(x: v128, n: i32): v128 {
  return v128.or(i32x4.shr_u(x, n), i32x4.shl(x, 32 - n));
}
// @ts-ignore: decorator
@inline function bigS0(a: v128): v128 {
  return v128.xor(v128.xor(rotr4(a, 2), rotr4(a, 13)), rotr4(a, 22));
}
// @ts-ignore: decorator
@inline function bigS1(e: v128): v128 {
  return v128.xor(v128.xor(rotr4(e, 6), rotr4(e, 11)), rotr4(e, 25));
}
// @ts-ignore: decorator
@inline function smallS0(x: v128): v128 {
  return v128.xor(v128.xor(rotr4(x, 7), rotr4(x, 18)), i32x4.shr_u(x, 3));
}
// @ts-ignore: decorator
@inline function smallS1(x: v128): v128 {
  return v128.xor(v128.xor(rotr4(x, 17), rotr4(x, 19)), i32x4.shr_u(x, 10));
}
/** Ch(e, f, g): f where e is set, else g. */
// @ts-ignore: decorator
@inline function ch4(e: v128, f: v128, g: v128): v128 {
  return v128.bitselect(f, g, e);
}
// @ts-ignore: decorator
@inline function wk(t: usize): v128 {
  return i32x4.add(v128.load(W4 + (t << 4)), v128.load(K4 + (t << 4)));
}

initTables();

/** W[16..63] from W[0..15]. */
function expand4(): void {
  for (let t: usize = 16; t < 64; t++) {
    const p = W4 + (t << 4);
    const w2 = v128.load(p - 32);
    const w7 = v128.load(p - 112);
    const w15 = v128.load(p - 240);
    const w16 = v128.load(p - 256);
    v128.store(p, i32x4.add(i32x4.add(smallS1(w2), w7), i32x4.add(smallS0(w15), w16)));
  }
}

// @ts-ignore: decorator
@inline function ld(t: usize): v128 {
  return v128.load(W4 + (t << 4));
}

/**
 * W[16..63] of the block that hashes a 32-byte digest: words 8..15 are the constant padding
 * (0x80000000, six zeros, 256), so the σ terms and sums that involve only them are constants and
 * the zero terms drop out. Saves about 100 of the schedule's 1,000 vector ops.
 */
function expandSecond(): void {
  const w = W4;
  const hi = i32x4.splat(<i32>0x80000000);
  const len = i32x4.splat(256);
  v128.store(w, i32x4.add(smallS0(ld(1)), ld(0)), 16 << 4);
  v128.store(w, i32x4.add(i32x4.add(v128.load(S1_W15), smallS0(ld(2))), ld(1)), 17 << 4);
  v128.store(w, i32x4.add(i32x4.add(smallS1(ld(16)), smallS0(ld(3))), ld(2)), 18 << 4);
  v128.store(w, i32x4.add(i32x4.add(smallS1(ld(17)), smallS0(ld(4))), ld(3)), 19 << 4);
  v128.store(w, i32x4.add(i32x4.add(smallS1(ld(18)), smallS0(ld(5))), ld(4)), 20 << 4);
  v128.store(w, i32x4.add(i32x4.add(smallS1(ld(19)), smallS0(ld(6))), ld(5)), 21 << 4);
  v128.store(w, i32x4.add(i32x4.add(smallS1(ld(20)), i32x4.add(len, smallS0(ld(7)))), ld(6)), 22 << 4);
  v128.store(w, i32x4.add(i32x4.add(smallS1(ld(21)), ld(16)), i32x4.add(v128.load(S0_W8), ld(7))), 23 << 4);
  v128.store(w, i32x4.add(i32x4.add(smallS1(ld(22)), ld(17)), hi), 24 << 4);
  for (let t: usize = 25; t < 30; t++) v128.store(W4 + (t << 4), i32x4.add(smallS1(ld(t - 2)), ld(t - 7)));
  v128.store(w, i32x4.add(i32x4.add(smallS1(ld(28)), ld(23)), v128.load(S0_W15)), 30 << 4);
  v128.store(w, i32x4.add(i32x4.add(smallS1(ld(29)), ld(24)), i32x4.add(smallS0(ld(16)), len)), 31 << 4);
  for (let t: usize = 32; t < 64; t++) {
    const p = W4 + (t << 4);
    v128.store(p, i32x4.add(i32x4.add(smallS1(v128.load(p - 32)), v128.load(p - 112)), i32x4.add(smallS0(v128.load(p - 240)), v128.load(p - 256))));
  }
}

/** 64 rounds over W4 applied to the transposed state at `s` (updated in place). */
function rounds4(s: usize): void {
  let a = v128.load(s, 0);
  let b = v128.load(s, 16);
  let c = v128.load(s, 32);
  let d = v128.load(s, 48);
  let e = v128.load(s, 64);
  let f = v128.load(s, 80);
  let g = v128.load(s, 96);
  let h = v128.load(s, 112);
  // Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)), and b ^ c is the previous round's a ^ b: carrying it
  // saves one of the four vector ops a bitselect-based Maj costs.
  let p = v128.xor(b, c);
  let q: v128;
  for (let t: usize = 0; t < 64; t += 8) {
    let x: v128;
    x = i32x4.add(i32x4.add(h, bigS1(e)), i32x4.add(ch4(e, f, g), wk(t)));
    q = v128.xor(a, b);
    d = i32x4.add(d, x);
    h = i32x4.add(x, i32x4.add(bigS0(a), v128.xor(v128.and(q, p), b)));
    x = i32x4.add(i32x4.add(g, bigS1(d)), i32x4.add(ch4(d, e, f), wk(t + 1)));
    p = v128.xor(h, a);
    c = i32x4.add(c, x);
    g = i32x4.add(x, i32x4.add(bigS0(h), v128.xor(v128.and(p, q), a)));
    x = i32x4.add(i32x4.add(f, bigS1(c)), i32x4.add(ch4(c, d, e), wk(t + 2)));
    q = v128.xor(g, h);
    b = i32x4.add(b, x);
    f = i32x4.add(x, i32x4.add(bigS0(g), v128.xor(v128.and(q, p), h)));
    x = i32x4.add(i32x4.add(e, bigS1(b)), i32x4.add(ch4(b, c, d), wk(t + 3)));
    p = v128.xor(f, g);
    a = i32x4.add(a, x);
    e = i32x4.add(x, i32x4.add(bigS0(f), v128.xor(v128.and(p, q), g)));
    x = i32x4.add(i32x4.add(d, bigS1(a)), i32x4.add(ch4(a, b, c), wk(t + 4)));
    q = v128.xor(e, f);
    h = i32x4.add(h, x);
    d = i32x4.add(x, i32x4.add(bigS0(e), v128.xor(v128.and(q, p), f)));
    x = i32x4.add(i32x4.add(c, bigS1(h)), i32x4.add(ch4(h, a, b), wk(t + 5)));
    p = v128.xor(d, e);
    g = i32x4.add(g, x);
    c = i32x4.add(x, i32x4.add(bigS0(d), v128.xor(v128.and(p, q), e)));
    x = i32x4.add(i32x4.add(b, bigS1(g)), i32x4.add(ch4(g, h, a), wk(t + 6)));
    q = v128.xor(c, d);
    f = i32x4.add(f, x);
    b = i32x4.add(x, i32x4.add(bigS0(c), v128.xor(v128.and(q, p), d)));
    x = i32x4.add(i32x4.add(a, bigS1(f)), i32x4.add(ch4(f, g, h), wk(t + 7)));
    p = v128.xor(b, c);
    e = i32x4.add(e, x);
    a = i32x4.add(x, i32x4.add(bigS0(b), v128.xor(v128.and(p, q), c)));
  }
  v128.store(s, i32x4.add(v128.load(s, 0), a), 0);
  v128.store(s, i32x4.add(v128.load(s, 16), b), 16);
  v128.store(s, i32x4.add(v128.load(s, 32), c), 32);
  v128.store(s, i32x4.add(v128.load(s, 48), d), 48);
  v128.store(s, i32x4.add(v128.load(s, 64), e), 64);
  v128.store(s, i32x4.add(v128.load(s, 80), f), 80);
  v128.store(s, i32x4.add(v128.load(s, 96), g), 96);
  v128.store(s, i32x4.add(v128.load(s, 112), h), 112);
}

/** One block per lane: lane i's 64 message bytes are at p_i. */
function compress4(p0: usize, p1: usize, p2: usize, p3: usize): void {
  const m = bswapMask();
  for (let o: usize = 0; o < 64; o += 4) {
    let v = v128.load32_zero(p0 + o);
    v = v128.load32_lane(p1 + o, v, 1);
    v = v128.load32_lane(p2 + o, v, 2);
    v = v128.load32_lane(p3 + o, v, 3);
    v128.store(W4 + (o << 2), i8x16.swizzle(v, m));
  }
  expand4();
  rounds4(ST);
}

/** Second stage: hashes the `count` queued 32-byte digests and completes their jobs. */
function finishQueue(count: u32): void {
  for (let i: usize = 0; i < 8; i++) {
    v128.store(W4 + (i << 4), v128.load(Q + (i << 4)));
    v128.store(W4 + ((i + 8) << 4), v128.load(PAD4 + (i << 4)));
    v128.store(FIN + (i << 4), v128.load(IV4 + (i << 4)));
  }
  expandSecond();
  rounds4(FIN);
  if (mode == MODE_DESC) {
    const m = bswapMask();
    for (let i: usize = 0; i < 8; i++) v128.store(FIN + (i << 4), i8x16.swizzle(v128.load(FIN + (i << 4)), m));
    for (let q: usize = 0; q < <usize>count; q++) {
      const out = load<usize>(QTAG + (q << 3));
      for (let i: usize = 0; i < 8; i++) store<u32>(out + (i << 2), load<u32>(FIN + (i << 4) + (q << 2)));
    }
  } else if (mode == MODE_SCAN) {
    // The whole digest goes into the record: the checksum is its first word, and the caller gets
    // the payload's hash (a tx's wtxid) without hashing the payload again.
    const m = bswapMask();
    for (let i: usize = 0; i < 8; i++) v128.store(FIN + (i << 4), i8x16.swizzle(v128.load(FIN + (i << 4)), m));
    for (let q: usize = 0; q < <usize>count; q++) {
      const r = load<usize>(QTAG + (q << 3));
      for (let i: usize = 0; i < 8; i++) store<u32>(r + RECORD_DIGEST + (i << 2), load<u32>(FIN + (i << 4) + (q << 2)));
      const want = load<u32>(base + <usize>load<u32>(r), HDR_CHECKSUM);
      store<u32>(r, load<u32>(r, RECORD_DIGEST) == want ? OK : BAD_CHECKSUM, 12);
    }
  } else if (mode == MODE_FILL) {
    const m = bswapMask();
    for (let i: usize = 0; i < 8; i++) v128.store(FIN + (i << 4), i8x16.swizzle(v128.load(FIN + (i << 4)), m));
    for (let q: usize = 0; q < <usize>count; q++) {
      const r = load<usize>(QTAG + (q << 3));
      for (let i: usize = 0; i < 8; i++) store<u32>(r + RECORD_DIGEST + (i << 2), load<u32>(FIN + (i << 4) + (q << 2)));
      store<u32>(base + <usize>load<u32>(r), load<u32>(r, RECORD_DIGEST), HDR_CHECKSUM);
      store<u32>(r, OK, 12);
    }
  } else {
    for (let q: usize = 0; q < <usize>count; q++) {
      store<u32>(load<usize>(QTAG + (q << 3)), bswap<u32>(load<u32>(FIN + (q << 2))), HDR_CHECKSUM);
    }
  }
}

/** Loads the next job into lane `l`; false (lane parked) when there is none. */
function startLane(l: usize): bool {
  if (!nextJob()) {
    store<u32>(L_ACTIVE + (l << 2), 0);
    store<usize>(L_CUR + (l << 3), ZERO_BLOCK);
    return false;
  }
  const full = jobLen >>> 6;
  const tail = TAILS + (l << 7);
  const n = buildTail(tail, jobPtr + (<usize>full << 6), jobLen & 63, jobLen);
  store<usize>(L_CUR + (l << 3), full != 0 ? jobPtr : tail);
  store<u32>(L_LEFT + (l << 2), full + n);
  store<i32>(L_FULL + (l << 2), <i32>full);
  store<usize>(L_TAG + (l << 3), jobTag);
  store<u32>(L_ACTIVE + (l << 2), 1);
  for (let i: usize = 0; i < 8; i++) store<u32>(ST + (i << 4) + (l << 2), load<u32>(IV + (i << 2)));
  return true;
}

let queued: u32 = 0;

/** Lane `l` finished its (first) hash. */
function finishLane(l: usize): void {
  if (twice_) {
    const q = <usize>queued;
    for (let i: usize = 0; i < 8; i++) store<u32>(Q + (i << 4) + (q << 2), load<u32>(ST + (i << 4) + (l << 2)));
    store<usize>(QTAG + (q << 3), load<usize>(L_TAG + (l << 3)));
    if (++queued == 4) {
      finishQueue(4);
      queued = 0;
    }
  } else {
    const out = load<usize>(L_TAG + (l << 3));
    for (let i: usize = 0; i < 8; i++) store<u32>(out + (i << 2), bswap<u32>(load<u32>(ST + (i << 4) + (l << 2))));
  }
}

/** Runs all jobs of the configured source to completion. */
function run(): void {
  cursor = 0;
  queued = 0;
  let active: u32 = 0;
  for (let l: usize = 0; l < 4; l++) if (startLane(l)) active++;
  while (active != 0) {
    compress4(load<usize>(L_CUR), load<usize>(L_CUR, 8), load<usize>(L_CUR, 16), load<usize>(L_CUR, 24));
    for (let l: usize = 0; l < 4; l++) {
      if (load<u32>(L_ACTIVE + (l << 2)) == 0) continue;
      const left = load<u32>(L_LEFT + (l << 2)) - 1;
      if (left == 0) {
        finishLane(l);
        if (!startLane(l)) active--;
      } else {
        store<u32>(L_LEFT + (l << 2), left);
        const full = load<i32>(L_FULL + (l << 2)) - 1;
        store<i32>(L_FULL + (l << 2), full);
        const cur = load<usize>(L_CUR + (l << 3));
        store<usize>(L_CUR + (l << 3), full == 0 ? TAILS + (l << 7) : cur + 64);
      }
    }
  }
  if (twice_ && queued != 0) finishQueue(queued);
  queued = 0;
}

/** Hashes `n` descriptors (ptr u32, len u32) at `desc`; 32-byte digests to `out` + 32 i. */
export function runDescriptors(desc: usize, n: u32, out: usize, twice: bool): void {
  mode = MODE_DESC;
  twice_ = twice;
  srcPtr = desc;
  srcN = n;
  outPtr = out;
  run();
}

/**
 * Verifies the checksums of the `n` records at `records` whose status is PENDING_CHECKSUM, for
 * frames at `frames` + record offset; each gets OK or BAD_CHECKSUM.
 */
export function runScan(records: usize, n: u32, frames: usize): void {
  runRecords(MODE_SCAN, records, n, frames);
}

/**
 * For the `n` records at `records` whose status is PENDING_CHECKSUM, of frames at `frames` +
 * record offset: writes the digest into the record, the checksum into the frame, and status OK.
 */
export function runFill(records: usize, n: u32, frames: usize): void {
  runRecords(MODE_FILL, records, n, frames);
}

/** Double SHA-256 over the PENDING_CHECKSUM records at `records`, finished as `m` says. */
function runRecords(m: u32, records: usize, n: u32, frames: usize): void {
  mode = m;
  twice_ = true;
  srcPtr = records;
  srcN = n;
  base = frames;
  run();
}

/** Writes the checksum of every frame in `len` bytes at `region` whose payload < `minNative`. */
export function runSeal(region: usize, len: u32, minNative: u32): void {
  mode = MODE_SEAL;
  twice_ = true;
  srcPtr = region;
  srcN = len;
  nativeMin = minNative;
  run();
}

// --- four 64-byte messages at once (merkle tree levels, assembly/merkle.ts) ---
// A merkle level hashes pairs of 32-byte hashes: every message is exactly 64 bytes, so the lanes
// never fall out of step and the second block is always the same padding (0x80000000, zeros,
// length 512). Its expanded schedule is computed once here; per four pairs that saves one of the
// three schedule expansions and all of run()'s lane bookkeeping and tail copies.
const PAD64_W: usize = memory.data(64 * 16, 16);

function initPad64(): void {
  v128.store(W4, i32x4.splat(<i32>0x80000000));
  for (let t: usize = 1; t < 15; t++) v128.store(W4 + (t << 4), i32x4.splat(0));
  v128.store(W4 + (15 << 4), i32x4.splat(512));
  expand4();
  memory.copy(PAD64_W, W4, 64 * 16);
}
initPad64();

/**
 * Double SHA-256 of the four 64-byte messages at p0..p3; the 32-byte digests go to o0..o3
 * (which must not overlap the inputs of this call). Lanes may repeat a message.
 */
export function hash64x4(p0: usize, p1: usize, p2: usize, p3: usize, o0: usize, o1: usize, o2: usize, o3: usize): void {
  for (let i: usize = 0; i < 8; i++) v128.store(ST + (i << 4), v128.load(IV4 + (i << 4)));
  compress4(p0, p1, p2, p3);
  memory.copy(W4, PAD64_W, 64 * 16);
  rounds4(ST);
  for (let i: usize = 0; i < 8; i++) {
    v128.store(W4 + (i << 4), v128.load(ST + (i << 4)));
    v128.store(W4 + ((i + 8) << 4), v128.load(PAD4 + (i << 4)));
    v128.store(FIN + (i << 4), v128.load(IV4 + (i << 4)));
  }
  expandSecond();
  rounds4(FIN);
  const m = bswapMask();
  for (let i: usize = 0; i < 8; i++) {
    const v = i8x16.swizzle(v128.load(FIN + (i << 4)), m);
    store<u32>(o0 + (i << 2), i32x4.extract_lane(v, 0));
    store<u32>(o1 + (i << 2), i32x4.extract_lane(v, 1));
    store<u32>(o2 + (i << 2), i32x4.extract_lane(v, 2));
    store<u32>(o3 + (i << 2), i32x4.extract_lane(v, 3));
  }
}
