import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpenFlowIndex, type FlowIndex } from '../../src/stats/flow-index.js';

type Op = { op: 'insert' | 'remove' | 'update'; src: number; dst: number; v: number };

const opArb = fc.record({
  op: fc.constantFrom<'insert' | 'remove' | 'update'>('insert', 'insert', 'remove', 'update'),
  // A small id space makes collisions, probe runs and backward shifts across the wrap frequent.
  src: fc.integer({ min: 0, max: 40 }),
  dst: fc.integer({ min: 0, max: 40 }),
  v: fc.integer({ min: 0, max: 1_000_000 }),
});

function replay(index: FlowIndex, ops: Op[]): Map<string, number> {
  const model = new Map<string, number>();
  for (const { op, src, dst, v } of ops) {
    const k = `${src}>${dst}`;
    if (op === 'insert' && !model.has(k)) {
      index.insert(src, dst, v);
      model.set(k, v);
    } else if (op === 'remove') {
      index.remove(src, dst);
      model.delete(k);
    } else if (op === 'update' && model.has(k)) {
      index.update(src, dst, v);
      model.set(k, v);
    }
  }
  return model;
}

describe('flow key indices', () => {
  for (const [name, make] of [
    ['open addressing', () => new OpenFlowIndex(4)],
  ] as const) {
    it(`${name} agrees with a Map<string, number> under random inserts, updates and removes`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 600 }), (ops) => {
          const index = make();
          const model = replay(index, ops);
          expect(index.size).toBe(model.size);
          const wrong: string[] = [];
          for (let s = 0; s <= 40; s++) {
            for (let d = 0; d <= 40; d++) {
              if (index.find(s, d) !== (model.get(`${s}>${d}`) ?? -1)) wrong.push(`${s}>${d}`);
            }
          }
          expect(wrong).toEqual([]);
        }),
        { numRuns: 150 },
      );
    });
  }

  it('finds ids at the top of the 21-bit range', () => {
    const index = new OpenFlowIndex();
    index.insert(2 ** 21 - 1, 2 ** 21 - 1, 7);
    index.insert(0, 2 ** 21 - 1, 8);
    expect(index.find(2 ** 21 - 1, 2 ** 21 - 1)).toBe(7);
    expect(index.find(0, 2 ** 21 - 1)).toBe(8);
    expect(index.find(2 ** 21 - 1, 0)).toBe(-1);
  });
});
