/**
 * One direction of a BIP324 connection's packet cipher (FSChaCha20 lengths + FSChaCha20Poly1305
 * contents) over the WASM packet layer (docs/wasm-abi.md "BIP324"). Every complete packet of a
 * read is opened by one WASM call, every packet of a write batch sealed by one; packets of at
 * least NATIVE_AEAD_MIN bytes go to node:crypto, where OpenSSL's vector code wins. The state
 * (keys, counters, the length keystream of the current interval) lives in a 768-byte array per
 * direction and is copied into the module around each call, so connections share one instance.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { frameMessageType, LONG_TYPE_BYTES } from '../wire/v2-message-types.js';
import { HEADER_SIZE } from '../wire/constants.js';
import { getWasm, type WasmInstance } from './loader.js';
import { reserveInput, reserveScratch } from './staging.js';
import { V2Status } from './v2-status.js';

export const V2_STATE_BYTES = 768;
const S_CHUNKS = 48;
const S_KS = 64;
const REKEY_INTERVAL = 224;
/** 3 length bytes, 1 header byte, 16 tag bytes. */
export const V2_PACKET_OVERHEAD = 20;
/** Core's MAX_CONTENTS_LEN: 1 + 12 + 4,000,000. */
export const V2_MAX_CONTENTS = 4_000_013;
/** Bit 7 of the header byte: a decoy, to be authenticated and dropped (BIP324). */
export const V2_IGNORE_BIT = 0x80;

/**
 * Header + contents size from which a packet is opened or sealed by node:crypto instead of WASM.
 * bench/v2.bench.ts sweep (`--only=sweep`), AMD EPYC 2 vCPU, Node 20.20, after the two-block
 * ChaCha20 kernel and the Poly1305 tail in SIMD (2026-11-30): WASM / node:crypto per packet at
 * 4 KiB 1.89, 1.48; 8 KiB 1.02, 0.88; 16 KiB 0.67, 0.58 (two sittings). Crossover ~7.4–8.7 KiB.
 * WASM runs at ~830 MB/s on large packets, OpenSSL at 1.2–2.3 GB/s; below the crossover
 * node:crypto's ~10 µs per call dominates. (The first kernels crossed at ~4.6 KiB.)
 */
export const NATIVE_AEAD_MIN = 8192;

/** Header byte + the 13-byte long message type: what v2Frames reads of a packet opened natively. */
const MAX_TYPE_END = 14;
/** Bytes of the input arena left before sealFrames' first packet: its frame's header is copied there. */
const FRAME_STAGING_PAD = HEADER_SIZE;

/** Inputs at least this large are staged without the contents of packets left to node:crypto. */
const SPARSE_STAGING_MIN = 256 * 1024;
/** Bytes per v2 result record (assembly/bip324.ts V2_RECORD). */
const V2_RECORD_BYTES = 16;

export type OpenFailure = 'bad-tag' | 'oversize';

/** Result of PacketCipher.open. */
export interface OpenResult {
  /** Bytes of the input that are done with. */
  consumed: number;
  /** Total size of the incomplete packet at `consumed` once its length is in, else 0. */
  need: number;
  /** Set when the stream must be dropped; no packet after the failing one was opened. */
  failure?: OpenFailure;
}

/** A packet to seal: contents (message type + payload) and whether it is a decoy. */
export interface SealInput {
  contents: Uint8Array;
  /** Bytes sealed in front of `contents`, as if joined (a message type: no copy of the payload). */
  type?: Uint8Array;
  ignore?: boolean;
}

export interface PacketCipherOptions {
  wasm?: WasmInstance;
  /** Header + contents size from which node:crypto is used; default NATIVE_AEAD_MIN. */
  nativeMin?: number;
}

export class PacketCipher {
  readonly wasm: WasmInstance;
  private readonly nativeMin: number;
  private readonly state = new Uint8Array(V2_STATE_BYTES);

  /** `aeadKey` keys FSChaCha20Poly1305, `lengthKey` FSChaCha20 (32 bytes each, BIP324 "_P" and "_L"). */
  constructor(aeadKey: Uint8Array, lengthKey: Uint8Array, options: PacketCipherOptions = {}) {
    if (aeadKey.length !== 32 || lengthKey.length !== 32) throw new RangeError('BIP324 keys are 32 bytes');
    this.wasm = options.wasm ?? getWasm();
    this.nativeMin = options.nativeMin ?? NATIVE_AEAD_MIN;
    const x = this.wasm.exports;
    const sp = x.v2StatePtr() >>> 0;
    const u8 = this.wasm.mem.u8();
    u8.set(aeadKey, sp);
    u8.set(lengthKey, sp + S_KS);
    x.v2StateInit();
    this.state.set(this.wasm.mem.u8().subarray(sp, sp + V2_STATE_BYTES));
  }

