/**
 * Splits one connection's byte stream into batches of verified frames.
 *
 * A chunk is read only during push(): the caller may reuse its memory as soon as the call returns
 * (a socket read into a reused buffer, src/peer/socket-reads.ts). So every complete frame is
 * scanned where it lies, by one WASM scan per run of frames, and delivered as a batch that is
 * valid during the sink's call only; what has to wait is copied into a buffer of ours (the tail):
 *
 * - a frame that does not end in this chunk: its bytes so far. The tail grows by doubling, never
 *   past the frame's size once its header has been scanned (`need`), so a peer trickling a large
 *   frame in tiny segments costs what it sent plus a constant (a header claiming 4 MB followed by
 *   1-byte segments once cost ~390 B of memory per byte);
 * - the next chunk completes that frame: only its missing bytes are copied, the frame is delivered
 *   as a batch of its own, and the rest of the chunk is scanned in place. A read that starts in the
 *   middle of a frame (most reads under load) therefore costs a copy of one frame, not of the read;
 * - while a batch is in the worker pool, every later byte (batches are delivered in stream order).
 */
import { HEADER_SIZE } from '../wire/constants.js';
import { RelayError } from '../errors.js';
import { isFatal, Status } from '../wasm/status.js';
import { frameError, makeFrame } from './frame.js';
import type { Frame } from './frame.js';
import type { FrameBatch } from './frame-batch.js';
import type { FrameVerifier, ScanOutcome } from './frame-verifier.js';

export interface DecoderSink {
  /**
   * A batch of frames in stream order. Records with a status other than OK or UNKNOWN_COMMAND
   * have already been reported through onFrameError. The batch (bytes and records) is valid only
   * during the call: its bytes may be the caller's reused read buffer. Copy what must outlive it.
   */
  onBatch?(batch: FrameBatch): void;
  /** Per-frame delivery for tools and tests (used when onBatch is absent); the frame is valid during the call. */
  onFrame?(frame: Frame): void;
  /**
   * A bad frame (a peer fault, WireError), or our own failure: ERR_POOL_* from the pool, ERR_INTERNAL
   * for a throw while a pool batch was delivered. After a fatal one the decoder stops.
   */
  onFrameError(error: RelayError, fatal: boolean): void;
}

/** Smallest tail buffer when the pending frame's size is not known yet. */
const MIN_TAIL_CAPACITY = 4096;
const EMPTY = new Uint8Array(0);

export class StreamDecoder {
  /** Pending bytes, always a copy of ours: `tail[0..tailLen)`. */
  private tail = EMPTY;
  private tailLen = 0;
  /** Bytes the pending frame needs in total, or 0 when unknown (fewer bytes than a header scanned). */
  private need = 0;
  /** Stream offset of the first pending byte (of the next byte to arrive when nothing is pending). */
  private streamOffset = 0;
  private inFlight = false;
  private dead = false;
  /** Fires when a pool batch returns and the decoder can take more input without growing. */
  onIdle: (() => void) | undefined;

  constructor(
    private readonly magic: number,
    private readonly verifier: FrameVerifier,
    private readonly sink: DecoderSink,
  ) {}

  /** Bytes received but not yet framed: what a connection holds for this peer. */
  get pendingBytes(): number {
    return this.tailLen;
  }

  /** Memory held for pending bytes (at most about twice pendingBytes, plus a small constant). */
  get pendingCapacity(): number {
    return this.tail.byteLength;
  }

  /** True while a batch is being verified in the pool. */
  get busy(): boolean {
    return this.inFlight;
  }

  get stopped(): boolean {
    return this.dead;
  }

  /** Feeds a chunk, which is read only during the call (see the file comment). */
  push(chunk: Uint8Array): void {
    if (this.dead || chunk.byteLength === 0) return;
    let at = 0;
    // First the frame an earlier chunk left incomplete: copy what it lacks, deliver it on its own.
    while (this.tailLen > 0 && !this.inFlight && !this.dead) {
      at += this.fill(chunk, at);
      if (!this.ready()) return; // the chunk is used up and the frame still incomplete
      this.run(this.takeTail(), false);
      if (at === chunk.byteLength) return;
    }
    if (this.dead) return;
    if (this.inFlight) {
      this.append(chunk, at, chunk.byteLength - at);
      return;
    }
    // The rest starts on a frame boundary: scanned where it is.
    if (chunk.byteLength - at < HEADER_SIZE) this.append(chunk, at, chunk.byteLength - at);
    else this.run(at === 0 ? chunk : chunk.subarray(at), true);
  }

  /** Stops decoding and releases buffered bytes. */
  close(): void {
    this.dead = true;
    this.tail = EMPTY;
    this.tailLen = 0;
  }

  /** Copies from chunk[at..] what the pending frame lacks (up to a header when its size is unknown); returns the count. */
  private fill(chunk: Uint8Array, at: number): number {
    const missing = (this.need > 0 ? this.need : HEADER_SIZE) - this.tailLen;
    const n = Math.max(0, Math.min(missing, chunk.byteLength - at));
    this.append(chunk, at, n);
    return n;
  }

