/** WriteCompletions: the relayed frames of a peer's in-flight writes, counted in write order. */
import { describe, expect, it } from 'vitest';
import { WriteCompletions } from '../../src/peer/write-completions.js';
import type { FlowSink } from '../../src/peer/write-completions.js';

function sink(): { flows: FlowSink; events: string[] } {
  const events: string[] = [];
  return {
    events,
    flows: {
      delivered: (src, dst, bytes, mesh, kind) => events.push(`delivered ${src}→${dst} ${bytes} ${kind}${mesh ? ' mesh' : ''}`),
      dropped: (src, dst, reason, bytes) => events.push(`${reason} ${src}→${dst} ${bytes}`),
    },
  };
}

describe('WriteCompletions', () => {
  it('reports each write\'s frames when that write completes, oldest write first', () => {
    const { flows, events } = sink();
    const c = new WriteCompletions(9, flows);
    c.add(1, 100, true, false);
    c.add(2, 200, false, true);
    c.endWrite();
    c.endWrite(); // a write with no relayed frame (control only)
    c.add(3, 300, true, false);
    c.endWrite();
    c.complete(true);
    expect(events).toEqual(['delivered 1→9 100 tx', 'delivered 2→9 200 block mesh']);
    c.complete(true);
    expect(events).toHaveLength(2);
    c.complete(false);
    expect(events.slice(2)).toEqual(['gone_disconnected 3→9 300']);
    // Nothing pending: a stray completion changes nothing.
    c.complete(true);
    expect(events).toHaveLength(3);
  });

  it('keeps exact order through growth and compaction, with thousands of writes in flight', () => {
    const { flows, events } = sink();
    const c = new WriteCompletions(1, flows);
    let next = 0;
    let expected = 0;
    const completeSome = (n: number): void => {
      for (let k = 0; k < n; k++) c.complete(true);
    };
    // Writes of 0..4 frames, completed in bursts so head and tail both move and the arrays wrap,
    // compact and grow.
    const sizes: number[] = [];
    for (let w = 0; w < 5000; w++) {
      const n = w % 5;
      for (let k = 0; k < n; k++) c.add(next++, 10, true, false);
      c.endWrite();
      sizes.push(n);
      if (w % 700 === 699) completeSome(650);
    }
    completeSome(5000);
    for (const e of events) {
      expect(e).toBe(`delivered ${expected}→1 10 tx`);
      expected++;
    }
    expect(expected).toBe(next);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(next);
  });
});
