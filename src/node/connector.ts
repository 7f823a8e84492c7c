/**
 * Outbound connections: the connection manager's requests of each kind within Core's budgets, the
 * dial itself (after the ban and dial-scope checks; direct TCP or through a SOCKS5 proxy), the
 * choice of addresses for automatic slots and feelers, the peers dialled at start (configured,
 * then the rejoin plan: anchors only), anchors saved at a clean stop, what an outbound peer's
 * handshake or close means for its address (transport learnt, health, membership, redial), and
 * the extra outbound peers the outbound eviction allows (src/node/outbound-eviction.ts).
 */
import { connect as netConnect, isIP } from 'node:net';
import type { Socket } from 'node:net';
import type { Clock } from '../clock.js';
import { RelayError } from '../errors.js';
import type { Logger } from '../log.js';
import { ConnManager } from '../conn/conn-manager.js';
import type { ConnKind } from '../conn/conn-manager.js';
import { anchorsPath, anchorsToSave, loadAnchors, saveAnchors } from '../conn/anchors.js';
import { planRejoin } from '../conn/rejoin-plan.js';
import { routeFor, socks5Connect } from '../conn/socks5.js';
import type { ProxySettings } from '../conn/socks5.js';
import type { DialScope } from '../conn/dial-scope.js';
import type { HealthStore } from '../health/health-store.js';
import type { Peer } from '../peer/peer.js';
import type { TransportPolicy } from '../transport/transport-policy.js';
import { NETWORKS } from '../wire/constants.js';
import type { AddressGossip } from './address-gossip.js';
import type { BanManager } from './ban-manager.js';
import { requireHostPort } from '../util/host-port.js';
import type { DurableState } from './durable-state.js';
import type { PeerRegistry } from './peer-registry.js';
import type { PeerLifecycle, PeerSet } from './peer-set.js';
import type { StateKeeper } from './state-keeper.js';
import type { DisconnectReason, RelayConfig } from '../types.js';

export interface ConnectorParts {
  readonly config: RelayConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** Outbound peers redialled forever (the node's --connect, --add-peer, --mesh); connect() adds to it. */
  readonly manual: Set<string>;
  readonly peers: PeerSet;
  readonly registry: PeerRegistry;
  readonly transports: TransportPolicy;
  readonly gossip: AddressGossip;
  readonly banMgr: BanManager;
  readonly dialScope: DialScope;
  readonly healthStore: HealthStore;
  readonly state: StateKeeper;
  readonly durable: DurableState;
  readonly proxies: ProxySettings;
  readonly listenAddress: () => string | null;
}

export class Connector implements PeerLifecycle {
  private readonly conns: ConnManager<Peer>;
  /** Connection id → its connection-manager request. */
  private readonly reqOf = new Map<number, number>();
  /** Dials whose TCP connect has not completed: stop() aborts them. */
  private readonly pendingDials = new Set<() => void>();
  private running = true;

  constructor(private readonly parts: ConnectorParts) {
    const c = parts.config;
    this.conns = new ConnManager<Peer>({
      clock: parts.clock,
      dial: (addr, kind) => this.dial(addr, kind),
      getNewAddress: (excludeGroups) => this.pickOutbound(excludeGroups),
      getFeelerAddress: () => parts.gossip.pickFeeler(this.busy(), (a) => parts.dialScope.allowsGossiped(a)),
      // --connect means "only these peers" (Core -connect): no automatic slots of any kind.
      targetOutbound: c.connect.length > 0 ? 0 : c.targetOutbound,
      blockRelayOnly: c.connect.length > 0 || c.targetOutbound === 0 ? 0 : c.blockRelayOnly,
      retryBaseMs: c.retryBaseMs,
      retryMaxMs: c.retryMaxMs,
      allowLocal: c.allowLocalAddresses,
      reconnectDelay: (addr) => parts.healthStore.rateLimitMs(addr),
      onConnection: (req, peer) => this.reqOf.set(peer.id, req.id),
      log: parts.log.child({ component: 'connmgr' }).log,
    });
    parts.peers.listen(this);
  }

