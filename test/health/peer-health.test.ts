import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { hasErrorCode } from '../../src/errors.js';
import { HealthStore } from '../../src/health/health-store.js';
import {
  COOLDOWN_PERIOD_MS,
  cooledFlapCount,
  flapTier,
  MAX_EVENTS,
  rateLimitForCount,
} from '../../src/health/peer-health.js';

const S = 1_000;
const H = 3_600_000;
const DAY = 24 * H;
const PEER = '203.0.113.5:8333';

describe('flap tiers and cooldown (lnd chanfitness)', () => {
  it.each([
    [0, 1_000], [199, 1_000], [200, 5_000], [399, 5_000], [400, 30_000], [600, 60_000],
    [800, 1_800_000], [999, 1_800_000], [1_000, 3_600_000], [50_000, 3_600_000],
  ])('%i flaps → %i ms between logged events', (count, ms) => {
    expect(rateLimitForCount(count)).toBe(ms);
  });

  it.each([
    ['within the first period', 1_000, COOLDOWN_PERIOD_MS - 1, 1_000],
    ['one period', 1_000, COOLDOWN_PERIOD_MS, 950],
    ['a fractional period', 100, 1.5 * COOLDOWN_PERIOD_MS, Math.trunc(100 * 0.95 ** 1.5)],
    ['a week', 300, 7 * DAY, Math.trunc(300 * 0.95 ** 21)],
  ])('cools down over %s', (_name, count, elapsed, want) => {
    expect(cooledFlapCount(count, 0, elapsed)).toBe(want);
  });
});

