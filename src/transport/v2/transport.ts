/**
 * The BIP324 v2 transport behind the seam of src/transport/transport.ts. Inbound bytes: the v2
 * session decrypts and authenticates every complete packet of a read in place in one WASM call;
 * one more WASM call lays the messages out as v1 frames and gives them their records (command id,
 * status, digest; FrameScanner.framePackets), so everything above the seam sees v1 frame batches
 * (docs/v2-transport.md). The AEAD already authenticated them, so they are not scanned or
 * checksum-verified again: each payload is hashed once, for the checksum and the digest together.
 * Outbound: a run of v1 frames becomes one sealed buffer of packets (wrapMany).
 *
 * An inbound connection starts as a responder that also accepts v1: if the first 16 bytes are the
 * v1 version prefix, the connection is handed to a V1Transport with those bytes (unless v2only).
 */
import { frameError } from '../../framing/frame.js';
import type { FrameRecords } from '../../wasm/frame-records.js';
import { isFatal, Status } from '../../wasm/status.js';
import type { Transport, TransportCloseCause, TransportContext } from '../transport.js';
import { V1Transport } from '../v1.js';
import { V2TransportError, type V2FailureReason } from './errors.js';
import { V2Session } from './session.js';

export interface V2TransportOptions {
  /** Inbound only: accept a v1 peer on the same port (false in v2only mode). */
  acceptV1: boolean;
  /** Called once per v2 failure, with its reason (metrics). */
  onFailure?: (reason: V2FailureReason) => void;
  /**
   * Outbound only: send the key with no garbage. For a peer whose v2 support is unknown: a v1
   * parser then sees 64 bytes (two 24-byte headers with a wrong magic; bcoin scores 10 each, and
   * bans at 100) instead of up to 4 KiB of garbage (docs/v2-transport.md "What goes out in clear").
   */
  probe?: boolean;
}

const EMPTY = new Uint8Array(0);

export class V2Transport implements Transport {
  private readonly ctx: TransportContext;
  private readonly options: V2TransportOptions;
  private readonly session: V2Session;
  /** An outbound dial that sent its key without garbage (V2TransportOptions.probe). */
  readonly probe: boolean;
  /** Offset of the next frame in the v1 stream the messages are laid out as (error reports). */
  private streamOffset = 0;
  private v1: V1Transport | undefined;
  private ready = false;
  private failed = false;
  private failureReason: V2FailureReason | null = null;
  onIdle: (() => void) | undefined;

  constructor(ctx: TransportContext, options: V2TransportOptions) {
    this.ctx = ctx;
    this.options = options;
    this.probe = ctx.direction === 'outbound' && options.probe === true;
    this.session = new V2Session({ initiating: ctx.direction === 'outbound', magic: ctx.magic, ...(this.probe ? { garbage: EMPTY } : {}) });
  }

  get name(): 'v1' | 'v2' {
    return this.v1 === undefined ? 'v2' : 'v1';
  }

  get passthrough(): boolean {
    return this.v1 !== undefined;
  }

  /** Hex session id once the keys exist (BIP324: compare it out of band). */
  get sessionId(): string | null {
    const id = this.session.sessionId;
    return id === undefined || this.v1 !== undefined ? null : Buffer.from(id).toString('hex');
  }

  /** True once the peer's version packet arrived. */
  get established(): boolean {
    return this.session.established;
  }

  /**
   * For an outbound v2 connection that closed: the peer never sent its key, so it may speak v1
   * only; the node then redials that address with v1 and remembers it (Core does the same).
   */
  get shouldRetryV1(): boolean {
    return this.v1 === undefined && this.session.shouldRetryV1();
  }

  /** Why the v2 session failed, once it has (the node learns 'v1-reply' as "speaks v1 only"). */
  get failure(): V2FailureReason | null {
    return this.failureReason;
  }

  start(): void {
    const hello = this.session.start();
    if (hello !== undefined) this.ctx.sink.writeRaw(hello);
  }

  receive(chunk: Uint8Array): void {
    if (this.v1 !== undefined) return this.v1.receive(chunk);
    if (this.failed) return;
    const out = this.session.receive(chunk);
    if (out.v1 !== undefined) {
      if (!this.options.acceptV1) return this.fail(new V2TransportError('v1-refused', 'v1 peer on a v2only node'));
      this.v1 = new V1Transport(this.ctx);
      this.v1.onIdle = () => this.onIdle?.();
      this.v1.start();
      this.v1.receive(out.v1);
      return;
    }
    if (out.send !== undefined) this.ctx.sink.writeRaw(out.send);
    if (!this.ready && this.session.sessionId !== undefined) {
      // Keys exist and our version packet is out: messages may be sealed from now on.
      this.ready = true;
      this.ctx.sink.onReady();
    }
    for (const run of out.runs) if (!this.failed) this.deliver(run.bytes, run.records);
    if (out.error !== undefined && !this.failed) this.fail(out.error);
  }

  /**
   * Hands a run of received messages downstream as one batch of v1 frames. A record the caps
   * reject (an oversize payload for its command) is reported between the runs around it, with the
   * typed error the v1 scan gives; after a fatal one nothing more is delivered.
   */
  private deliver(bytes: Uint8Array, records: FrameRecords): void {
    const count = records.count;
    const base = this.streamOffset;
    let start = 0;
    for (let i = 0; i <= count; i++) {
      const status = i < count ? records.status(i) : -1;
      if (status === Status.OK || status === Status.UNKNOWN_COMMAND) continue;
      if (i > start) this.ctx.sink.onBatch({ bytes, records, first: start, end: i, streamOffset: base });
      if (this.failed || i === count) break;
      start = i + 1;
      const err = frameError(bytes, records, i, base);
      const fatal = isFatal(status);
      if (fatal) this.failed = true;
      this.ctx.sink.onError(err, fatal);
      if (this.failed) break;
    }
    this.streamOffset += bytes.byteLength;
  }

  private fail(err: V2TransportError): void {
    this.failed = true;
    this.failureReason = err.reason;
    this.options.onFailure?.(err.reason);
    this.ctx.sink.onError(err, true);
  }

  wrap(frame: Uint8Array): Uint8Array {
    return this.wrapMany([frame]);
  }

  wrapMany(frames: readonly Uint8Array[]): Uint8Array {
    if (this.v1 !== undefined) return frames.length === 1 ? frames[0]! : Buffer.concat(frames);
    return this.session.sendFrames(frames) ?? EMPTY;
  }

  get pendingBytes(): number {
    return this.v1 !== undefined ? this.v1.pendingBytes : this.session.pendingBytes;
  }

  /** v2 batches are built inline, never in the pool: only a v1 fallback can be busy. */
  get busy(): boolean {
    return this.v1 !== undefined ? this.v1.busy : false;
  }

  /**
   * The connection is closing. A v2 stream that ends inside the handshake or inside a packet
   * counts as 'truncated' (or 'no-version' when the handshake timer fired); a failure already
   * reported is not counted again, and neither is a connection this node closed itself (stop,
   * eviction, a ban, an admin disconnect): the peer's stream did not fail.
   */
  close(why: TransportCloseCause = 'local'): void {
    if (this.v1 !== undefined) return this.v1.close();
    if (this.failed) return;
    this.failed = true;
    if (why === 'local') return;
    const err = why === 'timeout' ? this.session.timeout() : this.session.end();
    if (err !== undefined) this.options.onFailure?.(err.reason);
  }
}
