import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { hasErrorCode } from '../../src/errors.js';
import { DROP_REASONS, type DropReason } from '../../src/stats/drop-reasons.js';
import { type FlowCounters, FlowTable, type FlowTableOptions } from '../../src/stats/flow-table.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Deterministic xorshift32, so a failing run can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function sumFlows(flows: readonly FlowCounters[]): { pl: number; bl: number; pr: number; br: number; dp: number; db: number } {
  const s = { pl: 0, bl: 0, pr: 0, br: 0, dp: 0, db: 0 };
  for (const f of flows) {
    s.pl += f.packetsLocal;
    s.bl += f.bytesLocal;
    s.pr += f.packetsMesh;
    s.br += f.bytesMesh;
    for (const r of DROP_REASONS) {
      s.dp += f.drops[r].packets;
      s.db += f.drops[r].bytes;
    }
  }
  return s;
}

const variants: Array<[string, Partial<FlowTableOptions>]> = [
  ['open index (default)', {}],
];

describe('FlowTable', () => {
  it('starts every drop reason at zero', () => {
    const table = new FlowTable({ clock: new ManualClock() });
    expect(DROP_REASONS).toEqual(expect.arrayContaining([
      'gone_disconnected', 'queue_head', 'duplicate', 'inv_overflow', 'unsolicited_overflow', 'addr_rate_limited',
    ]));
    for (const c of [table.globals(), table.totals().all, table.totals().evicted]) {
      expect(Object.keys(c.drops).sort()).toEqual([...DROP_REASONS].sort());
      for (const r of DROP_REASONS) expect(c.drops[r]).toEqual({ packets: 0, bytes: 0 });
    }
    table.record(1, 2, 100, 'local');
    const flow = table.get(1, 2)!;
    for (const r of DROP_REASONS) expect(flow.drops[r]).toEqual({ packets: 0, bytes: 0 });
  });

  for (const [name, opts] of variants) {
    it(`${name}: 1M messages over 10k flows add up per flow and globally`, () => {
      const clock = new ManualClock();
      const table = new FlowTable({ clock, initialCapacity: 16, ...opts });
      // 100 sources × 100 destinations; ids spread out so they are not dense small integers.
      const ids = Array.from({ length: 100 }, (_, k) => 1 + k * 977);
      for (const id of ids.slice(0, 80)) table.registerPeer(id, `10.0.${id >> 8}.${id & 255}:8333`, { mesh: false });
      for (const id of ids.slice(80)) table.registerPeer(id, `mesh-${id}:8333`, { mesh: true });
      const want = new Map<string, { pl: number; bl: number; pr: number; br: number; dp: number; db: number }>();
      const next = rng(42);
      for (let m = 0; m < 1_000_000; m++) {
        const src = ids[(next() * 100) | 0]!;
        const dst = ids[(next() * 100) | 0]!;
        const bytes = 24 + ((next() * 2000) | 0);
        const k = `${src}>${dst}`;
        let w = want.get(k);
        if (w === undefined) want.set(k, (w = { pl: 0, bl: 0, pr: 0, br: 0, dp: 0, db: 0 }));
        const roll = next();
        if (roll < 0.01) {
          table.drop(src, dst, DROP_REASONS[(roll * 100 * DROP_REASONS.length) | 0]!, bytes);
          w.dp++;
          w.db += bytes;
        } else if (dst >= ids[80]!) {
          table.record(src, dst, bytes, 'mesh');
          w.pr++;
          w.br += bytes;
        } else {
          table.record(src, dst, bytes, 'local');
          w.pl++;
          w.bl += bytes;
        }
        if ((m & 0xffff) === 0) clock.advance(MINUTE);
      }
      const flows = table.list();
      expect(flows.length).toBe(10_000);
      expect(table.stats()).toEqual({ count: 10_000, created: 10_000, evicted: 0 });
      const mismatched = flows.filter((f) => {
        const w = want.get(`${f.src}>${f.dst}`)!;
        const got = sumFlows([f]);
        return got.pl !== w.pl || got.bl !== w.bl || got.pr !== w.pr || got.br !== w.br || got.dp !== w.dp || got.db !== w.db;
      });
      expect(mismatched).toEqual([]);
      const g = table.globals();
      const s = sumFlows(flows);
      expect(s.pl + s.pr + s.dp).toBe(1_000_000);
      expect({ pl: g.packetsLocal, bl: g.bytesLocal, pr: g.packetsMesh, br: g.bytesMesh }).toEqual({
        pl: s.pl, bl: s.bl, pr: s.pr, br: s.br,
      });
      expect(sumFlows([g])).toEqual(s);
      expect(table.totals().all).toEqual(g);
      expect(table.audit()).toEqual([]);
    });
  }

  it('evicts only flows idle for more than an hour, and totals stay whole', () => {
    const clock = new ManualClock();
    const table = new FlowTable({ clock });
    for (let d = 1; d <= 100; d++) table.record(0, d, 10, 'local');
    clock.advance(30 * MINUTE);
    for (let d = 1; d <= 50; d++) table.record(0, d, 10, 'local'); // 1..50 stay active
    clock.advance(HOUR - 30 * MINUTE + 2 * MINUTE); // 51..100 idle 62 min, 1..50 idle 32 min
    for (let d = 1; d <= 200; d++) table.record(1, d, 5, 'mesh'); // creations sweep the old flows
    const left = new Set(table.list({ src: 0 }).map((f) => f.dst));
    expect([...left].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, k) => k + 1));
    expect(table.stats()).toEqual({ count: 250, created: 300, evicted: 50 });
    const { live, evicted, all } = table.totals();
    expect(evicted.packetsLocal).toBe(50);
    expect(evicted.bytesLocal).toBe(500);
    expect(live.packetsLocal + evicted.packetsLocal).toBe(150);
    expect(all).toEqual(table.globals());
    expect(table.audit()).toEqual([]);
  });

  it('never evicts a flow whose true idle time is an hour or less (random schedules)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('rec' as const), src: fc.integer({ min: 0, max: 6 }), dst: fc.integer({ min: 0, max: 6 }), bytes: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ kind: fc.constant('drop' as const), src: fc.integer({ min: 0, max: 6 }), dst: fc.integer({ min: 0, max: 6 }), reason: fc.constantFrom(...DROP_REASONS), bytes: fc.integer({ min: 1, max: 5000 }) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 40 * MINUTE }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const clock = new ManualClock();
        const table = new FlowTable({ clock, initialCapacity: 2 });
        expect(table.audit()).toEqual([]);
        const lastTrue = new Map<string, number>();
        const bytes = new Map<string, number>();
        let evictedBytes = 0;
        for (const o of ops) {
          if (o.kind === 'tick') {
            clock.advance(o.ms);
            continue;
          }
          const k = `${o.src}>${o.dst}`;
          if (o.kind === 'rec') table.record(o.src, o.dst, o.bytes, 'local');
          else table.drop(o.src, o.dst, o.reason as DropReason, o.bytes);
          // Anything the table no longer holds must have been idle more than an hour.
          for (const [key, t] of lastTrue) {
            const [s, d] = key.split('>').map(Number) as [number, number];
            if (table.get(s, d) === undefined && key !== k) {
              expect(clock.now() - t).toBeGreaterThan(HOUR);
              evictedBytes += bytes.get(key)!;
              lastTrue.delete(key);
              bytes.delete(key);
            }
          }
          lastTrue.set(k, clock.now());
          bytes.set(k, (bytes.get(k) ?? 0) + (o.kind === 'rec' ? o.bytes : 0));
          const f = table.get(o.src, o.dst)!;
          expect(f.bytesLocal).toBe(bytes.get(k));
        }
        const t = table.totals();
        expect(t.evicted.bytesLocal).toBe(evictedBytes);
        expect(t.all).toEqual(table.globals());
        expect(table.audit()).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('hands out snapshots that later traffic does not change', () => {
    const clock = new ManualClock();
    const table = new FlowTable({ clock });
    table.registerPeer(1, '192.0.2.1:8333');
    table.registerPeer(2, '192.0.2.2:8333');
    table.record(1, 2, 100, 'local');
    const one = table.get(1, 2)!;
    const list = table.list();
    const globals = table.globals();
    const totals = table.totals();
    const top = table.top(5, 'bytes');
    const stats = table.stats();
    const copy = JSON.stringify({ one, list, globals, totals, top, stats });
    table.record(1, 2, 50, 'mesh');
    table.drop(1, 2, 'queue_head', 7);
    table.record(2, 1, 9, 'local');
    expect(table.get(1, 2)!.drops.queue_head).toEqual({ packets: 1, bytes: 7 });
    clock.advance(2 * HOUR);
    table.record(3, 4, 1, 'local'); // evicts 1>2 and 2>1
    expect(table.get(1, 2)).toBeUndefined();
    expect(JSON.stringify({ one, list, globals, totals, top, stats })).toBe(copy);
    expect(one.srcLabel).toBe('192.0.2.1:8333');
    expect(() => {
      (one as { bytesLocal: number }).bytesLocal = 0;
    }).toThrow(TypeError);
    expect(() => {
      (one.drops.queue_head as { packets: number }).packets = 1;
    }).toThrow(TypeError);
  });

  it('ranks flows by bytes and by rate between marks the ticker moves', () => {
    const clock = new ManualClock();
    const table = new FlowTable({ clock, rateWindowMs: 10_000 });
    // Flow 1>2 was big long ago; flow 3>4 is busy now.
    table.record(1, 2, 1_000_000, 'local');
    clock.advance(10_000);
    table.markRates(); // marks shift: prev = t0, cur = t0 + 10 s
    expect(table.top(1, 'rate')[0]!.src).toBe(1);
    for (let k = 0; k < 10; k++) {
      clock.advance(1_000);
      table.markRates(); // the ticker runs every second; the marks move only once a window has passed
      table.record(3, 4, 20_000, 'local');
      table.record(5, 6, 1_000, 'mesh');
    }
    // The last markRates() (at t0 + 20 s) shifted: prev = t0 + 10 s.
    expect(table.top(3, 'bytes').map((f) => `${f.src}>${f.dst}`)).toEqual(['1>2', '3>4', '5>6']);
    const rated = table.top(2, 'rate');
    expect(rated.map((f) => `${f.src}>${f.dst}`)).toEqual(['3>4', '5>6']);
    // 3>4 was created 9 s ago, after the previous mark: its rate starts at its creation.
    expect(rated[0]!.sinceMs).toBe(clock.now() - 9_000);
    expect(rated[0]!.bytesPerSec).toBeCloseTo(200_000 / 9, 6);
    clock.advance(2_000);
    const again = table.top(3, 'rate');
    expect(again.map((f) => `${f.src}>${f.dst}`)).toEqual(['3>4', '5>6', '1>2']);
    expect(again[0]!.sinceMs).toBe(clock.now() - 11_000);
    expect(again[0]!.bytesPerSec).toBeCloseTo(200_000 / 11, 6);
    expect(again[2]!.bytesPerSec).toBe(0);
    expect(table.top(0, 'bytes')).toEqual([]);
  });

  it('gives two readers the same rates: reading never shifts the window', () => {
    const clock = new ManualClock();
    const table = new FlowTable({ clock, rateWindowMs: 10_000 });
    table.record(1, 2, 50_000, 'local');
    clock.advance(10_000);
    table.markRates();
    table.record(1, 2, 30_000, 'local');
    clock.advance(10_000);
    // Before, the first reader past the window shifted the marks and the second saw only [now, now].
    const a = table.top(1, 'rate');
    const b = table.top(1, 'rate');
    expect(b).toEqual(a);
    expect(a[0]!.bytesPerSec).toBeCloseTo(80_000 / 20, 6);
    table.markRates();
    clock.advance(5_000);
    expect(table.top(1, 'rate')[0]!.bytesPerSec).toBeCloseTo(30_000 / 15, 6);
    expect(() => new FlowTable({ clock, rateWindowMs: 0 })).toThrow(/rateWindowMs/);
  });

  it('rejects bad ids and reasons as internal errors (ids and reasons are ours, never input)', () => {
    const table = new FlowTable({ clock: new ManualClock() });
    for (const bad of [-1, 2 ** 21, 1.5, Number.NaN]) {
      let err: unknown;
      try {
        table.record(bad, 1, 10, 'local');
      } catch (e) {
        err = e;
      }
      expect(hasErrorCode(err, 'ERR_INTERNAL')).toBe(true);
    }
    for (const reason of ['nope', 'toString']) {
      let err: unknown;
      try {
        table.drop(1, 2, reason as DropReason, 1);
      } catch (e) {
        err = e;
      }
      expect(hasErrorCode(err, 'ERR_INTERNAL')).toBe(true);
      expect((err as Error).message).toMatch(/unknown drop reason/);
    }
    expect(table.stats().count).toBe(0);
  });

  it('keeps a gone peer\'s flows, with the label it had, until they go idle', () => {
    const table = new FlowTable({ clock: new ManualClock() });
    table.registerPeer(7, '[2001:db8::7]:8333', { mesh: true });
    table.record(1, 7, 10, 'mesh');
    expect(table.get(1, 7)).toMatchObject({ dstLabel: '[2001:db8::7]:8333', dstMesh: true, packetsMesh: 1 });
    table.record(7, 1, 10, 'local');
    expect(table.audit()).toEqual([]);
  });
});
