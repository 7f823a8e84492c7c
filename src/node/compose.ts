/**
 * The wiring of a running node: every part built once, from the parts it needs, in the order their
 * inputs exist (durable state first; nothing here does network I/O). RelayNode (relay-node.ts)
 * calls it from `start()` and owns the lifecycle; this is the rest of the composition root.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { RelayMetrics } from '../metrics/metrics.js';
import { WorkerPool } from '../pool/pool.js';
import { FrameVerifier } from '../framing/frame-verifier.js';
import { FrameScanner } from '../wasm/frame-scanner.js';
import { TransportPolicy } from '../transport/transport-policy.js';
import { DialScope } from '../conn/dial-scope.js';
import { onionReachable, proxySettings } from '../conn/socks5.js';
import { DEFAULT_IDLE_EVICT_MS } from '../stats/flow-table.js';
import type { FlowTable } from '../stats/flow-table.js';
import { MAX_PEER_ID } from '../stats/flow-index.js';
import { NodeStats } from '../stats/node-stats.js';
import { IdAllocator } from '../util/id-allocator.js';
import type { HealthStore } from '../health/health-store.js';
import type { AdminServer } from '../admin/http-server.js';
import { BatchDispatcher } from '../peer/dispatch.js';
import type { WriteScheduler } from '../peer/writer.js';
import { Turns } from '../peer/turns.js';
import type { Peer } from '../peer/peer.js';
import { InventoryRelay } from '../relay/inventory-relay.js';
import type { Acceptor } from './acceptor.js';
import { AddressGossip } from './address-gossip.js';
import { BanManager } from './ban-manager.js';
import { buildBlockRelay, listenToPeers } from './block-relay.js';
import type { BlockRelay } from './block-relay.js';
import { Connector } from './connector.js';
import { Discipline } from './discipline.js';
import type { DurableState } from './durable-state.js';
import type { OpenedHeaders } from './header-sync.js';
import { ItemFeed } from './item-feed.js';
import { LocalItems } from './local-items.js';
import { dispatchHost } from './message-router.js';
import type { OperatorEndpoints } from './operator-endpoints.js';
import type { PeerRegistry } from './peer-registry.js';
import { PeerSet } from './peer-set.js';
import type { RelayAccounting } from './relay-accounting.js';
import { MeshDiscovery } from './mesh-discovery.js';
import { OutboundEviction } from './outbound-eviction.js';
import { Seeding } from './seeding.js';
import { StateKeeper } from './state-keeper.js';
import type { RelayConfig, RelayEvents } from '../types.js';

/** What the node itself keeps for its whole life and hands to the parts. */
export interface NodeShell {
  readonly config: RelayConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly magic: number;
  readonly metrics: RelayMetrics;
  readonly flowTable: FlowTable;
  readonly healthStore: HealthStore;
  readonly registry: PeerRegistry;
  readonly accounting: RelayAccounting;
  readonly acceptor: Acceptor;
  readonly scheduler: WriteScheduler;
  readonly events: EventEmitter<RelayEvents>;
  readonly startedAt: number;
}

/** The parts that exist while the node runs, built together in `start()`. */
export interface Running {
  readonly durable: DurableState;
  readonly banMgr: BanManager;
  readonly gossip: AddressGossip;
  readonly state: StateKeeper;
  readonly pool: WorkerPool | undefined;
  readonly relay: InventoryRelay<Peer>;
  readonly local: LocalItems;
  readonly discipline: Discipline;
  /** Block relay (issue 19); null on simnet (no chain parameters). */
  readonly blocks: BlockRelay | null;
  readonly peers: PeerSet;
  readonly connector: Connector;
  readonly seeding: Seeding;
  readonly meshDiscovery: MeshDiscovery | undefined;
  /** Stale-chain and extra-outbound-peer eviction; undefined on simnet (no headers chain). */
  readonly outboundEviction: OutboundEviction | undefined;
  readonly nodeStats: NodeStats;
  readonly admin: AdminServer | undefined;
  readonly endpoints: OperatorEndpoints | undefined;
}


