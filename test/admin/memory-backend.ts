/**
 * An AdminBackend over plain maps, standing in for the relay node in the admin tests. It keeps
 * real state (a ban really lands in `bans()`, a disconnect really removes the peer), so the tests
 * check the HTTP layer's effect, not which calls were made.
 */
import type { AdminBackend, BanOptions, ConnectOptions, FlowOrder, FlowRow, HealthInfo } from '../../src/admin/backend.js';
import { ManualClock } from '../../src/clock.js';
import { ConfigError } from '../../src/errors.js';
import type { BanInfo, NodeStatus, PeerInfo } from '../../src/types.js';

export const DEFAULT_BAN_MS = 24 * 3600_000;

export function makePeer(addr: string, overrides: Partial<PeerInfo> = {}): PeerInfo {
  return {
    id: 0,
    addr,
    direction: 'outbound',
    permanent: false,
    mesh: false,
    whitelisted: false,
    state: 'established',
    protocolVersion: 70016,
    userAgent: '/Satoshi:27.0.0/',
    services: '1033',
    servicesNames: ['NETWORK', 'WITNESS', 'NETWORK_LIMITED'],
    startHeight: 850_000,
    relay: true,
    banScore: 0,
    rttMs: 42,
    minRttMs: 40,
    connectedAt: 1_700_000_000_000,
    lastSend: 1_700_000_090_000,
    lastRecv: 1_700_000_095_000,
    bytesIn: 123_456,
    bytesOut: 7890,
    messagesIn: 100,
    messagesOut: 80,
    bytesSentPerMsg: { version: 126, inv: 7764 },
    bytesRecvPerMsg: { version: 126, tx: 123_330 },
    sendQueueBytes: 0,
    transport: 'v2',
    sessionId: 'ab'.repeat(32),
    ...overrides,
  };
}

export function makeFlow(src: string, dst: string, bytes: number, rateBps: number): FlowRow {
  return {
    src,
    dst,
    packets: Math.ceil(bytes / 250),
    bytes,
    packetsMesh: 1,
    bytesMesh: 250,
    drops: { queue_head: 0 },
    createdAt: 1_700_000_000_000,
    lastActive: 1_700_000_100_000,
    rateBps,
  };
}

export class MemoryBackend implements AdminBackend {
  readonly clock = new ManualClock();
  readonly startedAt = this.clock.now();
  readonly peerMap = new Map<string, PeerInfo>();
  readonly banMap = new Map<string, BanInfo>();
  readonly healthMap = new Map<string, HealthInfo>();
  flowRows: FlowRow[] = [];
  metrics = '# HELP wirerelay_peers Connected peers\n# TYPE wirerelay_peers gauge\nwirerelay_peers 0\n';
  left = false;
  nextId = 1;
  /** Awaited inside ban() before the ban is recorded; a test swaps it to hold the "fsync". */
  durable: () => Promise<void> = () => Promise.resolve();
  /** Called from leave(), e.g. to close the admin server the way a node shutting down would. */
  onLeave: () => Promise<void> = () => Promise.resolve();
  /** Throws from status() when set: stands in for a backend bug. */
  statusError: unknown = null;
  /** What status() reports under `warnings`. */
  warnings: string[] = [];
  /** Targets the node refuses to ban (whitelisted). */
  readonly whitelist = new Set<string>();

  addPeer(addr: string, overrides: Partial<PeerInfo> = {}): PeerInfo {
    const p = makePeer(addr, { id: this.nextId++, ...overrides });
    this.peerMap.set(addr, p);
    return p;
  }

  setHealth(peer: string, overrides: Partial<HealthInfo> = {}): void {
    this.healthMap.set(peer, {
      peer,
      lifespanMs: 3_600_000,
      uptimeMs: 3_240_000,
      uptimeRatio: 0.9,
      flapCount: 2,
      lastFlap: 1_700_000_050_000,
      tier: 0,
      online: this.peerMap.has(peer),
      ...overrides,
    });
  }

  status(): NodeStatus {
    if (this.statusError !== null) throw this.statusError;
    const peers = [...this.peerMap.values()];
    const rates = { msgsIn: 12.5, msgsOut: 30, bytesIn: 4096, bytesOut: 10_240, relayedMsgs: 25, relayedBytes: 8192 };
    const history = Object.fromEntries(Object.entries(rates).map(([k, v]) => [k, [0, v / 2, v, v * 1.5]])) as unknown as NodeStatus['history'];
    return {
      version: '0.1.0',
      network: 'regtest',
      userAgent: '/wirerelay:0.1.0/',
      dataDir: '/var/lib/wirerelay',
      listen: '127.0.0.1:18444',
      http: null,
      startedAt: this.startedAt,
      uptimeMs: this.clock.now() - this.startedAt,
      peers: {
        inbound: peers.filter((p) => p.direction === 'inbound').length,
        outbound: peers.filter((p) => p.direction === 'outbound').length,
        established: peers.filter((p) => p.state === 'established').length,
      },
      bans: this.banMap.size,
      addresses: { new: 10, tried: 3 },
      relayCache: { items: 5, bytes: 2048 },
      relayed: { messages: 77, bytes: 65_536 },
      pool: { threads: 1, queueDepth: 0 },
      stateVersion: 4,
      rates: { last10s: rates, last1m: { ...rates, bytesIn: 2048 } },
      history,
      process: { eventLoopLagMs: 1.5, eventLoopLagMaxMs: 9, cpuPercent: 12.5, rssBytes: 80 * 1024 * 1024 },
      backup: null,
      warnings: this.warnings,
    };
  }

  peers(): PeerInfo[] {
    return [...this.peerMap.values()];
  }

  bans(): BanInfo[] {
    return [...this.banMap.values()];
  }

  async ban(target: string, opts: BanOptions): Promise<void> {
    if (this.whitelist.has(target)) throw new ConfigError(`${target} is whitelisted`);
    await this.durable();
    this.banMap.set(target, {
      target,
      createdAt: this.clock.now(),
      until: this.clock.now() + (opts.durationMs ?? DEFAULT_BAN_MS),
      reason: opts.reason ?? 'manual',
    });
  }

  async unban(target: string): Promise<boolean> {
    return this.banMap.delete(target);
  }

  /** Set to make connect() throw what a node in that state throws (e.g. ERR_NOT_RUNNING). */
  connectError: Error | null = null;

  connect(addr: string, opts?: ConnectOptions): void {
    if (this.connectError !== null) throw this.connectError;
    this.addPeer(addr, { state: 'connecting', permanent: opts?.permanent === true, userAgent: null, rttMs: null });
  }

  disconnect(addr: string): boolean {
    return this.peerMap.delete(addr);
  }

  flows(top: number, by: FlowOrder): FlowRow[] {
    const key = by === 'bytes' ? (f: FlowRow) => f.bytes : (f: FlowRow) => f.rateBps;
    return [...this.flowRows].sort((a, b) => key(b) - key(a)).slice(0, top);
  }

  health(peer: string): HealthInfo | null {
    return this.healthMap.get(peer) ?? null;
  }

  metricsText(): Promise<string> {
    return Promise.resolve(this.metrics);
  }

  async leave(): Promise<void> {
    this.peerMap.clear();
    this.left = true;
    await this.onLeave();
  }
}
