/**
 * The load generators' side of a BIP324 v2 connection, on the node's own session code
 * (src/transport/v2/session.ts: handshake, batched seal and open). The generators stay v1-shaped:
 * they queue v1 frames and read LiteFrames; this turns a write's run of v1 frames into one sealed
 * buffer of packets (one batched seal, as the node's writer does), and the session hands received
 * messages up as runs of v1 frames, which a LiteFramer walks as it walks a v1 stream.
 */
import { V2Session } from '../../src/transport/v2/session.js';
import { LiteFramer, MAGIC, type LiteFrame } from './wire-lite.js';

export class V2Lite {
  private readonly session: V2Session;
  private readonly framer: LiteFramer;
  bytes = 0;

  constructor(onFrame: (f: LiteFrame) => void, magic = MAGIC) {
    // Initiator, as Core dials a peer that advertises NODE_P2P_V2.
    // Frames only: the generators walk them and need no records, caps or hashes.
    this.session = new V2Session({ initiating: true, magic, frameRecords: false });
    this.framer = new LiteFramer(onFrame, magic);
  }

  /** The bytes that open the connection: our key and garbage. */
  start(): Uint8Array {
    return this.session.start()!;
  }

  /** True once the peer's version packet arrived. */
  get established(): boolean {
    return this.session.established;
  }

  /**
   * Feeds a socket read; hands every message to onFrame and returns handshake bytes to write
   * (our terminator, version packet and the frames sealed before the keys existed), if any.
   * Throws the session's V2TransportError when the stream fails (the caller disconnects).
   */
  push(chunk: Uint8Array): Uint8Array | undefined {
    this.bytes += chunk.byteLength;
    const out = this.session.receive(chunk);
    for (const run of out.runs) this.framer.push(Buffer.from(run.bytes.buffer, run.bytes.byteOffset, run.bytes.byteLength));
    if (out.error !== undefined) throw out.error;
    return out.send;
  }

  /**
   * One buffer of sealed packets for a run of whole v1 frames, in order; undefined before the keys
   * exist (the session queues them and push() returns them after our version packet).
   */
  seal(frames: readonly Uint8Array[]): Uint8Array | undefined {
    return this.session.sendFrames(frames);
  }
}
