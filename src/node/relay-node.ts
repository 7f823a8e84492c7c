/**
 * The relay node: the composition root. It builds the parts in the order their inputs exist
 * (durable state first, network I/O last), owns the lifecycle and the one 1 s ticker, and hands
 * every call of its public API to the part that owns it. See docs/architecture.md.
 *
 * All timers run off one ticker that drives every peer, the relay and the save schedule: a
 * thousand peers cost one timer, not four thousand.
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { mkdir } from 'node:fs/promises';
import { RelayError } from '../errors.js';
import { systemClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { Logger } from '../log.js';
import { WorkerPool } from '../pool/pool.js';
import { FrameVerifier } from '../framing/frame-verifier.js';
import { FrameScanner } from '../wasm/frame-scanner.js';
import { TransportPolicy } from '../transport/transport-policy.js';
import type { Message } from '../wire/codec.js';
import { HEADER_SIZE, NETWORKS } from '../wire/constants.js';
import { hashToHex } from '../wire/hex.js';
import { DialScope } from '../conn/dial-scope.js';
import { onionReachable, proxySettings } from '../conn/socks5.js';
import { DEFAULT_IDLE_EVICT_MS, FlowTable } from '../stats/flow-table.js';
import { MAX_PEER_ID } from '../stats/flow-index.js';
import { CoarseClock } from '../stats/coarse-clock.js';
import { NodeStats } from '../stats/node-stats.js';
import { VERSION } from '../version.js';
import { IdAllocator } from '../util/id-allocator.js';
import { HealthStore } from '../health/health-store.js';
import { RelayMetrics } from '../metrics/metrics.js';
import { AdminServer, exposureWarning } from '../admin/http-server.js';
import type { AdminBackend, FlowOrder, FlowRow, HealthInfo } from '../admin/backend.js';
import { RpcServer } from '../rpc/server.js';
import type { RelayCacheTx, RpcBackend } from '../rpc/backend.js';
import { ZmqPublisher } from '../zmq/publisher.js';
import { RelayStreams, type BlockItem, type RelayStream, type StreamOptions, type TxItem } from '../streams/relay-streams.js';
import type { PeerSocket } from '../peer/peer.js';
import { BatchDispatcher } from '../peer/dispatch.js';
import { WriteScheduler } from '../peer/writer.js';
import { Turns } from '../peer/turns.js';
import { InventoryRelay } from '../relay/inventory-relay.js';
import type { Peer } from '../peer/peer.js';
import { Acceptor } from './acceptor.js';
import { AddressGossip } from './address-gossip.js';
import { BanManager } from './ban-manager.js';
import { Connector } from './connector.js';
import { Discipline } from './discipline.js';
import { DurableState } from './durable-state.js';
import { ItemFeed } from './item-feed.js';
import { LocalItems } from './local-items.js';
import { dispatchHost } from './message-router.js';
import { flowsView, healthView, statusView } from './node-views.js';
import { PeerRegistry } from './peer-registry.js';
import { PeerSet } from './peer-set.js';
import { RelayAccounting } from './relay-accounting.js';
import { Seeding } from './seeding.js';
import { StateKeeper } from './state-keeper.js';
import { resolveConfig, formatHostPort, parseHostPort } from './config.js';
import type { RelayOptions } from './config.js';
import type { BanInfo, NodeStatus, PeerInfo, RelayConfig, RelayEvents } from './types.js';

export interface RelayDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** The parts that exist while the node runs, built together in `start()`. */
interface Running {
  readonly durable: DurableState;
  readonly banMgr: BanManager;
  readonly gossip: AddressGossip;
  readonly state: StateKeeper;
  readonly pool: WorkerPool | undefined;
  readonly relay: InventoryRelay<Peer>;
  readonly local: LocalItems;
  readonly discipline: Discipline;
  readonly peers: PeerSet;
  readonly connector: Connector;
  readonly seeding: Seeding;
  readonly nodeStats: NodeStats;
  readonly admin: AdminServer | undefined;
  readonly rpc: RpcServer | undefined;
  readonly zmq: ZmqPublisher | undefined;
}

