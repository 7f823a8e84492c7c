/**
 * Inbound connections: the listening socket, and admission of what it accepts — banned addresses
 * refused before they cost anything, inbound slots per address, per group and in the handshake,
 * eviction of an established inbound peer for a newcomer when the slots are full (Core's rules,
 * src/conn/inbound-policy.ts), refusals logged at a bounded rate.
 *
 * Inbound flaps are tracked per IP (not IP:PORT: an inbound peer's source port changes with every
 * connection) in the node's HealthStore: the IP goes online when its first connection completes
 * the handshake and offline when its last one closes, so a peer that keeps reconnecting shows a
 * growing flap count and tier (`health(IP)`, and `GET /health` for connected peers). It is
 * information only: admission does not read it (inbound slots, bans and eviction decide).
 */
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { Clock } from '../clock.js';
import type { HealthStore } from '../health/health-store.js';
import type { Logger } from '../log.js';
import { InboundSlots } from '../conn/inbound-policy.js';
import { RefusalLog } from '../conn/refusal-log.js';
import type { Peer } from '../peer/peer.js';
import type { BanManager } from './ban-manager.js';
import { formatHostPort, hostOf, stripMapped } from '../util/host-port.js';
import type { PeerRegistry } from './peer-registry.js';
import type { PeerLifecycle, PeerSet } from './peer-set.js';
import type { RelayConfig } from '../types.js';

export class Acceptor implements PeerLifecycle {
  readonly slots: InboundSlots;
  private readonly refusals: RefusalLog;
  private server: Server | undefined;
  /** IP → its established inbound connections (the flap monitor sees the IP, not each connection). */
  private readonly liveByIp = new Map<string, number>();
  /** Inbound connections counted in liveByIp. */
  private readonly counted = new Set<number>();
  /** Set once the node's state is replayed: until then accepted sockets are closed at once. */
  private target: { peers: PeerSet; registry: PeerRegistry; banMgr: BanManager } | undefined;

  constructor(
    config: RelayConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly health: Pick<HealthStore, 'online' | 'offline'>,
  ) {
    this.slots = new InboundSlots({ maxInbound: config.maxInbound, maxPerAddress: config.maxInboundPerAddress, maxPerGroup: config.maxInboundPerGroup, maxPending: config.maxPendingInbound });
    this.refusals = new RefusalLog(clock, (msg, fields) => log.info(msg, fields));
  }

  /**
   * Binds first, so a port in use fails the start before anything is written to the data
   * directory; what it accepts before `serve()` is closed (no network I/O before the state is replayed).
   */
  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, (socket) => this.onSocket(socket));
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.log.error('listener error', { err }));
        this.server = server;
        resolve();
      });
    });
  }

  /** From now on accepted sockets become peers. */
  serve(peers: PeerSet, registry: PeerRegistry, banMgr: BanManager): void {
    this.target = { peers, registry, banMgr };
    peers.listen(this);
  }

  /** Stops accepting (accepted sockets are closed from now on); resolves when the listener is closed. */
  close(): Promise<void> {
    this.target = undefined;
    const server = this.server;
    return server === undefined ? Promise.resolve() : new Promise<void>((r) => server.close(() => r()));
  }

  get address(): string | null {
    const a = this.server?.address();
    if (a === null || a === undefined || typeof a === 'string') return null;
    return formatHostPort({ host: (a as AddressInfo).address, port: (a as AddressInfo).port });
  }

  established(peer: Peer): void {
    if (peer.direction !== 'inbound') return;
    this.slots.established(peer.id);
    const ip = hostOf(peer.addr);
    const n = this.liveByIp.get(ip) ?? 0;
    this.counted.add(peer.id);
    this.liveByIp.set(ip, n + 1);
    if (n === 0) this.health.online(ip);
  }

  closed(peer: Peer): void {
    if (peer.direction !== 'inbound') return;
    this.slots.remove(peer.id);
    if (!this.counted.delete(peer.id)) return;
    const ip = hostOf(peer.addr);
    const n = this.liveByIp.get(ip) ?? 0;
    if (n > 1) {
      this.liveByIp.set(ip, n - 1);
      return;
    }
    this.liveByIp.delete(ip);
    this.health.offline(ip);
  }

  private onSocket(socket: Socket): void {
    socket.on('error', () => {});
    const t = this.target;
    if (t === undefined) {
      socket.destroy();
      return;
    }
    const ip = stripMapped(socket.remoteAddress ?? '');
    const addr = formatHostPort({ host: ip, port: socket.remotePort ?? 0 });
    // A banned address is refused before it costs anything beyond the accept.
    if (t.banMgr.isBanned(ip)) {
      this.log.debug('refused banned peer', { peer: addr });
      socket.destroy();
      return;
    }
    const noban = t.banMgr.isWhitelisted(ip);
    const decision = this.slots.admit(ip, noban);
    if (!decision.accept) {
      this.refusals.note(decision.reason, 'refused inbound peer', { peer: addr });
      socket.destroy();
      return;
    }
    if (decision.evict !== null) {
      const victim = t.registry.get(decision.evict);
      this.refusals.note(`evict_${decision.why}`, 'evicted inbound peer for a newcomer', { peer: victim?.addr, newcomer: addr, why: decision.why });
      if (victim !== undefined) victim.destroy('evicted');
      else this.slots.remove(decision.evict);
    }
    try {
      const peer = t.peers.add(socket, addr, 'inbound', false);
      this.slots.add(peer.id, ip, this.clock.now(), noban, peer.stats);
    } catch (err) {
      this.log.warn('refused inbound peer', { peer: addr, err });
    }
  }
}