  /**
   * Configured peers first, then the rejoin plan (Core: only the anchors, the block-relay-only
   * peers saved at the last clean stop, are dialled first; previous full-relay peers go back to the
   * address table and through normal selection; mesh members rejoin as in Serf), then seed nodes,
   * then the automatic slots.
   */
  async start(): Promise<void> {
    const { config: c, durable, dialScope, gossip, log } = this.parts;
    for (const addr of c.mesh) this.conns.connect(addr, { permanent: true, kind: 'mesh' });
    for (const addr of [...c.connect, ...c.addPeer]) this.conns.connect(addr, { permanent: true });
    const anchors = c.dataDir === null ? [] : await loadAnchors(anchorsPath(c.dataDir), (level, msg, fields) => log[level](msg, fields));
    const replay = durable.replay;
    const meshAddrs = new Set(c.mesh);
    const plan = planRejoin({
      anchors,
      previous: replay === null ? [] : [...replay.alive.values()],
      left: replay?.left ?? false,
      configured: this.parts.manual,
      isMesh: (a) => meshAddrs.has(a),
      allow: (a) => dialScope.allowsGossiped(a),
      blockRelayOnly: this.conns.blockRelayOnly,
      group: { allowLocal: c.allowLocalAddresses },
    });
    for (const a of plan.anchors) {
      log.info('dialling anchor', { peer: a });
      this.conns.connectAnchor(a);
    }
    for (const a of plan.mesh) this.conns.connect(a, { kind: 'mesh' });
    gossip.rememberPrevious(plan.toAddressTable);
    for (const a of c.seedNode) this.conns.connect(a);
    this.conns.start();
  }

  /**
   * No dial completes and nothing is redialled from here on. The block-relay-only peers are saved
   * as anchors first (a clean stop only, Core PR #17428); the peers are closed by the caller in
   * between (`closePeers`), so that they leave as a shutdown, not as dropped requests.
   */
  async stop(closePeers: () => void): Promise<void> {
    this.running = false;
    for (const abort of [...this.pendingDials]) abort();
    this.pendingDials.clear();
    const dataDir = this.parts.config.dataDir;
    if (dataDir !== null) {
      await saveAnchors(anchorsPath(dataDir), anchorsToSave(this.conns.list())).catch((err: unknown) => this.parts.log.warn('saving the anchors failed', { err }));
    }
    closePeers();
    this.conns.stop();
  }

  /** Outbound peers redialled forever. */
  get permanentAddrs(): ReadonlySet<string> {
    return this.parts.manual;
  }

  /** Established automatic full-relay peers. */
  fullRelayEstablished(): number {
    return this.conns.count('full-relay', 'established');
  }

  /** Core SetTryNewOutboundPeer: allow one full-relay peer beyond the target while our tip looks stale. */
  tryAnotherOutbound(on: boolean): void {
    this.conns.setTryAnotherOutbound(on);
  }

  /** Whether an extra full-relay peer is allowed now (Core GetTryNewOutboundPeer). */
  tryingAnotherOutbound(): boolean {
    return this.conns.tryingAnotherOutbound;
  }

  /** Core StartExtraBlockRelayPeers: once synced, an extra block-relay-only peer now and then (5 min mean). */
  startExtraBlockRelayPeers(): void {
    this.conns.startExtraBlockRelayPeers();
  }

  /** Established automatic peers of `kind` beyond its budget. */
  extraOutbound(kind: 'full-relay' | 'block-relay-only'): number {
    return this.conns.extraCount(kind);
  }

  /**
   * Dials `addr`; `permanent` redials it forever; `transport` is the operator's word on it; `mesh`
   * makes it a mesh link (trusted, unbudgeted).
   */
  connect(addr: string, opts: { permanent?: boolean; transport?: 'v1' | 'v2'; mesh?: boolean } = {}): void {
    if (opts.transport !== undefined) this.parts.transports.setOverride(addr, opts.transport);
    if (opts.permanent === true) this.parts.manual.add(addr);
    this.conns.connect(addr, { permanent: opts.permanent === true, kind: opts.mesh === true ? 'mesh' : 'manual' });
  }

  /** Closes the peer at `addr`; a manual disconnect of an outbound peer is final (btcd Remove). */
  disconnect(addr: string): boolean {
    const p = this.parts.registry.byAddress(addr);
    if (p === undefined) return false;
    const req = this.reqOf.get(p.id);
    if (req !== undefined) this.conns.remove(req);
    this.parts.manual.delete(addr);
    p.close('local');
    return true;
  }

  /**
   * Forgets `addr` as an outbound peer: every request for it is dropped (connected, dialling or
   * waiting to redial) and it is no longer permanent. Returns whether there was anything to drop.
   */
  forget(addr: string): boolean {
    let any = this.parts.manual.delete(addr);
    for (const r of this.conns.list()) {
      if (r.addr === addr && this.conns.remove(r.id)) any = true;
    }
    const p = this.parts.registry.byAddress(addr);
    if (p !== undefined && p.direction === 'outbound' && !p.isClosed) {
      p.close('local');
      any = true;
    }
    return any;
  }

