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
import type { Message } from '../wire/codec.js';
import { NETWORKS } from '../wire/constants.js';
import { FlowTable } from '../stats/flow-table.js';
import { CoarseClock } from '../stats/coarse-clock.js';
import { VERSION } from '../version.js';
import { HealthStore } from '../health/health-store.js';
import { RelayMetrics } from '../metrics/metrics.js';
import { AdminServer, exposureWarning } from '../admin/http-server.js';
import type { AdminBackend, FlowOrder, FlowRow, HealthInfo } from '../admin/backend.js';
import type { RelayCacheTx, RpcBackend } from '../rpc/backend.js';
import { RelayStreams, type BlockItem, type RelayStream, type StreamOptions, type TxItem } from '../streams/relay-streams.js';
import type { PeerSocket } from '../peer/peer.js';
import { WriteScheduler } from '../peer/writer.js';
import { Acceptor } from './acceptor.js';
import { DurableState } from './durable-state.js';
import { HeaderSync } from './header-sync.js';
import type { OpenedHeaders } from './header-sync.js';
import { composeNode, type Running } from './compose.js';
import { cacheTransactions, flowsView, healthView, statusView } from './node-views.js';
import { OperatorEndpoints } from './operator-endpoints.js';
import { PeerRegistry } from './peer-registry.js';
import { RelayAccounting } from './relay-accounting.js';
import { resolveConfig } from './config.js';
import { formatHostPort, requireHostPort } from '../util/host-port.js';
import type { RelayOptions } from './config.js';
import type { BanInfo, NodeStatus, PeerInfo, RelayConfig, RelayEvents } from '../types.js';

export interface RelayDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
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
    this.metrics.attachFeeds(() => [...this.streams.drops(), ...(this.run?.endpoints?.drops() ?? [])]);
    this.healthStore = new HealthStore({ clock: this.clock });
    this.accounting = new RelayAccounting(this.flowTable, this.registry, () => this.state === 'running');
    this.acceptor = new Acceptor(this.config, this.clock, this.log, this.healthStore);
  }

  // ---- lifecycle -------------------------------------------------------------------------------

  /** Opens the durable state, replays it, then listens and dials. Network I/O starts last. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new RelayError('ERR_NOT_RUNNING', `relay cannot start: it is ${this.state}`);
    this.state = 'running';
    this.stopped = new Promise((r) => (this.resolveStopped = r));
    this.startedAt = this.clock.now();
    const c = this.config;
    const opened: { durable?: DurableState; chain?: OpenedHeaders | null; pool?: WorkerPool; admin?: AdminServer } = {};
    try {
      // Ports first: a port in use fails the start before anything is written to the data directory.
      if (c.listen !== null) await this.acceptor.listen(c.listen.host, c.listen.port);
      if (c.http !== null) await probePort(c.http.host, c.http.port);
      if (c.rpc !== null) await probePort(c.rpc.host, c.rpc.port);
      if (c.dataDir !== null) await mkdir(c.dataDir, { recursive: true });
      const durable = (opened.durable = await DurableState.open(c, this.clock, this.log));
      const shell = { config: c, clock: this.clock, log: this.log, magic: this.magic, metrics: this.metrics, flowTable: this.flowTable, healthStore: this.healthStore, registry: this.registry, accounting: this.accounting, acceptor: this.acceptor, scheduler: this.scheduler, events: this, startedAt: this.startedAt };
      const chain = (opened.chain = await HeaderSync.openChain(c, this.log));
      this.run = composeNode(shell, durable, chain, (opened.pool = c.workers > 0 ? new WorkerPool({ threads: c.workers }) : undefined));
      if (c.http !== null) {
        const exposed = exposureWarning(c.http.host);
        if (exposed !== null) this.log.warn(exposed, { http: formatHostPort(c.http) });
        const admin = (opened.admin = new AdminServer({ backend: this, dataDir: c.dataDir }));
        await admin.start(c.http.host, c.http.port);
        this.run = { ...this.run, admin };
      }
      this.run = { ...this.run, endpoints: await OperatorEndpoints.open(c, this, this.log, this.run.admin?.cookiePath ?? null) };
    } catch (err) {
      this.run = undefined;
      await this.acceptor.close();
      await opened.admin?.close().catch(() => {});
      await opened.pool?.close();
      await opened.durable?.close().catch(() => {});
      await opened.chain?.file?.close().catch(() => {});
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

  /** Graceful stop: peers closed, durable state flushed, threads and files closed. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'stopped';
      return;
    }
    const r = this.run;
    // Not running, or a start that failed (it cleaned up after itself): nothing to stop.
    if (this.state !== 'running' || r === undefined) return this.stopped;
    this.state = 'stopping';
    if (this.ticker !== undefined) clearInterval(this.ticker);
    r.blocks?.gate.stop();
    // Network first: no dial completes, no handshake goes on while state is saved. A shutdown is
    // not the peers' departure (Serf): the connector records none once stopping.
    r.seeding.stop();
    await r.connector.stop(() => r.peers.destroyAll());
    const listener = this.acceptor.close();
    await r.durable.membership?.close().catch(() => {});
    await r.state.saveAll();
    await listener;
    this.streams.close();
    await r.endpoints?.close();
    await r.admin?.close().catch(() => {});
    await r.pool?.close();
    await r.blocks?.merkle.close();
    await r.blocks?.sync.close().catch((err: unknown) => this.log.error('closing the headers file failed', { err }));
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
    r.blocks?.compact.tick(now);
    r.outboundEviction?.tick(now);
    r.gossip.tick();
    r.seeding.tick(now);
    r.meshDiscovery?.tick(now);
    this.flowTable.markRates();
    r.nodeStats.tick(now);
    this.metrics.setRelayCacheSize(r.relay.cache.size, r.relay.cache.byteLength, r.relay.cache.reservedBytes);
    this.metrics.setPoolQueueDepth(r.pool?.queueDepth ?? 0);
    r.state.tick(now);
  }

  get listenAddress(): string | null {
    return this.acceptor.address;
  }

  /** The admin endpoint's address and cookie file, when it runs. */
  get adminEndpoint(): { addr: string; cookiePath: string | null } | null {
    return endpointOf(this.run?.admin);
  }

  /** The JSON-RPC endpoint's address and cookie file, when it runs. */
  get rpcEndpoint(): { addr: string; cookiePath: string | null } | null {
    return endpointOf(this.run?.endpoints?.rpc);
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
    requireHostPort(addr, 'peer address');
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
    return this.run === undefined ? [] : cacheTransactions(this.run.relay.cache);
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

function endpointOf(s: { address: { addr: string } | null; cookiePath: string | null } | undefined): { addr: string; cookiePath: string | null } | null {
  const a = s?.address;
  return a === null || a === undefined ? null : { addr: a.addr, cookiePath: s!.cookiePath };
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
