import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import {
  ConnManager,
  MAX_FAILED_ATTEMPTS,
  type ConnManagerOptions,
  type ConnReqInfo,
  type Connection,
} from '../../src/conn/conn-manager.js';
import { seededRandom } from '../../src/util/random.js';
import { schedulerFor, settle } from './scheduler.js';

class FakeConn implements Connection {
  closed = false;
  constructor(readonly addr: string) {}
  close(): void {
    this.closed = true;
  }
}

type Outcome = 'ok' | 'fail';

/** A dialer whose outcome per address (or default) the test sets; records every dial. */
function dialer(defaultOutcome: Outcome = 'ok') {
  const calls: string[] = [];
  const outcome = new Map<string, Outcome>();
  const conns: FakeConn[] = [];
  return {
    calls,
    conns,
    outcome,
    dial: async (addr: string): Promise<FakeConn> => {
      calls.push(addr);
      if ((outcome.get(addr) ?? defaultOutcome) === 'fail') throw new Error(`ECONNREFUSED ${addr}`);
      const c = new FakeConn(addr);
      conns.push(c);
      return c;
    },
  };
}

function setup(opts: Partial<ConnManagerOptions<FakeConn>> & { outcome?: Outcome } = {}) {
  const clock = new ManualClock();
  const sched = schedulerFor(clock);
  const d = dialer(opts.outcome);
  const connected: ConnReqInfo[] = [];
  const dropped: ConnReqInfo[] = [];
  const cm = new ConnManager<FakeConn>({
    dial: d.dial,
    clock,
    scheduler: sched,
    random: seededRandom(1),
    onConnection: (req) => connected.push(req),
    onDisconnection: (req) => dropped.push(req),
    // These tests are about full-relay slots; block-relay-only budgets are in conn-budgets.test.ts.
    blockRelayOnly: 0,
    ...opts,
  });
  return { clock, sched, d, cm, connected, dropped };
}

/** Addresses in distinct /16 groups. */
const addrN = (i: number): string => `${20 + (i % 200)}.${(i / 200) | 0}.0.1:8333`;

describe('flap tiers (issue 20)', () => {
  it('a permanent peer waits its flap tier on top of the capped backoff, unclipped', async () => {
    const { sched, cm } = setup({ outcome: 'fail', retryMaxMs: 1000, jitter: 0, reconnectDelay: () => 3_600_000 });
    cm.connect('1.2.3.4:8333', { permanent: true });
    await settle();
    expect(await sched.runNext()).toBe(1000 + 3_600_000);
    cm.stop();
  });

  it('an automatic address that dropped is held off for its flap tier; others are dialled meanwhile', async () => {
    const tiers = new Map([['1.2.3.4:8333', 30_000]]);
    const offered = ['1.2.3.4:8333', '1.2.3.4:8333', '5.6.7.8:8333', '1.2.3.4:8333', '9.9.9.9:8333'];
    let i = 0;
    const { sched, d, cm } = setup({ targetOutbound: 1, getNewAddress: () => offered[i++] ?? null, reconnectDelay: (a) => tiers.get(a) ?? 0 });
    cm.start();
    await settle();
    const first = cm.list()[0]!;
    expect(first).toMatchObject({ addr: '1.2.3.4:8333', state: 'established' });
    cm.disconnect(first.id);
    await settle();
    // The replacement is offered the same address at once: refused without a dial, the next one taken.
    expect(d.calls).toEqual(['1.2.3.4:8333', '5.6.7.8:8333']);
    expect([...cm.heldOff()]).toEqual(['1.2.3.4:8333']);
    await sched.advance(31_000);
    expect([...cm.heldOff()]).toEqual([]);
    cm.stop();
  });
});