export class RelayNode extends EventEmitter<RelayEvents> implements AdminBackend, RpcBackend {
  readonly config: RelayConfig;
  readonly clock: Clock;
  readonly log: Logger;
  private readonly magic: number;
  private readonly metrics: RelayMetrics;
  private readonly flowTable: FlowTable;
  private readonly coarseClock: CoarseClock;
  private readonly healthStore: HealthStore;
  private readonly registry = new PeerRegistry();
  private readonly accounting: RelayAccounting;
  private readonly acceptor: Acceptor;
  private readonly scheduler: WriteScheduler;
  private readonly streams = new RelayStreams(this);
  private run: Running | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopped: Promise<void> | undefined;
  private resolveStopped: (() => void) | undefined;

  constructor(options: RelayOptions = {}, deps: RelayDeps = {}) {
    super();
    this.config = resolveConfig(options);
    this.clock = deps.clock ?? systemClock;
    this.log = deps.logger ?? new Logger(this.config.logLevel);
    this.magic = NETWORKS[this.config.network].magic;
    this.metrics = new RelayMetrics({ build: { version: VERSION, network: this.config.network } });
    this.scheduler = new WriteScheduler(this.metrics.sockets);
    // Date.now() costs more than a flow update; the table reads a clock cached every 250 ms.
    this.coarseClock = new CoarseClock(this.clock);
    this.flowTable = new FlowTable({ clock: this.coarseClock });
    this.metrics.attachFlowTable(this.flowTable);
    this.metrics.attachFeeds(() => [...this.streams.drops(), ...(this.run?.zmq?.drops() ?? [])]);
    this.healthStore = new HealthStore({ clock: this.clock });
    this.accounting = new RelayAccounting(this.flowTable, this.registry, () => this.state === 'running');
    this.acceptor = new Acceptor(this.config, this.clock, this.log);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Opens the durable state, replays it, then listens and dials. Network I/O starts last. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new RelayError('ERR_NOT_RUNNING', `relay cannot start: it is ${this.state}`);
    this.state = 'running';
    this.stopped = new Promise((r) => (this.resolveStopped = r));
    this.startedAt = this.clock.now();
    const c = this.config;
    const opened: { durable?: DurableState; pool?: WorkerPool; admin?: AdminServer; rpc?: RpcServer; zmq?: ZmqPublisher } = {};
    try {
      // Ports first: a port in use fails the start before anything is written to the data directory.
      if (c.listen !== null) await this.acceptor.listen(c.listen.host, c.listen.port);
      if (c.http !== null) await probePort(c.http.host, c.http.port);
      if (c.rpc !== null) await probePort(c.rpc.host, c.rpc.port);
      if (c.dataDir !== null) await mkdir(c.dataDir, { recursive: true });
      const durable = (opened.durable = await DurableState.open(c, this.clock, this.log));
      this.run = this.build(durable, (opened.pool = c.workers > 0 ? new WorkerPool({ threads: c.workers }) : undefined));
      if (c.http !== null) {
        const exposed = exposureWarning(c.http.host);
        if (exposed !== null) this.log.warn(exposed, { http: formatHostPort(c.http) });
        const admin = (opened.admin = new AdminServer({ backend: this, dataDir: c.dataDir }));
        await admin.start(c.http.host, c.http.port);
        this.run = { ...this.run, admin };
      }
      if (ZmqPublisher.configured(c)) this.run = { ...this.run, zmq: (opened.zmq = await ZmqPublisher.start(c, this)) };
      if (c.rpc !== null) {
        const rpc = (opened.rpc = new RpcServer({ backend: this, sharedCookiePath: this.run.admin?.cookiePath ?? null, log: this.log }));
        await rpc.start();
        this.run = { ...this.run, rpc };
      }
    } catch (err) {
      this.run = undefined;
      await this.acceptor.close();
      opened.zmq?.close();
      await opened.rpc?.close().catch(() => {});
      await opened.admin?.close().catch(() => {});
      await opened.pool?.close();
      await opened.durable?.close().catch(() => {});
      this.state = 'stopped';
      this.resolveStopped?.();
      throw err;
    }
    this.coarseClock.start();
    this.run.nodeStats.tick(this.startedAt);
    this.ticker = setInterval(() => {
      try {
        this.tick();
      } catch (err) {
        // Timers keep running after a bug in one pass; the process does not go down for it.
        this.log.error('ticker pass failed', { err: String((err as Error)?.stack ?? err) });
      }
    }, 1000);
    this.ticker.unref();
    this.acceptor.serve(this.run.peers, this.registry, this.run.banMgr);
    await this.run.connector.start();
    this.run.seeding.start();
    this.log.info('relay started', { network: c.network, listen: this.listenAddress, http: this.run.admin?.address?.addr ?? null, dataDir: c.dataDir, stateVersion: this.run.durable.version });
  }