/** Builds the parts of a running node, each from the parts it needs (no network I/O yet). */
export function composeNode(shell: NodeShell, durable: DurableState, chain: OpenedHeaders | null, pool: WorkerPool | undefined): Running {
  const { config: c, clock, log, metrics, registry, accounting, events } = shell;
  const banMgr = new BanManager(c, clock, log, durable);
  banMgr.load();
  const proxies = proxySettings(c);
  const gossip = new AddressGossip(c, clock, log, durable.addrTable(), { onionReachable: onionReachable(proxies) });
  const state = new StateKeeper(durable, gossip, shell.healthStore, log, shell.startedAt);
  /** Outbound peers redialled forever: --connect, --add-peer, --mesh, `connect({ permanent })`. */
  const manual = new Set([...c.mesh, ...c.connect, ...c.addPeer]);
  /** The mesh instances: --mesh, and those --mesh-dns finds (MeshDiscovery keeps it current). */
  const mesh = new Set(c.mesh);
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
  const feed = new ItemFeed(clock, shell.acceptor.slots, { novelBlock: (id, now) => outboundEviction?.novelBlock(id, now) }, state, events, chain === null);
  const relay = new InventoryRelay<Peer>(
    {
      clock,
      peers: () => registry.values(),
      peerById: (id) => registry.get(id),
      onNewItem: (cache, slot, from) => feed.onNewItem(cache, slot, from),
      onDuplicate: (src, dst, bytes) => accounting.duplicate(src, dst, bytes),
      onOverflow: (peer, what, items, bytes) => accounting.overflow(peer, what, items, bytes),
      announceBlock: (dst, frame): boolean => blocks?.announcer.announce(dst, frame) ?? false,
      serveBlock: (dst, type, src, off, cached): boolean => blocks?.compact.serveGetdata(dst, type, src, off, cached) ?? false,
    },
    c.relayCacheMaxBytes,
    { fallbackAfterMs: c.getdataTimeoutMs, stallAfterMs: c.stallTimeoutMs, cacheMaxAgeMs: c.relayCacheMaxAgeMs },
  );
  relay.cache.onEvict = (slot) => feed.onEvict(relay.cache, slot);
  const discipline = new Discipline(c, clock, log, banMgr, registry, metrics, events);
  const blocks: BlockRelay | null =
    chain === null
      ? null
      : buildBlockRelay({ opened: chain, clock, log, magic: shell.magic, encoder: scanner, relay, peers: () => registry.values(), discipline, accounting, metrics, events, blockStoreMaxBytes: c.blockStoreMaxBytes, blocktxnTimeoutMs: c.getdataTimeoutMs });
  const dispatcher = new BatchDispatcher<Peer>(dispatchHost({ relay, gossip, discipline, accounting, metrics, events, blocks }));
  const listenAddress = (): string | null => shell.acceptor.address;
  const peers = new PeerSet({
    config: c,
    magic: shell.magic,
    clock,
    log,
    registry: registry,
    ids: new IdAllocator(clock, MAX_PEER_ID, DEFAULT_IDLE_EVICT_MS),
    verifier,
    scanner,
    transports,
    scheduler: shell.scheduler,
    turns: new Turns(),
    flows: accounting.flowSink,
    dispatcher,
    relay,
    flowTable: shell.flowTable,
    metrics,
    banMgr,
    discipline,
    gossip,
    events,
    listenAddress,
    mesh,
    chainHeight: () => blocks?.sync.tipHeight ?? 0,
    peerHeight: (id) => blocks?.sync.peerHeight(id) ?? null,
    compactHighBandwidth: blocks === null ? undefined : (id) => blocks.compactPeers.highBandwidthWith(id),
  });
  if (blocks !== null) listenToPeers(blocks, peers);
  const dialScope = new DialScope(c.onlynet, c.gossipDialScope, { onion: onionReachable(proxies) });
  const connector = new Connector({ config: c, clock, log, manual, peers, registry: registry, transports, gossip, banMgr, dialScope, healthStore: shell.healthStore, state, durable, proxies, listenAddress });
  const outboundEviction =
    blocks === null
      ? undefined
      : new OutboundEviction({
          clock,
          log,
          registry,
          sync: blocks.sync,
          connector,
          blockInFlight: (id) => relay.hasBlockRequestTo(id) || blocks.compact.awaits(id),
          automaticOutbound: c.connect.length === 0 && c.targetOutbound > 0,
        });
  if (outboundEviction !== undefined) peers.listen(outboundEviction);
  const seeding = new Seeding(c, clock, log, gossip, () => connector.fullRelayEstablished());
  const meshDiscovery = c.meshDns === null ? undefined : new MeshDiscovery({ ...c, meshDns: c.meshDns }, mesh, connector, log);
  const nodeStats = new NodeStats(() => {
    const t = metrics.totals();
    return { msgsIn: t.messagesIn, msgsOut: t.messagesOut, bytesIn: t.bytesIn, bytesOut: t.bytesOut, relayedMsgs: accounting.messages, relayedBytes: accounting.bytes };
  }, c.dataDir);
  const local = new LocalItems(shell.magic, scanner, relay, registry);
  return { durable, banMgr, gossip, state, pool, relay, local, discipline, blocks, peers, connector, seeding, meshDiscovery, outboundEviction, nodeStats, admin: undefined, endpoints: undefined };
}
