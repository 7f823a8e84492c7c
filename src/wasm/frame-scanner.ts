/**
 * Frame scanning and encoding over one WASM instance (docs/wasm-abi.md "Framing"). Per call: one
 * copy of the input into linear memory, one WASM call, no per-frame allocation.
 */
import { COMMAND_SIZE, HEADER_SIZE, MAX_PROTOCOL_MESSAGE_LENGTH } from '../wire/constants.js';
import { NATIVE_BATCH_HASH_MIN, nativeChecksum, nativeHash256 } from './hasher.js';
import { getWasm, type WasmInstance } from './loader.js';
import { FrameRecords, RECORD_WORDS } from './frame-records.js';
import { reserveInput, stageInput } from './staging.js';
import { Status } from './status.js';

/**
 * Result of FrameScanner.scan. The object and its `records` array are owned by the scanner and
 * overwritten by its next call: read them before scanning again.
 */
export interface ScanResult {
  /**
   * One record per frame (FrameRecords: offset of the header within the scanned bytes, payload
   * length, command id, status, payload digest). Statuses are never CHECKSUM_DEFERRED: the
   * scanner has verified those natively (and filled in their digests).
   */
  records: FrameRecords;
  /** Number of records. */
  count: number;
  /** Bytes covered by the records (for a fatal record, up to the end of its header). */
  consumed: number;
  /** If the tail holds the complete header of an acceptable frame: that frame's total size. */
  need: number;
}

export interface FrameScannerOptions {
  /** Instance to use; default: this thread's (getWasm()). */
  wasm?: WasmInstance;
  /** Payloads of at least this many bytes are checksummed by node:crypto. */
  nativeHashMin?: number;
}

/** What FrameScanner.framePackets made of one run of opened BIP324 packets. */
export interface PacketFrames {
  /** The messages as v1 frames (checksums filled), fresh; empty when every packet was dropped. */
  bytes: Uint8Array;
  /** One record per frame, offsets into `bytes`; owned by the scanner (overwritten next call). */
  records: FrameRecords;
  /** Decoy packets authenticated and dropped. */
  decoys: number;
  /** Non-decoy packets dropped because the caller asked to skip them (the version packet). */
  skipped: number;
  /** Packets whose message type could not be mapped, dropped (Core drops them and keeps the peer). */
  dropped: number;
}

const EMPTY = new Uint8Array(0);
/** v2FramesInfo()[4] when no payload is left to copy in. */
const NO_OFFSET = 0xffffffff;

export interface FrameSpec {
  command: string;
  payload: Uint8Array;
}

/**
 * Inputs at least this large are staged without the payloads that are hashed natively. Below it
 * the walk over the headers costs more than the copy it saves (64 KiB chunks of small frames).
 */
const SPARSE_STAGING_MIN = 256 * 1024;
const encoder = new TextEncoder();
const commandBytesCache = new Map<string, Uint8Array>();

/** The 12 NUL-padded command bytes; throws TypeError for a command we could never send. */
function commandBytes(command: string): Uint8Array {
  let bytes = commandBytesCache.get(command);
  if (bytes !== undefined) return bytes;
  if (!/^[\x20-\x7e]{1,12}$/.test(command)) {
    throw new TypeError(`command must be 1–${COMMAND_SIZE} printable ASCII characters, got ${JSON.stringify(command)}`);
  }
  bytes = new Uint8Array(COMMAND_SIZE);
  encoder.encodeInto(command, bytes);
  if (commandBytesCache.size < 256) commandBytesCache.set(command, bytes);
  return bytes;
}

export class FrameScanner {
  readonly wasm: WasmInstance;
  readonly nativeHashMin: number;
  private readonly result: ScanResult;
  /** Deferred records of a seal; separate from `result`, which the caller may still hold. */
  private readonly sealRecords = new FrameRecords();
  private recordsPtr = -1;
  private recordWords: Uint32Array;

  constructor(options: FrameScannerOptions = {}) {
    this.wasm = options.wasm ?? getWasm();
    const min = options.nativeHashMin ?? NATIVE_BATCH_HASH_MIN;
    if (!Number.isInteger(min) || min < 0 || min > 0xffffffff) {
      throw new RangeError(`nativeHashMin must be an integer in [0, 2^32), got ${min}`);
    }
    this.nativeHashMin = min;
    this.result = { records: new FrameRecords(), count: 0, consumed: 0, need: 0 };
    this.recordWords = new Uint32Array(0);
  }

