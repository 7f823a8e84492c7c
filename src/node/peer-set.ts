/**
 * The peers of a running node: builds each Peer with the host it needs (a plain object made once
 * from the node's parts), keeps the registry, and carries out what a handshake or a close means
 * for the parts that track peers (flows, ban slots, address gossip, relay requests, gauges,
 * events). Connections come from the Connector (dials) and the Acceptor (accepts); they hear of
 * every established and closed peer through `PeerLifecycle` listeners, so data flows one way:
 * sockets → PeerSet → listeners.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../clock.js';
import type { ConnKind } from '../conn/conn-manager.js';
import { RelayError } from '../errors.js';
import type { FrameVerifier } from '../framing/frame-verifier.js';
import type { Logger } from '../log.js';
import type { RelayMetrics } from '../metrics/metrics.js';
import { TrickleTurns } from '../peer/trickle-turns.js';
import { Peer } from '../peer/peer.js';
import type { FrameEncoder, PeerHost, PeerSocket } from '../peer/peer.js';
import type { BatchDispatcher } from '../peer/dispatch.js';
import type { Turns } from '../peer/turns.js';
import type { FlowSink, WriteScheduler } from '../peer/writer.js';
import type { InventoryRelay } from '../relay/inventory-relay.js';
import type { FlowTable } from '../stats/flow-table.js';
import type { TransportPolicy } from '../transport/transport-policy.js';
import type { IdAllocator } from '../util/id-allocator.js';
import { LruSet } from '../util/lru-set.js';
import type { AddressGossip } from './address-gossip.js';
import type { BanManager } from './ban-manager.js';
import { hostOf, requireHostPort } from '../util/host-port.js';
import type { Discipline } from './discipline.js';
import type { PeerRegistry } from './peer-registry.js';
import type { DisconnectReason, PeerInfo, RelayConfig, RelayEvents } from '../types.js';

/** Told of every peer that completes its handshake and of every peer that closes. */
export interface PeerLifecycle {
  established?(peer: Peer): void;
  closed?(peer: Peer, reason: DisconnectReason): void;
}

/**
 * What the PeerSet uses of each part, no more: the node passes the real ones, test/helpers/peer-lab.ts
 * small stand-ins.
 */
export interface PeerSetParts {
  readonly config: RelayConfig;
  readonly magic: number;
  readonly clock: Clock;
  readonly log: Logger;
  readonly registry: PeerRegistry;
  readonly ids: Pick<IdAllocator, 'take' | 'release'>;
  readonly verifier: FrameVerifier;
  readonly scanner: FrameEncoder;
  readonly transports: Pick<TransportPolicy, 'transportFor'>;
  readonly scheduler: WriteScheduler;
  readonly turns: Turns;
  readonly flows: FlowSink;
  readonly dispatcher: BatchDispatcher<Peer>;
  readonly relay: Pick<InventoryRelay<Peer>, 'onPeerGone'>;
  readonly flowTable: Pick<FlowTable, 'registerPeer'>;
  readonly metrics: Pick<RelayMetrics, 'messageOut' | 'setPeers' | 'setTransportPeers'>;
  readonly banMgr: Pick<BanManager, 'score' | 'isWhitelisted' | 'release'>;
  readonly discipline: Pick<Discipline, 'onOffence'>;
  readonly gossip: Pick<AddressGossip, 'onEstablished' | 'onClosed'>;
  readonly events: EventEmitter<RelayEvents>;
  /** The mesh instances' HOST:PORT (--mesh, and what --mesh-dns finds): live, MeshDiscovery changes it. */
  readonly mesh: ReadonlySet<string>;
  /** HOST:PORT we listen on (advertised to outbound peers, named in mesh dials). */
  readonly listenAddress: () => string | null;
  /** Our headers chain's tip height (0 before it has anything, or without a chain). */
  readonly chainHeight?: () => number;
  /** The height of the best header a peer is known to have (HeaderSync), null before any. */
  readonly peerHeight?: (peerId: number) => number | null;
  /** BIP152 high-bandwidth mode with a peer, both ways (CompactPeers); both false without block relay. */
  readonly compactHighBandwidth?: (peerId: number) => { readonly to: boolean; readonly from: boolean };
}

const NO_HIGH_BANDWIDTH = Object.freeze({ to: false, from: false });

export class PeerSet {
  private readonly host: PeerHost;
  private readonly listeners: PeerLifecycle[] = [];
  private readonly meshAddrs: ReadonlySet<string>;
  private readonly seedNodes: ReadonlySet<string>;
  /**
   * The best height an outbound peer's version reported: the version message's start height only
   * until the headers chain has anything past genesis (then the chain's tip height is used).
   */
  private bestKnownHeight = 0;

  constructor(private readonly parts: PeerSetParts) {
    this.meshAddrs = parts.mesh;
    this.seedNodes = new Set(parts.config.seedNode);
    const p = parts;
    this.host = {
      config: p.config,
      magic: p.magic,
      clock: p.clock,
      verifier: p.verifier,
      encoder: p.scanner,
      transport: (ctx) => p.transports.transportFor(ctx),
      scheduler: p.scheduler,
      turns: p.turns,
      trickles: new TrickleTurns(),
      flows: p.flows,
      dispatcher: p.dispatcher,
      sentNonces: new LruSet<bigint>(50),
      bestHeight: () => {
        const h = p.chainHeight?.() ?? 0;
        return h > 0 ? h : this.bestKnownHeight;
      },
      onEstablished: (peer) => this.onEstablished(peer),
      onOffence: (peer, id, err, why) => p.discipline.onOffence(peer, id, err, why),
      onClosed: (peer, reason) => this.onClosed(peer, reason),
      isMeshPeer: (peer, ua) => this.isMeshPeer(peer, ua),
      userAgentFor: (peer) => this.userAgentFor(peer),
      countOut: (command, bytes) => p.metrics.messageOut(command, bytes),
    };
  }

