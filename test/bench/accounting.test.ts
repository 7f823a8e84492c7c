import { describe, expect, it } from 'vitest';
import { describeAccounting, reconcile } from '../../bench/load/accounting.js';

const base = { offered: 1000, announced: 0, served: 0, fanout: 4, delivered: 4000, nodeDrops: { duplicate: 0, queue_head: 0 }, notfound: 0 };

describe('drop reconciliation', () => {
  it('everything delivered: nothing to explain', () => {
    const a = reconcile(base);
    expect(a).toMatchObject({ expected: 4000, delivered: 4000, undelivered: 0, unexplained: 0, overExplained: 0, nodeCounted: true, drainTimedOut: false, closedSinks: 0 });
    expect(a.explained).toEqual({});
    expect(describeAccounting(a)).toBe('all delivered');
  });

  it('explains undelivered messages by node drop reasons, unrequested announcements and notfound', () => {
    // 10 announced transactions never requested cost 40 deliveries; the node dropped 25 at a full
    // queue; 5 getdata answered notfound: 70 of 70 undelivered are explained.
    const a = reconcile({ ...base, announced: 500, served: 490, delivered: 3930, nodeDrops: { duplicate: 0, queue_head: 25 }, notfound: 5 });
    expect(a.undelivered).toBe(70);
    expect(a.explained).toEqual({ not_requested: 40, queue_head: 25, notfound: 5 });
    expect(a.unexplained).toBe(0);
    expect(describeAccounting(a)).toBe('70 of 4000 undelivered: not_requested 40, queue_head 25, notfound 5');
  });

  it('reports what no counter explains as unexplained, never as 0', () => {
    const a = reconcile({ ...base, delivered: 3692, nodeDrops: { duplicate: 8, queue_head: 0 } });
    expect(a.undelivered).toBe(308);
    expect(a.explained).toEqual({ duplicate: 8 });
    expect(a.unexplained).toBe(300);
    expect(describeAccounting(a)).toBe('308 of 4000 undelivered: duplicate 8, unexplained 300');
  });

  it('shows counts beyond the undelivered instead of hiding them', () => {
    const a = reconcile({ ...base, delivered: 3990, nodeDrops: { duplicate: 0, queue_head: 15 } });
    expect(a.unexplained).toBe(0);
    expect(a.overExplained).toBe(5);
  });

  it('says when undelivered messages may only be late', () => {
    const a = reconcile({ ...base, delivered: 3000, drainTimedOut: true });
    expect(a.drainTimedOut).toBe(true);
    expect(describeAccounting(a)).toBe('1000 of 4000 undelivered (still arriving when the wait for stragglers ran out: late, maybe not lost): unexplained 1000');
  });

  it('points at sink connections the target closed', () => {
    const a = reconcile({ ...base, delivered: 2000, closedSinks: 2 });
    expect(a.unexplained).toBe(2000);
    expect(describeAccounting(a)).toBe('2000 of 4000 undelivered: unexplained 2000, the target closed 2 sink connections');
  });

  it('a baseline without drop counters: every undelivered message is unexplained', () => {
    const a = reconcile({ ...base, delivered: 3900, nodeDrops: null });
    expect(a.nodeCounted).toBe(false);
    expect(a.unexplained).toBe(100);
  });
});
