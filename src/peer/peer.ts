/**
 * One connection to a peer, composed of: the transport (bytes ↔ verified frame batches,
 * src/transport), the handshake state machine, the batch dispatcher, inv trickling, the writer
 * (bounded queue, one coalesced write per turn) and the receive meter. Keep-alive and the
 * connection's own deadlines (handshake, idle, ping, trickle) are here; request deadlines belong
 * to the relay.
 *
 * The peer decides nothing about relay. Malformed input becomes a typed error and an offence
 * reported to the host, which scores it; nothing a peer sends can throw out of here.
 */
import { randomU64 } from '../util/random.js';
import { RelayError, type WireError } from '../errors.js';
import type { OffenceId } from '../ban/ban-policy.js';
import { offenceForError } from '../ban/ban-policy.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { FrameBatch } from '../framing/frame-batch.js';
import type { FrameVerifier } from '../framing/frame-verifier.js';
import { KnownInventory } from '../relay/known-inventory.js';
import type { Transport, TransportFactory } from '../transport/transport.js';
import { encodePayload } from '../wire/codec.js';
import type { Message } from '../wire/codec.js';
import { newVersionMessage } from '../wire/messages/version.js';
import { BIP0031_VERSION, MAX_INV_PER_MSG, PROTOCOL_VERSION, REJECT_VERSION } from '../wire/constants.js';
import type { InvEntries } from '../relay/inv-entries.js';
import type { Command } from '../wire/constants.js';
import type { LruSet } from '../util/lru-set.js';
import { PeerStats } from '../stats/peer-stats.js';
import { advertisedServices, serviceNames } from '../wire/services.js';
import type { ConnKind } from '../conn/conn-manager.js';
import { pingDecision } from '../health/ping-timeout.js';
import type { DisconnectReason, PeerDirection, PeerInfo, PeerState, RelayConfig } from '../types.js';
import type { BatchDispatcher, DispatchPeer } from './dispatch.js';
import { Handshake } from './handshake.js';
import type { HandshakePeer } from './handshake.js';
import { InvTrickle } from './inv-trickle.js';
import { INV_ENTRY_SIZE } from '../relay/inv-entries.js';
import type { TrickleSource, TrickleTurns } from './trickle-turns.js';
import { ReceiveMeter } from './receive-meter.js';
import { TURN_BUDGET_BYTES } from './turns.js';
import type { Turns } from './turns.js';
import { PeerWriter } from './writer.js';
import type { FlowSink, WritableSocket, WriteScheduler } from './writer.js';


export interface FrameEncoder {
  encodeFrame(magic: number, command: string, payload: Uint8Array): Uint8Array;
  /** Frames a payload laid out after 24 free bytes, in place (FrameScanner.frameInPlace). */
  frameInPlace(magic: number, command: string, frame: Uint8Array): Uint8Array;
}

/** The part of net.Socket a peer uses (an in-memory socket in tests and benchmarks). */
export interface PeerSocket extends WritableSocket {
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'drain' | 'close', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  setNoDelay(noDelay?: boolean): unknown;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  destroy(): unknown;
}

/** What a peer needs from the node that owns it. */
export interface PeerHost {
  readonly config: RelayConfig;
  readonly magic: number;
  readonly clock: Clock;
  readonly verifier: FrameVerifier;
  readonly encoder: FrameEncoder;
  readonly transport: TransportFactory;
  readonly scheduler: WriteScheduler;
  readonly turns: Turns;
  /** Trickles spread over turns (a flood's backlog is not sent in one). */
  readonly trickles: TrickleTurns;
  readonly flows: FlowSink;
  readonly dispatcher: BatchDispatcher<Peer>;
  /** Nonces of version messages we sent recently: seeing one come back means we dialled ourselves. */
  readonly sentNonces: LruSet<bigint>;
  /** The height our version message announces. */
  bestHeight(): number;
  onEstablished(peer: Peer): void;
  /** An offence (null: a violation that disconnects without score), with the error when there is one. */
  onOffence(peer: Peer, id: OffenceId | null, err: RelayError | null, why: string): void;
  onClosed(peer: Peer, reason: DisconnectReason): void;
  /** An inbound peer's version arrived: is it one of our mesh instances? */
  isMeshPeer(peer: Peer, userAgent: string | undefined): boolean;
  /** The user agent to send to this peer (mesh dials carry our listen address). */
  userAgentFor(peer: Peer): string;
  /** Per-command traffic accounting (metrics). */
  countOut(command: string, bytes: number): void;
}

