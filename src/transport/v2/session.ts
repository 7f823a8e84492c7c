/**
 * One BIP324 v2 connection as a pure byte-stream state machine: bytes in (receive), bytes out
 * (start, send), received messages up as runs of v1 frames with their records. No sockets, timers or clocks inside: the caller writes what it is
 * given, calls timeout() when its handshake timer fires and end() when the stream closes.
 * Peer bytes never throw out of here: every failure is a V2TransportError in the output, after
 * which the session is dead and the caller disconnects (no ban score: docs/v2-transport.md).
 *
 *   responder: detect v1 or v2 from the first 16 bytes → key → garbage → version → app
 *   initiator:                                           key → garbage → version → app
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { WasmInstance } from '../../wasm/loader.js';
import { HEADER_SIZE } from '../../wire/constants.js';
import { PacketCipher, type SealInput } from '../../wasm/v2-cipher.js';
import { V2TransportError } from './errors.js';
import { deriveKeys, ecdhSecret, ELLSWIFT_BYTES, generateKeyPair, GARBAGE_TERMINATOR_BYTES, type V2KeyPair } from './keys.js';
import { frameMessageType, messageType } from '../../wire/v2-message-types.js';
import { PacketReader, type FrameRun } from './packet-reader.js';

export type { FrameRun } from './packet-reader.js';

/** An application message to send: its v1 command and payload. */
export interface V2Message {
  command: string;
  payload: Uint8Array;
}

/** Most garbage a peer may send before its terminator (BIP324). */
export const MAX_GARBAGE_BYTES = 4095;
/** Bytes that tell a v1 peer: the network magic then "version" NUL-padded to 12 (BIP324). */
export const V1_PREFIX_BYTES = 16;

export type V2Phase = 'detect' | 'key' | 'garbage' | 'version' | 'app' | 'v1' | 'failed';

export interface V2SessionOptions {
  initiating: boolean;
  /** Network magic as a u32 value (src/wire/constants.ts NETWORKS). */
  magic: number;
  /** Ephemeral key; default a fresh one. */
  keyPair?: V2KeyPair;
  /** Garbage sent after our key; default random bytes of random length 0..4095, as Core does. */
  garbage?: Uint8Array;
  /** Contents lengths of decoy packets to send before our version packet. */
  decoys?: readonly number[];
  /** Header + contents size from which node:crypto seals and opens packets. */
  nativeMin?: number;
  /**
   * Default true. False: received messages come as v1 frames only, without records (checksum
   * fields 0, no per-command caps, nothing hashed), for a consumer that only walks the frames
   * (the load generators, bench/load/v2-lite.ts).
   */
  frameRecords?: boolean;
  wasm?: WasmInstance;
}