  established(peer: Peer): void {
    if (peer.direction !== 'outbound') return;
    this.parts.transports.onVersion(peer.addr, peer.services);
    if (peer.kind === 'feeler') {
      // A feeler only tests that the address answers (Core): the handshake marked it good.
      const req = this.reqOf.get(peer.id);
      if (req !== undefined) this.conns.remove(req);
      else peer.close('local');
      return;
    }
    this.parts.healthStore.online(peer.addr);
    this.parts.state.memberAlive(peer.addr);
  }

  closed(peer: Peer, _reason: DisconnectReason): void {
    if (peer.direction !== 'outbound') return;
    this.parts.healthStore.offline(peer.addr);
    const req = this.reqOf.get(peer.id);
    this.reqOf.delete(peer.id);
    // A stopping node closed the peer itself: no departure to record, nothing to learn or redial.
    if (!this.running) return;
    const after = this.parts.transports.onClosed(peer.addr, peer.transport);
    this.parts.state.memberGone(peer.addr);
    if (req !== undefined) this.conns.disconnect(req, { redialNow: after === 'redial-now' });
  }

  /**
   * Opens a connection (direct TCP, or through the SOCKS5 proxy its network needs) and hands it to
   * the PeerSet; the handshake runs from there.
   */
  private dial(addr: string, kind: ConnKind): Promise<Peer> {
    if (!this.running) return Promise.reject(new RelayError('ERR_STOPPING', 'the relay is stopping'));
    const { host, port } = requireHostPort(addr, 'peer address');
    if (isIP(host) !== 0 && this.parts.banMgr.isBanned(host)) return Promise.reject(new RelayError('ERR_BANNED', `${addr} is banned`));
    const outside = this.parts.dialScope.refuseDial(addr);
    if (outside !== null) return Promise.reject(new RelayError('ERR_DIAL_SCOPE', outside));
    const route = routeFor(addr, this.parts.proxies);
    if (route.kind === 'unreachable') return Promise.reject(new RelayError('ERR_DIAL_SCOPE', route.why));
    if (route.kind === 'socks5') {
      return socks5Connect(route.proxy, addr, { timeoutMs: this.parts.config.handshakeTimeoutMs }).then((socket) => this.adopt(socket, addr, kind));
    }
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host, port, noDelay: true });
      const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), this.parts.config.handshakeTimeoutMs);
      // stop() aborts a dial still connecting: no socket outlives the node, nothing is sent after it.
      const abort = (): void => {
        clearTimeout(timer);
        socket.destroy();
        reject(new RelayError('ERR_STOPPING', 'the relay is stopping'));
      };
      this.pendingDials.add(abort);
      socket.once('connect', () => {
        clearTimeout(timer);
        this.pendingDials.delete(abort);
        socket.removeAllListeners('error');
        if (!this.running) return abort();
        try {
          resolve(this.adopt(socket, addr, kind));
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

  private adopt(socket: Socket, addr: string, kind: ConnKind): Peer {
    if (!this.running) {
      socket.destroy();
      throw new RelayError('ERR_STOPPING', 'the relay is stopping');
    }
    return this.parts.peers.add(socket, addr, 'outbound', this.parts.manual.has(addr), kind);
  }

  /** Addresses not to pick: connected, dialling, ourselves, and flapping ones within their tier. */
  private busy(): Set<string> {
    const busy = new Set<string>(this.parts.registry.addresses());
    for (const c of this.conns.list()) if (c.addr !== null && c.state !== 'canceled' && c.state !== 'disconnected') busy.add(c.addr);
    for (const a of this.conns.heldOff()) busy.add(a);
    const self = this.parts.listenAddress();
    if (self !== null) busy.add(self);
    return busy;
  }

  /**
   * An address for an automatic outbound slot: never one we are already connected to or dialling
   * (mesh and --connect peers are advertised back to us), and never ourselves.
   */
  private pickOutbound(excludeGroups: ReadonlySet<string>): string | null {
    const { gossip, healthStore, dialScope, config } = this.parts;
    return gossip.pickOutbound(excludeGroups, this.busy(), (a) => healthStore.preferenceScore(a), NETWORKS[config.network].defaultPort, (a) => dialScope.allowsGossiped(a));
  }
}
