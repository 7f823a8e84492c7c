/**
 * Double SHA-256 for the JS side: WASM (scalar for one message, 4-lane SIMD for many) below
 * NATIVE_HASH_MIN, node:crypto at and above it, where OpenSSL's SHA-NI code wins.
 */
import { createHash, hash as cryptoHash } from 'node:crypto';
import { getWasm } from './loader.js';
import { reserveInput, reserveScratch, stageInput } from './staging.js';

/**
 * Payload size from which one message is hashed by node:crypto instead of the scalar WASM code.
 * bench/hash.bench.ts, 2026-11-22, AMD EPYC 2 vCPU (SHA-NI), Node 20.20, on a shared VM under
 * load (±10–25 %). WASM scalar / crypto.hash×2 in three runs: 256 B 1.33, 1.39, 0.90;
 * 384 B –, –, 1.03; 512 B 0.76, 1.04, 0.73; 1 KiB 0.45, 0.62, 0.53. Interpolated crossovers
 * 404, 560 and 397 B: median ~400. (Each crypto.hash call costs ~1 µs here; scalar WASM ~5 ns/B.)
 */
export const NATIVE_HASH_MIN = 400;

/**
 * The same crossover for messages hashed in a batch by the 4-lane WASM hasher (hash256Spans, and
 * FrameScanner's default nativeHashMin). Same runs, SIMD batch / crypto.hash×2: 1 KiB 1.34,
 * 1.69, 1.54; 2 KiB –, 0.90, 1.07; 4 KiB 0.57, 0.63, 0.72. Interpolated crossovers 2380, 1918
 * and 2457 B: median ~2400.
 */
export const NATIVE_BATCH_HASH_MIN = 2400;

/** Double SHA-256 by node:crypto (two crypto.hash calls beat createHash chains on small inputs). */
export function nativeHash256(data: Uint8Array): Buffer {
  return cryptoHash('sha256', cryptoHash('sha256', data, 'buffer'), 'buffer');
}

/** The frame checksum by node:crypto: first 4 digest bytes read little-endian, as a u32. */
export function nativeChecksum(data: Uint8Array): number {
  return nativeHash256(data).readUInt32LE(0);
}

function stage(data: Uint8Array): number {
  return stageInput(getWasm(), data);
}

/** Single SHA-256 (WASM below NATIVE_HASH_MIN). */
export function sha256(data: Uint8Array): Uint8Array {
  if (data.length >= NATIVE_HASH_MIN) return cryptoHash('sha256', data, 'buffer');
  const w = getWasm();
  const p = stage(data);
  const out = w.exports.scratchPtr() >>> 0;
  w.exports.sha256(p, data.length, out);
  return w.mem.u8().slice(out, out + 32);
}

/** Double SHA-256 into `out` at `offset` (32 bytes). */
export function hash256Into(data: Uint8Array, out: Uint8Array, offset = 0): void {
  if (offset < 0 || offset + 32 > out.length) throw new RangeError(`hash256Into: no room for 32 bytes at ${offset}`);
  if (data.length >= NATIVE_HASH_MIN) {
    out.set(nativeHash256(data), offset);
    return;
  }
  const w = getWasm();
  const p = stage(data);
  const o = w.exports.scratchPtr() >>> 0;
  w.exports.hash256(p, data.length, o);
  const u8 = w.mem.u8();
  for (let i = 0; i < 32; i++) out[offset + i] = u8[o + i]!;
}

/** Double SHA-256 as a new 32-byte array. */
export function hash256(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  hash256Into(data, out, 0);
  return out;
}

/** First 4 bytes of the double SHA-256 read little-endian: equals the header's checksum field. */
export function checksum(data: Uint8Array): number {
  if (data.length >= NATIVE_HASH_MIN) return nativeChecksum(data);
  const w = getWasm();
  return w.exports.checksum4(stage(data), data.length) >>> 0;
}

/**
 * Double SHA-256 of `n` messages, message i being the concatenation of the spans
 * spans[4i..4i+3] = (start, length, start, length) and spans[...] — exactly `parts` spans of `src`
 * per message (2 words each). Digests go to out[outOff + 32 i ..]. Messages are gathered straight
 * into WASM memory and hashed by one 4-lane call; large ones (≥ NATIVE_BATCH_HASH_MIN) natively.
 * Used for the stripped serialization of witness transactions (their txid), a batch at a time.
 */
export function hash256Spans(src: Uint8Array, spans: Int32Array, n: number, parts: number, out: Uint8Array, outOff: number): void {
  const stride = 2 * parts;
  let small = 0;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    let len = 0;
    for (let k = 0; k < parts; k++) len += spans[i * stride + 2 * k + 1]!;
    if (len < NATIVE_BATCH_HASH_MIN) {
      small++;
      bytes += len;
    } else {
      const h = createHash('sha256');
      for (let k = 0; k < parts; k++) {
        const s = spans[i * stride + 2 * k]!;
        h.update(src.subarray(s, s + spans[i * stride + 2 * k + 1]!));
      }
      out.set(cryptoHash('sha256', h.digest(), 'buffer'), outOff + 32 * i);
    }
  }
  if (small === 0) return;
  const w = getWasm();
  const input = reserveInput(w, bytes);
  const desc = reserveScratch(w, small * 40);
  const outP = desc + small * 8;
  const u8 = w.mem.u8();
  const u32 = w.mem.u32();
  let at = input;
  let d = desc >>> 2;
  const index: number[] = [];
  for (let i = 0; i < n; i++) {
    let len = 0;
    for (let k = 0; k < parts; k++) len += spans[i * stride + 2 * k + 1]!;
    if (len >= NATIVE_BATCH_HASH_MIN) continue;
    u32[d++] = at;
    u32[d++] = len;
    for (let k = 0; k < parts; k++) {
      const s = spans[i * stride + 2 * k]!;
      const l = spans[i * stride + 2 * k + 1]!;
      u8.set(src.subarray(s, s + l), at);
      at += l;
    }
    index.push(i);
  }
  w.exports.hash256Batch(desc, small, outP);
  for (let j = 0; j < index.length; j++) out.set(u8.subarray(outP + 32 * j, outP + 32 * j + 32), outOff + 32 * index[j]!);
}
