/**
 * The relay node: accepts and dials peers, scores and bans misbehaviour, relays transactions and
 * blocks between peers, and keeps its durable decisions (bans, addresses, flap counts) on disk.
 * See docs/architecture.md for the data flow.
 *
 * All timers run off one ticker (1 s) that drives every peer, the relay and address persistence:
 * a thousand peers cost one timer, not four thousand.
 */
import { EventEmitter } from 'node:events';
import { createServer, connect as netConnect, isIP } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { RelayError } from '../errors.js';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { Logger } from '../log.js';
import { WorkerPool } from '../pool/pool.js';
import { FrameVerifier } from '../framing/frame-verifier.js';
import { FrameScanner } from '../wasm/frame-scanner.js';
import { hash256 as wasmHash256 } from '../wasm/hasher.js';
import { v1Transport } from '../transport/v1.js';
import type { Transport, TransportContext } from '../transport/transport.js';
import { V2Transport } from '../transport/v2/transport.js';
import type { V2FailureReason } from '../transport/v2/errors.js';
import { encodePayload } from '../wire/codec.js';
import type { Message } from '../wire/codec.js';
import { HEADER_SIZE, NETWORKS, NODE_P2P_V2, PROTOCOL_VERSION } from '../wire/constants.js';
import { hashToHex } from '../wire/hex.js';
import { txIds } from '../wire/tx-id.js';
import { LruSet } from '../util/lru-set.js';
import { ConnManager } from '../conn/conn-manager.js';
import { InboundSlots } from '../conn/inbound-policy.js';
import { RefusalLog } from '../conn/refusal-log.js';
import { DialScope } from '../conn/dial-scope.js';
import type { OffenceId } from '../ban/ban-policy.js';
import { DEFAULT_IDLE_EVICT_MS, FlowTable } from '../stats/flow-table.js';
import type { DropReason } from '../stats/drop-reasons.js';
import { MAX_PEER_ID } from '../stats/flow-index.js';
import { CoarseClock } from '../stats/coarse-clock.js';
import { emptyStatsView, NodeStats } from '../stats/node-stats.js';
import { nodeWarnings } from '../stats/node-warnings.js';
import { VERSION } from '../version.js';
import { IdAllocator } from '../util/id-allocator.js';
import { HealthStore } from '../health/health-store.js';
import { RelayMetrics } from '../metrics/metrics.js';
import { FRAME_ERROR_CODES } from '../metrics/metrics.js';
import type { FrameErrorCode } from '../metrics/metrics.js';
import { AdminServer, exposureWarning } from '../admin/http-server.js';
import type { AdminBackend, FlowOrder, FlowRow, HealthInfo } from '../admin/backend.js';
import { RpcServer } from '../rpc/server.js';
import type { RelayCacheTx, RpcBackend } from '../rpc/backend.js';
import { ZmqPublisher } from '../zmq/publisher.js';
import { RelayStreams, type BlockItem, type RelayStream, type StreamOptions, type TxItem } from '../streams/relay-streams.js';
import { Peer } from '../peer/peer.js';
import type { PeerHost, PeerSocket } from '../peer/peer.js';
import { BatchDispatcher } from '../peer/dispatch.js';
import { WriteScheduler } from '../peer/writer.js';
import { Turns } from '../peer/turns.js';
import type { FlowSink } from '../peer/writer.js';
import { InventoryRelay } from '../relay/inventory-relay.js';
import type { RelayHost } from '../relay/inventory-relay.js';
import type { RelayCache } from '../relay/relay-cache.js';
import { AddressGossip } from './address-gossip.js';
import { BanManager } from './ban-manager.js';
import { DurableState } from './durable-state.js';
import { resolveConfig, formatHostPort, parseHostPort } from './config.js';
import type { RelayOptions } from './config.js';
import type { BanInfo, DisconnectReason, NodeStatus, PeerInfo, RelayConfig, RelayEvents } from './types.js';

export interface RelayDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** btcd dumpAddressInterval: the address table is saved this often and at shutdown. */
const ADDR_SAVE_INTERVAL_MS = 10 * 60_000;
/** Flap counts are written hourly (lnd FlapCountFlushRate) and at shutdown. */
const FLAP_SAVE_INTERVAL_MS = 3_600_000;

export class RelayNode extends EventEmitter<RelayEvents> implements AdminBackend, RpcBackend {
  readonly config: RelayConfig;
  readonly clock: Clock;
  readonly log: Logger;
  private readonly magic: number;
  private readonly metrics: RelayMetrics;
  private readonly flowTable: FlowTable;
  private readonly coarseClock: CoarseClock;
  private nodeStats: NodeStats | undefined;
  private readonly healthStore: HealthStore;
  private readonly sentNonces = new LruSet<bigint>(50);
  private readonly peersById = new Map<number, Peer>();
  private readonly peersByAddr = new Map<string, Peer>();
  private readonly connReqOf = new Map<number, number>();
  private readonly peerIds: IdAllocator;
  private readonly meshAddrs: ReadonlySet<string>;
  /** Outbound peers redialled forever: --connect, --add-peer, --mesh and admin `connect --permanent`. */
  private readonly permanentAddrs: Set<string>;
  private readonly inbound: InboundSlots;
  private readonly refusals: RefusalLog;
  private readonly dialScope: DialScope;
  /** Dials whose TCP connect has not completed: stop() aborts them. */
  private readonly pendingDials = new Set<() => void>();
  /** Addresses whose v2 dial was closed before the key exchange: dialled with v1 from then on (Core). */
  private readonly v1Fallback = new Set<string>();
  private pool: WorkerPool | undefined;
  private scanner!: FrameScanner;
  private verifier!: FrameVerifier;
  private durable!: DurableState;
  private banMgr!: BanManager;
  private gossip!: AddressGossip;
  private conns!: ConnManager<Peer>;
  private relay!: InventoryRelay<Peer>;
  private readonly scheduler: WriteScheduler;
  private readonly turns = new Turns();
  private dispatcher!: BatchDispatcher;
  private admin: AdminServer | undefined;
  private rpc: RpcServer | undefined;
  private zmq: ZmqPublisher | undefined;
  private readonly streams = new RelayStreams(this);
  private server: Server | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private lastAddrSave = 0;
  private lastFlapSave = 0;
  private eventClock = 0;
  private membershipClock = 0;
  private relayedMessages = 0;
  private relayedBytes = 0;
  private stopped: Promise<void> | undefined;
  private resolveStopped: (() => void) | undefined;