  private loadState(): number {
    const sp = this.wasm.exports.v2StatePtr() >>> 0;
    this.wasm.mem.u8().set(this.state, sp);
    return sp;
  }

  private saveState(sp: number): void {
    this.state.set(this.wasm.mem.u8().subarray(sp, sp + V2_STATE_BYTES));
  }

  /** Scratch arena holding `aad`; its pointer (0 for none). */
  private stageAad(aad: Uint8Array | undefined): number {
    if (aad === undefined || aad.length === 0) return 0;
    const p = reserveScratch(this.wasm, aad.length);
    this.wasm.mem.u8().set(aad, p);
    return p;
  }

  /** Length chunks used under the current length key (always < 224 between calls). */
  private chunk(): number {
    return this.state[S_CHUNKS]! | (this.state[S_CHUNKS + 1]! << 8);
  }

  /** Contents length of the packet at `pos` if it is the `chunk`-th of the current length interval. */
  private peekLength(bytes: Uint8Array, pos: number, chunk: number): number {
    const st = this.state;
    const k = S_KS + chunk * 3;
    return (bytes[pos]! ^ st[k]!) | ((bytes[pos + 1]! ^ st[k + 1]!) << 8) | ((bytes[pos + 2]! ^ st[k + 2]!) << 16);
  }

  /**
   * Copies `bytes` to the input arena at `p`, leaving out the contents of the packets that will
   * be opened natively. Their lengths are read with this direction's current length keystream,
   * up to the next length rekey; the rest is copied whole.
   */
  private stageSparse(bytes: Uint8Array, p: number): void {
    const u8 = this.wasm.mem.u8();
    let chunk = this.chunk();
    let runStart = 0;
    let pos = 0;
    while (bytes.length - pos >= 3 && chunk < REKEY_INTERVAL) {
      const len = this.peekLength(bytes, pos, chunk);
      const end = pos + V2_PACKET_OVERHEAD + len;
      if (len > V2_MAX_CONTENTS || end > bytes.length) break;
      if (len + 1 >= this.nativeMin) {
        u8.set(bytes.subarray(runStart, pos + 3), p + runStart);
        runStart = end;
      }
      pos = end;
      chunk++;
    }
    if (runStart < bytes.length) u8.set(bytes.subarray(runStart), p + runStart);
  }

  /**
   * Opens every complete packet at the start of `bytes` (received stream bytes, starting at a
   * packet boundary). `aad` authenticates the first packet (the peer's garbage; pass it until a
   * packet was opened). The packets are decrypted in place in the input arena, a run at a time:
   * after each WASM call `onOpened(count, last, absent)` runs while the run is there, its `count`
   * v2 records at the head of the results arena, all authenticated (FrameScanner.framePackets
   * reads them); unless `last`, the next WASM call of this open overwrites the results arena. A
   * packet node:crypto opened is always a run's last: only its header byte and message type are
   * written back in place, and its decrypted header + contents come as `absent`. Never throws on
   * peer bytes: a bad tag or an oversize length is `failure`, after the packets before it were
   * handed on.
   */
  open(bytes: Uint8Array, aad: Uint8Array | undefined, onOpened: (count: number, last: boolean, absent?: Uint8Array) => void): OpenResult {
    const result: OpenResult = { consumed: 0, need: 0 };
    if (bytes.length < 3) return result;
    // The first length is readable here from the saved keystream: while that packet is
    // incomplete (a block arriving in 64 KiB reads) nothing is copied into WASM.
    const first = this.peekLength(bytes, 0, this.chunk());
    if (first <= V2_MAX_CONTENTS && bytes.length < first + V2_PACKET_OVERHEAD) {
      result.need = first + V2_PACKET_OVERHEAD;
      return result;
    }
    const x = this.wasm.exports;
    const p = reserveInput(this.wasm, bytes.length);
    if (bytes.length >= SPARSE_STAGING_MIN) this.stageSparse(bytes, p);
    else this.wasm.mem.u8().set(bytes, p);
    const aadPtr = this.stageAad(aad);
    let aadLen = aad?.length ?? 0;
    const sp = this.loadState();
    let pos = 0;
    for (;;) {
      let absent: Uint8Array | undefined;
      let n = x.v2Open(pos, bytes.length, aadPtr, aadLen, this.nativeMin, x.resultsCapacity() >>> 0) >>> 0;
      if (n > 0) {
        const dv = this.wasm.mem.dv();
        const last = (x.resultsPtr() >>> 0) + (n - 1) * V2_RECORD_BYTES;
        const status = dv.getUint32(last + 12, true);
        if (status === V2Status.V2_DEFERRED) {
          const off = dv.getUint32(last, true);
          const len = dv.getUint32(last + 4, true);
          const u8 = this.wasm.mem.u8();
          const dp = x.v2DeferPtr() >>> 0;
          const plain = nativeOpen(u8.slice(dp, dp + 32), u8.slice(dp + 32, dp + 44), n === 1 && aadLen > 0 ? aad : undefined, bytes.subarray(off, off + 1 + len), bytes.subarray(off + 1 + len, off + 17 + len));
          if (plain === undefined) {
            result.failure = 'bad-tag';
            n--;
          } else {
            // Header byte and message type go back in place; the contents stay with JS (`absent`).
            u8.set(plain.subarray(0, MAX_TYPE_END), p + off);
            dv.setUint32(last + 8, plain[0]!, true);
            dv.setUint32(last + 12, V2Status.V2_OK, true);
            absent = plain;
          }
        } else if (status !== V2Status.V2_OK) {
          result.failure = status === V2Status.V2_BAD_TAG ? 'bad-tag' : 'oversize';
          n--;
        }
        aadLen = 0;
      }
      pos = x.v2Consumed() >>> 0;
      result.need = x.v2Need() >>> 0;
      const last = result.failure !== undefined || n === 0 || result.need !== 0 || bytes.length - pos < 3;
      if (n > 0) onOpened(n, last, absent);
      if (last) break;
    }
    this.saveState(sp);
    result.consumed = pos;
    return result;
  }

