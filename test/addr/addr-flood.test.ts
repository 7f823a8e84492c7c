/**
 * Addr flood (Core#22387): one peer sends 10,000 addr messages of
 * 1,000 fresh addresses each. Only as many entries as its token bucket allows are processed; an
 * honest peer's addresses and its own budget are untouched.
 */
import { describe, expect, it } from 'vitest';
import { AddrRateLimiter } from '../../src/addr/addr-rate-limiter.js';
import { AddrManager, type AddrEntry } from '../../src/addr/addr-manager.js';
import { ManualClock } from '../../src/clock.js';
import { seededRandom } from '../../src/util/random.js';
import { entries, T0 } from './helpers.js';

const FLOODER = '66.66.66.66:8333';
const HONEST = '77.77.77.77:8333';

describe('addr flood from one peer', () => {
  it('processes no more entries than the token bucket holds', () => {
    const clock = new ManualClock(T0);
    const m = new AddrManager({ clock, random: seededRandom(5) });
    // 30 groups × 10: no honest bucket is near full, so every honest address is stored.
    const honest = Array.from({ length: 30 }, (_, g) => entries(g * 256, 10)).flat();
    m.addAddresses(honest, HONEST);
    const honestCount = m.size();
    expect(honestCount).toBe(300);

    const limiter = new AddrRateLimiter({ clock });
    limiter.onGetAddrSent(); // we asked once: +1,000
    const msg: { addr: string; timestamp: number; services: bigint }[] = Array.from({ length: 1000 }, () => ({
      addr: '',
      timestamp: Math.floor(T0 / 1000),
      services: 1n,
    }));
    let processed = 0;
    let seq = 0;
    const STEP_MS = 100;
    for (let i = 0; i < 10_000; i++) {
      clock.advance(STEP_MS);
      for (const e of msg) {
        // Fresh, routable, spread over many /16s: the worst case for the table.
        const n = seq++;
        e.addr = `${101 + (n % 20)}.${(n >>> 5) & 255}.${(n >>> 13) & 255}.${1 + (n & 31)}:8333`;
      }
      const r = m.addAddresses(msg as AddrEntry[], FLOODER, { limiter });
      expect(r.processed + r.rateLimited).toBe(1000);
      processed += r.processed;
    }
    const elapsedSec = (10_000 * STEP_MS) / 1000;
    const tokens = 1 + 1000 + 0.1 * elapsedSec;
    expect(processed).toBeLessThanOrEqual(tokens);
    // The bucket did let the solicited reply and the trickle through.
    expect(processed).toBeGreaterThanOrEqual(Math.floor(tokens) - 1);
    expect(limiter.rateLimited).toBe(10_000 * 1000 - processed);
    expect(m.size()).toBeLessThanOrEqual(honestCount + processed);
    for (const e of honest) expect(m.has(e.addr)).toBe(true);
    m.checkInvariants();

    // Another peer has its own budget.
    const other = new AddrRateLimiter({ clock });
    other.onGetAddrSent();
    expect(m.addAddresses(entries(50_000, 1000), HONEST, { limiter: other }).processed).toBe(1000);
    m.checkInvariants();
  });

  it('which entries survive the limit is random, not the first ones', () => {
    const clock = new ManualClock(T0);
    const m = new AddrManager({ clock, random: seededRandom(6) });
    const limiter = new AddrRateLimiter({ clock, initial: 10 });
    const list = entries(0, 1000);
    const r = m.addAddresses(list, FLOODER, { limiter });
    expect(r.processed).toBe(10);
    const kept = list.map((e, i) => (m.has(e.addr) ? i : -1)).filter((i) => i >= 0);
    expect(kept.length).toBe(10);
    expect(Math.max(...kept)).toBeGreaterThan(100);
  });

  it('whitelisted peers are exempt', () => {
    const clock = new ManualClock(T0);
    const m = new AddrManager({ clock, random: seededRandom(7) });
    const limiter = new AddrRateLimiter({ clock, whitelisted: true });
    for (let k = 0; k < 3; k++) expect(m.addAddresses(entries(k * 1000, 1000), FLOODER, { limiter }).processed).toBe(1000);
  });

  it('an unsolicited peer starts with 1 token and earns 0.1 per second', () => {
    const clock = new ManualClock(T0);
    const m = new AddrManager({ clock, random: seededRandom(8) });
    const limiter = new AddrRateLimiter({ clock });
    expect(m.addAddresses(entries(0, 10), FLOODER, { limiter }).processed).toBe(1);
    expect(m.addAddresses(entries(10, 10), FLOODER, { limiter }).processed).toBe(0);
    clock.advance(20_000);
    expect(m.addAddresses(entries(20, 10), FLOODER, { limiter }).processed).toBe(2);
  });
});