describe('retry delays', () => {
  it('permanent retries grow 5 s per attempt with ±20 % jitter and never exceed 5 min', async () => {
    const { sched, d, cm } = setup({ outcome: 'fail' });
    cm.connect('1.2.3.4:8333', { permanent: true });
    await settle();
    for (let n = 1; n <= 80; n++) {
      const moved = await sched.runNext();
      expect(moved).not.toBeNull();
      const want = Math.min(n * 5000, 300_000);
      expect(moved!).toBeLessThanOrEqual(300_000);
      expect(moved!).toBeGreaterThanOrEqual(Math.floor(want * 0.8));
      expect(moved!).toBeLessThanOrEqual(Math.ceil(want * 1.2));
    }
    expect(d.calls.length).toBe(81);
    expect(cm.list()[0]).toMatchObject({ state: 'failing', retryCount: 81, permanent: true });
  });

  it('with retryMaxMs = 1 s every backoff on every path is ≤ 1 s (lnd#9294)', async () => {
    let n = 0;
    const { sched, d, cm } = setup({
      outcome: 'fail',
      retryMaxMs: 1000,
      targetOutbound: 3,
      getNewAddress: () => addrN(n++),
      // No flap tier: the flap hold-off is on top of the cap (next test).
    });
    cm.connect('1.2.3.4:8333', { permanent: true });
    cm.start();
    await settle();
    expect(cm.consecutiveFailures()).toBeGreaterThanOrEqual(MAX_FAILED_ATTEMPTS); // throttle path reached
    await sched.advance(60_000);
    // A permanent peer that connects and then drops: the reconnect path.
    d.outcome.set('1.2.3.4:8333', 'ok');
    await sched.advance(2000);
    const perm = cm.list().find((r) => r.permanent)!;
    expect(perm.state).toBe('established');
    d.outcome.set('1.2.3.4:8333', 'fail');
    cm.disconnect(perm.id);
    await sched.advance(30_000);
    expect(sched.delays.length).toBeGreaterThan(100);
    for (const delay of sched.delays) expect(delay).toBeLessThanOrEqual(1000);
    cm.stop();
  });

  it('a base below the default and a max below the base both hold', async () => {
    const { sched, cm } = setup({ outcome: 'fail', retryBaseMs: 100, retryMaxMs: 250, jitter: 0 });
    cm.connect('1.2.3.4:8333', { permanent: true });
    await settle();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) seen.push((await sched.runNext())!);
    expect(seen).toEqual([100, 200, 250, 250, 250]);
  });
});