  /** Builds the parts of a running node, each from the parts it needs (no network I/O yet). */
  private build(durable: DurableState, pool: WorkerPool | undefined): Running {
    const c = this.config;
    const { clock, log, metrics } = this;
    const banMgr = new BanManager(c, clock, log, durable);
    banMgr.load();
    const proxies = proxySettings(c);
    const gossip = new AddressGossip(c, clock, log, durable.addrTable(), { onionReachable: onionReachable(proxies) });
    const state = new StateKeeper(durable, gossip, this.healthStore, log, this.startedAt);
    /** Outbound peers redialled forever: --connect, --add-peer, --mesh, `connect({ permanent })`. */
    const manual = new Set([...c.mesh, ...c.connect, ...c.addPeer]);
    const transports = new TransportPolicy({
      mode: c.transport,
      overrides: c.peerTransport,
      learnt: durable.transports(),
      record: (addr, speaks) => void durable.commit({ type: 'transport', addr, speaks }).catch((err: unknown) => log.warn('recording a peer transport failed', { err })),
      advertised: (addr) => gossip.addrs.get(addr)?.services ?? 0n,
      isManual: (addr) => manual.has(addr),
      onFailure: (reason) => metrics.v2Failure(reason),
      log,
    });
    const scanner = new FrameScanner();
    if (pool !== undefined) pool.onTaskLatency = (ms) => metrics.taskSeconds(ms / 1000);
    const verifier = new FrameVerifier(pool, { poolMinBytes: c.poolMinBytes }, scanner);
    verifier.onPoolBatch = (frames) => metrics.batchSize(frames);
    const feed = new ItemFeed(clock, this.acceptor.slots, state, this);
    const accounting = this.accounting;
    const relay = new InventoryRelay<Peer>(
      {
        clock,
        peers: () => this.registry.values(),
        peerById: (id) => this.registry.get(id),
        onNewItem: (cache, slot, from) => feed.onNewItem(cache, slot, from),
        onDuplicate: (src, dst, bytes) => accounting.duplicate(src, dst, bytes),
        onOverflow: (peer, what, items, bytes) => accounting.overflow(peer, what, items, bytes),
      },
      c.relayCacheMaxBytes,
      { fallbackAfterMs: c.getdataTimeoutMs, stallAfterMs: c.stallTimeoutMs },
    );
    relay.cache.onEvict = (slot) => feed.onEvict(relay.cache, slot);
    const discipline = new Discipline(c, clock, log, banMgr, this.registry, metrics, this);
    const dispatcher = new BatchDispatcher<Peer>(dispatchHost({ relay, gossip, discipline, accounting, metrics, events: this }));
    const listenAddress = (): string | null => this.listenAddress;
    const peers = new PeerSet({
      config: c,
      magic: this.magic,
      clock,
      log,
      registry: this.registry,
      ids: new IdAllocator(clock, MAX_PEER_ID, DEFAULT_IDLE_EVICT_MS),
      verifier,
      scanner,
      transports,
      scheduler: this.scheduler,
      turns: new Turns(),
      flows: accounting.flowSink,
      dispatcher,
      relay,
      flowTable: this.flowTable,
      metrics,
      banMgr,
      discipline,
      gossip,
      events: this,
      listenAddress,
    });
    const dialScope = new DialScope(c.onlynet, c.gossipDialScope, { onion: onionReachable(proxies) });
    const connector = new Connector({ config: c, clock, log, manual, peers, registry: this.registry, transports, gossip, banMgr, dialScope, healthStore: this.healthStore, state, durable, proxies, listenAddress });
    const seeding = new Seeding(c, clock, log, gossip, () => connector.fullRelayEstablished());
    const nodeStats = new NodeStats(() => {
      const t = metrics.totals();
      return { msgsIn: t.messagesIn, msgsOut: t.messagesOut, bytesIn: t.bytesIn, bytesOut: t.bytesOut, relayedMsgs: accounting.messages, relayedBytes: accounting.bytes };
    }, c.dataDir);
    const local = new LocalItems(this.magic, scanner, relay, this.registry);
    return { durable, banMgr, gossip, state, pool, relay, local, discipline, peers, connector, seeding, nodeStats, admin: undefined, rpc: undefined, zmq: undefined };
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
    const r = this.run!;
    // Network first: no dial completes, no handshake goes on while state is saved. A shutdown is
    // not the peers' departure (Serf): the connector records none once stopping.
    r.seeding.stop();
    await r.connector.stop(() => r.peers.destroyAll());
    const listener = this.acceptor.close();
    await r.durable.membership?.close().catch(() => {});
    await r.state.saveAll();
    await listener;
    this.streams.close();
    r.zmq?.close();
    await r.rpc?.close().catch(() => {});
    await r.admin?.close().catch(() => {});
    await r.pool?.close();
    await r.durable.close().catch((err: unknown) => this.log.error('closing the state store failed', { err }));
    r.nodeStats.close();
    this.coarseClock.stop();
    this.state = 'stopped';
    this.log.info('relay stopped');
    this.resolveStopped?.();
  }

