/**
 * Mirrors the feeler and budget parts of Bitcoin Core's functional test p2p_add_connections.py:
 * each connection kind has its own budget (8 full-relay, 2 block-relay-only, 8 manual, 1
 * feeler); feelers start only once the automatic slots are full, on an exponential timer, are
 * closed after the handshake and never retried; they test the old side of tried collisions first.
 * Core's extra outbound peers (net.cpp ThreadOpenConnections): one full-relay peer beyond the
 * target while asked (stale tip), one block-relay-only peer beyond the budget on a 5-minute
 * exponential timer, each only once every slot is connected and never replaced when closed.
 */
import { describe, expect, it } from 'vitest';
import { ConnManager, FEELER_INTERVAL_MS } from '../../src/conn/conn-manager.js';
import { ManualClock } from '../../src/clock.js';
import { seededRandom } from '../../src/util/random.js';
import { schedulerFor } from './scheduler.js';
import { LabConn, OutboundLab } from './outbound-lab.js';

const distinct = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `127.${from + i + 1}.0.1:18444`);

describe('p2p_add_connections: budgets', () => {
  it('automatic slots fill 8 full-relay + 2 block-relay-only and never more, however often peers drop', async () => {
    const lab = new OutboundLab({ seed: 21, feelers: false });
    lab.addrs.addAddresses(distinct(40).map((addr) => ({ addr, timestamp: Math.floor(lab.clock.now() / 1000) })), '127.250.0.1:1');
    lab.cm.start();
    await lab.sched.advance(1000);
    expect([lab.established('full-relay').length, lab.established('block-relay-only').length]).toEqual([8, 2]);
    for (let round = 0; round < 20; round++) {
      const victim = lab.automatic()[round % 10]!;
      lab.cm.disconnect(victim.id);
      await lab.sched.advance(1000);
      expect(lab.cm.count('full-relay')).toBeLessThanOrEqual(8);
      expect(lab.cm.count('block-relay-only')).toBeLessThanOrEqual(2);
    }
    expect(lab.maxAutomatic).toBeLessThanOrEqual(10);
  });

  it('an extra full-relay or block-relay-only peer only once every slot is connected, one at a time, and a closed extra is not replaced', async () => {
    const lab = new OutboundLab({ seed: 22, feelers: false, targetOutbound: 2, blockRelayOnly: 1 });
    lab.addrs.addAddresses(distinct(40).map((addr) => ({ addr, timestamp: Math.floor(lab.clock.now() / 1000) })), '127.250.0.1:1');
    // Before start() nothing is open, so nothing extra either.
    lab.cm.setTryAnotherOutbound(true);
    expect(lab.dials.length).toBe(0);
    lab.cm.start();
    await lab.sched.advance(1000);
    expect([lab.established('full-relay').length, lab.established('block-relay-only').length]).toEqual([2, 1]);
    // The flag is up: one extra full-relay peer, and asking again while it is open opens no second one.
    lab.cm.setTryAnotherOutbound(true);
    lab.cm.setTryAnotherOutbound(true);
    await lab.sched.advance(1000);
    expect(lab.established('full-relay').length).toBe(3);
    expect(lab.cm.extraCount('full-relay')).toBe(1);
    // Closing one (the eviction's choice) leaves the kind at its target: no replacement.
    lab.cm.setTryAnotherOutbound(false);
    lab.cm.disconnect(lab.established('full-relay')[0]!.id);
    await lab.sched.advance(60_000);
    expect(lab.established('full-relay').length).toBe(2);
    expect(lab.cm.extraCount('full-relay')).toBe(0);
    // Extra block-relay-only peers: on an exponential timer (5 min mean), one at a time.
    lab.cm.startExtraBlockRelayPeers();
    for (let i = 0; i < 12 * 6 && lab.established('block-relay-only').length < 2; i++) await lab.sched.advance(5 * 60_000);
    expect(lab.established('block-relay-only').length).toBe(2);
    expect(lab.cm.extraCount('block-relay-only')).toBe(1);
    await lab.sched.advance(6 * 3_600_000);
    expect(lab.cm.count('block-relay-only')).toBe(2);
    expect(lab.maxAutomatic).toBeLessThanOrEqual(2 + 1 + 1);
  });

  it('manual connections beyond 8 wait for a free slot; mesh links have no budget', async () => {
    const clock = new ManualClock();
    const sched = schedulerFor(clock);
    const dialled: string[] = [];
    const cm = new ConnManager<LabConn>({
      clock,
      scheduler: sched,
      random: seededRandom(1),
      dial: async (a) => (dialled.push(a), new LabConn(a)),
    });
    const manual = distinct(10).map((a) => cm.connect(a, { permanent: true }));
    for (const a of distinct(12, 100)) cm.connect(a, { permanent: true, kind: 'mesh' });
    await sched.advance(0);
    expect(cm.count('manual', 'established')).toBe(8);
    expect(cm.count('mesh', 'established')).toBe(12);
    // One manual peer leaves for good: a waiting one takes its slot on its next retry.
    cm.remove(manual[0]!);
    await sched.advance(cm.retryMaxMs);
    expect(cm.count('manual', 'established')).toBe(8);
    expect(cm.count('manual')).toBe(9);
    // A one-shot manual connect over budget fails at once.
    cm.connect('127.200.0.1:1');
    await sched.advance(0);
    expect(cm.count('manual', 'established')).toBe(8);
  });
});