  listen(l: PeerLifecycle): void {
    this.listeners.push(l);
  }

  /** Wraps a connected socket in a Peer; its handshake runs from here. */
  add(socket: PeerSocket, addr: string, direction: 'inbound' | 'outbound', permanent: boolean, kind: ConnKind | null = null): Peer {
    const mesh = direction === 'outbound' && this.meshAddrs.has(addr);
    const id = this.parts.ids.take();
    if (id === null) {
      // Over two million connections within the quarantine: refuse rather than mix up flows.
      socket.destroy();
      throw new RelayError('ERR_PEER_LIMIT', 'no connection id available');
    }
    const peer = new Peer(id, this.host, socket, addr, direction, permanent || mesh, mesh, this.parts.log, kind);
    this.parts.registry.add(peer);
    this.parts.flowTable.registerPeer(peer.id, addr, { mesh });
    this.refreshGauges();
    return peer;
  }

  /** Closes every peer (shutdown). */
  destroyAll(): void {
    for (const p of this.parts.registry.list()) p.destroy('shutdown');
  }

  info(p: Peer): PeerInfo {
    return { ...p.info(), banScore: this.parts.banMgr.score(p.id), whitelisted: this.parts.banMgr.isWhitelisted(hostOf(p.addr)), bestKnownHeight: this.parts.peerHeight?.(p.id) ?? null, compactHighBandwidth: this.parts.compactHighBandwidth?.(p.id) ?? NO_HIGH_BANDWIDTH };
  }

  list(): PeerInfo[] {
    return this.parts.registry.list().map((p) => this.info(p));
  }

  private onEstablished(peer: Peer): void {
    const { flowTable, gossip, banMgr, log, events } = this.parts;
    flowTable.registerPeer(peer.id, peer.addr, { mesh: peer.mesh });
    // Block-relay-only and feeler connections take no part in address relay; a --seednode
    // connection is asked for addresses and closed once it answered (Core ADDR_FETCH).
    gossip.onEstablished(peer, banMgr.isWhitelisted(hostOf(peer.addr)), this.parts.listenAddress(), {
      noAddrRelay: peer.kind === 'block-relay-only' || peer.kind === 'feeler',
      addrFetch: peer.direction === 'outbound' && this.seedNodes.has(peer.addr),
    });
    if (peer.direction === 'outbound' && peer.startHeight !== null && peer.startHeight > this.bestKnownHeight) this.bestKnownHeight = peer.startHeight;
    for (const l of this.listeners) l.established?.(peer);
    this.refreshGauges();
    log.info('peer connected', { peer: peer.addr, direction: peer.direction, mesh: peer.mesh, ua: peer.userAgent, pver: peer.protocolVersion });
    events.emit('peerConnect', this.info(peer));
  }

  private onClosed(peer: Peer, reason: DisconnectReason): void {
    const { registry, gossip, banMgr, ids, relay, log, events } = this.parts;
    const info = this.info(peer);
    registry.remove(peer);
    gossip.onClosed(peer.id);
    banMgr.release(peer.id);
    ids.release(peer.id);
    relay.onPeerGone(peer.id);
    for (const l of this.listeners) l.closed?.(peer, reason);
    this.refreshGauges();
    log.info('peer disconnected', { peer: peer.addr, reason });
    events.emit('peerDisconnect', info, reason);
  }

  /** An inbound peer is a mesh instance if it names a configured mesh address from that address's IP. */
  private isMeshPeer(peer: Peer, ua: string | undefined): boolean {
    const m = ua === undefined ? null : /\(mesh:([^)]+)\)\/$/.exec(ua);
    if (m === null || !this.meshAddrs.has(m[1]!)) return false;
    return requireHostPort(m[1]!, 'mesh address').host === hostOf(peer.addr);
  }

  /** Mesh dials say which listen address they come from (a BIP14 user-agent comment). */
  private userAgentFor(peer: Peer): string {
    const ua = this.parts.config.userAgent;
    const listen = this.parts.listenAddress();
    if (!peer.mesh || peer.direction !== 'outbound' || listen === null) return ua;
    return ua.replace(/\/$/, `(mesh:${listen})/`);
  }

  private refreshGauges(): void {
    const m = this.parts.metrics;
    let inHs = 0;
    let inAct = 0;
    let outHs = 0;
    let outAct = 0;
    let v2 = 0;
    for (const p of this.parts.registry.values()) {
      if (p.direction === 'inbound') p.established ? inAct++ : inHs++;
      else p.established ? outAct++ : outHs++;
      if (p.transport.name === 'v2') v2++;
    }
    m.setPeers('inbound', 'handshaking', inHs);
    m.setPeers('inbound', 'active', inAct);
    m.setPeers('outbound', 'handshaking', outHs);
    m.setPeers('outbound', 'active', outAct);
    m.setTransportPeers(this.parts.registry.size - v2, v2);
  }
}
