/**
 * The per-connection transport seam: what turns socket bytes into verified frame batches, and
 * outgoing frames into socket bytes. The peer (handshake, dispatch, writer) talks only to this
 * interface; `v1.ts` is the plaintext Bitcoin framing, `v2/transport.ts` BIP324 (docs/v2-transport.md).
 *
 * Contract (docs/architecture.md "Transport seam"):
 * - Inside the node every message is a **v1 frame**: 24-byte header (magic, command, length,
 *   checksum) + payload. Relay forwards these bytes verbatim to every destination.
 * - Inbound: `receive(chunk)` hands the transport socket bytes; it calls `sink.onBatch` with
 *   batches of v1 frames in stream order, each with a FrameRecords record (offset, payload length,
 *   command id, status, the payload's 32-byte double SHA-256). The digest must be filled in for
 *   every record with status OK: dispatch uses it as the wtxid/txid of a `tx` and never hashes
 *   the payload again. A v2 transport decrypts and lays the messages out as v1 frames with their
 *   records in one pass (`FrameScanner.framePackets` → the WASM `v2Frames`): the AEAD authenticated them, so there is
 *   no checksum to verify, but command ids, statuses and per-command caps are the v1 scan's.
 * - Outbound: `wrap(frame)` / `wrapMany(frames)` return the bytes to write for v1 frames. v1 returns
 *   them as they are (`passthrough`); v2 seals a run of frames into packets in one WASM call
 *   (`V2Session.sendFrames` → `PacketCipher.sealFrames`).
 * - A transport may need to write before any message (a v2 key exchange): it uses
 *   `sink.writeRaw`, and calls `sink.onReady()` once messages may flow (v1: at `start()`).
 * - Errors: `sink.onError(err, fatal)` with a typed error. Peer faults carry wire codes
 *   (ERR_FRAME_*, ERR_PAYLOAD_*, ERR_V2_*) that ban/ban-policy.ts maps to offences; our own
 *   failures (ERR_POOL_*, ERR_WASM, ERR_INTERNAL) never score. After a fatal error the transport
 *   delivers nothing more.
 */
import type { RelayError } from '../errors.js';
import type { FrameBatch } from '../framing/frame-batch.js';
import type { FrameVerifier } from '../framing/frame-verifier.js';

export interface TransportSink {
  /** Verified v1 frames; the batch is valid only during the call. */
  onBatch(batch: FrameBatch): void;
  onError(err: RelayError, fatal: boolean): void;
  /** Messages may be sent from now on (the peer sends its version then). */
  onReady(): void;
  /** Bytes the transport itself must send (handshake material), ahead of queued messages. */
  writeRaw(bytes: Uint8Array): void;
}

export interface TransportContext {
  /** Network magic (u32) of the v1 frames. */
  readonly magic: number;
  readonly verifier: FrameVerifier;
  readonly direction: 'inbound' | 'outbound';
  /** HOST:PORT of the peer (the node picks v1 or v2 per address). */
  readonly addr: string;
  readonly sink: TransportSink;
}

export interface Transport {
  /** v2 transports that accepted a v1 peer on the same port report 'v1' from then on. */
  readonly name: 'v1' | 'v2';
  /** BIP324 session id in hex for v2, null otherwise. */
  readonly sessionId?: string | null;
  /** True when `wrap` returns its input unchanged (the writer then skips the calls). */
  readonly passthrough: boolean;
  /** Called once after construction, when the socket is connected. */
  start(): void;
  /**
   * Socket bytes in; batches and errors come out through the sink. Never throws on peer input. The
   * chunk is read only during the call (it may be a reused read buffer): what waits is copied.
   */
  receive(chunk: Uint8Array): void;
  /** Wire bytes for one outgoing v1 frame. */
  wrap(frame: Uint8Array): Uint8Array;
  /** Wire bytes for a run of outgoing v1 frames, in order (v2: one batch of packets). */
  wrapMany(frames: readonly Uint8Array[]): Uint8Array;
  /** Bytes received but not yet delivered (backpressure reads this). */
  readonly pendingBytes: number;
  /** True while a batch is out being verified (in the pool). */
  readonly busy: boolean;
  /** Fires when a busy transport becomes idle again. */
  onIdle: (() => void) | undefined;
  /**
   * Stops decoding and releases buffered bytes. `why`: the handshake timer fired ('timeout'), the
   * peer's stream ended ('ended': closed or errored), or this node closed it ('local', the default).
   */
  close(why?: TransportCloseCause): void;
}

export type TransportCloseCause = 'timeout' | 'ended' | 'local';

export type TransportFactory = (ctx: TransportContext) => Transport;
