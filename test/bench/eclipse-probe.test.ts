/**
 * `npm run attack -- --only eclipse` as a test: the in-memory eclipse probe (bench/attack/eclipse.ts)
 * meets its targets — at most 4 attacker outbound peers through the flood and two restarts, each
 * connection kind within its budget, block-relay-only peers outside the attacker's /16s, and the
 * tried table keeping at least 90 % of its good entries.
 */
import { describe, expect, it } from 'vitest';
import { runEclipse } from '../../bench/attack/eclipse.js';

describe('eclipse probe', () => {
  it('meets every target', async () => {
    const r = await runEclipse();
    expect(r.targets).toEqual({ attackerAtMost4: true, budgets: true, blockRelayOutsideAttacker: true, triedKept90: true });
  }, 120_000);
});
