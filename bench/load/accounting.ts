/**
 * Drop reconciliation: every transaction a step should have delivered either arrived, or is
 * explained by a cause someone counted, or is reported as unexplained. Pure, so it is unit-tested
 * (test/bench/accounting.test.ts).
 *
 * Causes, from the source's side to the sink's:
 * - `not_requested`: announced by a source, never asked for by the node (counted by the source:
 *   announced − served). Each such transaction costs one delivery per sink.
 * - the node's drop reasons (`wirerelay_dropped_packets_total{reason}` deltas over the step):
 *   one relayed message not written to one destination.
 * - `notfound`: a sink asked the node for a transaction and the node answered notfound.
 */

export interface AccountingInput {
  /** Measured transactions offered by the sources. */
  readonly offered: number;
  readonly announced: number;
  /** Announced ones the node asked for and the source sent. */
  readonly served: number;
  /** Sink connections that should each receive every transaction. */
  readonly fanout: number;
  /** Measured transactions that arrived at sinks (after the drain). */
  readonly delivered: number;
  /** The node's drop counters over the step, by reason; null if the node exports none (a baseline). */
  readonly nodeDrops: Readonly<Record<string, number>> | null;
  /** notfound entries the sinks received. */
  readonly notfound: number;
  /** The harness stopped waiting while transactions were still arriving (or the target still busy). */
  readonly drainTimedOut?: boolean;
  /** Sink connections the target closed during the step (nothing more can reach them). */
  readonly closedSinks?: number;
}

export interface Accounting {
  readonly expected: number;
  readonly delivered: number;
  readonly undelivered: number;
  /** By cause, only causes with a count above 0. */
  readonly explained: Readonly<Record<string, number>>;
  /** Undelivered that no counted cause accounts for. */
  readonly unexplained: number;
  /**
   * Counted causes beyond the undelivered: the node's counters are windowed by scrape time, not by
   * transaction, so drops of the warm-up's stragglers can land in a step; shown, never hidden.
   */
  readonly overExplained: number;
  /** The node exported drop counters (false for baselines: nothing to reconcile against). */
  readonly nodeCounted: boolean;
  /** Undelivered may be late rather than lost: the wait for stragglers ran out. */
  readonly drainTimedOut: boolean;
  /** Sink connections the target closed during the step: a likely cause of what is unexplained. */
  readonly closedSinks: number;
}

export function reconcile(a: AccountingInput): Accounting {
  const expected = a.offered * a.fanout;
  const delivered = Math.min(a.delivered, expected);
  const undelivered = expected - delivered;
  const causes: Record<string, number> = {};
  const notRequested = Math.max(0, a.announced - a.served) * a.fanout;
  if (notRequested > 0) causes['not_requested'] = notRequested;
  for (const [reason, n] of Object.entries(a.nodeDrops ?? {})) if (n > 0) causes[reason] = n;
  if (a.notfound > 0) causes['notfound'] = a.notfound;
  const counted = Object.values(causes).reduce((x, y) => x + y, 0);
  return {
    expected,
    delivered,
    undelivered,
    explained: causes,
    unexplained: Math.max(0, undelivered - counted),
    overExplained: Math.max(0, counted - undelivered),
    nodeCounted: a.nodeDrops !== null,
    drainTimedOut: a.drainTimedOut ?? false,
    closedSinks: a.closedSinks ?? 0,
  };
}

/** One line: "12 of 40,000 undelivered: duplicate 10, unexplained 2". */
export function describeAccounting(x: Accounting): string {
  if (x.undelivered === 0 && x.overExplained === 0) return 'all delivered';
  const parts = Object.entries(x.explained).map(([k, v]) => `${k} ${v}`);
  if (x.unexplained > 0) parts.push(`unexplained ${x.unexplained}`);
  if (x.overExplained > 0) parts.push(`counted beyond the undelivered ${x.overExplained}`);
  const late = x.drainTimedOut ? ' (still arriving when the wait for stragglers ran out: late, maybe not lost)' : '';
  if (x.closedSinks > 0) parts.push(`the target closed ${x.closedSinks} sink connection${x.closedSinks === 1 ? '' : 's'}`);
  return `${x.undelivered} of ${x.expected} undelivered${late}: ${parts.join(', ')}`;
}
