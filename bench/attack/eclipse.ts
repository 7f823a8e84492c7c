/**
 * The eclipse probe of issues 20 and 23, in memory: the address manager and the connection
 * manager wired as the node wires them (docs/addresses-and-connections.md), a manual clock and
 * timers, a dialer in which every address answers. No socket is opened, so it runs the same on
 * any machine; until src/node/relay-node.ts wires these modules it measures the modules, not the
 * node process.
 *
 * Shape: 12 honest peers in 12 /16s (the node told of the first, which gossips the rest). A quiet
 * first life of 2 simulated minutes on the honest network ends with a clean stop (anchors saved).
 * Then an attacker with 1,000 addresses in 4 /16s gossips them from 4 sources every 5 s and
 * completes a handshake on everything we dial, across two restarts of 10 simulated minutes each
 * (anchors, rejoin plan).
 *
 * Targets: attacker automatic outbound ≤ 4 (one per attacker group), during the flood and after the
 * restart; each kind within its budget; the block-relay-only (anchor) peers outside the attacker's
 * /16s after the restart; the tried table keeps ≥ 90 % of its good entries.
 */
import { ManualClock } from '../../src/clock.js';
import { AddrManager } from '../../src/addr/addr-manager.js';
import { ConnManager, type ConnKind, type Connection, type TimerScheduler } from '../../src/conn/conn-manager.js';
import { planRejoin } from '../../src/conn/rejoin-plan.js';
import { anchorsToSave } from '../../src/conn/anchors.js';
import { seededRandom } from '../../src/util/random.js';

// Issue 23's 8 honest /16s plus 4 more, so that the quiet first life fills every automatic slot
// (8 full-relay + 2 block-relay-only) with honest peers and has anchors to save.
const HONEST = Array.from({ length: 12 }, (_, i) => `127.${10 + 7 * i}.0.1:18444`);
const ATTACKER = Array.from({ length: 1000 }, (_, i) => `127.${101 + (i % 4)}.${(i >> 2) & 255}.${(i >> 10) + 1}:18444`);
const isAttacker = (a: string): boolean => /^127\.10[1-4]\./.test(a);
const MINUTE = 60_000;

/** setTimeout on a manual clock; run() executes due timers and lets dial promises settle. */
class ManualTimers implements TimerScheduler {
  private next = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  constructor(private readonly clock: ManualClock) {}
  setTimeout(fn: () => void, delayMs: number): unknown {
    const id = ++this.next;
    this.timers.set(id, { at: this.clock.now() + Math.max(0, delayMs), fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      let best: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= end && (best === undefined || e[1].at < best[1].at)) best = e;
      if (best === undefined) break;
      this.timers.delete(best[0]);
      if (best[1].at > this.clock.now()) this.clock.set(best[1].at);
      best[1].fn();
      for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    }
    this.clock.set(end);
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
  }
}

interface Life {
  readonly cm: ConnManager<Connection>;
  readonly timers: ManualTimers;
  maxAttackerAutomatic: number;
  maxPerKind: Record<ConnKind, number>;
}

function life(clock: ManualClock, addrs: AddrManager, seed: number): Life {
  const timers = new ManualTimers(clock);
  const kinds = new Map<string, ConnKind>();
  const state: Life = {
    cm: undefined as unknown as ConnManager<Connection>,
    timers,
    maxAttackerAutomatic: 0,
    maxPerKind: { 'full-relay': 0, 'block-relay-only': 0, manual: 0, feeler: 0, mesh: 0 },
  };
  const busy = (): Set<string> => new Set(cm.list().flatMap((c) => (c.addr === null ? [] : [c.addr])));
  const cm: ConnManager<Connection> = new ConnManager<Connection>({
    clock,
    scheduler: timers,
    random: seededRandom(seed),
    allowLocal: true,
    dial: async (addr) => ({ close: () => undefined, addr, kind: kinds.get(addr) }),
    getNewAddress: (excludeGroups, kind) => {
      const a = addrs.selectOutbound({ excludeGroups, exclude: busy() });
      if (a !== null) kinds.set(a, kind);
      return a;
    },
    getFeelerAddress: () => addrs.selectFeeler({ exclude: busy() }),
    onConnection: (req) => {
      addrs.connected(req.addr!);
      addrs.good(req.addr!);
      for (const k of Object.keys(state.maxPerKind) as ConnKind[]) state.maxPerKind[k] = Math.max(state.maxPerKind[k], cm.count(k));
      if (req.kind === 'feeler') cm.remove(req.id);
      const attackers = cm.list().filter((c) => c.state === 'established' && (c.kind === 'full-relay' || c.kind === 'block-relay-only') && isAttacker(c.addr!)).length;
      state.maxAttackerAutomatic = Math.max(state.maxAttackerAutomatic, attackers);
    },
  });
  (state as { cm: ConnManager<Connection> }).cm = cm;
  return state;
}

