/**
 * The receive side of an established v2 stream: buffers socket bytes until a packet is complete,
 * opens every complete packet of a read in place (PacketCipher.open, one WASM call per run) and
 * lays the messages out as v1 frames with their records (FrameScanner.framePackets, one more WASM
 * call per run). No message becomes a JS object of its own. Used by V2Session after the garbage
 * terminator.
 */
import { FrameRecords } from '../../wasm/frame-records.js';
import { FrameScanner } from '../../wasm/frame-scanner.js';
import { isFatal } from '../../wasm/status.js';
import type { OpenFailure, PacketCipher } from '../../wasm/v2-cipher.js';

/** A run of received messages as v1 frames: what the layers above the transport seam read. */
export interface FrameRun {
  /** The frames, checksums filled in. */
  bytes: Uint8Array;
  /** One record per frame (offsets into `bytes`); none when the reader was made without records. */
  records: FrameRecords;
}

/** What one read gave. */
export interface ReadResult {
  /**
   * The read's messages, usually one run. A lone run's records live in WASM memory (read them
   * before the next read); when there are several, all are copies.
   */
  runs: FrameRun[];
  /** Decoy packets authenticated and dropped. */
  decoys: number;
  /** Packets with a message type we cannot map, dropped (Core drops them and keeps the peer). */
  dropped: number;
  failure?: OpenFailure;
}

export class PacketReader {
  private readonly cipher: PacketCipher;
  private readonly scanner: FrameScanner;
  private readonly magic: number;
  private chunks: Uint8Array[] = [];
  private bytes = 0;
  private need = 0;
  /** AAD for the first packet (the peer's garbage), until a packet was opened. */
  private aad: Uint8Array | undefined;
  /** Non-decoy packets to swallow before messages start (1: the version packet). */
  private skip: number;
  /**
   * Set once a run ended with a fatal record (a payload over its command's cap, as in a v1
   * scan): the layers above drop the peer, and nothing after it is framed.
   */
  private halted = false;
  private readonly withRecords: boolean;

  /**
   * `withRecords` false: runs carry frames only (checksum fields 0, no records, no per-command
   * caps, nothing hashed), for a consumer that only walks the frames (the load generators).
   */
  constructor(cipher: PacketCipher, magic: number, aad?: Uint8Array, skipFirst = 0, withRecords = true) {
    this.cipher = cipher;
    this.scanner = new FrameScanner({ wasm: cipher.wasm });
    this.magic = magic;
    this.aad = aad;
    this.skip = skipFirst;
    this.withRecords = withRecords;
  }

  /** Bytes received but not yet opened (a partial packet). */
  get pendingBytes(): number {
    return this.bytes;
  }

  /** True until the first `skipFirst` non-decoy packets were read. */
  get skipping(): boolean {
    return this.skip > 0;
  }

  /**
   * The chunk is read only during the call (the caller may reuse its memory): bytes of a packet
   * that is not complete yet are kept as a copy.
   */
  push(chunk: Uint8Array): ReadResult {
    const out: ReadResult = { runs: [], decoys: 0, dropped: 0 };
    if (this.halted) {
      this.chunks = [];
      this.bytes = 0;
      return out;
    }
    if (chunk.length > 0) {
      if (this.bytes + chunk.length < 3 || this.bytes + chunk.length < this.need) {
        this.chunks.push(Uint8Array.prototype.slice.call(chunk));
        this.bytes += chunk.length;
        return out;
      }
      this.chunks.push(chunk);
      this.bytes += chunk.length;
    }
    if (this.bytes < 3 || this.bytes < this.need) return out;
    let all: Uint8Array;
    if (this.chunks.length === 1) all = this.chunks[0]!;
    else {
      // Fully overwritten below: no need to zero-fill (a 1 MiB block would pay ~5 % for it).
      all = Buffer.allocUnsafe(this.bytes);
      let at = 0;
      for (const c of this.chunks) {
        all.set(c, at);
        at += c.length;
      }
    }
    const r = this.cipher.open(all, this.aad, (count, last, absent) => {
      this.aad = undefined;
      if (this.halted) return;
      const f = this.scanner.framePackets(this.magic, count, this.skip, absent, this.withRecords);
      this.skip -= f.skipped;
      out.decoys += f.decoys;
      out.dropped += f.dropped;
      if (f.bytes.length === 0) return;
      // A lone run stays in WASM memory. Otherwise every run is a copy: the next open step
      // overwrites the results arena, and delivering one run must not depend on the next.
      const live = last && out.runs.length === 0;
      out.runs.push({ bytes: f.bytes, records: live ? f.records : materialize(f.records) });
      const n = f.records.count;
      if (n > 0 && isFatal(f.records.status(n - 1))) this.halted = true;
    });
    this.bytes -= r.consumed;
    this.chunks = this.bytes === 0 ? [] : [Uint8Array.prototype.slice.call(all, r.consumed)];
    this.need = r.need;
    if (r.failure !== undefined) {
      out.failure = r.failure;
      this.chunks = [];
      this.bytes = 0;
    }
    return out;
  }
}

/** A copy of `records` that no later WASM call can overwrite. */
function materialize(records: FrameRecords): FrameRecords {
  const copy = new FrameRecords(records.copy());
  copy.count = records.count;
  return copy;
}
