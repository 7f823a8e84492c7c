/**
 * TrickleTurns: trickles drained over event-loop turns, at most TRICKLE_ENTRIES_PER_TURN entries
 * per turn across all peers, the waiting peers round-robin.
 */
import { describe, expect, it } from 'vitest';
import { TRICKLE_ENTRIES_PER_TURN, TrickleTurns, type TrickleSource } from '../../src/peer/trickle-turns.js';

/** A source with `left` entries due; records the budget of each call and the turn it came in. */
class Source implements TrickleSource {
  readonly calls: Array<{ turn: number; budget: number; took: number }> = [];
  constructor(
    public left: number,
    private readonly turn: () => number,
  ) {}
  drainSome(budget: number): number {
    const took = Math.min(budget, this.left);
    this.left -= took;
    this.calls.push({ turn: this.turn(), budget, took });
    return took;
  }
  get trickling(): boolean {
    return this.left > 0;
  }
}

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A turn counter that moves at the start of every event-loop turn's immediates (armed before the scheduler's). */
function turnCounter(): { now: () => number; stop: () => void } {
  let turn = 0;
  let on = true;
  const tick = (): void => {
    turn++;
    if (on) setImmediate(tick);
  };
  setImmediate(tick);
  return { now: () => turn, stop: () => (on = false) };
}

describe('TrickleTurns', () => {
  it('drains a small trickle at once, and a large one over turns within the per-turn budget', async () => {
    const turns = turnCounter();
    const t = new TrickleTurns();
    const small = new Source(500, turns.now);
    t.drain(small);
    expect(small.calls).toEqual([{ turn: 0, budget: TRICKLE_ENTRIES_PER_TURN, took: 500 }]);
    const big = new Source(3 * TRICKLE_ENTRIES_PER_TURN, turns.now);
    t.drain(big); // what is left of this turn's budget
    expect(big.calls).toEqual([{ turn: 0, budget: TRICKLE_ENTRIES_PER_TURN - 500, took: TRICKLE_ENTRIES_PER_TURN - 500 }]);
    while (big.trickling) await nextTurn();
    turns.stop();
    const perTurn = new Map<number, number>();
    for (const c of big.calls) perTurn.set(c.turn, (perTurn.get(c.turn) ?? 0) + c.took);
    expect([...perTurn.values()].every((n) => n <= TRICKLE_ENTRIES_PER_TURN)).toBe(true);
    expect(big.calls.reduce((a, c) => a + c.took, 0)).toBe(3 * TRICKLE_ENTRIES_PER_TURN);
    expect(perTurn.size).toBe(4);
  });

  it('shares a turn between waiting peers and serves first, next turn, those the budget did not reach', async () => {
    const turns = turnCounter();
    const t = new TrickleTurns();
    // 30 peers, each far over a turn: each turn's budget is split evenly, at least 1,000 each.
    const peers = Array.from({ length: 30 }, () => new Source(5 * TRICKLE_ENTRIES_PER_TURN, turns.now));
    for (const p of peers) t.drain(p);
    expect(peers[0]!.calls[0]!.took).toBe(TRICKLE_ENTRIES_PER_TURN);
    // The turn's budget is spent: the others wait without being asked.
    expect(peers.slice(1).every((p) => p.calls.length === 0)).toBe(true);
    for (let k = 0; k < 6; k++) await nextTurn();
    turns.stop();
    // Over 6 turns at 10 per turn (1,000 entries each), every waiting peer was served at least once.
    for (const p of peers.slice(1)) expect(p.calls.filter((c) => c.took > 0).length, 'served').toBeGreaterThanOrEqual(1);
    const totals = new Map<number, number>();
    for (const p of peers) for (const c of p.calls) totals.set(c.turn, (totals.get(c.turn) ?? 0) + c.took);
    expect([...totals.values()].every((n) => n <= TRICKLE_ENTRIES_PER_TURN)).toBe(true);
  });

  it('drops a forgotten peer and never drains it again', async () => {
    const t = new TrickleTurns();
    const a = new Source(2 * TRICKLE_ENTRIES_PER_TURN, () => 0);
    t.drain(a);
    t.forget(a);
    await nextTurn();
    await nextTurn();
    expect(a.calls).toHaveLength(1);
  });
});