describe('HealthStore', () => {
  it('counts 1,000 flaps in a minute, keeps event memory bounded, and lowers the tier over days', () => {
    const clock = new ManualClock();
    const store = new HealthStore({ clock });
    expect(store.online(PEER)).toBe(false); // the first report only sets the state
    for (let k = 0; k < 1_000; k++) {
      clock.advance(60);
      expect(store.event(PEER, k % 2 === 1)).toBe(true);
    }
    const h = store.health(PEER)!;
    expect(h.flapCount).toBe(1_000);
    expect(h.tier).toBe(5);
    expect(h.rateLimitMs).toBe(H);
    expect(store.rateLimitMs(PEER)).toBe(H);
    expect(h.lastFlap).toBe(clock.now());
    // 60 ms apart is inside every tier's spacing: only the staged event survives the burst.
    expect(store.eventCount(PEER)).toBeLessThanOrEqual(2);

    const tiers: number[] = [];
    for (const days of [0.25, 1 / 3, 1, 2, 5, 10, 15]) {
      clock.set(h.lastFlap! + days * DAY);
      const c = store.health(PEER)!;
      expect(c.flapCount).toBe(cooledFlapCount(1_000, h.lastFlap!, clock.now()));
      tiers.push(c.tier);
    }
    expect(tiers).toEqual([5, 4, 4, 3, 2, 1, 0]);
    // The next flap starts from the cooled count (the burst ended online).
    expect(store.health(PEER)!.online).toBe(true);
    store.offline(PEER);
    expect(store.health(PEER)!.flapCount).toBe(Math.trunc(1_000 * 0.95 ** 45) + 1);
  });

  it('counts changes of state in both directions, not repeated reports', () => {
    const clock = new ManualClock();
    const store = new HealthStore({ clock });
    const reports = [true, true, false, false, false, true, false, true, true];
    const flaps = reports.map((on) => {
      clock.advance(10 * S);
      return store.event(PEER, on);
    });
    expect(flaps).toEqual([false, false, true, false, false, true, true, true, false]);
    expect(store.health(PEER)!.flapCount).toBe(4);
  });

  it('clips online periods to the window asked for', () => {
    const clock = new ManualClock(0);
    const store = new HealthStore({ clock });
    // online [0, 10 s), offline, online [20 s, 30 s), offline, online from 35 s; now = 40 s.
    for (const [at, on] of [[0, true], [10, false], [20, true], [30, false], [35, true]] as const) {
      clock.set(at * S);
      store.event(PEER, on);
    }
    clock.set(40 * S);
    const cases: Array<[string, number, number, number]> = [
      ['whole life', 0, 40, 25],
      ['cuts both periods', 5, 25, 10],
      ['inside an offline gap', 12, 18, 0],
      ['inside one period', 21, 29, 8],
      ['open period runs to now only', 30, 50, 5],
      ['before anything was known', -100, -50, 0],
      ['empty window', 7, 7, 0],
    ];
    for (const [name, a, b, want] of cases) expect([name, store.uptime(PEER, a * S, b * S)]).toEqual([name, want * S]);
    const h = store.health(PEER)!;
    expect(h.lifespanMs).toBe(40 * S);
    expect(h.uptimeMs).toBe(25 * S);
    expect(h.uptimeRatio).toBe(25 / 40);
    expect(h.online).toBe(true);
    expect(store.uptime('198.51.100.1:8333', 0, 10)).toBe(0);
    let err: unknown;
    try {
      store.uptime(PEER, 10, 5);
    } catch (e) {
      err = e;
    }
    expect(hasErrorCode(err, 'ERR_CONFIG')).toBe(true);
  });

  it('folds old events so a slow flapper stays bounded and its all-time uptime stays exact', () => {
    const clock = new ManualClock(0);
    const store = new HealthStore({ clock });
    // 3 h online, 2 h offline, 4,000 times: every event outlives even the 1 h tier spacing.
    store.online(PEER);
    for (let k = 0; k < 4_000; k++) {
      clock.advance(3 * H);
      store.offline(PEER);
      clock.advance(2 * H);
      store.online(PEER);
    }
    expect(store.health(PEER)!.flapCount).toBe(8_000);
    expect(store.eventCount(PEER)).toBeLessThanOrEqual(MAX_EVENTS + 1);
    const h = store.health(PEER)!;
    expect(h.lifespanMs).toBe(4_000 * 5 * H);
    expect(h.uptimeMs).toBe(4_000 * 3 * H);
    // A recent window lies in the retained events: exact.
    expect(store.uptime(PEER, clock.now() - 30 * H, clock.now())).toBe(18 * H);
    // An old window falls in the folded part: estimated from the folded average (3/5).
    expect(Math.abs(store.uptime(PEER, 5 * H, 15 * H) - 6 * H)).toBeLessThan(60_000);
  });

  it('prefers addresses that stayed up and did not flap', () => {
    const clock = new ManualClock(0);
    const store = new HealthStore({ clock });
    store.online('steady:8333');
    store.online('flaky:8333');
    for (let k = 0; k < 400; k++) {
      clock.advance(30 * S);
      store.event('flaky:8333', k % 2 === 1);
    }
    store.offline('down:8333');
    clock.advance(DAY);
    const steady = store.preferenceScore('steady:8333');
    const unknown = store.preferenceScore('never-seen:8333');
    const flaky = store.preferenceScore('flaky:8333');
    const down = store.preferenceScore('down:8333');
    expect(unknown).toBe(0.5);
    expect(steady).toBeGreaterThan(0.95);
    expect(steady).toBeGreaterThan(unknown);
    expect(unknown).toBeGreaterThan(flaky);
    expect(down).toBeLessThan(0.05);
  });

  it('forgets the longest-known offline address when full', () => {
    const store = new HealthStore({ clock: new ManualClock(), maxPeers: 3 });
    store.online('a:1');
    store.offline('b:1');
    store.offline('c:1');
    store.online('d:1');
    expect(store.addresses()).toEqual(['a:1', 'c:1', 'd:1']);
  });

  it('imports well-formed flap entries and skips the rest', () => {
    const clock = new ManualClock();
    const store = new HealthStore({ clock });
    const result = store.importFlaps([
      { peer: 'a:1', count: 420, lastFlap: clock.now() - H },
      { peer: '', count: 1, lastFlap: 0 },
      { peer: 'b:1', count: -1, lastFlap: 0 },
      { peer: 'c:1', count: 1.5, lastFlap: 0 },
      { peer: 'd:1', count: 3, lastFlap: Number.NaN },
    ]);
    expect(result).toEqual({ imported: 1, skipped: 4 });
    expect(store.health('a:1')).toMatchObject({ flapCount: 420, tier: 2, rateLimitMs: 30_000, lifespanMs: 0 });
    expect(store.exportFlaps()).toEqual([{ peer: 'a:1', count: 420, lastFlap: clock.now() - H }]);
    expect(flapTier(420)).toBe(2);
  });
});