/** What one receive() call produced. */
export interface V2Output {
  /** Bytes to write, or undefined. */
  send?: Uint8Array;
  /**
   * Application messages, in order, as runs of v1 frames (usually one per read). The last run's
   * records live in WASM memory: read them before the next call into the module.
   */
  runs: FrameRun[];
  /** Decoy packets authenticated and dropped. */
  decoys: number;
  /** Packets dropped for a message type we cannot map (Core drops them and keeps the peer). */
  dropped: number;
  /** Set once: the session is dead, disconnect. */
  error?: V2TransportError;
  /** Responder only: the peer speaks v1. These are all the bytes it sent so far; feed them to v1. */
  v1?: Uint8Array;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** First index >= `from` and <= `limit` where `needle` starts in `hay`, or -1. */
function indexOf(hay: Uint8Array, needle: Uint8Array, from: number, limit: number): number {
  const last = Math.min(hay.length - needle.length, limit);
  const first = needle[0]!;
  outer: for (let i = from; i <= last; i++) {
    if (hay[i] !== first) continue;
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export class V2Session {
  readonly initiating: boolean;
  private phaseValue: V2Phase;
  private readonly magic: number;
  /** Made on first use (keyPair, garbage): see there. */
  private keyPairValue: V2KeyPair | undefined;
  private garbageValue: Uint8Array | undefined;
  private readonly decoyLengths: readonly number[];
  private readonly cipherOptions: { nativeMin?: number; wasm?: WasmInstance };
  private readonly frameRecords: boolean;
  private readonly v1Prefix: Uint8Array;
  private inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private sendCipher: PacketCipher | undefined;
  private recvCipher: PacketCipher | undefined;
  private recvTerminator: Uint8Array | undefined;
  private reader: PacketReader | undefined;
  private outbox: SealInput[] = [];
  private sessionIdValue: Uint8Array | undefined;
  /** Garbage positions already searched for the terminator (a peer sending 1 byte per read costs O(n), not O(n²)). */
  private garbageSearched = 0;

  constructor(options: V2SessionOptions) {
    this.initiating = options.initiating;
    this.magic = options.magic >>> 0;
    this.keyPairValue = options.keyPair;
    this.garbageValue = options.garbage;
    if (options.garbage !== undefined && options.garbage.length > MAX_GARBAGE_BYTES) throw new RangeError(`garbage of ${options.garbage.length} bytes exceeds ${MAX_GARBAGE_BYTES}`);
    this.decoyLengths = options.decoys ?? [];
    this.cipherOptions = { nativeMin: options.nativeMin, wasm: options.wasm };
    this.frameRecords = options.frameRecords ?? true;
    this.phaseValue = this.initiating ? 'key' : 'detect';
    this.v1Prefix = new Uint8Array(V1_PREFIX_BYTES);
    new DataView(this.v1Prefix.buffer).setUint32(0, this.magic, true);
    this.v1Prefix.set(Buffer.from('version', 'ascii'), 4);
  }

  get phase(): V2Phase {
    return this.phaseValue;
  }

  /**
   * Our ElligatorSwift key pair, made when first needed: an initiator's when it starts, a
   * responder's only once the peer's first bytes are not a v1 version message. A key costs ~0.8 ms
   * of CPU here (@noble/curves), which every v1 peer connecting to a v2-capable node used to cost
   * us for nothing (1,000 v1 sinks: over a second of the node's time).
   */
  private get keyPair(): V2KeyPair {
    return (this.keyPairValue ??= generateKeyPair());
  }

  /** Our garbage (BIP324: up to 4,095 random bytes after the key), made with the key pair. */
  private get garbage(): Uint8Array {
    return (this.garbageValue ??= randomBytes(randomInt(MAX_GARBAGE_BYTES + 1)));
  }

  /** Whether our key pair has been made (a responder whose peer spoke v1 never makes one). */
  get hasKeyPair(): boolean {
    return this.keyPairValue !== undefined;
  }

  /** The 32-byte session id once keys are derived (compare it out of band, BIP324). */
  get sessionId(): Uint8Array | undefined {
    return this.sessionIdValue;
  }

  /** Received bytes not yet turned into messages (handshake bytes, a partial packet). */
  get pendingBytes(): number {
    return this.inboxBytes + (this.reader?.pendingBytes ?? 0);
  }

  /** True once the peer's version packet arrived: the connection is v2 for good. */
  get established(): boolean {
    return this.phaseValue === 'app';
  }

  /** Bytes to send when the connection opens: the initiator's key and garbage; nothing for a responder. */
  start(): Uint8Array | undefined {
    if (!this.initiating) return undefined;
    return concat([this.keyPair.ellswift, this.garbage], ELLSWIFT_BYTES + this.garbage.length);
  }

  /**
   * Wire bytes for `messages`. Before the keys exist they are queued and go out right after our
   * version packet (in the output of the receive() that derives the keys); then undefined.
   */
  send(messages: readonly V2Message[]): Uint8Array | undefined {
    const packets = messages.map((m): SealInput => ({ type: messageType(m.command), contents: m.payload }));
    return this.sendPackets(packets);
  }

  /**
   * send for whole v1 frames (24-byte header + payload, as built for v1 peers), sealed straight
   * from the frames (PacketCipher.sealFrames); queued as send() queues before the keys exist.
   */
  sendFrames(frames: readonly Uint8Array[]): Uint8Array | undefined {
    const cipher = this.sendCipher;
    if (cipher === undefined || this.phaseValue === 'failed' || this.phaseValue === 'v1') {
      return this.sendPackets(frames.map((f): SealInput => ({ type: frameMessageType(f), contents: f.subarray(HEADER_SIZE) })));
    }
    return frames.length === 0 ? undefined : cipher.sealFrames(frames);
  }

  /** A decoy packet of `length` contents bytes (the peer authenticates and drops it). */
  sendDecoy(length: number): Uint8Array | undefined {
    return this.sendPackets([{ contents: new Uint8Array(length), ignore: true }]);
  }

  private sendPackets(packets: SealInput[]): Uint8Array | undefined {
    if (this.phaseValue === 'failed' || this.phaseValue === 'v1') return undefined;
    if (this.sendCipher === undefined) {
      this.outbox.push(...packets);
      return undefined;
    }
    return packets.length === 0 ? undefined : this.sendCipher.seal(packets);
  }

  /**
   * Feeds received bytes; see V2Output. The chunk is read only during the call (the caller may
   * reuse its memory): what waits for more bytes is kept as a copy.
   */
  receive(chunk: Uint8Array): V2Output {
    const out: V2Output = { runs: [], decoys: 0, dropped: 0 };
    if (this.phaseValue === 'failed' || this.phaseValue === 'v1') return out;
    if (chunk.length > 0) {
      this.inbox.push(chunk);
      this.inboxBytes += chunk.length;
    }
    const sends: Uint8Array[] = [];
    for (;;) {
      const before: V2Phase = this.phaseValue;
      const beforeBytes = this.inboxBytes;
      this.step(out, sends);
      if (out.error !== undefined || out.v1 !== undefined) break;
      if (this.phaseValue === before && this.inboxBytes === beforeBytes) break;
    }
    if (sends.length > 0) out.send = concat(sends, sends.reduce((n, s) => n + s.length, 0));
    this.keepInbox();
    return out;
  }

  /** What is left in the inbox outlives this call: as one copy of ours, not a view of the caller's chunk. */
  private keepInbox(): void {
    if (this.inboxBytes === 0) return;
    const all = concat(this.inbox, this.inboxBytes);
    this.inbox = [this.inbox.length === 1 ? Uint8Array.prototype.slice.call(all) : all];
  }

  /**
   * The stream closed. An error if it ended inside the handshake or a packet; undefined after a
   * clean end between packets.
   */
  end(): V2TransportError | undefined {
    // 'detect': nothing, or only the start of a v1 header, came in — no v2 stream to fail.
    if (this.phaseValue === 'failed' || this.phaseValue === 'v1' || this.phaseValue === 'detect') return undefined;
    const phase = this.phaseValue;
    const pending = this.pendingBytes;
    this.phaseValue = 'failed';
    if (phase === 'app' && pending === 0) return undefined;
    return new V2TransportError('truncated', phase === 'app' ? `stream ended inside a v2 packet (${pending} bytes pending)` : `stream ended during the v2 handshake (${phase})`, { phase, pending });
  }

  /**
   * For an initiator whose connection closed: true when the peer never sent its key, so it may
   * speak v1 only (or a v2-advertising address lied); Core then reconnects with v1.
   */
  shouldRetryV1(): boolean {
    return this.initiating && this.phaseValue !== 'app' && this.recvCipher === undefined;
  }

  /** The caller's handshake timer fired: an error unless the handshake is complete. */
  timeout(): V2TransportError | undefined {
    if (this.phaseValue === 'app' || this.phaseValue === 'failed' || this.phaseValue === 'v1' || this.phaseValue === 'detect') return undefined;
    const phase = this.phaseValue;
    this.phaseValue = 'failed';
    return new V2TransportError('no-version', `v2 handshake did not complete in time (${phase})`, { phase });
  }

  private fail(out: V2Output, error: V2TransportError): void {
    this.phaseValue = 'failed';
    this.inbox = [];
    this.inboxBytes = 0;
    out.error = error;
  }

  /** All buffered bytes as one array (kept as the single inbox chunk). */
  private buffered(): Uint8Array {
    const all = concat(this.inbox, this.inboxBytes);
    this.inbox = this.inboxBytes === 0 ? [] : [all];
    return all;
  }

  private consume(n: number): void {
    if (n === 0) return;
    const all = this.buffered();
    this.inboxBytes -= n;
    this.inbox = this.inboxBytes === 0 ? [] : [all.subarray(n)];
  }

  private step(out: V2Output, sends: Uint8Array[]): void {
    switch (this.phaseValue) {
      case 'detect':
        return this.stepDetect(out, sends);
      case 'key':
        return this.stepKey(out, sends);
      case 'garbage':
        return this.stepGarbage(out);
      case 'version':
      case 'app':
        return this.stepPackets(out);
      default:
        return;
    }
  }

  private stepDetect(out: V2Output, sends: Uint8Array[]): void {
    if (this.inboxBytes === 0) return;
    const all = this.buffered();
    const n = Math.min(all.length, V1_PREFIX_BYTES);
    for (let i = 0; i < n; i++) {
      if (all[i] !== this.v1Prefix[i]) {
        // Not v1: answer with our key and garbage at once (BIP324 responder).
        sends.push(this.keyPair.ellswift, this.garbage);
        this.phaseValue = 'key';
        return;
      }
    }
    if (n === V1_PREFIX_BYTES) {
      this.phaseValue = 'v1';
      out.v1 = all;
      this.inbox = [];
      this.inboxBytes = 0;
    }
  }

  private stepKey(out: V2Output, sends: Uint8Array[]): void {
    if (this.initiating && this.answeredInV1(out)) return;
    if (this.inboxBytes < ELLSWIFT_BYTES) return;
    const theirs = Uint8Array.prototype.slice.call(this.buffered(), 0, ELLSWIFT_BYTES);
    this.consume(ELLSWIFT_BYTES);
    const secret = ecdhSecret(this.keyPair, theirs, this.initiating);
    if (secret === undefined) {
      this.fail(out, new V2TransportError('bad-tag', 'peer key did not decode'));
      return;
    }
    const keys = deriveKeys(secret, this.magic, this.initiating);
    this.sessionIdValue = keys.sessionId;
    this.recvTerminator = keys.recvGarbageTerminator;
    this.sendCipher = new PacketCipher(keys.sendP, keys.sendL, this.cipherOptions);
    this.recvCipher = new PacketCipher(keys.recvP, keys.recvL, this.cipherOptions);
    // Terminator, decoys, version packet (empty contents), then whatever was queued. The first
    // packet carries our garbage as AAD.
    const packets: SealInput[] = this.decoyLengths.map((n) => ({ contents: new Uint8Array(n), ignore: true }));
    packets.push({ contents: new Uint8Array(0) }, ...this.outbox);
    this.outbox = [];
    sends.push(keys.sendGarbageTerminator, this.sendCipher.seal(packets, this.garbage));
    this.phaseValue = 'garbage';
  }

  /**
   * Initiator: a responder that speaks v1 only answers our key with its own version message (bcoin
   * sends version on connect, lib/net/peer.js). Its first 16 bytes are the v1 version prefix, which
   * a v2 key starts with with probability 2^-128 (BIP324), so this is final: fail at once rather
   * than feed more of our bytes to a v1 parser that may score them.
   */
  private answeredInV1(out: V2Output): boolean {
    const all = this.buffered();
    const n = Math.min(all.length, V1_PREFIX_BYTES);
    for (let i = 0; i < n; i++) if (all[i] !== this.v1Prefix[i]) return false;
    if (n < V1_PREFIX_BYTES) return true; // could still be the prefix: wait for more bytes
    this.fail(out, new V2TransportError('v1-reply', 'the peer answered our v2 key with a v1 version message: it speaks v1 only'));
    return true;
  }

  private stepGarbage(out: V2Output): void {
    if (this.inboxBytes < GARBAGE_TERMINATOR_BYTES) return;
    const all = this.buffered();
    const at = indexOf(all, this.recvTerminator!, this.garbageSearched, MAX_GARBAGE_BYTES);
    if (at < 0) {
      this.garbageSearched = all.length - GARBAGE_TERMINATOR_BYTES + 1;
      if (all.length >= MAX_GARBAGE_BYTES + GARBAGE_TERMINATOR_BYTES) {
        this.fail(out, new V2TransportError('garbage-too-long', `no garbage terminator in the first ${MAX_GARBAGE_BYTES + GARBAGE_TERMINATOR_BYTES} bytes`));
      }
      return;
    }
    // The version packet is the first non-decoy packet; its contents are ignored (BIP324:
    // reserved for future negotiation). The garbage authenticates the first packet.
    // The garbage is kept until the first packet opens: a copy (Uint8Array's slice copies, a
    // Buffer's would be a view).
    this.reader = new PacketReader(this.recvCipher!, this.magic, Uint8Array.prototype.slice.call(all, 0, at), 1, this.frameRecords);
    this.consume(at + GARBAGE_TERMINATOR_BYTES);
    this.phaseValue = 'version';
  }

  private stepPackets(out: V2Output): void {
    if (this.inboxBytes === 0) return;
    // One push per receive: the run it returns last points into WASM memory.
    const bytes = concat(this.inbox, this.inboxBytes);
    this.inbox = [];
    this.inboxBytes = 0;
    const reader = this.reader!;
    const r = reader.push(bytes);
    out.runs.push(...r.runs);
    out.decoys += r.decoys;
    out.dropped += r.dropped;
    if (!reader.skipping) this.phaseValue = 'app';
    if (r.failure !== undefined) {
      this.fail(
        out,
        r.failure === 'bad-tag'
          ? new V2TransportError('bad-tag', 'v2 packet failed authentication')
          : new V2TransportError('oversize', 'v2 packet length exceeds 4,000,013 bytes'),
      );
    }
  }
}
