/**
 * Outbound connections: the connection manager's requests, the TCP dial itself (after the ban and
 * dial-scope checks), the choice of addresses for automatic slots, the peers dialled at start
 * (configured, then a rejoin of previous ones), and what an outbound peer's handshake or close
 * means for its address (transport learnt, health, membership, redial).
 */
import { connect as netConnect, isIP } from 'node:net';
import type { Clock } from '../clock.js';
import { RelayError } from '../errors.js';
import type { Logger } from '../log.js';
import { ConnManager } from '../conn/conn-manager.js';
import type { DialScope } from '../conn/dial-scope.js';
import type { HealthStore } from '../health/health-store.js';
import type { Peer } from '../peer/peer.js';
import type { TransportPolicy } from '../transport/transport-policy.js';
import { NETWORKS } from '../wire/constants.js';
import type { AddressGossip } from './address-gossip.js';
import type { BanManager } from './ban-manager.js';
import { parseHostPort } from './config.js';
import type { DurableState } from './durable-state.js';
import type { PeerRegistry } from './peer-registry.js';
import type { PeerLifecycle, PeerSet } from './peer-set.js';
import type { StateKeeper } from './state-keeper.js';
import type { DisconnectReason, RelayConfig } from './types.js';

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
  readonly listenAddress: () => string | null;
}

export class Connector implements PeerLifecycle {
  private readonly conns: ConnManager<Peer>;
  private readonly reqOf = new Map<number, number>();
  /** Dials whose TCP connect has not completed: stop() aborts them. */
  private readonly pendingDials = new Set<() => void>();
  private running = true;

  constructor(private readonly parts: ConnectorParts) {
    const c = parts.config;
    this.conns = new ConnManager<Peer>({
      clock: parts.clock,
      dial: (addr) => this.dial(addr),
      getNewAddress: (excludeGroups) => this.pickOutbound(excludeGroups),
      targetOutbound: c.connect.length > 0 ? 0 : c.targetOutbound,
      retryBaseMs: c.retryBaseMs,
      retryMaxMs: c.retryMaxMs,
      allowLocal: c.allowLocalAddresses,
      reconnectDelay: (addr) => parts.healthStore.rateLimitMs(addr),
      onConnection: (req, peer) => this.reqOf.set(peer.id, req.id),
      log: parts.log.child({ component: 'connmgr' }).log,
    });
    parts.peers.listen(this);
  }

  /** Configured peers first, then (unless the node left) the peers it was connected to before. */
  start(): void {
    const c = this.parts.config;
    for (const addr of [...c.mesh, ...c.connect, ...c.addPeer]) this.conns.connect(addr, { permanent: true });
    const replay = this.parts.durable.replay;
    if (replay !== null && !replay.left) {
      const previous = [...replay.alive.values()].filter((a) => !this.parts.manual.has(a) && this.parts.dialScope.allowsGossiped(a));
      shuffle(previous);
      for (const addr of previous) {
        this.parts.log.info('rejoining previous peer', { peer: addr });
        this.conns.connect(addr);
      }
    }
    this.conns.start();
  }

  /**
   * No dial completes and nothing is redialled from here on. The peers are closed by the caller
   * in between (`closePeers`), so that they leave as a shutdown, not as dropped requests.
   */
  stop(closePeers: () => void): void {
    this.running = false;
    for (const abort of [...this.pendingDials]) abort();
    this.pendingDials.clear();
    closePeers();
    this.conns.stop();
  }

  /** Outbound peers redialled forever. */
  get permanentAddrs(): ReadonlySet<string> {
    return this.parts.manual;
  }

  /** Dials `addr`; `permanent` redials it forever; `transport` is the operator's word on it. */
  connect(addr: string, opts: { permanent?: boolean; transport?: 'v1' | 'v2' } = {}): void {
    if (opts.transport !== undefined) this.parts.transports.setOverride(addr, opts.transport);
    if (opts.permanent === true) this.parts.manual.add(addr);
    this.conns.connect(addr, { permanent: opts.permanent === true });
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

  established(peer: Peer): void {
    if (peer.direction !== 'outbound') return;
    this.parts.transports.onVersion(peer.addr, peer.services);
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

  /** Opens a TCP connection and hands it to the PeerSet; the handshake runs from there. */
  private dial(addr: string): Promise<Peer> {
    const { host, port } = parseHostPort(addr, 'peer address');
    return new Promise((resolve, reject) => {
      if (!this.running) return reject(new RelayError('ERR_STOPPING', 'the relay is stopping'));
      if (isIP(host) !== 0 && this.parts.banMgr.isBanned(host)) return reject(new RelayError('ERR_BANNED', `${addr} is banned`));
      const outside = this.parts.dialScope.refuseDial(addr);
      if (outside !== null) return reject(new RelayError('ERR_DIAL_SCOPE', outside));
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
          resolve(this.parts.peers.add(socket, addr, 'outbound', this.parts.manual.has(addr)));
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

  /**
   * An address for an automatic outbound slot: never one we are already connected to or dialling
   * (mesh and --connect peers are advertised back to us), and never ourselves.
   */
  private pickOutbound(excludeGroups: ReadonlySet<string>): string | null {
    const busy = new Set<string>(this.parts.registry.addresses());
    for (const c of this.conns.list()) if (c.addr !== null && c.state !== 'canceled' && c.state !== 'disconnected') busy.add(c.addr);
    const self = this.parts.listenAddress();
    if (self !== null) busy.add(self);
    const { gossip, healthStore, dialScope, config } = this.parts;
    return gossip.pickOutbound(excludeGroups, busy, (a) => healthStore.preferenceScore(a), NETWORKS[config.network].defaultPort, (a) => dialScope.allowsGossiped(a));
  }
}

function shuffle<T>(list: T[]): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
}