  /** Copies src[from .. from + n) to the end of the tail. */
  private append(src: Uint8Array, from: number, n: number): void {
    if (n === 0) return;
    const want = this.tailLen + n;
    if (want > this.tail.byteLength) {
      // Double, but never past what the pending frame needs (when known): growth stays
      // proportional to the bytes that actually arrived.
      let cap = Math.max(MIN_TAIL_CAPACITY, this.tail.byteLength * 2, want);
      if (this.need >= want) cap = Math.min(cap, this.need);
      const next = new Uint8Array(cap);
      next.set(this.tail.subarray(0, this.tailLen));
      this.tail = next;
    }
    this.tail.set(from === 0 && n === src.byteLength ? src : src.subarray(from, from + n), this.tailLen);
    this.tailLen = want;
  }

  /** The pending bytes as a batch (memory of ours), and nothing pending any more. */
  private takeTail(): Uint8Array {
    const out = this.tail.subarray(0, this.tailLen);
    this.tail = EMPTY;
    this.tailLen = 0;
    return out;
  }

  private ready(): boolean {
    return this.tailLen >= HEADER_SIZE && this.tailLen >= this.need;
  }

  /** After a pool batch: the bytes that arrived meanwhile, as batches. */
  private process(): void {
    while (!this.dead && !this.inFlight && this.ready()) this.run(this.takeTail(), false);
  }

  /** Verifies `bytes` (inline or in the pool) and delivers the outcome. */
  private run(bytes: Uint8Array, inPlace: boolean): void {
    if (this.verifier.offloads(bytes.byteLength)) {
      // A pool batch must own its buffer (it is transferred, and arrives after the caller's chunk
      // may have been reused): a chunk scanned in place, or a view into a larger tail, is copied.
      // Uint8Array's slice copies; a Buffer's slice would be a view of the same memory.
      const owned = inPlace || bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength ? Uint8Array.prototype.slice.call(bytes) : bytes;
      this.inFlight = true;
      this.verifier.verifyInPool(owned, this.magic).then(
        (outcome) => {
          this.inFlight = false;
          // The socket path (Peer.receive) catches what push() throws; this path has no caller to
          // throw to, so the same throws (a sink, or WASM that cannot grow) end the stream here as
          // our fault instead of becoming an unhandled rejection.
          try {
            this.deliver(outcome);
            this.process();
          } catch (err) {
            this.close();
            this.sink.onFrameError(internalError(err), true);
            return;
          }
          if (!this.inFlight) this.onIdle?.();
        },
        (err: unknown) => {
          this.inFlight = false;
          // A pool failure is ours, not the peer's (its code is ERR_POOL_*, which costs no ban score).
          // The batch buffer was transferred away with the task, so the stream cannot go on.
          this.dead = true;
          this.sink.onFrameError(err as RelayError, true);
        },
      );
      return;
    }
    this.deliver(this.verifier.verifyInline(bytes, this.magic));
  }

  private deliver(outcome: ScanOutcome): void {
    const { bytes, records } = outcome;
    const count = records.count;
    const base = this.streamOffset;
    // Good frames go downstream in runs; a bad frame is reported between the runs around it, so
    // everything happens in stream order.
    let start = 0;
    for (let i = 0; i < count; i++) {
      const status = records.status(i);
      if (status === Status.OK || status === Status.UNKNOWN_COMMAND) continue;
      if (i > start) this.emit(bytes, outcome, base, start, i);
      if (this.dead) return;
      start = i + 1;
      const fatal = isFatal(status);
      const err = frameError(bytes, records, i, base);
      if (fatal) this.close();
      this.sink.onFrameError(err, fatal);
      if (this.dead) return;
    }
    if (count > start) this.emit(bytes, outcome, base, start, count);
    if (this.dead) return;
    const consumed = outcome.consumed;
    this.streamOffset += consumed;
    this.need = outcome.need;
    if (consumed < bytes.byteLength) {
      // The unconsumed end (copied: `bytes` may be the caller's chunk) goes in front of anything
      // that arrived while the batch was away.
      const rest = this.tailLen > 0 ? this.takeTail() : undefined;
      this.append(bytes, consumed, bytes.byteLength - consumed);
      if (rest !== undefined) this.append(rest, 0, rest.byteLength);
    }
    // Defensive: a scan that made no progress must not be repeated on the same bytes.
    if (count === 0 && consumed === 0 && this.need <= bytes.byteLength) this.need = bytes.byteLength + 1;
  }

  /** Hands records [first, end) downstream, as one batch or frame by frame. */
  private emit(bytes: Uint8Array, outcome: ScanOutcome, base: number, first: number, end: number): void {
    const records = outcome.records;
    if (this.sink.onBatch !== undefined) {
      this.sink.onBatch({ bytes, records, first, end, streamOffset: base });
      return;
    }
    for (let i = first; i < end && !this.dead; i++) {
      const status = records.status(i);
      const off = records.offset(i);
      this.sink.onFrame?.(makeFrame(bytes, off, records.payloadLength(i), status === Status.OK ? records.commandId(i) : 0, base + off));
    }
  }
}

/** A throw of ours while delivering a pool batch, as an error that costs the peer no ban score. */
function internalError(err: unknown): RelayError {
  if (err instanceof RelayError && err.code === 'ERR_INTERNAL') return err;
  return new RelayError('ERR_INTERNAL', `delivering a verified batch failed: ${err instanceof Error ? err.message : String(err)}`, {}, { cause: err });
}