function gossip(addrs: AddrManager, clock: ManualClock): void {
  const now = Math.floor(clock.now() / 1000);
  addrs.addAddresses(HONEST.slice(1).map((addr) => ({ addr, timestamp: now })), HONEST[0]!);
  for (let s = 0; s < 4; s++) addrs.addAddresses(ATTACKER.map((addr) => ({ addr, timestamp: now })), `127.${101 + s}.250.1:40000`);
}

async function flood(l: Life, addrs: AddrManager, clock: ManualClock, minutes: number): Promise<void> {
  for (let t = 0; t < (minutes * MINUTE) / 5000; t++) {
    gossip(addrs, clock);
    await l.timers.advance(5000);
  }
}

export interface EclipseResult {
  readonly attackerOutboundMax: number;
  readonly attackerOutboundAfterRestartMax: number;
  readonly perKindMax: Record<ConnKind, number>;
  readonly anchorsOutsideAttacker: boolean;
  readonly honestTriedKept: number;
  readonly targets: Record<string, boolean>;
}

async function restart(clock: ManualClock, addrs: AddrManager, seed: number, anchors: readonly string[], alive: readonly string[]): Promise<{ l: Life; alive: string[]; anchors: string[]; blockRelay: string[] }> {
  const l = life(clock, addrs, seed);
  const plan = planRejoin({ anchors, previous: alive, left: false, configured: new Set([HONEST[0]!]), isMesh: () => false, allow: () => true, blockRelayOnly: l.cm.blockRelayOnly, group: { allowLocal: true } });
  l.cm.connect(HONEST[0]!, { permanent: true }); // --add-peer 127.10.0.1:18444
  for (const a of plan.anchors) l.cm.connectAnchor(a);
  l.cm.start();
  await flood(l, addrs, clock, 10);
  const established = l.cm.list().filter((c) => c.state === 'established');
  const out = {
    l,
    alive: established.map((c) => c.addr!),
    anchors: anchorsToSave(l.cm.list()),
    blockRelay: established.filter((c) => c.kind === 'block-relay-only').map((c) => c.addr!),
  };
  l.cm.stop();
  return out;
}

export async function runEclipse(): Promise<EclipseResult> {
  const clock = new ManualClock();
  const addrs = new AddrManager({ clock, random: seededRandom(1), allowLocal: true });
  // A quiet first life on the honest network, ending in a clean stop.
  const quiet = life(clock, addrs, 2);
  quiet.cm.connect(HONEST[0]!, { permanent: true });
  addrs.addAddresses(HONEST.slice(1).map((addr) => ({ addr, timestamp: Math.floor(clock.now() / 1000) })), HONEST[0]!);
  quiet.cm.start();
  for (let t = 0; t < 24; t++) await quiet.timers.advance(5000);
  const honestTried = HONEST.filter((a) => addrs.get(a)?.tried === true);
  const anchors0 = anchorsToSave(quiet.cm.list());
  const alive0 = quiet.cm.list().flatMap((c) => (c.state === 'established' && c.addr !== null ? [c.addr] : []));
  quiet.cm.stop();

  // The attack, across two restarts.
  const one = await restart(clock, addrs, 3, anchors0, alive0);
  const two = await restart(clock, addrs, 4, one.anchors, one.alive);

  const perKindMax = { ...one.l.maxPerKind };
  for (const k of Object.keys(perKindMax) as ConnKind[]) perKindMax[k] = Math.max(perKindMax[k], two.l.maxPerKind[k]);
  const kept = honestTried.filter((a) => addrs.get(a)?.tried === true).length / Math.max(1, honestTried.length);
  const blockRelay = [...one.blockRelay, ...two.blockRelay];
  const anchorsOutside = anchors0.length > 0 && blockRelay.length > 0 && blockRelay.every((a) => !isAttacker(a));
  return {
    attackerOutboundMax: one.l.maxAttackerAutomatic,
    attackerOutboundAfterRestartMax: two.l.maxAttackerAutomatic,
    perKindMax,
    anchorsOutsideAttacker: anchorsOutside,
    honestTriedKept: Math.round(kept * 1000) / 1000,
    targets: {
      attackerAtMost4: one.l.maxAttackerAutomatic <= 4 && two.l.maxAttackerAutomatic <= 4,
      budgets: perKindMax['full-relay'] <= 8 && perKindMax['block-relay-only'] <= 2 && perKindMax.feeler <= 1,
      blockRelayOutsideAttacker: anchorsOutside,
      triedKept90: honestTried.length > 0 && kept >= 0.9,
    },
  };
}