  constructor(options: RelayOptions = {}, deps: RelayDeps = {}) {
    super();
    this.config = resolveConfig(options);
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger ?? new Logger(this.config.logLevel);
    this.magic = NETWORKS[this.config.network].magic;
    this.meshAddrs = new Set(this.config.mesh);
    this.permanentAddrs = new Set([...this.config.mesh, ...this.config.connect, ...this.config.addPeer]);
    this.metrics = new RelayMetrics({ build: { version: VERSION, network: this.config.network } });
    this.scheduler = new WriteScheduler(this.metrics.sockets);
    // Date.now() costs more than a flow update; the table reads a clock cached every 250 ms.
    this.coarseClock = new CoarseClock(this.clock);
    this.flowTable = new FlowTable({ clock: this.coarseClock });
    this.peerIds = new IdAllocator(this.clock, MAX_PEER_ID, DEFAULT_IDLE_EVICT_MS);
    this.metrics.attachFlowTable(this.flowTable);
    this.metrics.attachFeeds(() => [...this.streams.drops(), ...(this.zmq?.drops() ?? [])]);
    this.healthStore = new HealthStore({ clock: this.clock });
    const c = this.config;
    this.inbound = new InboundSlots({ maxInbound: c.maxInbound, maxPerAddress: c.maxInboundPerAddress, maxPerGroup: c.maxInboundPerGroup, maxPending: c.maxPendingInbound });
    this.refusals = new RefusalLog(this.clock, (msg, fields) => this.log.info(msg, fields));
    this.dialScope = new DialScope(c.onlynet, c.gossipDialScope);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Opens the durable state, replays it, then listens and dials. Network I/O starts last. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new RelayError('ERR_CONFIG', `relay cannot start: it is ${this.state}`);
    this.state = 'running';
    this.stopped = new Promise((r) => (this.resolveStopped = r));
    this.startedAt = this.clock.now();
    this.lastAddrSave = this.lastFlapSave = this.startedAt;
    try {
      // Ports first: a port in use fails the start before anything is written to the data directory.
      // Until the state is replayed below, the listener closes what it accepts (no network I/O yet).
      if (this.config.listen !== null) await this.listen(this.config.listen.host, this.config.listen.port);
      if (this.config.http !== null) await probePort(this.config.http.host, this.config.http.port);
      if (this.config.rpc !== null) await probePort(this.config.rpc.host, this.config.rpc.port);
      if (this.config.dataDir !== null) await mkdir(this.config.dataDir, { recursive: true });
      this.durable = await DurableState.open(this.config, this.clock, this.log);
      this.restoreState();
      this.scanner = new FrameScanner();
      this.pool = this.config.workers > 0 ? new WorkerPool({ threads: this.config.workers }) : undefined;
      if (this.pool !== undefined) this.pool.onTaskLatency = (ms) => this.metrics.taskSeconds(ms / 1000);
      this.verifier = new FrameVerifier(this.pool, { poolMinBytes: this.config.poolMinBytes }, this.scanner);
      this.verifier.onPoolBatch = (frames) => this.metrics.batchSize(frames);
      this.relay = new InventoryRelay<Peer>(this.relayHost(), this.config.relayCacheMaxBytes, {
        fallbackAfterMs: this.config.getdataTimeoutMs,
        stallAfterMs: this.config.stallTimeoutMs,
      });
      const cache = this.relay.cache;
      cache.onEvict = (slot) => {
        if (this.listenerCount('evict') > 0) this.emit('evict', { kind: cache.kind(slot), id: hashToHex(cache.id(slot)) });
      };
      this.dispatcher = this.batchDispatcher();
      this.conns = this.connManager();
      if (this.config.http !== null) {
        const exposed = exposureWarning(this.config.http.host);
        if (exposed !== null) this.log.warn(exposed, { http: formatHostPort(this.config.http) });
        this.admin = new AdminServer({ backend: this, dataDir: this.config.dataDir });
        await this.admin.start(this.config.http.host, this.config.http.port);
      }
      if (ZmqPublisher.configured(this.config)) this.zmq = await ZmqPublisher.start(this.config, this);
      if (this.config.rpc !== null) {
        this.rpc = new RpcServer({ backend: this, sharedCookiePath: this.admin?.cookiePath ?? null, log: this.log });
        await this.rpc.start();
      }
    } catch (err) {
      await this.teardown();
      this.state = 'stopped';
      this.resolveStopped?.();
      throw err;
    }
    this.coarseClock.start();
    this.nodeStats = new NodeStats(() => {
      const t = this.metrics.totals();
      return { msgsIn: t.messagesIn, msgsOut: t.messagesOut, bytesIn: t.bytesIn, bytesOut: t.bytesOut, relayedMsgs: this.relayedMessages, relayedBytes: this.relayedBytes };
    }, this.config.dataDir);
    this.nodeStats.tick(this.startedAt);
    this.ticker = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        // Timers keep running after a bug in one pass; the process does not go down for it.
        this.log.error('ticker pass failed', { err: String((err as Error)?.stack ?? err) });
      }
    }, 1000);
    this.ticker.unref();
    this.dialInitialPeers();
    this.log.info('relay started', {
      network: this.config.network,
      listen: this.listenAddress,
      http: this.admin?.address?.addr ?? null,
      dataDir: this.config.dataDir,
      stateVersion: this.durable.version,
    });
  }

  /** Graceful stop: peers closed, durable state flushed, threads and files closed. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    if (this.state !== 'running') return this.stopped;
    this.state = 'stopping';
    if (this.ticker !== undefined) clearInterval(this.ticker);
    // Network first: no dial completes, no handshake goes on while state is saved.
    for (const abort of [...this.pendingDials]) abort();
    this.pendingDials.clear();
    for (const p of [...this.peersById.values()]) p.destroy('shutdown');
    this.conns?.stop();
    await this.saveAddresses().catch((err: unknown) => this.log.warn('saving the address table failed', { err }));
    await this.saveFlaps().catch((err: unknown) => this.log.warn('saving flap counts failed', { err }));
    await this.teardown();
    this.state = 'stopped';
    this.log.info('relay stopped');
    this.resolveStopped?.();
  }

  /** Resolves when the node has stopped (by stop(), leave() or a fatal start error). */
  whenStopped(): Promise<void> {
    return this.stopped ?? Promise.resolve();
  }

  private async teardown(): Promise<void> {
    const closing = this.server === undefined ? Promise.resolve() : new Promise<void>((r) => this.server!.close(() => r()));
    // Stop recording membership before closing peers: a shutdown is not their departure (Serf).
    await this.durable?.membership?.close().catch(() => {});
    this.conns?.stop();
    for (const p of [...this.peersById.values()]) p.destroy('shutdown');
    await closing;
    this.streams.close();
    this.zmq?.close();
    await this.rpc?.close().catch(() => {});
    await this.admin?.close().catch(() => {});
    await this.pool?.close();
    await this.durable?.close().catch((err: unknown) => this.log.error('closing the state store failed', { err }));
    this.nodeStats?.close();
    this.coarseClock.stop();
  }

  get listenAddress(): string | null {
    const a = this.server?.address();
    if (a === null || a === undefined || typeof a === 'string') return null;
    return formatHostPort({ host: (a as AddressInfo).address, port: (a as AddressInfo).port });
  }

  /** The JSON-RPC endpoint's address and cookie file, when it runs. */
  get rpcEndpoint(): { addr: string; cookiePath: string | null } | null {
    const a = this.rpc?.address;
    return a === null || a === undefined ? null : { addr: a.addr, cookiePath: this.rpc!.cookiePath };
  }

  /** Relayed transactions as an async iterator: bounded buffer, oldest dropped (src/streams). */
  transactions(opts?: StreamOptions): RelayStream<TxItem> {
    return this.streams.transactions(opts);
  }

  /** Relayed blocks as an async iterator: bounded buffer, oldest dropped (src/streams). */
  blocks(opts?: StreamOptions): RelayStream<BlockItem> {
    return this.streams.blocks(opts);
  }

  /** Bytes read and written on every socket since start (getnettotals). */
  trafficTotals(): { bytesIn: number; bytesOut: number } {
    const t = this.metrics.totals();
    return { bytesIn: t.bytesIn, bytesOut: t.bytesOut };
  }

  /** The relay cache's transactions, oldest first (getrelaycache). */
  relayCacheTransactions(): RelayCacheTx[] {
    const c = this.relay?.cache;
    if (c === undefined) return [];
    const out: RelayCacheTx[] = [];
    for (const s of c.slots()) if (c.isTx(s)) out.push({ txid: hashToHex(c.id(s)), wtxid: hashToHex(c.wid(s)), size: c.frame(s).byteLength - HEADER_SIZE, from: c.from(s) });
    return out;
  }

  /** The admin endpoint's address and cookie file, when it runs. */
  get adminEndpoint(): { addr: string; cookiePath: string | null } | null {
    const a = this.admin?.address;
    return a === null || a === undefined ? null : { addr: a.addr, cookiePath: this.admin!.cookiePath };
  }

  private listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, (socket) => (this.conns === undefined ? socket.destroy() : this.onInbound(socket)));
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error('listener error', { err }));
        this.server = server;
        resolve();
      });
    });
  }

  // ---- durable state ---------------------------------------------------------------------------

  private restoreState(): void {
    this.banMgr = new BanManager(this.config, this.clock, this.log, this.durable);
    this.banMgr.load();
    this.gossip = new AddressGossip(this.config, this.clock, this.log, this.durable.addrTable());
    const flaps = Object.entries(this.durable.flaps()).map(([peer, f]) => ({ peer, count: f.count, lastFlap: f.lastFlap }));
    this.healthStore.importFlaps(flaps);
    const clocks = this.durable.clocks();
    const replay = this.durable.replay;
    // Never go backwards: after a crash the snapshot may miss up to 500 ms of clock updates.
    const hadHistory = replay !== null && (replay.clock > 0 || replay.eventClock > 0 || replay.alive.size > 0);
    const margin = replay !== null && !replay.clean && hadHistory ? 1000 : 0;
    this.membershipClock = Math.max(clocks.membership, replay?.clock ?? 0);
    this.eventClock = Math.max(clocks.event, replay?.eventClock ?? 0) + margin;
  }

  private async saveAddresses(): Promise<void> {
    if (this.gossip === undefined || this.durable === undefined || !this.durable.persistent) return;
    await this.durable.commit({ type: 'addrTable', table: this.gossip.addrs.toJSON() });
    await this.durable.commit({ type: 'clocks', membership: this.membershipClock, event: this.eventClock });
  }

  private async saveFlaps(): Promise<void> {
    if (this.durable === undefined) return;
    const entries = this.healthStore.exportFlaps();
    if (entries.length > 0) await this.durable.commit({ type: 'flaps', entries: entries.map((e) => ({ ...e })) });
  }

  // ---- connections -----------------------------------------------------------------------------

  private connManager(): ConnManager<Peer> {
    return new ConnManager<Peer>({
      clock: this.clock,
      dial: (addr) => this.dial(addr),
      getNewAddress: (excludeGroups) => this.pickOutbound(excludeGroups),
      targetOutbound: this.config.connect.length > 0 ? 0 : this.config.targetOutbound,
      retryBaseMs: this.config.retryBaseMs,
      retryMaxMs: this.config.retryMaxMs,
      allowLocal: this.config.allowLocalAddresses,
      reconnectDelay: (addr) => this.healthStore.rateLimitMs(addr),
      onConnection: (req, peer) => this.connReqOf.set(peer.id, req.id),
      log: this.log.child({ component: 'connmgr' }).log,
    });
  }

  /**
   * An address for an automatic outbound slot: never one we are already connected to or dialling
   * (mesh and --connect peers are advertised back to us), and never ourselves.
   */
  private pickOutbound(excludeGroups: ReadonlySet<string>): string | null {
    const busy = new Set<string>(this.peersByAddr.keys());
    for (const c of this.conns.list()) if (c.addr !== null && c.state !== 'canceled' && c.state !== 'disconnected') busy.add(c.addr);
    const self = this.listenAddress;
    if (self !== null) busy.add(self);
    return this.gossip.pickOutbound(excludeGroups, busy, (a) => this.healthStore.preferenceScore(a), NETWORKS[this.config.network].defaultPort, (a) => this.dialScope.allowsGossiped(a));
  }

  private dialInitialPeers(): void {
    for (const addr of this.config.mesh) this.conns.connect(addr, { permanent: true });
    for (const addr of [...this.config.connect, ...this.config.addPeer]) this.conns.connect(addr, { permanent: true });
    const replay = this.durable.replay;
    if (replay !== null && !replay.left) {
      const configured = new Set([...this.config.mesh, ...this.config.connect, ...this.config.addPeer]);
      const previous = [...replay.alive.values()].filter((a) => !configured.has(a) && this.dialScope.allowsGossiped(a));
      shuffle(previous);
      for (const addr of previous) {
        this.log.info('rejoining previous peer', { peer: addr });
        this.conns.connect(addr);
      }
    }
    this.conns.start();
  }

  /** Opens a TCP connection and wraps it in a Peer; the handshake runs from there. */
  private dial(addr: string): Promise<Peer> {
    const { host, port } = parseHostPort(addr, 'peer address');
    return new Promise((resolve, reject) => {
      if (this.state !== 'running') return reject(new RelayError('ERR_PEER_LIMIT', 'the relay is stopping'));
      const ip = host;
      if (isIP(ip) !== 0 && this.banMgr.isBanned(ip)) return reject(new RelayError('ERR_BANNED', `${addr} is banned`));
      const outside = this.dialScope.refuseDial(addr);
      if (outside !== null) return reject(new RelayError('ERR_CONFIG', outside));
      const socket = netConnect({ host, port, noDelay: true });
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), this.config.handshakeTimeoutMs);
      // stop() aborts a dial still connecting: no socket outlives the node, nothing is sent after it.
      const abort = (): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new RelayError('ERR_PEER_LIMIT', 'the relay is stopping'));
      };
      this.pendingDials.add(abort);
      socket.once('connect', () => {
        clearTimeout(timer);
        this.pendingDials.delete(abort);
        socket.removeAllListeners('error');
        if (this.state !== 'running') return abort();
        try {
          resolve(this.addPeer(socket, addr, 'outbound', this.meshAddrs.has(addr)));
        } catch (err) {
          reject(err);
        }
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        this.pendingDials.delete(abort);
        reject(err);
      });
    });
  }

  private onInbound(socket: Socket): void {
    socket.on('error', () => {});
    const ip = stripMapped(socket.remoteAddress ?? '');
    const addr = formatHostPort({ host: ip, port: socket.remotePort ?? 0 });
    if (this.state !== 'running') {
      socket.destroy();
      return;
    }
    // A banned address is refused before it costs anything beyond the accept.
    if (this.banMgr.isBanned(ip)) {
      this.log.debug('refused banned peer', { peer: addr });
      socket.destroy();
      return;
    }
    const noban = this.banMgr.isWhitelisted(ip);
    const decision = this.inbound.admit(ip, noban);
    if (!decision.accept) {
      this.refusals.note(decision.reason, 'refused inbound peer', { peer: addr });
      socket.destroy();
      return;
    }
    if (decision.evict !== null) {
      const victim = this.peersById.get(decision.evict);
      this.refusals.note(`evict_${decision.why}`, 'evicted inbound peer for a newcomer', { peer: victim?.addr, newcomer: addr, why: decision.why });
      if (victim !== undefined) victim.destroy('evicted');
      else this.inbound.remove(decision.evict);
    }
    try {
      const peer = this.addPeer(socket, addr, 'inbound', false);
      this.inbound.add(peer.id, ip, this.clock.now(), noban, peer.stats);
    } catch (err) {
      this.log.warn('refused inbound peer', { peer: addr, err });
    }
  }

  private addPeer(socket: PeerSocket, addr: string, direction: 'inbound' | 'outbound', mesh: boolean): Peer {
    const permanent = mesh || (direction === 'outbound' && this.permanentAddrs.has(addr));
    const id = this.peerIds.take();
    if (id === null) {
      // Over two million connections within the quarantine: refuse rather than mix up flows.
      socket.destroy();
      throw new RelayError('ERR_PEER_LIMIT', 'no connection id available');
    }
    const peer = new Peer(id, this.peerHost, socket, addr, direction, permanent, mesh, this.log);
    this.peersById.set(peer.id, peer);
    this.peersByAddr.set(addr, peer);
    this.flowTable.registerPeer(peer.id, addr, { mesh });
    this.refreshPeerGauges();
    return peer;
  }

  /**
   * The transport of a new connection (BIP324 negotiation as Core does it): inbound accepts v1 and
   * v2 on the same port unless v1only/v2only; outbound dials v2 to manual peers (Core's -addnode
   * default) and to addresses that advertise NODE_P2P_V2, unless an earlier v2 dial there fell back.
   */
  private transportFor(ctx: TransportContext): Transport {
    const mode = this.config.transport;
    if (mode === 'v1only') return v1Transport(ctx);
    const onFailure = (reason: V2FailureReason) => this.metrics.v2Failure(reason);
    if (ctx.direction === 'inbound') return new V2Transport(ctx, { acceptV1: mode === 'v2', onFailure });
    const advertises = ((this.gossip.addrs.get(ctx.addr)?.services ?? 0n) & NODE_P2P_V2) !== 0n;
    const v2 = mode === 'v2only' || (!this.v1Fallback.has(ctx.addr) && (this.permanentAddrs.has(ctx.addr) || advertises));
    return v2 ? new V2Transport(ctx, { acceptV1: false, onFailure }) : v1Transport(ctx);
  }

  /**
   * Serves a connection that is already open (an in-process transport, or the relay-core
   * benchmark's in-memory sockets) as if it had been accepted or dialled at `addr`.
   */
  attachConnection(socket: PeerSocket, addr: string, direction: 'inbound' | 'outbound'): void {
    if (this.state !== 'running') throw new RelayError('ERR_CONFIG', 'the relay is not running');
    this.addPeer(socket, addr, direction, false);
  }

  connect(addr: string, opts: { permanent?: boolean } = {}): void {
    parseHostPort(addr, 'peer address');
    if (this.state !== 'running') throw new RelayError('ERR_CONFIG', 'the relay is not running');
    if (opts.permanent === true) this.permanentAddrs.add(addr);
    this.conns.connect(addr, { permanent: opts.permanent === true });
  }

  disconnect(addr: string): boolean {
    const p = this.peersByAddr.get(addr);
    if (p === undefined) return false;
    const req = this.connReqOf.get(p.id);
    // A manual disconnect of an outbound peer is final (btcd Remove), not a trigger to redial.
    if (req !== undefined) this.conns.remove(req);
    this.permanentAddrs.delete(addr);
    p.close('local');
    return true;
  }

  peers(): PeerInfo[] {
    return [...this.peersById.values()].map((p) => this.peerInfo(p));
  }

  private peerInfo(p: Peer): PeerInfo {
    return { ...p.info(), banScore: this.banMgr.score(p.id), whitelisted: this.banMgr.isWhitelisted(hostOf(p.addr)) };
  }

  // ---- ticker ----------------------------------------------------------------------------------

  private tick(): void {
    const now = this.clock.now();
    for (const p of this.peersById.values()) p.tick(now);
    this.relay.tick(now);
    this.flowTable.markRates();
    this.nodeStats?.tick(now);
    this.metrics.setRelayCacheSize(this.relay.cache.size, this.relay.cache.byteLength);
    this.metrics.setPoolQueueDepth(this.pool?.queueDepth ?? 0);
    if (now - this.lastAddrSave >= ADDR_SAVE_INTERVAL_MS) {
      this.lastAddrSave = now;
      void this.saveAddresses()
        .then(() => this.durable.maybeCompact())
        .catch((err: unknown) => this.log.warn('saving or compacting the state failed', { err }));
    }
    if (now - this.lastFlapSave >= FLAP_SAVE_INTERVAL_MS) {
      this.lastFlapSave = now;
      void this.saveFlaps().catch((err: unknown) => this.log.warn('saving flap counts failed', { err }));
    }
  }

  private refreshPeerGauges(): void {
    let inHs = 0;
    let inAct = 0;
    let outHs = 0;
    let outAct = 0;
    for (const p of this.peersById.values()) {
      if (p.direction === 'inbound') p.established ? inAct++ : inHs++;
      else p.established ? outAct++ : outHs++;
    }
    this.metrics.setPeers('inbound', 'handshaking', inHs);
    this.metrics.setPeers('inbound', 'active', inAct);
    this.metrics.setPeers('outbound', 'handshaking', outHs);
    this.metrics.setPeers('outbound', 'active', outAct);
    let v2 = 0;
    for (const p of this.peersById.values()) if (p.transport.name === 'v2') v2++;
    this.metrics.setTransportPeers(this.peersById.size - v2, v2);
  }

  // ---- peer host -------------------------------------------------------------------------------

  private readonly peerHost: PeerHost = (() => {
    const node = this;
    return {
      get config() {
        return node.config;
      },
      get magic() {
        return node.magic;
      },
      get clock() {
        return node.clock;
      },
      get verifier() {
        return node.verifier;
      },
      encoder: { encodeFrame: (magic: number, command: string, payload: Uint8Array) => node.scanner.encodeFrame(magic, command, payload) },
      transport: (ctx: TransportContext) => node.transportFor(ctx),
      get scheduler() {
        return node.scheduler;
      },
      turns: node.turns,
      get flows() {
        return node.flowSink;
      },
      get dispatcher() {
        return node.dispatcher;
      },
      get sentNonces() {
        return node.sentNonces;
      },
      bestHeight: () => 0,
      onEstablished: (peer: Peer) => node.onEstablished(peer),
      onOffence: (peer: Peer, id: OffenceId | null, err: RelayError | null, why: string) => node.onOffence(peer, id, err, why),
      onClosed: (peer: Peer, reason: DisconnectReason) => node.onClosed(peer, reason),
      isMeshPeer: (peer: Peer, ua: string | undefined) => node.isMeshPeer(peer, ua),
      userAgentFor: (peer: Peer) => node.userAgentFor(peer),
      countIn: (id: number, bytes: number) => node.metrics.messageInById(id, bytes),
      countOut: (command: string, bytes: number) => node.metrics.messageOut(command, bytes),
    } satisfies PeerHost;
  })();

  /** Mesh dials say which listen address they come from (a BIP14 user-agent comment). */
  private userAgentFor(peer: Peer): string {
    const ua = this.config.userAgent;
    if (!peer.mesh || peer.direction !== 'outbound' || this.listenAddress === null) return ua;
    return ua.replace(/\/$/, `(mesh:${this.listenAddress})/`);
  }

  /** An inbound peer is a mesh instance if it names a configured mesh address from that address's IP. */
  private isMeshPeer(peer: Peer, ua: string | undefined): boolean {
    const m = ua === undefined ? null : /\(mesh:([^)]+)\)\/$/.exec(ua);
    if (m === null || !this.meshAddrs.has(m[1]!)) return false;
    const claimed = parseHostPort(m[1]!, 'mesh address').host;
    return claimed === parseHostPort(peer.addr, 'peer address').host;
  }

  private onEstablished(peer: Peer): void {
    this.inbound.established(peer.id);
    this.refreshPeerGauges();
    this.flowTable.registerPeer(peer.id, peer.addr, { mesh: peer.mesh });
    this.gossip.onEstablished(peer, this.banMgr.isWhitelisted(hostOf(peer.addr)), this.listenAddress);
    if (peer.direction === 'outbound') {
      this.healthStore.online(peer.addr);
      this.durable.membership?.alive(peer.addr, peer.addr);
      this.durable.membership?.updateClock(++this.membershipClock);
    }
    this.log.info('peer connected', { peer: peer.addr, direction: peer.direction, mesh: peer.mesh, ua: peer.userAgent, pver: peer.protocolVersion });
    this.emit('peerConnect', this.peerInfo(peer));
  }

  private onClosed(peer: Peer, reason: DisconnectReason): void {
    const info = this.peerInfo(peer);
    // A node that is stopping closed the dial itself and dials nothing more: no fallback to learn.
    if (this.state === 'running' && this.config.transport === 'v2' && peer.transport instanceof V2Transport && peer.transport.shouldRetryV1) {
      this.log.info('v2 dial closed before the key exchange; using v1 for this address from now on', { peer: peer.addr });
      this.v1Fallback.add(peer.addr);
    }
    this.peersById.delete(peer.id);
    if (this.peersByAddr.get(peer.addr) === peer) this.peersByAddr.delete(peer.addr);
    this.gossip.onClosed(peer.id);
    this.banMgr.release(peer.id);
    this.flowTable.unregisterPeer(peer.id);
    this.peerIds.release(peer.id);
    this.relay?.onPeerGone(peer.id);
    this.inbound.remove(peer.id);
    if (peer.direction === 'outbound') this.healthStore.offline(peer.addr);
    if (this.state === 'running' && peer.direction === 'outbound') {
      this.durable.membership?.notAlive(peer.addr);
      this.durable.membership?.updateClock(++this.membershipClock);
    }
    const req = this.connReqOf.get(peer.id);
    this.connReqOf.delete(peer.id);
    if (req !== undefined && this.state === 'running') this.conns.disconnect(req);
    this.refreshPeerGauges();
    this.log.info('peer disconnected', { peer: peer.addr, reason });
    this.emit('peerDisconnect', info, reason);
  }

  private onOffence(peer: Peer, id: OffenceId | null, err: RelayError | null, why: string): void {
    // Frame and payload decode errors alike (ERR_FRAME_*, ERR_PAYLOAD_*).
    if (err !== null && (FRAME_ERROR_CODES as readonly string[]).includes(err.code)) this.metrics.frameError(err.code as FrameErrorCode);
    if (id === null) return;
    this.punish(peer, id, 1, why);
  }

  /** Scores an offence; bans and disconnects when the policy says so. Mesh peers are trusted. */
  private punish(peer: Peer, id: OffenceId, count: number, why: string): void {
    if (peer.mesh) return;
    const ip = hostOf(peer.addr);
    const outcome = this.banMgr.offence(peer.id, ip, id, count);
    if (outcome.verdict === 'ok' && !outcome.disconnect && outcome.score === peer.banScore) return;
    peer.banScore = outcome.score;
    this.metrics.banScore(outcome.score);
    if (outcome.verdict === 'warn') this.log.warn('peer misbehaving', { peer: peer.addr, offence: id, score: outcome.score });
    if (outcome.verdict === 'ban') {
      peer.destroy('banned');
      void this.ban(ip, { reason: `${id}: ${why}` }).then(
        () => this.emit('peerBan', { addr: peer.addr, target: ip, createdAt: this.clock.now(), until: this.clock.now() + this.config.banDurationMs, reason: id }),
        (err: unknown) => this.log.error('recording a ban failed', { err }),
      );
      return;
    }
    if (outcome.disconnect) peer.close('protocol');
  }

  // ---- messages --------------------------------------------------------------------------------

  /** Messages the peer and the relay do not handle themselves. */
  private onMessage(peer: Peer, msg: Message): void {
    switch (msg.command) {
      case 'addr':
      case 'addrv2':
        // btcd disconnects on an empty addr; an empty message never scores (btcd#1886).
        if (msg.addresses.length === 0) {
          this.punish(peer, 'ADDR_EMPTY', 1, `empty ${msg.command}`);
          return;
        }
        this.gossip.onAddresses(peer, msg);
        break;
      case 'getaddr':
        this.gossip.onGetaddr(peer);
        break;
      case 'mempool':
        this.punish(peer, 'MEMPOOL_NO_BLOOM', 1, 'mempool without bloom');
        break;
      default:
        break;
    }
  }

  private batchDispatcher(): BatchDispatcher {
    return new BatchDispatcher({
      relay: this.relay,
      onMessage: (peer, msg) => this.onMessage(peer, msg),
      punish: (peer, id, count, why) => this.punish(peer, id, count, why),
      wantsMessageEvents: () => this.listenerCount('message') > 0,
      emitMessage: (peer, msg) => this.emit('message', { peer: peer.addr, command: msg.command, message: msg }),
      countIn: (id, bytes) => this.metrics.messageInById(id, bytes),
      addrBudget: (peer) => this.gossip.addrBudget(peer.id),
      onAddrSkipped: (peer, entries, bytes) => this.dropFromPeer(peer, 'addr_rate_limited', entries, bytes),
    });
  }

  // ---- relay -----------------------------------------------------------------------------------

  /**
   * Relayed bytes: counted once the socket has taken them (a queued item that is dropped was never
   * relayed: issue 13 saw /status report 1 TB relayed to peers that never read); drops by reason
   * in the flow table. Locally injected items (src -1) count in the totals, not in a flow.
   */
  private readonly flowSink: FlowSink = {
    delivered: (src, dst, bytes, mesh) => {
      if (src >= 0) this.flowTable.record(src, dst, bytes, mesh ? 'region' : 'local');
      this.relayedMessages++;
      this.relayedBytes += bytes;
    },
    dropped: (src, dst, reason, bytes) => {
      this.flowTable.drop(src, dst, reason === 'queue_head' && this.state === 'running' && this.peersById.has(dst) ? 'queue_head' : 'gone_disconnected', bytes);
    },
  };

  /**
   * Counts what we refused to take from a peer (over a per-peer bound) on its flow to itself:
   * /flows and the dropped_*_total metrics show it under the bound's drop reason.
   */
  private dropFromPeer(peer: Peer, reason: DropReason, items: number, bytes: number): void {
    const per = items > 0 ? bytes / items : 0;
    for (let i = 0; i < items; i++) this.flowTable.drop(peer.id, peer.id, reason, per);
  }

  private relayHost(): RelayHost<Peer> {
    return {
      clock: this.clock,
      peers: () => this.peersById.values(),
      peerById: (id) => this.peersById.get(id),
      onNewItem: (cache, slot, from) => this.onNewItem(cache, slot, from),
      onDuplicate: (src, dst, bytes) => {
        if (src >= 0) this.flowTable.drop(src, dst.id, 'duplicate', bytes);
      },
      onOverflow: (peer, what, items, bytes) => this.dropFromPeer(peer, what === 'announcements' ? 'inv_overflow' : 'unsolicited_overflow', items, bytes),
    };
  }

  private onNewItem(cache: RelayCache, slot: number, from: Peer | null): void {
    if (from !== null) (cache.isTx(slot) ? this.inbound.novelTx(from.id, this.clock.now()) : this.inbound.novelBlock(from.id, this.clock.now()));
    this.eventClock++;
    this.durable.membership?.updateEventClock(this.eventClock);
    // Hex ids cost a string per item: build them only for listeners.
    const kind = cache.kind(slot);
    if (this.listenerCount(kind) === 0) return;
    const peer = from?.addr ?? null;
    const raw = cache.frame(slot).subarray(HEADER_SIZE);
    if (kind === 'tx') this.emit('tx', { peer, txid: hashToHex(cache.id(slot)), wtxid: hashToHex(cache.wid(slot)), raw });
    else this.emit('block', { peer, hash: hashToHex(cache.id(slot)), raw });
  }

  /**
   * Injects a raw transaction as if received: cached and announced to every peer. Its ids are
   * hashed once here; the frame's checksum is the first four bytes of the wtxid.
   */
  relayTransaction(raw: Uint8Array): { txid: string; wtxid: string } {
    if (this.state !== 'running') throw new RelayError('ERR_CONFIG', 'the relay is not running');
    const { txid, wtxid } = txIds(raw, wasmHash256);
    const frame = new Uint8Array(HEADER_SIZE + raw.byteLength);
    const dv = new DataView(frame.buffer);
    dv.setUint32(0, this.magic >>> 0, true);
    frame.set([0x74, 0x78], 4); // "tx", NUL padded
    dv.setUint32(16, raw.byteLength, true);
    frame.set(wtxid.subarray(0, 4), 20);
    frame.set(raw, HEADER_SIZE);
    this.relay.onTx(null, frame, 0, raw.byteLength, txid, 0, wtxid, 0, false);
    return { txid: hashToHex(txid), wtxid: hashToHex(wtxid) };
  }

  /** Sends a message to every established peer but the excluded ones; returns how many got it. */
  broadcast(msg: Message, opts: { exclude?: readonly string[] } = {}): number {
    const exclude = new Set(opts.exclude ?? []);
    let n = 0;
    const frame = this.scanner.encodeFrame(this.magic, msg.command, encodePayload(msg, PROTOCOL_VERSION));
    for (const p of this.peersById.values()) {
      if (!p.established || exclude.has(p.addr)) continue;
      p.sendFrame(frame);
      n++;
    }
    return n;
  }

  // ---- bans ------------------------------------------------------------------------------------

  async ban(target: string, opts: { durationMs?: number; reason?: string } = {}): Promise<void> {
    await this.banMgr.ban(target, opts.durationMs ?? this.config.banDurationMs, opts.reason ?? 'manual');
    this.metrics.banned();
    this.metrics.setActiveBans(this.banMgr.entries().length);
    // Disconnect every connected peer the ban covers.
    for (const p of [...this.peersById.values()]) {
      if (this.banMgr.isBanned(hostOf(p.addr))) p.destroy('banned');
    }
  }

  async unban(target: string): Promise<boolean> {
    const removed = await this.banMgr.unban(target);
    this.metrics.setActiveBans(this.banMgr.entries().length);
    return removed;
  }

  bans(): BanInfo[] {
    return this.banMgr.entries();
  }

  // ---- queries ---------------------------------------------------------------------------------

  status(): NodeStatus {
    let inbound = 0;
    let outbound = 0;
    let established = 0;
    let outboundEstablished = 0;
    for (const p of this.peersById.values()) {
      if (p.direction === 'inbound') inbound++;
      else outbound++;
      if (p.established) established++;
      if (p.established && p.direction === 'outbound') outboundEstablished++;
    }
    const view = this.nodeStats?.view() ?? emptyStatsView();
    const backup = this.durable?.backupStatus ?? null;
    const uptimeMs = this.clock.now() - this.startedAt;
    const wantsOutbound = this.config.targetOutbound > 0 || this.permanentAddrs.size > 0;
    return {
      version: VERSION,
      network: this.config.network,
      userAgent: this.config.userAgent,
      dataDir: this.config.dataDir,
      listen: this.listenAddress,
      http: this.admin?.address?.addr ?? null,
      startedAt: this.startedAt,
      uptimeMs,
      peers: { inbound, outbound, established },
      bans: this.banMgr?.entries().length ?? 0,
      addresses: { new: this.gossip?.addrs.numNew() ?? 0, tried: this.gossip?.addrs.numTried() ?? 0 },
      relayCache: { items: this.relay?.cache.size ?? 0, bytes: this.relay?.cache.byteLength ?? 0 },
      relayed: { messages: this.relayedMessages, bytes: this.relayedBytes },
      pool: { threads: this.pool?.threads ?? 0, queueDepth: this.pool?.queueDepth ?? 0 },
      stateVersion: this.durable?.version ?? null,
      rates: view.rates,
      history: view.history,
      process: view.process,
      backup,
      warnings: nodeWarnings({ uptimeMs, outbound: outboundEstablished, wantsOutbound, backup, disk: view.disk }),
    };
  }

  /** The busiest flows, peers named HOST:PORT (AdminBackend). */
  flows(top: number, by: FlowOrder): FlowRow[] {
    const transport = (label: string | undefined) => (label === undefined ? null : this.peersByAddr.get(label)?.transport.name ?? null);
    return this.flowTable.top(top, by).map((f) => ({
      src: f.srcLabel ?? String(f.src),
      dst: f.dstLabel ?? String(f.dst),
      srcTransport: transport(f.srcLabel),
      dstTransport: transport(f.dstLabel),
      packets: f.packetsLocal,
      bytes: f.bytesLocal,
      packetsRegion: f.packetsRegion,
      bytesRegion: f.bytesRegion,
      drops: Object.fromEntries(Object.entries(f.drops).map(([k, v]) => [k, v.packets])),
      createdAt: f.createdMs,
      lastActive: f.lastActiveMs,
      rateBps: f.bytesPerSec,
    }));
  }

  /**
   * Consistency check of the flow table: per-flow totals against the global counters. Empty when
   * every relayed byte and drop is accounted for (the soak and mesh tests assert it).
   */
  flowAudit(): string[] {
    return this.flowTable.audit();
  }

  /** Long-run health of a peer address (AdminBackend). */
  health(peer: string): HealthInfo | null {
    const h = this.healthStore.health(peer);
    if (h === undefined) return null;
    return {
      peer,
      lifespanMs: h.lifespanMs,
      uptimeMs: h.uptimeMs,
      uptimeRatio: h.uptimeRatio,
      flapCount: h.flapCount,
      lastFlap: h.lastFlap ?? null,
      tier: h.tier,
      online: h.online,
    };
  }

  metricsText(): Promise<string> {
    return this.metrics.text();
  }

  /** Leaves the network: records the departure durably, then stops. The next start will not rejoin. */
  async leave(): Promise<void> {
    await this.durable.membership?.leave();
    setImmediate(() => void this.stop());
  }
}

/** `::ffff:1.2.3.4` (how Node reports IPv4 peers on a dual-stack socket) → `1.2.3.4`. */
export function stripMapped(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** Binds and releases HOST:PORT: a port in use is reported before the data directory is touched. */
function probePort(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function hostOf(addr: string): string {
  return parseHostPort(addr, 'peer address').host;
}

function shuffle<T>(list: T[]): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
}

/** Creates a relay node; call `start()` to listen and connect. */
export function createRelay(options: RelayOptions = {}, deps: RelayDeps = {}): RelayNode {
  return new RelayNode(options, deps);
}