describe('p2p_add_connections: feelers', () => {
  it('no feeler while slots are free; then one at a time, closed after the handshake, on a timer', async () => {
    const lab = new OutboundLab({ seed: 31, dead: new Set(distinct(6).map((a) => a)) });
    // Only 6 usable addresses for 10 slots: the slots are never full, so no feeler may run.
    lab.addrs.addAddresses(distinct(12).map((addr) => ({ addr, timestamp: Math.floor(lab.clock.now() / 1000) })), '127.250.0.1:1');
    lab.cm.start();
    await lab.sched.advance(10 * FEELER_INTERVAL_MS);
    expect(lab.feelersDone).toBe(0);
    expect(lab.cm.feelerDueAt()).not.toBeNull();

    const full = new OutboundLab({ seed: 32 });
    full.addrs.addAddresses(distinct(60).map((addr) => ({ addr, timestamp: Math.floor(full.clock.now() / 1000) })), '127.250.0.1:1');
    full.cm.start();
    await full.sched.advance(30 * FEELER_INTERVAL_MS);
    expect(full.automatic().length).toBe(10);
    // Feelers ran (a Poisson process with a 2-minute mean over an hour), one at a time, none left open.
    expect(full.feelersDone).toBeGreaterThan(5);
    expect(full.maxFeelers).toBe(1);
    expect(full.cm.count('feeler')).toBe(0);
    expect(full.maxAutomatic).toBe(10);
    const feelerDials = full.dials.filter((d) => d.kind === 'feeler').length;
    expect(feelerDials).toBe(full.feelersDone);
  });

  it('a feeler that fails is not retried and not replaced', async () => {
    const deadOnes = distinct(20, 50);
    const lab = new OutboundLab({ seed: 33, dead: new Set(deadOnes) });
    lab.addrs.addAddresses(distinct(10).map((addr) => ({ addr, timestamp: Math.floor(lab.clock.now() / 1000) })), '127.250.0.1:1');
    lab.cm.start();
    await lab.sched.advance(1000);
    expect(lab.automatic().length).toBe(10);
    // From now on every new address the table learns is dead: feelers go there and fail.
    lab.addrs.addAddresses(deadOnes.map((addr) => ({ addr, timestamp: Math.floor(lab.clock.now() / 1000) })), '127.251.0.1:1');
    const before = lab.dials.length;
    await lab.sched.advance(20 * FEELER_INTERVAL_MS);
    const after = lab.dials.slice(before);
    expect(after.length).toBeGreaterThan(0);
    // Every dial since was a feeler: a failed one is neither retried nor replaced by another kind.
    expect(after.every((d) => d.kind === 'feeler')).toBe(true);
    expect(lab.cm.count('feeler')).toBe(0);
    expect(lab.automatic().length).toBe(10);
  });
});
