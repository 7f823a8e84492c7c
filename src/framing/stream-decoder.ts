/**
 * Splits one connection's byte stream into verified frames.
 *
 * Chunks are kept as a list until a batch is ready, so each byte is copied at most once into a batch
 * (plus once into WASM memory), whatever the chunk sizes: no quadratic re-copying. When the scanner
 * reports the size of an incomplete frame (`need`), nothing is rescanned until that many bytes are
 * here; a header claiming 4 MB followed by nothing costs 24 bytes of memory, not 4 MB.
 *
 * Frames are delivered in stream order, also when a batch goes through the worker pool: while a
 * batch is away, later chunks wait here.
 */
import { HEADER_SIZE } from '../wire/constants.js';
import { WireError } from '../errors.js';
import { errorForStatus, isFatal, Status } from '../wasm/status.js';
import { makeFrame, readCommand } from './frame.js';
import type { Frame } from './frame.js';
import type { FrameVerifier, ScanOutcome } from './frame-verifier.js';

export interface DecoderSink {
  /** A complete frame with a verified checksum (known command) or an unknown command (not verified). */
  onFrame(frame: Frame): void;
  /** A bad frame. After a fatal one the decoder stops: the stream cannot be re-synchronised. */
  onFrameError(error: WireError, fatal: boolean): void;
}

export class StreamDecoder {
  private chunks: Uint8Array[] = [];
  private pending = 0;
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
    return this.pending;
  }

  /** True while a batch is being verified in the pool. */
  get busy(): boolean {
    return this.inFlight;
  }

  get stopped(): boolean {
    return this.dead;
  }

  /** Feeds a chunk. The decoder keeps a reference to it: do not reuse its memory. */
  push(chunk: Uint8Array): void {
    if (this.dead || chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.pending += chunk.byteLength;
    if (!this.inFlight) this.process();
  }

  /** Stops decoding and releases buffered bytes. */
  close(): void {
    this.dead = true;
    this.chunks = [];
    this.pending = 0;
  }

  private ready(): boolean {
    return this.pending >= HEADER_SIZE && this.pending >= this.need;
  }

  private process(): void {
    while (!this.dead && !this.inFlight && this.ready()) {
      const offload = this.verifier.offloads(this.pending);
      const batch = this.takeBatch(offload);
      if (offload) {
        this.inFlight = true;
        this.verifier.verifyInPool(batch, this.magic).then(
          (outcome) => {
            this.inFlight = false;
            this.deliver(outcome);
            this.process();
            if (!this.inFlight) this.onIdle?.();
          },
          (err: unknown) => {
            this.inFlight = false;
            // A pool failure is ours, not the peer's (its code is ERR_POOL_*, which costs no ban score).
            // The batch buffer was transferred away with the task, so the stream cannot go on.
            this.dead = true;
            this.sink.onFrameError(err as WireError, true);
          },
        );
        return;
      }
      this.deliver(this.verifier.verifyInline(batch, this.magic));
    }
  }

  /** Joins the pending chunks into one batch. A pool batch must own its buffer (it is transferred). */
  private takeBatch(ownBuffer: boolean): Uint8Array {
    let batch: Uint8Array;
    if (this.chunks.length === 1 && !ownBuffer) {
      batch = this.chunks[0]!;
    } else {
      batch = new Uint8Array(this.pending);
      let off = 0;
      for (const c of this.chunks) {
        batch.set(c, off);
        off += c.byteLength;
      }
    }
    this.chunks = [];
    this.pending = 0;
    return batch;
  }

  private deliver(outcome: ScanOutcome): void {
    const { bytes, records, count } = outcome;
    const base = this.streamOffset;
    for (let i = 0; i < count && !this.dead; i++) {
      const off = records[4 * i]!;
      const len = records[4 * i + 1]!;
      const cmd = records[4 * i + 2]!;
      const status = records[4 * i + 3]!;
      if (status === Status.OK || status === Status.UNKNOWN_COMMAND) {
        this.sink.onFrame(makeFrame(bytes, off, len, status === Status.OK ? cmd : 0, base + off));
        continue;
      }
      const fatal = isFatal(status);
      const details = { streamOffset: base + off, length: len, command: readCommand(bytes, off) };
      const err =
        errorForStatus(status, details) ?? new WireError('ERR_FRAME_BAD_COMMAND', `unexpected frame status ${status}`, details);
      if (fatal) {
        this.dead = true;
        this.chunks = [];
        this.pending = 0;
      }
      this.sink.onFrameError(err, fatal);
    }
    if (this.dead) return;
    const consumed = outcome.consumed;
    this.streamOffset += consumed;
    if (consumed < bytes.byteLength) {
      // The tail goes back in front of anything that arrived while the batch was away.
      this.chunks.unshift(bytes.subarray(consumed));
      this.pending += bytes.byteLength - consumed;
    }
    this.need = outcome.need;
    // Defensive: a scan that made no progress must not be repeated on the same bytes.
    if (count === 0 && consumed === 0 && this.need <= bytes.byteLength) this.need = bytes.byteLength + 1;
  }
}
