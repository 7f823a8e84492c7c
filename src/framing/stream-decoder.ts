/**
 * Splits one connection's byte stream into batches of verified frames.
 *
 * A socket read that starts on a frame boundary is scanned in place: every complete frame in it is
 * verified by one WASM scan and delivered as one batch, with no copy. Bytes of a frame that is not
 * complete yet wait here: large reads by reference in a list, small ones copied into one growing
 * buffer at the end of the list, so a peer trickling a large frame in tiny segments costs what it
 * sent plus a constant, not a Buffer per segment (a header claiming 4 MB followed by 1-byte
 * segments used to cost ~390 B of memory per byte). When the scanner has said how big the pending
 * frame is (`need`), nothing is joined or rescanned until that many bytes are here; then the
 * pieces are joined once.
 *
 * Batches are delivered in stream order, also when one goes through the worker pool: while a
 * batch is away, later bytes wait here.
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
   * have already been reported through onFrameError. The batch (records included) is valid only
   * during the call: copy what must outlive it.
   */
  onBatch?(batch: FrameBatch): void;
  /** Per-frame delivery for tools and tests (used when onBatch is absent). */
  onFrame?(frame: Frame): void;
  /**
   * A bad frame (a peer fault, WireError), or our own failure: ERR_POOL_* from the pool, ERR_INTERNAL
   * for a throw while a pool batch was delivered. After a fatal one the decoder stops.
   */
  onFrameError(error: RelayError, fatal: boolean): void;
}

/** Reads smaller than this are copied into the pending tail buffer instead of kept by reference. */
const SMALL_READ = 16 * 1024;
/** Smallest tail buffer: a few small frames fit without regrowing. */
const MIN_TAIL_CAPACITY = 4096;

export class StreamDecoder {
  /** Pending bytes: large reads by reference, then `tail[0..tailLen)` (small reads, copied). */
  private pieces: Uint8Array[] = [];
  private tail = new Uint8Array(0);
  private tailLen = 0;
  private len = 0;
  /** Bytes the current incomplete frame needs in total, or 0 when unknown (tail shorter than a header). */
  private need = 0;
  /** Stream offset of the first pending byte. */
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
    return this.len;
  }

  /** Memory held for pending bytes (at most about twice pendingBytes, plus a small constant). */
  get pendingCapacity(): number {
    let n = this.tail.byteLength;
    for (const p of this.pieces) n += p.byteLength;
    return n;
  }

  /** True while a batch is being verified in the pool. */
  get busy(): boolean {
    return this.inFlight;
  }

  get stopped(): boolean {
    return this.dead;
  }

  /**
   * Feeds a chunk. A chunk scanned in place (or kept pending) is handed downstream as batch bytes,
   * so its memory must not be reused by the caller (socket chunks never are).
   */
  push(chunk: Uint8Array): void {
    if (this.dead || chunk.byteLength === 0) return;
    if (this.len === 0 && !this.inFlight && chunk.byteLength >= HEADER_SIZE) {
      // Fast path: the read starts on a frame boundary; scan it where it is.
      this.run(chunk, true);
      return;
    }
    this.append(chunk);
    if (!this.inFlight) this.process();
  }

  /** Stops decoding and releases buffered bytes. */
  close(): void {
    this.dead = true;
    this.pieces = [];
    this.tail = new Uint8Array(0);
    this.tailLen = 0;
    this.len = 0;
  }

  private append(chunk: Uint8Array): void {
    this.len += chunk.byteLength;
    if (chunk.byteLength >= SMALL_READ) {
      this.sealTail();
      this.pieces.push(chunk);
      return;
    }
    const want = this.tailLen + chunk.byteLength;
    if (want > this.tail.byteLength) {
      // Double, but never past what the pending frame still needs (when known): growth stays
      // proportional to the bytes that actually arrived.
      let cap = Math.max(MIN_TAIL_CAPACITY, this.tail.byteLength * 2, want);
      const room = this.need - (this.len - chunk.byteLength - this.tailLen);
      if (this.need > 0 && room >= want) cap = Math.min(cap, room);
      const next = new Uint8Array(cap);
      next.set(this.tail.subarray(0, this.tailLen));
      this.tail = next;
    }
    this.tail.set(chunk, this.tailLen);
    this.tailLen = want;
  }

  /** Moves the tail buffer into the list (a large read follows it). */
  private sealTail(): void {
    if (this.tailLen === 0) return;
    this.pieces.push(this.tail.subarray(0, this.tailLen));
    this.tail = new Uint8Array(0);
    this.tailLen = 0;
  }

  /** All pending bytes as one array (joined once), and nothing pending any more. */
  private takePending(): Uint8Array {
    this.sealTail();
    const pieces = this.pieces;
    const out = pieces.length === 1 ? pieces[0]! : new Uint8Array(this.len);
    if (pieces.length > 1) {
      let at = 0;
      for (const p of pieces) {
        out.set(p, at);
        at += p.byteLength;
      }
    }
    this.pieces = [];
    this.len = 0;
    return out;
  }

  private ready(): boolean {
    return this.len >= HEADER_SIZE && this.len >= this.need;
  }

  private process(): void {
    while (!this.dead && !this.inFlight && this.ready()) {
      // The pending bytes become the batch; later bytes go to fresh memory, so the views
      // downstream consumers were handed are never overwritten.
      this.sealTail();
      const joined = this.pieces.length > 1;
      // A joined batch is fresh memory of ours; a single piece may be a socket chunk (copied
      // before a transfer to the pool).
      this.run(this.takePending(), !joined);
    }
  }

  /** Verifies `bytes` (inline or in the pool) and delivers the outcome. */
  private run(bytes: Uint8Array, inPlace: boolean): void {
    if (this.verifier.offloads(bytes.byteLength)) {
      // A pool batch must own its buffer (it is transferred); a socket chunk may share its slab.
      // Uint8Array's slice copies; a Buffer's slice would be a view of the shared memory.
      const owned = inPlace || bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength ? Uint8Array.prototype.slice.call(bytes) : bytes;
      this.inFlight = true;
      this.verifier.verifyInPool(owned, this.magic).then(
        (outcome) => {
          this.inFlight = false;
          // The socket path (Peer.onData) catches what push() throws; this path has no caller to
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
      // The unconsumed end goes in front of anything that arrived while the batch was away.
      const rest = this.len > 0 ? this.takePending() : undefined;
      this.append(bytes.subarray(consumed));
      if (rest !== undefined) this.append(rest);
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