  /** Resolves when the node has stopped (by stop(), leave() or a fatal start error). */
  whenStopped(): Promise<void> {
    return this.stopped ?? Promise.resolve();
  }

  /** Leaves the network: records the departure durably, then stops. The next start will not rejoin. */
  async leave(): Promise<void> {
    await this.running().durable.membership?.leave();
    setImmediate(() => void this.stop());
  }

  private running(): Running {
    if (this.state !== 'running' || this.run === undefined) {
      throw new RelayError(this.state === 'stopping' ? 'ERR_STOPPING' : 'ERR_NOT_RUNNING', `the relay is not running (${this.state})`);
    }
    return this.run;
  }

  private tick(): void {
    const now = this.clock.now();
    const r = this.running();
    for (const p of this.registry.values()) p.tick(now);
    r.relay.tick(now);
    r.gossip.tick();
    r.seeding.tick(now);
    this.flowTable.markRates();
    r.nodeStats.tick(now);
    this.metrics.setRelayCacheSize(r.relay.cache.size, r.relay.cache.byteLength);
    this.metrics.setPoolQueueDepth(r.pool?.queueDepth ?? 0);
    r.state.tick(now);
  }

  get listenAddress(): string | null {
    return this.acceptor.address;
  }

  /** The admin endpoint's address and cookie file, when it runs. */
  get adminEndpoint(): { addr: string; cookiePath: string | null } | null {
    const admin = this.run?.admin;
    const a = admin?.address;
    return a === null || a === undefined ? null : { addr: a.addr, cookiePath: admin!.cookiePath };
  }

  /** The JSON-RPC endpoint's address and cookie file, when it runs. */
  get rpcEndpoint(): { addr: string; cookiePath: string | null } | null {
    const rpc = this.run?.rpc;
    const a = rpc?.address;
    return a === null || a === undefined ? null : { addr: a.addr, cookiePath: rpc!.cookiePath };
  }

  // ---- peers -----------------------------------------------------------------------------------

  /**
   * Serves a connection that is already open (an in-process transport, or the relay-core
   * benchmark's in-memory sockets) as if it had been accepted or dialled at `addr`.
   */
  attachConnection(socket: PeerSocket, addr: string, direction: 'inbound' | 'outbound'): void {
    this.running().peers.add(socket, addr, direction, false);
  }