  /**
   * Encrypts `packets` into one buffer of wire bytes. `aad` (our garbage) authenticates the first
   * packet; pass it only with the first packet ever sent.
   */
  seal(packets: readonly SealInput[], aad?: Uint8Array): Uint8Array {
    let total = 0;
    for (const pk of packets) {
      const len = (pk.type?.length ?? 0) + pk.contents.length;
      if (len > 0xffffff) throw new RangeError(`packet contents of ${len} bytes exceed 2^24 - 1`);
      total += V2_PACKET_OVERHEAD + len;
    }
    const p = reserveInput(this.wasm, total);
    const u8 = this.wasm.mem.u8();
    let natives: number[] | undefined;
    let at = 0;
    for (let i = 0; i < packets.length; i++) {
      const pk = packets[i]!;
      const typeLen = pk.type?.length ?? 0;
      const len = typeLen + pk.contents.length;
      u8[p + at] = len & 0xff;
      u8[p + at + 1] = (len >>> 8) & 0xff;
      u8[p + at + 2] = len >>> 16;
      u8[p + at + 3] = pk.ignore === true ? V2_IGNORE_BIT : 0;
      if (len + 1 < this.nativeMin) {
        if (typeLen > 0) u8.set(pk.type!, p + at + 4);
        u8.set(pk.contents, p + at + 4 + typeLen);
      } else (natives ??= []).push(at, i);
      at += V2_PACKET_OVERHEAD + len;
    }
    return this.sealStaged(p, 0, total, aad, natives, (i) => packets[i]!);
  }