  /**
   * View on the results arena, rebuilt only when memory grew (the old view is then detached, so
   * its byteLength reads 0) or the arena moved; avoids the memory.buffer getter on every scan.
   */
  private records(): Uint32Array {
    const x = this.wasm.exports;
    const ptr = x.resultsPtr() >>> 0;
    if (this.recordWords.byteLength === 0 || ptr !== this.recordsPtr) {
      this.recordsPtr = ptr;
      this.recordWords = new Uint32Array(x.memory.buffer, ptr, (x.resultsCapacity() >>> 0) * RECORD_WORDS);
    }
    return this.recordWords;
  }

  /**
   * As stage, but leaves out the payloads of frames whose checksum will be verified natively
   * (payload ≥ nativeHashMin): WASM reads only their headers. For a buffer holding a 1 MiB block
   * this saves a 1 MiB copy, ~10 % of verifying it. Frames are found by their length fields;
   * anything odd (a length over the global cap) ends the walk and the rest is copied as is.
   */
  private stageSparse(bytes: Uint8Array): void {
    const p = reserveInput(this.wasm, bytes.length);
    const u8 = this.wasm.mem.u8();
    const len = bytes.length;
    const min = this.nativeHashMin;
    let runStart = 0;
    let pos = 0;
    while (len - pos >= HEADER_SIZE) {
      const length = (bytes[pos + 16]! | (bytes[pos + 17]! << 8) | (bytes[pos + 18]! << 16) | (bytes[pos + 19]! << 24)) >>> 0;
      if (length > MAX_PROTOCOL_MESSAGE_LENGTH) break;
      const end = pos + HEADER_SIZE + length;
      if (length >= min && end <= len) {
        u8.set(bytes.subarray(runStart, pos + HEADER_SIZE), p + runStart);
        runStart = end;
      }
      pos = end;
    }
    if (runStart < len) u8.set(bytes.subarray(runStart), p + runStart);
  }

  /**
   * Scans `bytes` for frames of the network `magic` (u32 value). Records are in wire order; a
   * fatal status (isFatal) is always the last record. `bytes.length - consumed` bytes are an
   * incomplete tail to keep for the next call.
   */
  scan(bytes: Uint8Array, magic: number): ScanResult {
    const x = this.wasm.exports;
    if (bytes.length >= SPARSE_STAGING_MIN) this.stageSparse(bytes);
    else stageInput(this.wasm, bytes);
    const count = x.scanFrames(bytes.length, magic, this.nativeHashMin, 0xffffffff) >>> 0;
    const result = this.result;
    const records = result.records;
    records.attach(this.records(), count);
    result.count = count;
    result.consumed = x.scanConsumed() >>> 0;
    result.need = x.scanNeed() >>> 0;
    for (let i = 0; i < count; i++) {
      if (records.status(i) !== Status.CHECKSUM_DEFERRED) continue;
      const offset = records.offset(i);
      const start = offset + HEADER_SIZE;
      const digest = nativeHash256(bytes.subarray(start, start + records.payloadLength(i)));
      records.bytes.set(digest, records.digestAt(i));
      const want = (bytes[offset + 20]! | (bytes[offset + 21]! << 8) | (bytes[offset + 22]! << 16) | (bytes[offset + 23]! << 24)) >>> 0;
      records.setStatus(i, digest.readUInt32LE(0) === want ? Status.OK : Status.BAD_CHECKSUM);
    }
    return result;
  }

  /**
   * Writes the checksum of every complete frame in `frames` in place (magic, command and length
   * must be filled in). Small frames are sealed by WASM in one call, large ones natively.
   */
  seal(frames: Uint8Array): void {
    const p = stageInput(this.wasm, frames);
    this.sealStaged(p, frames.length);
    frames.set(this.wasm.mem.u8().subarray(p, p + frames.length));
  }

  /** Seals `len` bytes already in the input arena at `p`. */
  private sealStaged(p: number, len: number): void {
    const x = this.wasm.exports;
    const deferred = x.sealFrames(len, this.nativeHashMin, 0xffffffff) >>> 0;
    if (deferred === 0) return;
    const records = this.sealRecords;
    records.attach(this.records(), deferred);
    const u8 = this.wasm.mem.u8();
    const dv = this.wasm.mem.dv();
    for (let i = 0; i < deferred; i++) {
      const at = p + records.offset(i);
      const start = at + HEADER_SIZE;
      dv.setUint32(at + 20, nativeChecksum(u8.subarray(start, start + records.payloadLength(i))), true);
    }
  }

  /** One frame: header with checksum, then the payload. */
  encodeFrame(magic: number, command: string, payload: Uint8Array): Uint8Array {
    if (payload.length >= this.nativeHashMin) {
      // Large: build it outside WASM, saving two copies of the payload.
      const out = new Uint8Array(HEADER_SIZE + payload.length);
      out.set(payload, HEADER_SIZE);
      return this.frameInPlace(magic, command, out);
    }
    return this.encodeFrames(magic, [{ command, payload }]);
  }