function randomNonce(): bigint {
  // 63-bit like btcd, so it is never confused with a sign bit by other implementations.
  return randomU64() & 0x7fff_ffff_ffff_ffffn;
}

export class Peer implements DispatchPeer, HandshakePeer {
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
  messagesIn = 0;
  messagesOut = 0;
  /** Inventory the peer is known to have (it announced or sent it, or we announced it). */
  readonly known = new KnownInventory();
  /** True once the node has answered a getaddr on this connection (btcd: once per connection). */
  answeredGetaddr = false;

  readonly transport: Transport;
  private readonly handshake: Handshake;
  private readonly writer: PeerWriter;
  private readonly trickle: InvTrickle;
  private readonly meter: ReceiveMeter;
  private readonly log: Logger;
  private closed = false;
  /** Reading stops while any of these holds: backpressure, over the receive rate, over this turn's budget. */
  private paused = false;
  private rateLimited = false;
  private turnLimited = false;
  private reading = true;
  private turnEpoch = -1;
  private turnBytes = 0;
  private lastRecv: number;
  private lastPingSent = 0;
  private pingNonce: bigint | null = null;
  private nextPingAt: number;
  private nextTrickleAt: number;
  private readonly handshakeDeadline: number;

  constructor(
    /** Connection id (small integer, see IdAllocator): keys the ban slot and the flows. */
    readonly id: number,
    private readonly host: PeerHost,
    private readonly socket: PeerSocket,
    readonly addr: string,
    readonly direction: PeerDirection,
    readonly permanent: boolean,
    /** A trusted instance of our relay mesh: no ban score, no trickle delay. Set on dial or by version. */
    public mesh: boolean,
    logger: Logger,
    /** What an outbound connection is for (Core's connection types); null for inbound peers. */
    readonly kind: ConnKind | null = null,
  ) {
    const now = host.clock.now();
    const cfg = host.config;
    this.connectedAt = now;
    this.lastRecv = now;
    this.handshakeDeadline = now + cfg.handshakeTimeoutMs;
    this.nextPingAt = now + cfg.pingIntervalMs;
    this.nextTrickleAt = now + cfg.trickleIntervalMs;
    this.log = logger.child({ peer: addr });
    this.meter = new ReceiveMeter(host.clock, cfg.receiveRateBytesPerSec, cfg.receiveBurstBytes);
    this.handshake = new Handshake(this);
    this.trickle = new InvTrickle(this.known);
    this.transport = host.transport({
      magic: host.magic,
      verifier: host.verifier,
      direction,
      addr,
      sink: {
        onBatch: (batch) => this.onBatch(batch),
        onError: (err, fatal) => this.onTransportError(err, fatal),
        onReady: () => {
          if (direction === 'outbound') this.sendVersion();
        },
        writeRaw: (bytes) => this.writer.queueRaw(bytes),
      },
    });
    this.transport.onIdle = () => this.maybeResume();
    this.writer = new PeerWriter(
      id,
      socket,
      this.transport,
      { maxBytes: cfg.sendQueueMaxBytes, maxMessages: cfg.sendQueueMaxMessages },
      this.relayedFlows(host),
      host.scheduler,
      () => this.mesh,
    );
    this.writer.beforeFlush = () => this.trickle.drainImmediate(host.magic, this.queueInv);
    this.writer.onWrite = () => this.stats.wrote(host.clock.now());
    this.writer.onOverflow = () => {
      // Only control messages and announcements are left and they still exceed twice the bound:
      // the peer does not read what we send (answers, pings, inv). Buffering for it without end is
      // not an option.
      this.log.info('peer does not read what we send; disconnecting', { queued: this.writer.byteLength });
      this.close('slow_reader');
    };
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.writer.flush());
    socket.on('error', (err: Error) => {
      this.log.debug('socket error', { err });
      this.close('socket_error');
    });
    socket.on('close', () => this.close('remote'));
    this.transport.start();
  }

  /**
   * The node's flow sink, plus this connection's own counts of what it relayed (metrics and
   * getpeerinfo), both taken when the socket has the bytes: an item dropped while queued was not sent.
   */
  private relayedFlows(host: PeerHost): FlowSink {
    const flows = host.flows;
    return {
      delivered: (src, dst, bytes, mesh, kind) => {
        this.messagesOut++;
        host.countOut(kind, bytes);
        this.stats.sent(kind, bytes);
        flows.delivered(src, dst, bytes, mesh, kind);
      },
      dropped: (src, dst, reason, bytes) => flows.dropped(src, dst, reason, bytes),
    };
  }

  /** When the socket last gave us bytes (clock ms): the time of every frame of the current read. */
  get lastReceivedAt(): number {
    return this.lastRecv;
  }

  get established(): boolean {
    return this.state === 'established';
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get sendQueueBytes(): number {
    return this.writer.byteLength;
  }

  /** Bytes not yet on the wire (queued here or in the socket). */
  get writeBacklog(): number {
    return this.writer.backlog;
  }

  get bytesOut(): number {
    return this.writer.bytesOut;
  }

  /** `whitelisted` is the node's to say; everything else is the connection's own. */
  info(): Omit<PeerInfo, 'whitelisted' | 'bestKnownHeight' | 'compactHighBandwidth'> {
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
      bytesOut: this.writer.bytesOut,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      bytesSentPerMsg: this.stats.bytesSentPerMessage(),
      bytesRecvPerMsg: this.stats.bytesReceivedPerMessage(),
      sendQueueBytes: this.writer.byteLength,
      transport: this.transport.name,
      sessionId: this.transport.sessionId ?? null,
    };
  }

  // ---- receiving -------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    const n = chunk.byteLength;
    this.bytesIn += n;
    this.host.scheduler.sockets.reads++;
    if (!this.mesh) {
      const waitMs = this.meter.charge(n);
      if (waitMs > 0 && !this.rateLimited) this.rateLimit(waitMs);
      this.chargeTurn(n);
    }
    try {
      this.transport.receive(chunk);
    } catch (err) {
      // Frame errors arrive as statuses; a throw here is ours (e.g. WASM memory that cannot grow).
      this.internalError(err, 'framing');
      return;
    }
    // Backpressure: a peer that sends faster than we frame is slowed by TCP, not by our memory.
    if (!this.paused && this.transport.busy && this.transport.pendingBytes > this.host.config.receiveBufferMaxBytes) {
      this.paused = true;
      this.syncReading();
    }
  }

  /** Fair service: past its budget for this turn, the peer's next reads wait for the next turn. */
  private chargeTurn(n: number): void {
    const turns = this.host.turns;
    const epoch = turns.current();
    if (epoch !== this.turnEpoch) {
      this.turnEpoch = epoch;
      this.turnBytes = 0;
    }
    this.turnBytes += n;
    if (this.turnBytes < TURN_BUDGET_BYTES || this.turnLimited) return;
    this.turnLimited = true;
    this.syncReading();
    turns.next(() => {
      this.turnLimited = false;
      this.syncReading();
    });
  }

  /** Past its receive rate the socket is not read for `ms`, so TCP slows the sender. */
  private rateLimit(ms: number): void {
    this.rateLimited = true;
    this.syncReading();
    const t = setTimeout(() => {
      this.rateLimited = false;
      this.syncReading();
    }, ms);
    t.unref();
  }

  private maybeResume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.syncReading();
  }

  /** Pauses or resumes the socket to match the three reasons not to read. */
  private syncReading(): void {
    if (this.closed) return;
    const want = !this.paused && !this.rateLimited && !this.turnLimited;
    if (want === this.reading) return;
    this.reading = want;
    if (want) this.socket.resume();
    else this.socket.pause();
  }

  /** False while the socket is not being read (tests, peer view). */
  get readingInput(): boolean {
    return this.reading;
  }

  private onBatch(batch: FrameBatch): void {
    if (this.closed) return;
    this.lastRecv = this.host.clock.now();
    try {
      this.host.dispatcher.dispatch(this, batch);
    } catch (err) {
      this.internalError(err, 'dispatch');
    }
  }

  private onTransportError(err: RelayError, fatal: boolean): void {
    if (this.closed) return;
    if (err.code === 'ERR_V2_TRANSPORT') {
      // Not misbehaviour (Core: an on-path attacker can cause any v2 failure): no score, just the
      // connection. The transport has counted the reason.
      this.log.debug('v2 transport failure', { err });
      this.close('v2_failure');
      return;
    }
    if (fatal && this.direction === 'inbound' && this.messagesIn === 0 && err.details['streamOffset'] === 0) {
      // The first bytes of the connection are not a v1 header: likely a BIP324 v2 initiator (its
      // key is random bytes) meeting a v1-only node. Core disconnects without a score so that the
      // peer can retry with v1 (BIP324 "Signaling v2 support"); a ban would refuse that retry.
      this.log.debug('first bytes are not v1; disconnecting without score', { err });
      this.close('protocol');
      return;
    }
    const offence = offenceForError(err.code);
    if (offence === null) {
      // Our failure, not the peer's (a pool or worker error): drop the connection without blaming it.
      this.log.warn('frame verification failed on our side', { err });
      this.close('local');
      return;
    }
    this.log.debug('bad frame', { err, fatal });
    this.host.onOffence(this, offence, err, err.message);
    if (fatal) this.close('protocol');
  }

  /** A payload that did not decode (a peer fault by its code, or our bug). */
  onDecodeError(err: unknown, command: string): void {
    const code = err instanceof RelayError ? err.code : undefined;
    const offence = code === undefined ? null : offenceForError(code);
    if (offence === null) return this.internalError(err, command);
    this.log.debug('malformed payload', { command, err });
    this.host.onOffence(this, offence, err as WireError, (err as Error).message);
    if (this.state !== 'established') this.close('protocol');
  }

  /**
   * A bug of ours met this peer's message: the process must not go down with it (bcoin#29,
   * bitcore-p2p#85). Logged loudly, the connection closed, the peer not blamed.
   */
  internalError(err: unknown, command: string): void {
    this.log.error('internal error while handling a message; closing the connection', { command, err: String((err as Error)?.stack ?? err) });
    this.close('local');
  }

  /** DispatchPeer: a message before the handshake completed. */
  onHandshakeMessage(msg: Message): void {
    this.handshake.onMessage(msg);
  }

  /** A control message after the handshake; false when it is not one (the node handles it). */
  onControl(msg: Message): boolean {
    switch (msg.command) {
      case 'version':
        this.handshake.rejectDuplicate('version');
        return true;
      case 'verack':
        this.handshake.rejectDuplicate('verack');
        return true;
      case 'sendaddrv2':
      case 'wtxidrelay':
        // Feature negotiation after verack is a protocol violation (btcd: silent disconnect).
        this.host.onOffence(this, 'SENDADDRV2_AFTER_HANDSHAKE', null, `${msg.command} after verack`);
        this.close('protocol');
        return true;
      case 'ping':
        if ((this.protocolVersion ?? 0) > BIP0031_VERSION) this.sendMessage({ command: 'pong', nonce: msg.nonce });
        return true;
      case 'pong':
        if (this.pingNonce !== null && msg.nonce === this.pingNonce) {
          this.stats.pong(this.host.clock.now() - this.lastPingSent);
          this.pingNonce = null;
        }
        return true;
      case 'feefilter':
        this.feeFilter = msg.minFee;
        return true;
      case 'sendheaders':
        this.wantsHeaders = true;
        return true;
      case 'reject':
        this.log.debug('peer rejected a message', { rejected: msg.message, code: msg.code, reason: msg.reason });
        return true;
      default:
        return false;
    }
  }

  // ---- HandshakePeer -----------------------------------------------------------------------------

  isOwnNonce(nonce: bigint): boolean {
    if (!this.host.sentNonces.has(nonce)) return false;
    this.log.info('connected to ourselves, disconnecting');
    return true;
  }

  checkMesh(userAgent: string | undefined): void {
    if (this.host.isMeshPeer(this, userAgent)) this.mesh = true;
  }

  offence(id: OffenceId | null, why: string): void {
    this.host.onOffence(this, id, null, why);
  }

  onHandshakeDone(): void {
    if (this.closed) return;
    this.state = 'established';
    // A block-relay-only connection carries no transactions either way (Core): we said relay=0.
    if (this.kind === 'block-relay-only') this.relayTxs = false;
    // getpeerinfo shows a ping time from the start, not after the first ping interval.
    this.sendPing(this.host.clock.now());
    this.host.onEstablished(this);
  }

  // ---- sending ---------------------------------------------------------------------------------

  sendVersion(): void {
    const nonce = randomNonce();
    this.host.sentNonces.add(nonce);
    // Our version message is encoded at our own protocol version, whatever the peer's: at the
    // negotiated one, an old peer's (python-bitcoinlib's 60002) could not carry the relay field and
    // the encoder refused it, closing the connection before the handshake.
    const msg = newVersionMessage({
      nonce,
      userAgent: this.host.userAgentFor(this),
      timestampSec: Math.floor(this.host.clock.now() / 1000),
      startHeight: this.host.bestHeight(),
      services: advertisedServices(this.host.config.transport),
      relay: this.kind !== 'block-relay-only',
    });
    this.sendPayload('version', encodePayload(msg, PROTOCOL_VERSION));
  }

  sendReject(command: string, code: number, reason: string): void {
    if ((this.protocolVersion ?? 0) < REJECT_VERSION) return;
    this.sendMessage({ command: 'reject', message: command, code, reason });
  }

  /** Encodes and queues a control message (never dropped; see PeerWriter for the overflow rule). */
  sendMessage(msg: Message): void {
    if (this.closed) return;
    const payload = encodePayload(msg, this.protocolVersion ?? PROTOCOL_VERSION);
    this.sendPayload(msg.command, payload);
  }

  /** Queues a control message from its encoded payload. */
  sendPayload(command: string, payload: Uint8Array): void {
    if (this.closed) return;
    this.queueControl(command, this.host.encoder.encodeFrame(this.host.magic, command, payload));
  }

  /** Queues an already-encoded control frame (broadcasts), counted as any control message. */
  sendFrame(command: string, frame: Uint8Array): void {
    if (this.closed) return;
    this.queueControl(command, frame);
  }

  /**
   * RelayPeer: a cached item's frame (memory[off .. off + len), all of memory by default), written
   * as it arrived; droppable under pressure. Its bytes
   * are counted (metrics, getpeerinfo, relayed totals) once the socket has taken them.
   */
  sendRelayed(memory: Uint8Array, src: number, off?: number, len?: number): void {
    this.writer.queueRelayed(memory, src, off, len);
  }

  /** RelayPeer: sends the entries as getdata or notfound frames (and clears the list). */
  sendEntries(command: 'getdata' | 'notfound', list: InvEntries): void {
    if (this.closed) return list.clear();
    list.drain(this.host.magic, command, MAX_INV_PER_MSG, command === 'getdata' ? this.queueGetdata : this.queueNotfound);
  }

  private readonly queueInv = (frame: Uint8Array): void => this.queueControl('inv', frame);
  /** This peer's trickle as TrickleTurns drains it. */
  private readonly trickleSource: TrickleSource = ((peer: Peer): TrickleSource => ({
    drainSome: (budget) => (peer.closed ? 0 : peer.trickle.drainTrickle(peer.host.magic, peer.queueInv, budget)),
    get trickling(): boolean {
      return !peer.closed && peer.trickle.trickling;
    },
  }))(this);
  private readonly queueGetdata = (frame: Uint8Array): void => this.queueControl('getdata', frame);
  private readonly queueNotfound = (frame: Uint8Array): void => this.queueControl('notfound', frame);

  /** A control frame (never dropped, see PeerWriter for the overflow rule): counted when queued. */
  private queueControl(command: string, frame: Uint8Array): void {
    this.host.countOut(command, frame.byteLength);
    this.stats.sent(command, frame.byteLength);
    this.messagesOut++;
    this.writer.queueControl(frame);
  }

  /**
   * RelayPeer: queues an announcement of a hash the caller found not known to the peer (blocks,
   * mesh peers and trickle 0 go out this turn).
   */
  announce(type: number, src: Uint8Array, off: number, immediate: boolean): void {
    if (this.closed) return;
    const overflowed = this.trickle.overflowed;
    if (this.trickle.add(type, src, off, immediate || this.mesh || this.host.config.trickleIntervalMs === 0)) this.writer.schedule();
    else if (this.trickle.overflowed !== overflowed) this.host.flows.dropped(this.id, this.id, 'announce_overflow', INV_ENTRY_SIZE);
  }

  /** RelayPeer: one of our requests went unanswered past the stall deadline (btcd#518). */
  stalled(): void {
    this.log.info('peer stalled on a request');
    this.close('stall');
  }

  // ---- timers ----------------------------------------------------------------------------------

  /** Driven by the node's single ticker: handshake, idle, ping and trickle deadlines. */
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
    const ping = pingDecision({ outstandingSince: this.pingNonce === null ? null : this.lastPingSent, nextPingAt: this.nextPingAt }, now);
    if (ping === 'timeout') {
      this.log.info('peer left our ping unanswered for 20 minutes; disconnecting');
      this.close('ping_timeout');
      return;
    }
    if (ping === 'send') this.sendPing(now);
    if (now >= this.nextTrickleAt) {
      this.nextTrickleAt = now + this.host.config.trickleIntervalMs;
      this.trickle.startTrickle();
      this.host.trickles.drain(this.trickleSource);
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
    this.writer.flush();
    this.closed = true;
    this.state = 'closed';
    this.transport.close(reason === 'handshake_timeout' ? 'timeout' : reason === 'remote' || reason === 'socket_error' ? 'ended' : 'local');
    this.writer.close();
    this.trickle.clear();
    this.host.trickles.forget(this.trickleSource);
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
