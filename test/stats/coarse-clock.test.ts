import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { CoarseClock } from '../../src/stats/coarse-clock.js';
import { FlowTable } from '../../src/stats/flow-table.js';

describe('CoarseClock', () => {
  it('holds the source time until refreshed', () => {
    const source = new ManualClock(1_000);
    const coarse = new CoarseClock(source, 250);
    source.advance(5_000);
    expect(coarse.now()).toBe(1_000);
    expect(coarse.refresh()).toBe(6_000);
    expect(coarse.now()).toBe(6_000);
  });

  it('drives a flow table whose activity time trails by at most the refresh', () => {
    const source = new ManualClock(1_700_000_000_000);
    const coarse = new CoarseClock(source);
    const table = new FlowTable({ clock: coarse });
    table.record(1, 2, 10, 'local');
    source.advance(2 * 3_600_000);
    coarse.refresh();
    table.record(3, 4, 10, 'local'); // 1>2 idle two hours on the coarse clock: evicted
    expect(table.stats()).toMatchObject({ count: 1, evicted: 1 });
  });

  it('starts and stops its timer without keeping the process alive', () => {
    const coarse = new CoarseClock(new ManualClock(), 10).start();
    expect(coarse.start()).toBe(coarse);
    coarse.stop();
    coarse.stop();
  });
});