  /** Dials `addr`; `permanent` redials it forever; `transport` is like Core's `addnode … v2transport`. */
  connect(addr: string, opts: { permanent?: boolean; transport?: 'v1' | 'v2' } = {}): void {
    parseHostPort(addr, 'peer address');
    this.running().connector.connect(addr, opts);
  }

  disconnect(addr: string): boolean {
    return this.run?.connector.disconnect(addr) ?? false;
  }

  peers(): PeerInfo[] {
    return this.run?.peers.list() ?? [];
  }

  // ---- relay -----------------------------------------------------------------------------------

  /** Injects a raw transaction as if received: cached and announced to every peer. */
  relayTransaction(raw: Uint8Array): { txid: string; wtxid: string } {
    return this.running().local.relayTransaction(raw);
  }

  /** Sends a message to every established peer but the excluded ones; returns how many got it. */
  broadcast(msg: Message, opts: { exclude?: readonly string[] } = {}): number {
    return this.running().local.broadcast(msg, new Set(opts.exclude ?? []));
  }

  /** Relayed transactions as an async iterator: bounded buffer, oldest dropped (src/streams). */
  transactions(opts?: StreamOptions): RelayStream<TxItem> {
    return this.streams.transactions(opts);
  }

  /** Relayed blocks as an async iterator: bounded buffer, oldest dropped (src/streams). */
  blocks(opts?: StreamOptions): RelayStream<BlockItem> {
    return this.streams.blocks(opts);
  }

  /** The relay cache's transactions, oldest first (getrelaycache). */
  relayCacheTransactions(): RelayCacheTx[] {
    const c = this.run?.relay.cache;
    if (c === undefined) return [];
    const out: RelayCacheTx[] = [];
    for (const s of c.slots()) if (c.isTx(s)) out.push({ txid: hashToHex(c.id(s)), wtxid: hashToHex(c.wid(s)), size: c.frame(s).byteLength - HEADER_SIZE, from: c.from(s) });
    return out;
  }

  // ---- bans ------------------------------------------------------------------------------------

  ban(target: string, opts: { durationMs?: number; reason?: string } = {}): Promise<void> {
    return this.running().discipline.ban(target, opts);
  }

  unban(target: string): Promise<boolean> {
    return this.running().discipline.unban(target);
  }

  bans(): BanInfo[] {
    return this.run?.discipline.bans() ?? [];
  }

  // ---- views -----------------------------------------------------------------------------------

  status(): NodeStatus {
    const r = this.run;
    const wantsOutbound = this.config.targetOutbound > 0 || (r?.connector.permanentAddrs.size ?? 0) > 0;
    const parts = { config: this.config, startedAt: this.startedAt, now: this.clock.now(), listen: this.listenAddress, wantsOutbound, registry: this.registry, accounting: this.accounting };
    return statusView({ ...parts, ...r, http: r?.admin?.address?.addr ?? null });
  }

  /** The busiest flows, peers named HOST:PORT (AdminBackend). */
  flows(top: number, by: FlowOrder): FlowRow[] {
    return flowsView(this.flowTable, this.registry, top, by);
  }

  /** Flow-table totals checked against the global counters: empty when everything is accounted for. */
  flowAudit(): string[] {
    return this.flowTable.audit();
  }

  /** Long-run health of a peer address (AdminBackend). */
  health(peer: string): HealthInfo | null {
    return healthView(this.healthStore, peer);
  }

  /** Bytes read from and written to every socket since start (getnettotals). */
  trafficTotals(): { bytesIn: number; bytesOut: number } {
    const t = this.metrics.totals();
    return { bytesIn: t.bytesIn, bytesOut: t.bytesOut };
  }

  metricsText(): Promise<string> {
    return this.metrics.text();
  }
}

/** Binds and releases HOST:PORT: a port in use is reported before the data directory is touched. */
function probePort(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Creates a relay node; call `start()` to listen and connect. */
export function createRelay(options: RelayOptions = {}, deps: RelayDeps = {}): RelayNode {
  return new RelayNode(options, deps);
}
