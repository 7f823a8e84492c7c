/**
 * Finding a target's limit: which step counts as past the knee and why, and which offered load to
 * try next. Pure functions over the steps measured so far, so the search is unit-tested on a fixed
 * sample (test/bench/knee.test.ts).
 *
 * The search climbs a geometric ladder until a step fails, then bisects (geometrically) between the
 * highest step that held and the lowest failed step above it, until the two are within `precision`
 * of each other: the knee is then known to within that share.
 */

/** Past these a step is "blown up". issue 9: sustained = p99 ≤ 50 ms and loss < 0.1 %. */
export const KNEE_P99_MS = 50;
export const KNEE_LOSS = 0.001;
/** Delivered during the window under this share of the offered load: the target fell behind. */
export const KNEE_SHORTFALL = 0.9;

export type KneeCause = 'disconnected' | 'loss' | 'shortfall' | 'latency';

export interface StepOutcome {
  /** Expected deliveries of the measured transactions, and how many arrived (after the drain). */
  readonly expected: number;
  readonly delivered: number;
  readonly offeredMsgsPerSec: number;
  readonly msgsPerSec: number;
  readonly p99Ms: number;
  /** Generator connections (sources and sinks) that were closed during the step. */
  readonly closed?: number;
}

/** Why a step is past the knee, every cause that applies, most fundamental first; empty if it held. */
export function kneeCauses(s: StepOutcome): KneeCause[] {
  const out: KneeCause[] = [];
  if ((s.closed ?? 0) > 0) out.push('disconnected');
  if (s.expected > 0 && (s.expected - s.delivered) / s.expected >= KNEE_LOSS) out.push('loss');
  if (s.msgsPerSec < KNEE_SHORTFALL * s.offeredMsgsPerSec) out.push('shortfall');
  if (!(s.p99Ms <= KNEE_P99_MS)) out.push('latency');
  return out;
}

/** A human line for the causes of a step (empty string if it held). */
export function describeCauses(s: StepOutcome): string {
  return kneeCauses(s)
    .map((c) =>
      c === 'disconnected'
        ? `disconnected: ${s.closed} generator connection${s.closed === 1 ? '' : 's'} closed`
        : c === 'loss'
        ? `loss ${((100 * (s.expected - s.delivered)) / Math.max(1, s.expected)).toFixed(2)} %`
        : c === 'shortfall'
          ? `shortfall: delivered ${((100 * s.msgsPerSec) / Math.max(1, s.offeredMsgsPerSec)).toFixed(0)} % of offered`
          : `latency: p99 ${Number.isFinite(s.p99Ms) ? s.p99Ms.toFixed(1) : 'n/a'} ms > ${KNEE_P99_MS} ms`,
    )
    .join('; ');
}

export interface KneeSearch {
  /** First offered load (deliveries/s). */
  readonly start: number;
  /** Ladder growth per step before the first failure. */
  readonly factor: number;
  /** Stop when lowest failed / highest held ≤ 1 + precision. */
  readonly precision: number;
  /** Give up after this many steps (the bracket stays as wide as it got). */
  readonly maxSteps: number;
  /** Do not climb past this offered load (a generator or machine cap); the search ends there. */
  readonly ceiling: number;
}

export interface Probe {
  readonly offered: number;
  readonly ok: boolean;
}

export interface KneeBracket {
  /** Highest offered load that held (null: even the lowest step failed). */
  readonly held: number | null;
  /** Lowest failed offered load above `held` (null: nothing failed, the knee is above the ceiling). */
  readonly failed: number | null;
  /** failed / held − 1 ≤ precision. */
  readonly resolved: boolean;
}

export function bracket(probes: readonly Probe[], precision: number): KneeBracket {
  let held: number | null = null;
  for (const p of probes) if (p.ok && (held === null || p.offered > held)) held = p.offered;
  let failed: number | null = null;
  for (const p of probes) if (!p.ok && (held === null || p.offered > held) && (failed === null || p.offered < failed)) failed = p.offered;
  const resolved = held !== null && failed !== null && failed / held - 1 <= precision + 1e-9;
  return { held, failed, resolved };
}

/** The next offered load to measure, or null when the knee is located (or the budget is spent). */
export function nextOffered(probes: readonly Probe[], k: KneeSearch): number | null {
  if (probes.length === 0) return Math.min(k.start, k.ceiling);
  if (probes.length >= k.maxSteps) return null;
  const b = bracket(probes, k.precision);
  if (b.resolved) return null;
  if (b.held === null) {
    // Even the lowest step failed: step down until one holds.
    const lowest = Math.min(...probes.map((p) => p.offered));
    const down = lowest / k.factor;
    return down < 1 ? null : down;
  }
  if (b.failed === null) {
    if (b.held >= k.ceiling) return null;
    return Math.min(b.held * k.factor, k.ceiling);
  }
  return Math.sqrt(b.held * b.failed);
}