describe('permanent peers', () => {
  it('are re-dialled after a drop, and the retry count resets on success', async () => {
    const { sched, d, cm, connected, dropped } = setup();
    const id = cm.connect('1.2.3.4:8333', { permanent: true });
    await settle();
    expect(connected.map((c) => c.id)).toEqual([id]);
    cm.disconnect(id);
    expect(d.conns[0]!.closed).toBe(true);
    expect(dropped.map((c) => c.id)).toEqual([id]);
    // btcd: a dropped request goes back to pending, with the redial scheduled.
    expect(cm.list()[0]).toMatchObject({ id, state: 'pending', retryCount: 1 });
    expect(cm.list()[0]!.nextAttemptAt).not.toBeNull();
    await sched.advance(6000);
    expect(d.calls).toEqual(['1.2.3.4:8333', '1.2.3.4:8333']);
    expect(cm.list()[0]).toMatchObject({ id, state: 'established', retryCount: 0 });
  });

  it('are re-dialled even when the outbound target is met', async () => {
    let n = 0;
    const { sched, d, cm } = setup({ targetOutbound: 2, getNewAddress: () => addrN(n++) });
    cm.start();
    const id = cm.connect('1.2.3.4:8333', { permanent: true });
    await settle();
    expect(cm.outboundCount()).toBe(3);
    cm.disconnect(id);
    await sched.advance(6000);
    expect(d.calls.filter((a) => a === '1.2.3.4:8333')).toHaveLength(2);
  });

  it('re-dial a real loopback TCP peer after it drops the connection', async () => {
    const accepted: Socket[] = [];
    const server: Server = createServer((s) => {
      accepted.push(s);
      // The first connection is cut by the server; the second one stays.
      if (accepted.length === 1) setImmediate(() => s.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const addr = `127.0.0.1:${port}`;

    const clock = new ManualClock();
    const sched = schedulerFor(clock);
    const sockets: Socket[] = [];
    let onUp: (() => void) | undefined;
    let onDown: (() => void) | undefined;
    const cm = new ConnManager<{ close(): void; socket: Socket }>({
      clock,
      scheduler: sched,
      random: seededRandom(2),
      allowLocal: true,
      dial: (a) =>
        new Promise((resolve, reject) => {
          const [host, p] = [a.slice(0, a.lastIndexOf(':')), Number(a.slice(a.lastIndexOf(':') + 1))];
          const s = netConnect(p, host);
          s.once('error', reject);
          s.once('connect', () => {
            sockets.push(s);
            resolve({ socket: s, close: () => s.destroy() });
          });
        }),
      onConnection: (req, conn) => {
        // The node's peer layer reports a closed socket as a disconnect.
        conn.socket.once('close', () => {
          cm.disconnect(req.id);
          onDown?.();
        });
        onUp?.();
      },
    });
    try {
      const up1 = new Promise<void>((r) => (onUp = r));
      const down1 = new Promise<void>((r) => (onDown = r));
      cm.connect(addr, { permanent: true });
      await up1;
      await down1;
      expect(cm.list()[0]).toMatchObject({ state: 'pending', retryCount: 1 });
      const up2 = new Promise<void>((r) => (onUp = r));
      await sched.advance(6000);
      await up2;
      expect(accepted.length).toBe(2);
      expect(cm.list()[0]).toMatchObject({ state: 'established', retryCount: 0 });
    } finally {
      onDown = undefined;
      cm.stop();
      for (const s of [...sockets, ...accepted]) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('automatic outbound', () => {
  it('fills the target and replaces a dropped peer with a new address', async () => {
    let n = 0;
    const { sched, d, cm } = setup({ targetOutbound: 8, getNewAddress: () => addrN(n++) });
    cm.start();
    await settle();
    expect(cm.outboundCount()).toBe(8);
    cm.disconnect(cm.list()[0]!.id);
    await sched.advance(0);
    expect(cm.outboundCount()).toBe(8);
    expect(new Set(d.calls).size).toBe(9);
  });

  it('after 25 consecutive failures new attempts are throttled by the base delay', async () => {
    let n = 0;
    const { sched, d, cm } = setup({ outcome: 'fail', targetOutbound: 8, getNewAddress: () => addrN(n++) });
    cm.start();
    await settle();
    // 8 first attempts plus 24 immediate replacements; every later one waits.
    expect(d.calls.length).toBe(8 + MAX_FAILED_ATTEMPTS - 1);
    expect(sched.pending()).toBe(8);
    await settle();
    expect(d.calls.length).toBe(8 + MAX_FAILED_ATTEMPTS - 1);
    for (const delay of sched.delays) {
      expect(delay).toBeGreaterThanOrEqual(4000);
      expect(delay).toBeLessThanOrEqual(6000);
    }
    await sched.advance(6000);
    expect(d.calls.length).toBe(8 + MAX_FAILED_ATTEMPTS - 1 + 8);
    // Successes reset the run.
    for (let k = n; k < n + 20; k++) d.outcome.set(addrN(k), 'ok');
    await sched.advance(6000);
    expect(cm.consecutiveFailures()).toBe(0);
    expect(cm.outboundCount()).toBe(8);
    cm.stop();
    expect(sched.pending()).toBe(0);
  });

  it('an empty address book is throttled too, not a busy loop', async () => {
    const { sched, cm } = setup({ getNewAddress: () => null, targetOutbound: 8 });
    cm.start();
    await settle();
    expect(cm.consecutiveFailures()).toBe(8 + MAX_FAILED_ATTEMPTS - 1);
    expect(sched.pending()).toBe(8);
    expect(cm.list().every((r) => r.state === 'failing' && r.nextAttemptAt !== null)).toBe(true);
  });
});

describe('groups', () => {
  it('one outbound peer per group, except permanent peers', async () => {
    const offered = ['1.2.3.4:8333', '1.2.9.9:8333', '[2a01:4f8:1::1]:8333', '[2a01:4f8:2::1]:8333', '5.6.7.8:8333'];
    const excludes: string[][] = [];
    let k = 0;
    // This source ignores the groups it is given: the manager must enforce the rule itself.
    const { d, cm } = setup({
      targetOutbound: 3,
      getNewAddress: (ex) => {
        excludes.push([...ex]);
        return k < offered.length ? offered[k++]! : null;
      },
    });
    cm.start();
    await settle();
    // 1.2.9.9 shares 1.2.0.0 and 2a01:4f8:2::1 shares 2a01:4f8:: with an earlier pick.
    const established = cm.list().filter((r) => r.state === 'established').map((r) => r.addr);
    expect(established.sort()).toEqual(['1.2.3.4:8333', '5.6.7.8:8333', '[2a01:4f8:1::1]:8333'].sort());
    expect(d.calls).not.toContain('1.2.9.9:8333');
    expect(excludes.some((ex) => ex.includes('1.2.0.0'))).toBe(true);
    expect([...cm.outboundGroups()].sort()).toEqual(['1.2.0.0', '2a01:4f8::', '5.6.0.0']);

    // A one-shot connect into a used group is refused without dialling; a permanent one is dialled.
    cm.connect('1.2.200.200:8333');
    await settle();
    expect(d.calls).not.toContain('1.2.200.200:8333');
    cm.connect('1.2.100.100:8333', { permanent: true });
    await settle();
    expect(cm.list().find((r) => r.addr === '1.2.100.100:8333')!.state).toBe('established');
    cm.stop();
  });

  it('a group is freed when its peer goes', async () => {
    const { cm } = setup();
    const id = cm.connect('1.2.3.4:8333');
    await settle();
    expect(cm.outboundGroups().has('1.2.0.0')).toBe(true);
    cm.remove(id);
    expect(cm.outboundGroups().size).toBe(0);
    cm.connect('1.2.3.5:8333');
    await settle();
    expect(cm.outboundCount()).toBe(1);
  });
});

describe('cancel, remove, stop', () => {
  it('disconnect of a pending dial cancels it and closes the late connection', async () => {
    let release: ((c: FakeConn) => void) | undefined;
    const late = new FakeConn('1.2.3.4:8333');
    const { cm, connected } = setup({ dial: () => new Promise<FakeConn>((r) => (release = r)) });
    const id = cm.connect('1.2.3.4:8333', { permanent: true });
    expect(cm.list()[0]!.state).toBe('pending');
    expect(cm.disconnect(id)).toBe(true);
    expect(cm.list()).toEqual([]);
    release!(late);
    await settle();
    expect(late.closed).toBe(true);
    expect(connected).toEqual([]);
  });

  it('remove() closes and never retries, even a permanent peer', async () => {
    const { sched, d, cm, dropped } = setup();
    const id = cm.connect('1.2.3.4:8333', { permanent: true });
    await settle();
    expect(cm.remove(id)).toBe(true);
    expect(dropped.map((r) => r.state)).toEqual(['disconnected']);
    await sched.advance(600_000);
    expect(d.calls).toHaveLength(1);
    expect(cm.remove(id)).toBe(false);
  });

  it('a failed one-shot connect is dropped, not retried', async () => {
    const { sched, d, cm } = setup({ outcome: 'fail' });
    cm.connect('1.2.3.4:8333');
    await settle();
    expect(cm.list()).toEqual([]);
    await sched.advance(600_000);
    expect(d.calls).toHaveLength(1);
  });

  it('stop() cancels timers, closes connections and refuses new work', async () => {
    let n = 0;
    const { sched, d, cm, dropped } = setup({ targetOutbound: 2, getNewAddress: () => addrN(n++) });
    cm.start();
    d.outcome.set('1.2.3.4:8333', 'fail');
    cm.connect('1.2.3.4:8333', { permanent: true });
    await settle();
    expect(sched.pending()).toBe(1);
    cm.stop();
    expect(sched.pending()).toBe(0);
    expect(d.conns.every((c) => c.closed)).toBe(true);
    expect(dropped).toHaveLength(2);
    expect(cm.list()).toEqual([]);
    const late = cm.connect('5.5.5.5:8333');
    cm.start();
    await settle();
    expect(d.calls).not.toContain('5.5.5.5:8333');
    expect(cm.list()).toEqual([]);
    expect(cm.remove(late)).toBe(false);
  });

  it('rejects bad options with ERR_CONFIG', () => {
    const dial = async (): Promise<FakeConn> => new FakeConn('x');
    expect(() => new ConnManager({ dial, retryMaxMs: 0 })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => new ConnManager({ dial, retryBaseMs: -1 })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => new ConnManager({ dial, jitter: 1 })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => new ConnManager({ dial, targetOutbound: 1.5 })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });
});