  /**
   * Writes the 24-byte header (checksum included) at the start of `frame`, whose payload follows
   * it already: a large payload laid out with room for its header is framed without a copy.
   */
  frameInPlace(magic: number, command: string, frame: Uint8Array): Uint8Array {
    const length = frame.length - HEADER_SIZE;
    const dv = new DataView(frame.buffer, frame.byteOffset, HEADER_SIZE);
    dv.setUint32(0, magic >>> 0, true);
    frame.set(commandBytes(command), 4);
    dv.setUint32(16, length, true);
    dv.setUint32(20, nativeChecksum(frame.subarray(HEADER_SIZE)), true);
    return frame;
  }

  /**
   * The messages of `count` BIP324 packets that PacketCipher.open just decrypted in place (their
   * v2 records at the head of the results arena) as v1 frames in one fresh buffer, with their
   * records, in one WASM call (v2Frames, assembly/v2frames.ts): the AEAD vouches for them, so each
   * payload is hashed once and that digest is both the frame's checksum and the record's digest;
   * they are never scanned again. `absent` is the decrypted header + contents of the run's last
   * packet when node:crypto opened it (PacketCipher.open): its payload is copied straight into its
   * frame. Decoys, the first `skip` non-decoy packets (the version packet)
   * and messages whose type cannot be mapped are dropped and counted. Per-command caps and command
   * ids are those of `scan`; an oversize payload is a fatal last record. `records` is overwritten
   * by the next call. With `withRecords` false the frames are only laid out (checksum fields 0, no
   * records, no caps, nothing hashed): for a consumer that only walks the frames.
   */
  framePackets(magic: number, count: number, skip: number, absent?: Uint8Array, withRecords = true): PacketFrames {
    const x = this.wasm.exports;
    const n = x.v2Frames(count, magic >>> 0, skip, this.nativeHashMin, absent === undefined ? 0 : 1, withRecords ? 1 : 0) >>> 0;
    if (n === 0xffffffff) throw new RangeError(`WASM memory cannot grow to lay out ${count} v2 messages`);
    const dv = this.wasm.mem.dv();
    const info = x.v2FramesInfo() >>> 0;
    const length = dv.getUint32(info, true);
    const out: PacketFrames = { bytes: EMPTY, records: this.result.records, decoys: dv.getUint32(info + 4, true), skipped: dv.getUint32(info + 8, true), dropped: dv.getUint32(info + 12, true) };
    const records = out.records;
    records.attach(this.records(), n);
    const p = x.scratchPtr() >>> 0;
    const u8 = this.wasm.mem.u8();
    const absentAt = dv.getUint32(info + 16, true);
    if (absent !== undefined && absentAt !== NO_OFFSET) {
      const len = dv.getUint32(p + absentAt - HEADER_SIZE + 16, true);
      u8.set(absent.subarray(absent.length - len), p + absentAt);
    }
    for (let i = 0; i < n; i++) {
      if (records.status(i) !== Status.CHECKSUM_DEFERRED) continue;
      const at = p + records.offset(i) + HEADER_SIZE;
      const digest = nativeHash256(u8.subarray(at, at + records.payloadLength(i)));
      records.bytes.set(digest, records.digestAt(i));
      u8.set(digest.subarray(0, 4), at - 4);
      records.setStatus(i, records.commandId(i) === 0 ? Status.UNKNOWN_COMMAND : Status.OK);
    }
    if (length > 0) out.bytes = u8.slice(p, p + length);
    return out;
  }

  /** Writes the frames of `list` (checksum 0) into WASM memory at `p`. */
  private layOut(p: number, magic: number, list: readonly FrameSpec[]): void {
    const u8 = this.wasm.mem.u8();
    const dv = this.wasm.mem.dv();
    let at = p;
    for (const f of list) {
      dv.setUint32(at, magic >>> 0, true);
      u8.set(commandBytes(f.command), at + 4);
      dv.setUint32(at + 16, f.payload.length, true);
      dv.setUint32(at + 20, 0, true);
      u8.set(f.payload, at + HEADER_SIZE);
      at += HEADER_SIZE + f.payload.length;
    }
  }

  /** Several frames in one buffer; all small checksums are computed by one WASM call. */
  encodeFrames(magic: number, list: readonly FrameSpec[]): Uint8Array {
    let total = 0;
    for (const f of list) total += HEADER_SIZE + f.payload.length;
    const p = reserveInput(this.wasm, total);
    this.layOut(p, magic, list);
    this.sealStaged(p, total);
    return this.wasm.mem.u8().slice(p, p + total);
  }
}
