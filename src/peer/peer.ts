/**
 * One TCP connection to a peer: framing, the version handshake, keep-alive, timeouts, the known
 * inventory, trickled announcements and a bounded send queue with TCP backpressure.
 *
 * The peer decides nothing about relay: after the handshake it hands messages to its host (the
 * node). Malformed input becomes a typed error and an offence reported to the host, which scores
 * it; nothing a peer sends can throw out of here.
 */
import type { Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { RelayError, WireError, hasErrorCode } from '../errors.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import { StreamDecoder } from '../framing/stream-decoder.js';
import type { Frame } from '../framing/frame.js';
import type { FrameVerifier } from '../framing/frame-verifier.js';
import { decodePayload, encodePayload } from '../wire/codec.js';
import { newVersionMessage } from '../wire/messages/version.js';
import type { Message } from '../wire/codec.js';
import {
  ADDRV2_VERSION,
  BIP0031_VERSION,
  MIN_PEER_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  RejectCode,
  REJECT_VERSION,
} from '../wire/constants.js';
import type { Command } from '../wire/constants.js';
import { LruSet } from '../util/lru-set.js';
import { PeerStats } from '../stats/peer-stats.js';
import { serviceNames } from '../wire/services.js';
import { SendQueue } from './send-queue.js';
import type { DisconnectReason, PeerDirection, PeerInfo, PeerState, RelayConfig } from '../node/types.js';

/** Known-inventory LRU size per peer (btcd maxKnownInventory). */
export const MAX_KNOWN_INVENTORY = 1000;
/** Entries per trickled inv message (btcd maxInvTrickleSize). */
export const MAX_INV_TRICKLE = 1000;
/** Bytes handed to the kernel before we wait for 'drain'; the rest stays in our bounded queue. */
const WRITE_BUDGET_BYTES = 256 * 1024;

export type Offence =
  | 'bad_magic'
  | 'oversize_frame'
  | 'oversize_command'
  | 'bad_checksum'
  | 'bad_command'
  | 'malformed_payload'
  | 'handshake_violation'
  | 'duplicate_version'
  | 'duplicate_verack';

export interface FrameEncoder {
  encodeFrame(magic: number, command: string, payload: Uint8Array): Uint8Array;
}

/** What a peer needs from the node that owns it. */
export interface PeerHost {
  readonly config: RelayConfig;
  readonly magic: number;
  readonly clock: Clock;
  readonly verifier: FrameVerifier;
  readonly encoder: FrameEncoder;
  /** Nonces of version messages we sent recently: seeing one come back means we dialled ourselves. */
  readonly sentNonces: LruSet<bigint>;
  bestHeight(): number;
  onEstablished(peer: Peer): void;
  onMessage(peer: Peer, msg: Message): void;
  onOffence(peer: Peer, offence: Offence, error: RelayError | null): void;
  onClosed(peer: Peer, reason: DisconnectReason): void;
  /** An inbound peer's version arrived: is it one of our mesh instances? */
  isMeshPeer(peer: Peer, userAgent: string | undefined): boolean;
  /** The user agent to send to this peer (mesh dials carry our listen address). */
  userAgentFor(peer: Peer): string;
  /** Per-command traffic accounting (metrics). */
  countIn(commandId: number, bytes: number): void;
  countOut(command: string, bytes: number): void;
}

/** An inventory item waiting for the next trickle (hash in internal byte order). */
interface PendingInv {
  readonly type: number;
  readonly hash: Uint8Array;
  readonly key: string;
}

function randomNonce(): bigint {
  // 63-bit like btcd, so it is never confused with a sign bit by other implementations.
  return randomBytes(8).readBigUInt64LE() & 0x7fff_ffff_ffff_ffffn;
}

export class Peer {
  readonly connectedAt: number;
  state: PeerState = 'handshaking';
  protocolVersion: number | null = null;
  userAgent: string | null = null;
  services = 0n;
  startHeight: number | null = null;
  /** The peer's version `relay` flag: false asks us not to announce transactions. */
  relayTxs = true;
  wantsAddrV2 = false;
  wantsWtxid = false;
  wantsHeaders = false;
  /** feefilter in sat/kB; 0 when none. */
  feeFilter = 0n;
  banScore = 0;
  /** getpeerinfo-style counters: per-message bytes, last send/receive, ping and minimum ping. */
  readonly stats = new PeerStats();
  bytesIn = 0;
  bytesOut = 0;
  messagesIn = 0;
  messagesOut = 0;
  /** Inventory the peer is known to have (it announced or sent it, or we announced it). */
  readonly knownInventory = new LruSet<string>(MAX_KNOWN_INVENTORY);
  /** True once the node has answered a getaddr on this connection (btcd: once per connection). */
  answeredGetaddr = false;

  private readonly decoder: StreamDecoder;
  private readonly queue: SendQueue;
  private readonly log: Logger;
  private gotVersion = false;
  private sentVerack = false;
  private gotVerack = false;
  private closed = false;
  private paused = false;
  private lastRecv: number;
  private lastPingSent = 0;
  private pingNonce: bigint | null = null;
  private nextPingAt: number;
  private nextTrickleAt: number;
  private trickle: PendingInv[] = [];
  /** Requests we sent, keyed by item, with their deadline; set when the bytes reached the kernel. */
  private readonly awaiting = new Map<string, number>();
  private readonly handshakeDeadline: number;
  private flushScheduled = false;
  private rateLimited = false;
  private rxTokens: number;
  private rxLastMs: number;
  /** Announcements that go out this turn (blocks, mesh peers, zero trickle interval). */
  private immediateInv: PendingInv[] = [];

  constructor(
    /** Connection id (small integer, see IdAllocator): keys the ban slot and the flows. */
    readonly id: number,
    private readonly host: PeerHost,
    private readonly socket: Socket,
    readonly addr: string,
    readonly direction: PeerDirection,
    readonly permanent: boolean,
    /** A trusted instance of our relay mesh: no ban score, no trickle delay. Set on dial or by version. */
    public mesh: boolean,
    logger: Logger,
  ) {
    const now = host.clock.now();
    this.connectedAt = now;
    this.lastRecv = now;
    this.handshakeDeadline = now + host.config.handshakeTimeoutMs;
    this.rxTokens = host.config.receiveBurstBytes;
    this.rxLastMs = now;
    this.nextPingAt = now + host.config.pingIntervalMs;
    this.nextTrickleAt = now + host.config.trickleIntervalMs;
    this.log = logger.child({ peer: addr });
    const cfg = host.config;
    this.queue = new SendQueue(cfg.sendQueueMaxBytes, cfg.sendQueueMaxMessages);
    this.decoder = new StreamDecoder(host.magic, host.verifier, {
      onFrame: (f) => this.onFrame(f),
      onFrameError: (e, fatal) => this.onFrameError(e, fatal),
    });
    this.decoder.onIdle = () => this.maybeResume();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.flushNow());
    socket.on('error', (err) => {
      this.log.debug('socket error', { err });
      this.close('socket_error');
    });
    socket.on('close', () => this.close('remote'));
    if (direction === 'outbound') this.sendVersion();
  }

  get established(): boolean {
    return this.state === 'established';
  }

  get sendQueueBytes(): number {
    return this.queue.byteLength;
  }

  get rttMs(): number | null {
    return this.stats.pingMs;
  }

  /** `whitelisted` is the node's to say; everything else is the connection's own. */
  info(): Omit<PeerInfo, 'whitelisted'> {
    return {
      id: this.id,
      addr: this.addr,
      direction: this.direction,
      permanent: this.permanent,
      mesh: this.mesh,
      state: this.state,
      protocolVersion: this.protocolVersion,
      userAgent: this.userAgent,
      services: this.services.toString(),
      servicesNames: serviceNames(this.services),
      startHeight: this.startHeight,
      relay: this.relayTxs,
      banScore: this.banScore,
      rttMs: this.stats.pingMs,
      minRttMs: this.stats.minPingMs,
      connectedAt: this.connectedAt,
      lastSend: this.stats.lastSend,
      lastRecv: this.stats.lastRecv,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      bytesSentPerMsg: this.stats.bytesSentPerMessage(),
      bytesRecvPerMsg: this.stats.bytesReceivedPerMessage(),
      sendQueueBytes: this.queue.byteLength,
    };
  }

  // ---- receiving -------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.bytesIn += chunk.byteLength;
    this.meterReceive(chunk.byteLength);
    try {
      this.decoder.push(chunk);
    } catch (err) {
      // Frame errors arrive as statuses; a throw here is ours (e.g. WASM memory that cannot grow).
      this.internalError(err, 'framing');
      return;
    }
    // Backpressure: a peer that sends faster than we frame is slowed by TCP, not by our memory.
    if (!this.paused && this.decoder.pendingBytes > this.host.config.receiveBufferMaxBytes && this.decoder.busy) {
      this.paused = true;
      this.socket.pause();
    }
  }

  private maybeResume(): void {
    if (this.paused && !this.closed) {
      this.paused = false;
      if (!this.rateLimited) this.socket.resume();
    }
  }

  /**
   * Per-peer receive limit (tailscale#19222): past its rate a peer's socket is not read until the
   * budget refills, so TCP slows the sender; nothing is dropped and nothing piles up here. Mesh
   * peers are exempt. The burst lets a whole block through at once.
   */
  private meterReceive(bytes: number): void {
    const rate = this.host.config.receiveRateBytesPerSec;
    if (rate === 0 || this.mesh) return;
    const now = this.host.clock.now();
    const burst = this.host.config.receiveBurstBytes;
    this.rxTokens = Math.min(burst, this.rxTokens + ((now - this.rxLastMs) * rate) / 1000) - bytes;
    this.rxLastMs = now;
    if (this.rxTokens >= 0 || this.rateLimited) return;
    this.rateLimited = true;
    this.socket.pause();
    const t = setTimeout(() => {
      this.rateLimited = false;
      if (!this.closed && !this.paused) this.socket.resume();
    }, Math.ceil((-this.rxTokens * 1000) / rate));
    t.unref();
  }

  private onFrameError(err: WireError, fatal: boolean): void {
    if (this.closed) return;
    if (hasErrorCode(err) && err.code.startsWith('ERR_POOL')) {
      // Our failure, not the peer's: drop the connection without blaming it.
      this.log.warn('frame verification failed in the pool', { err });
      this.close('local');
      return;
    }
    const offence: Offence =
      err.code === 'ERR_FRAME_BAD_MAGIC'
        ? 'bad_magic'
        : err.code === 'ERR_FRAME_OVERSIZE'
          ? 'oversize_frame'
          : err.code === 'ERR_FRAME_COMMAND_OVERSIZE'
            ? 'oversize_command'
            : err.code === 'ERR_FRAME_BAD_CHECKSUM'
              ? 'bad_checksum'
              : 'bad_command';
    this.log.debug('bad frame', { err, fatal });
    this.host.onOffence(this, offence, err);
    if (fatal) this.close('protocol');
  }

  private onFrame(frame: Frame): void {
    if (this.closed) return;
    this.lastRecv = this.host.clock.now();
    this.messagesIn++;
    this.host.countIn(frame.commandId, frame.payload.byteLength + 24);
    this.stats.received(frame.commandId, frame.payload.byteLength + 24, this.lastRecv);
    const command = frame.command;
    if (command === undefined) return; // unknown commands are ignored, also during the handshake
    let msg: Message;
    try {
      msg = decodePayload(command, frame.payload, this.protocolVersion ?? PROTOCOL_VERSION);
    } catch (err) {
      if (!(err instanceof WireError)) return this.internalError(err, command);
      this.log.debug('malformed payload', { command, err });
      this.host.onOffence(this, 'malformed_payload', err);
      if (this.state !== 'established') this.close('protocol');
      return;
    }
    try {
      if (this.state === 'established') this.onEstablishedMessage(msg);
      else this.onHandshakeMessage(msg);
    } catch (err) {
      this.internalError(err, command);
    }
  }

  /**
   * A bug of ours met this peer's message: the process must not go down with it (bcoin#29,
   * bitcore-p2p#85). Logged loudly, the connection closed, the peer not blamed.
   */
  private internalError(err: unknown, command: string): void {
    this.log.error('internal error while handling a message; closing the connection', { command, err: String((err as Error)?.stack ?? err) });
    this.close('local');
  }

  private onHandshakeMessage(msg: Message): void {
    if (!this.gotVersion) {
      if (msg.command !== 'version') {
        this.sendReject(msg.command, RejectCode.Malformed, 'first message must be version');
        this.host.onOffence(this, 'handshake_violation', null);
        this.close('protocol');
        return;
      }
      this.onVersion(msg);
      return;
    }
    switch (msg.command) {
      case 'version':
        this.rejectDuplicate('version');
        return;
      case 'verack':
        this.gotVerack = true;
        this.maybeEstablish();
        return;
      case 'sendaddrv2':
        if ((this.protocolVersion ?? 0) >= ADDRV2_VERSION) this.wantsAddrV2 = true;
        return;
      case 'wtxidrelay':
        if ((this.protocolVersion ?? 0) >= ADDRV2_VERSION) this.wantsWtxid = true;
        return;
      default:
        // btcd: anything else before verack is an invalid handshake.
        this.host.onOffence(this, 'handshake_violation', null);
        this.close('protocol');
    }
  }

  /** btcd: a second version or verack gets reject(duplicate) and the connection is closed. */
  private rejectDuplicate(command: 'version' | 'verack'): void {
    this.sendReject(command, RejectCode.Duplicate, `duplicate ${command} message`);
    this.host.onOffence(this, command === 'version' ? 'duplicate_version' : 'duplicate_verack', null);
    this.close('duplicate');
  }

  private onVersion(msg: Extract<Message, { command: 'version' }>): void {
    this.gotVersion = true;
    if (msg.nonce !== undefined && this.host.sentNonces.has(msg.nonce)) {
      this.log.info('connected to ourselves, disconnecting');
      this.close('self_connection');
      return;
    }
    if (msg.protocolVersion < MIN_PEER_PROTOCOL_VERSION) {
      this.sendReject('version', RejectCode.Obsolete, `protocol version must be ${MIN_PEER_PROTOCOL_VERSION} or greater`);
      this.close('protocol');
      return;
    }
    this.protocolVersion = Math.min(PROTOCOL_VERSION, msg.protocolVersion);
    this.userAgent = msg.userAgent ?? null;
    this.services = msg.services;
    this.startHeight = msg.startHeight ?? null;
    // Absent before BIP37 (pver 70001): such peers always get transactions.
    this.relayTxs = msg.relay ?? true;
    if (this.direction === 'inbound' && this.host.isMeshPeer(this, msg.userAgent)) this.mesh = true;
    if (this.direction === 'inbound') this.sendVersion();
    if (this.protocolVersion >= ADDRV2_VERSION) {
      // BIP339 and BIP155 feature negotiation goes between version and verack.
      this.sendMessage({ command: 'wtxidrelay' });
      this.sendMessage({ command: 'sendaddrv2' });
    }
    this.sendMessage({ command: 'verack' });
    this.sentVerack = true;
    this.maybeEstablish();
  }

  private maybeEstablish(): void {
    if (!this.gotVerack || !this.sentVerack || this.state === 'established' || this.closed) return;
    this.state = 'established';
    // getpeerinfo shows a ping time from the start, not after the first ping interval.
    this.sendPing(this.host.clock.now());
    this.host.onEstablished(this);
  }

  private onEstablishedMessage(msg: Message): void {
    switch (msg.command) {
      case 'version':
        this.rejectDuplicate('version');
        return;
      case 'verack':
        this.rejectDuplicate('verack');
        return;
      case 'sendaddrv2':
      case 'wtxidrelay':
        // Feature negotiation after verack is a protocol violation (btcd: silent disconnect).
        this.close('protocol');
        return;
      case 'ping':
        if ((this.protocolVersion ?? 0) > BIP0031_VERSION) this.sendMessage({ command: 'pong', nonce: msg.nonce });
        return;
      case 'pong':
        if (this.pingNonce !== null && msg.nonce === this.pingNonce) {
          this.stats.pong(this.host.clock.now() - this.lastPingSent);
          this.pingNonce = null;
        }
        return;
      case 'feefilter':
        this.feeFilter = msg.minFee;
        return;
      case 'sendheaders':
        this.wantsHeaders = true;
        return;
      case 'reject':
        this.log.debug('peer rejected a message', { rejected: msg.message, code: msg.code, reason: msg.reason });
        return;
      default:
        this.host.onMessage(this, msg);
    }
  }

  // ---- sending ---------------------------------------------------------------------------------

  private sendVersion(): void {
    const nonce = randomNonce();
    this.host.sentNonces.add(nonce);
    this.sendMessage(
      newVersionMessage({
        nonce,
        userAgent: this.host.userAgentFor(this),
        timestampSec: Math.floor(this.host.clock.now() / 1000),
        startHeight: this.host.bestHeight(),
      }),
    );
  }

  private sendReject(command: string, code: number, reason: string): void {
    if ((this.protocolVersion ?? 0) < REJECT_VERSION) return;
    this.sendMessage({ command: 'reject', message: command, code, reason });
  }

  /** Encodes and queues a control message (never dropped; see sendFrame for the overflow rule). */
  sendMessage(msg: Message, onWritten?: () => void): void {
    if (this.closed) return;
    const pver = this.protocolVersion ?? PROTOCOL_VERSION;
    const payload = encodePayload(msg, pver);
    this.host.countOut(msg.command, payload.byteLength + 24);
    // Control messages are never dropped from the queue: counted when queued.
    this.stats.sent(msg.command, payload.byteLength + 24);
    this.sendFrame(this.host.encoder.encodeFrame(this.host.magic, msg.command, payload), false, onWritten);
  }

  /** Queues already-encoded frame bytes; `droppable` items go first when the queue is full. */
  sendFrame(bytes: Uint8Array, droppable: boolean, onWritten?: () => void, onDropped?: () => void): void {
    if (this.closed) {
      onDropped?.();
      return;
    }
    this.messagesOut++;
    // Over the bound, hand what the socket takes to the kernel first: only a peer that does not
    // read (its socket buffer stays full) should lose items, not one that asked for a burst.
    if (this.queue.byteLength + bytes.byteLength > this.queue.maxBytes || this.queue.length >= this.queue.maxMessages) this.flushNow();
    this.queue.push({ bytes, droppable, onWritten, onDropped });
    // Only control messages are left and they still exceed twice the bound: the peer asks (pings,
    // getdata) faster than it reads the answers. Buffering for it without end is not an option.
    if (this.queue.byteLength > 2 * this.queue.maxBytes || this.queue.length > 2 * this.queue.maxMessages) {
      this.log.info('peer does not read what it asks for; disconnecting', { queued: this.queue.byteLength });
      this.close('slow_reader');
      return;
    }
    this.scheduleFlush();
  }

  /**
   * Everything queued during one turn of the event loop leaves in one write: a syscall per frame
   * was the largest cost in the load profile (bench/results/profile-summary.md, 2026-11-22).
   */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(this.flushTask);
  }

  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    this.flushNow();
  };

  private flushNow(): void {
    if (this.closed && this.socket.destroyed) return;
    if (this.immediateInv.length > 0) this.sendInvBatch(this.takeImmediateInv());
    // Write while the kernel takes it; the rest waits in our bounded queue for 'drain'.
    while (this.socket.writableLength < WRITE_BUDGET_BYTES) {
      const first = this.queue.shift();
      if (first === undefined) return;
      let budget = WRITE_BUDGET_BYTES - this.socket.writableLength - first.bytes.byteLength;
      const parts: Uint8Array[] = [first.bytes];
      const callbacks: Array<() => void> = first.onWritten === undefined ? [] : [first.onWritten];
      let total = first.bytes.byteLength;
      while (budget > 0 && parts.length < 1024) {
        const next = this.queue.shift();
        if (next === undefined) break;
        parts.push(next.bytes);
        total += next.bytes.byteLength;
        budget -= next.bytes.byteLength;
        if (next.onWritten !== undefined) callbacks.push(next.onWritten);
      }
      this.bytesOut += total;
      this.stats.wrote(this.host.clock.now());
      const chunk = parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
      // A failed write calls back with the error: those bytes were not written (nor relayed).
      this.socket.write(chunk, callbacks.length === 0 ? undefined : (err) => err == null && callbacks.forEach((f) => f()));
    }
  }

  // ---- inventory -------------------------------------------------------------------------------

  /**
   * Queues an announcement. Blocks, mesh peers and a zero trickle interval go out this turn (one inv
   * for everything announced in the turn); other transactions wait for the trickle.
   */
  announce(type: number, hash: Uint8Array, key: string, immediate: boolean): void {
    if (this.closed || this.knownInventory.has(key)) return;
    if (immediate || this.mesh || this.host.config.trickleIntervalMs === 0) {
      this.knownInventory.add(key);
      this.immediateInv.push({ type, hash, key });
      this.scheduleFlush();
      return;
    }
    this.trickle.push({ type, hash, key });
  }

  private takeImmediateInv(): PendingInv[] {
    const items = this.immediateInv;
    this.immediateInv = [];
    return items;
  }

  /** Sends items as inv messages of at most MAX_INV_TRICKLE entries. */
  private sendInvBatch(items: readonly PendingInv[]): void {
    for (let i = 0; i < items.length; i += MAX_INV_TRICKLE) {
      const inventory = items.slice(i, i + MAX_INV_TRICKLE).map((it) => ({ type: it.type, hash: it.hash }));
      // Announcements are not dropped (a peer that misses one never asks for the item); a peer that
      // lets them pile up past twice the queue bound is disconnected instead (see sendFrame).
      this.sendMessage({ command: 'inv', inventory });
    }
  }

  /** Records that we asked for `key`; the stall deadline starts when the request is on the wire. */
  expect(key: string): () => void {
    return () => {
      if (!this.closed) this.awaiting.set(key, this.host.clock.now() + this.host.config.stallTimeoutMs);
    };
  }

  /** The peer answered (or said notfound) for `key`. */
  fulfilled(key: string): boolean {
    return this.awaiting.delete(key);
  }

  private flushTrickle(): void {
    if (this.trickle.length === 0) return;
    // What the peer announced to us while the item waited is not announced back (btcd).
    const items = this.trickle.filter((it) => !this.knownInventory.has(it.key));
    this.trickle = [];
    for (const it of items) this.knownInventory.add(it.key);
    this.sendInvBatch(items);
  }

  // ---- timers ----------------------------------------------------------------------------------

  /** Driven by the node's single ticker: handshake, idle, stall, ping and trickle deadlines. */
  tick(now: number): void {
    if (this.closed) return;
    if (this.state !== 'established') {
      if (now >= this.handshakeDeadline) this.close('handshake_timeout');
      return;
    }
    if (now - this.lastRecv >= this.host.config.idleTimeoutMs) {
      this.close('idle_timeout');
      return;
    }
    for (const deadline of this.awaiting.values()) {
      if (now >= deadline) {
        this.log.info('peer stalled on a request');
        this.close('stall');
        return;
      }
    }
    if (now >= this.nextPingAt) this.sendPing(now);
    if (now >= this.nextTrickleAt) {
      this.nextTrickleAt = now + this.host.config.trickleIntervalMs;
      this.flushTrickle();
    }
  }

  private sendPing(now: number): void {
    this.nextPingAt = now + this.host.config.pingIntervalMs;
    if ((this.protocolVersion ?? 0) <= BIP0031_VERSION) return;
    this.pingNonce = randomNonce();
    this.lastPingSent = now;
    this.sendMessage({ command: 'ping', nonce: this.pingNonce });
  }

  /** Closes the connection once; the host hears about it exactly once. */
  close(reason: DisconnectReason = 'local'): void {
    if (this.closed) return;
    // Control messages queued this turn (a reject explaining the disconnect) still go out.
    this.flushNow();
    this.closed = true;
    this.state = 'closed';
    this.decoder.close();
    for (const item of this.queue.clear()) item.onDropped?.();
    this.immediateInv = [];
    this.trickle = [];
    this.awaiting.clear();
    // end() lets queued control bytes (a reject) reach the peer; destroy() after a grace period.
    this.socket.end();
    const t = setTimeout(() => this.socket.destroy(), 1000);
    t.unref();
    this.host.onClosed(this, reason);
  }

  /** Forcefully ends the socket (bans, shutdown). */
  destroy(reason: DisconnectReason): void {
    this.close(reason);
    this.socket.destroy();
  }
}

export type { Command };
