/**
 * An in-memory outbound side of a node for the eclipse, anchors and feeler tests: a ConnManager
 * wired to an AddrManager the way the node wires them (docs/addresses-and-connections.md), with a
 * fake dialer in which every address answers unless told otherwise, a manual clock and a manual
 * timer scheduler. Nothing here opens a socket.
 */
import { ManualClock } from '../../src/clock.js';
import { AddrManager } from '../../src/addr/addr-manager.js';
import { ConnManager, type ConnKind, type ConnReqInfo, type Connection } from '../../src/conn/conn-manager.js';
import { seededRandom } from '../../src/util/random.js';
import { schedulerFor, type ManualScheduler } from './scheduler.js';

export class LabConn implements Connection {
  closed = false;
  constructor(readonly addr: string) {}
  close(): void {
    this.closed = true;
  }
}

export interface LabOptions {
  readonly clock?: ManualClock;
  readonly addrs?: AddrManager;
  readonly targetOutbound?: number;
  readonly blockRelayOnly?: number;
  readonly seed?: number;
  /** Addresses whose dial fails. */
  readonly dead?: ReadonlySet<string>;
  readonly feelers?: boolean;
}

export class OutboundLab {
  readonly clock: ManualClock;
  readonly sched: ManualScheduler;
  readonly addrs: AddrManager;
  readonly cm: ConnManager<LabConn>;
  /** Every dial, in order, with the kind it was made for. */
  readonly dials: { addr: string; kind: ConnKind }[] = [];
  /** Most automatic outbound connections (full-relay + block-relay-only) seen established at once. */
  maxAutomatic = 0;
  /** Most feelers seen at once. */
  maxFeelers = 0;
  feelersDone = 0;
  private readonly dead: ReadonlySet<string>;

  constructor(opts: LabOptions = {}) {
    this.clock = opts.clock ?? new ManualClock();
    this.sched = schedulerFor(this.clock);
    this.dead = opts.dead ?? new Set();
    this.addrs = opts.addrs ?? new AddrManager({ clock: this.clock, random: seededRandom(opts.seed ?? 1), allowLocal: true });
    const pending = new Map<string, ConnKind>();
    this.cm = new ConnManager<LabConn>({
      clock: this.clock,
      scheduler: this.sched,
      random: seededRandom((opts.seed ?? 1) + 100),
      allowLocal: true,
      targetOutbound: opts.targetOutbound ?? 8,
      blockRelayOnly: opts.blockRelayOnly ?? 2,
      dial: async (addr) => {
        const kind = pending.get(addr) ?? 'manual';
        this.dials.push({ addr, kind });
        if (this.dead.has(addr)) throw new Error(`ECONNREFUSED ${addr}`);
        return new LabConn(addr);
      },
      getNewAddress: (excludeGroups, kind) => {
        const a = this.addrs.selectOutbound({ excludeGroups, exclude: this.busy() });
        if (a !== null) pending.set(a, kind);
        return a;
      },
      ...(opts.feelers === false
        ? {}
        : {
            getFeelerAddress: () => {
              const a = this.addrs.selectFeeler({ exclude: this.busy() });
              if (a !== null) pending.set(a, 'feeler');
              return a;
            },
          }),
      onConnection: (req) => this.onConnection(req),
    });
  }

  /** Addresses connected or being dialled: never offered again (the node's `busy` set). */
  busy(): Set<string> {
    const s = new Set<string>();
    for (const c of this.cm.list()) if (c.addr !== null) s.add(c.addr);
    return s;
  }

  /** What the node does after a handshake: outbound peers are good; a feeler is closed at once. */
  private onConnection(req: ConnReqInfo): void {
    this.addrs.connected(req.addr!);
    this.addrs.good(req.addr!);
    if (req.kind === 'feeler') {
      this.maxFeelers = Math.max(this.maxFeelers, this.cm.count('feeler', 'established'));
      this.cm.remove(req.id);
      this.feelersDone++;
    }
    this.maxAutomatic = Math.max(this.maxAutomatic, this.automatic().length);
  }

  /** Established automatic outbound connections (full-relay and block-relay-only). */
  automatic(): ConnReqInfo[] {
    return this.cm.list().filter((c) => c.state === 'established' && (c.kind === 'full-relay' || c.kind === 'block-relay-only'));
  }

  established(kind?: ConnKind): ConnReqInfo[] {
    return this.cm.list().filter((c) => c.state === 'established' && (kind === undefined || c.kind === kind));
  }
}

/** The honest side of issue 23: 8 listening peers in 8 distinct /16s on loopback. */
export const HONEST = Array.from({ length: 8 }, (_, i) => `127.${10 * (i + 1)}.0.1:18444`);

/** The attacker of issue 23: 1,000 addresses in 4 /16s (127.101–104.x.y). */
export const ATTACKER = Array.from({ length: 1000 }, (_, i) => `127.${101 + (i % 4)}.${(i >> 2) & 255}.${(i >> 10) + 1}:18444`);
export const ATTACKER_GROUPS = new Set(['127.101.0.0', '127.102.0.0', '127.103.0.0', '127.104.0.0']);

export function isAttacker(addr: string): boolean {
  return /^127\.10[1-4]\./.test(addr);
}

/** Feeds the flood: the first honest peer gossips the other 7; 4 attacker sources gossip all 1,000. */
export function gossip(addrs: AddrManager, nowSec: number): void {
  addrs.addAddresses(HONEST.slice(1).map((addr) => ({ addr, timestamp: nowSec })), HONEST[0]!);
  for (let s = 0; s < 4; s++) addrs.addAddresses(ATTACKER.map((addr) => ({ addr, timestamp: nowSec })), `127.${101 + s}.250.1:40000`);
}