  /**
   * seal for whole v1 frames (24-byte header + payload, as built for v1 peers): each payload is
   * sealed with the message type of its frame's command (frameMessageType). Staged in one pass
   * without a string or an object per frame: each frame is copied whole so that its payload lands
   * after the packet's length, header and type bytes, which are written over its v1 header.
   * Throws messageType's TypeError for a command field that could never be sent.
   */
  sealFrames(frames: readonly Uint8Array[]): Uint8Array {
    let bound = FRAME_STAGING_PAD;
    for (const f of frames) {
      if (f.length < HEADER_SIZE) throw new RangeError(`a v1 frame is at least ${HEADER_SIZE} bytes, got ${f.length}`);
      const len = LONG_TYPE_BYTES + f.length - HEADER_SIZE;
      if (len > 0xffffff) throw new RangeError(`packet contents of ${len} bytes exceed 2^24 - 1`);
      bound += V2_PACKET_OVERHEAD + len;
    }
    const p = reserveInput(this.wasm, bound);
    const u8 = this.wasm.mem.u8();
    let natives: number[] | undefined;
    // A frame is copied from 24 bytes before its payload: with a 1-byte type that starts 19 bytes
    // before its packet, over the previous packet's tag (written by v2Seal later) and the 3 bytes
    // before that tag, which are kept; with a 13-byte type 7 bytes before, inside the tag. The
    // first packet starts FRAME_STAGING_PAD bytes into the arena, so its copy stays inside.
    let at = FRAME_STAGING_PAD;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const type = frameMessageType(f);
      const typeLen = type.length;
      const len = typeLen + f.length - HEADER_SIZE;
      const q = p + at;
      if (len + 1 < this.nativeMin) {
        if (typeLen === 1) {
          const k0 = u8[q - 19]!;
          const k1 = u8[q - 18]!;
          const k2 = u8[q - 17]!;
          u8.set(f, q + 5 - HEADER_SIZE);
          u8[q - 19] = k0;
          u8[q - 18] = k1;
          u8[q - 17] = k2;
          u8[q + 4] = type[0]!;
        } else {
          u8.set(f, q + 4 + typeLen - HEADER_SIZE);
          u8.set(type, q + 4);
        }
      } else (natives ??= []).push(at, i);
      u8[q] = len & 0xff;
      u8[q + 1] = (len >>> 8) & 0xff;
      u8[q + 2] = len >>> 16;
      u8[q + 3] = 0;
      at += V2_PACKET_OVERHEAD + len;
    }
    return this.sealStaged(p, FRAME_STAGING_PAD, at, undefined, natives, (i) => {
      const f = frames[i]!;
      return { type: frameMessageType(f), contents: f.subarray(HEADER_SIZE) };
    });
  }

  /**
   * Seals the packets staged in the input arena from `from` to `end` (3 plaintext length bytes,
   * the header byte, contents, 16 bytes for the tag each) into a fresh buffer. WASM stops at each
   * packet of at least nativeMin bytes: `natives` lists those (offset, index) pairs in order, and
   * `packet(index)` gives its type and contents, sealed by node:crypto from where they are.
   */
  private sealStaged(p: number, from: number, end: number, aad: Uint8Array | undefined, natives: readonly number[] | undefined, packet: (index: number) => SealInput): Uint8Array {
    const x = this.wasm.exports;
    const aadPtr = this.stageAad(aad);
    let aadLen = aad?.length ?? 0;
    const out = Buffer.allocUnsafe(end - from); // every byte is written below
    const sp = this.loadState();
    let pos = from;
    let next = 0;
    while (pos < end) {
      const n = x.v2Seal(pos, end, aadPtr, aadLen, this.nativeMin) >>> 0;
      const done = x.v2Consumed() >>> 0;
      const u8 = this.wasm.mem.u8();
      if (n === 0) {
        out.set(u8.subarray(p + pos, p + done), pos - from);
      } else {
        const off = this.wasm.mem.dv().getUint32(x.resultsPtr() >>> 0, true);
        out.set(u8.subarray(p + pos, p + off), pos - from); // packets before it, and its encrypted length
        if (natives === undefined || natives[next] !== off - 3) throw new Error(`v2Seal deferred an unexpected packet at ${off - 3}`);
        const index = natives[next + 1]!;
        next += 2;
        const dp = x.v2DeferPtr() >>> 0;
        const first = aadLen > 0 && off === pos + 3;
        out.set(nativeSeal(u8.slice(dp, dp + 32), u8.slice(dp + 32, dp + 44), first ? aad : undefined, u8[p + off]!, packet(index)), off - from);
      }
      if (done <= pos) throw new Error(`v2Seal made no progress at ${pos} of ${end}`);
      aadLen = 0;
      pos = done;
    }
    this.saveState(sp);
    return out;
  }
}

/** ChaCha20-Poly1305 open by node:crypto; undefined when the tag does not match. */
function nativeOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined, ct: Uint8Array, tag: Uint8Array): Uint8Array | undefined {
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  if (aad !== undefined && aad.length > 0) d.setAAD(aad, { plaintextLength: ct.length });
  d.setAuthTag(tag);
  const plain = d.update(ct);
  try {
    d.final();
  } catch {
    return undefined;
  }
  return plain;
}

/** Header byte + contents sealed by node:crypto: ciphertext then tag. */
function nativeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array | undefined, header: number, packet: SealInput): Uint8Array {
  const type = packet.type;
  const contents = packet.contents;
  const len = (type?.length ?? 0) + contents.length;
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  if (aad !== undefined && aad.length > 0) c.setAAD(aad, { plaintextLength: len + 1 });
  const out = new Uint8Array(1 + len + 16);
  let at = 0;
  for (const part of type === undefined ? [Uint8Array.of(header), contents] : [Uint8Array.of(header), type, contents]) {
    const enc = c.update(part);
    out.set(enc, at);
    at += enc.length;
  }
  c.final();
  out.set(c.getAuthTag(), 1 + len);
  return out;
}
