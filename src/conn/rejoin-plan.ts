/**
 * What to dial on start, within the connection budgets (issue 23). Before this, a restart
 * re-dialled every previously alive peer as a one-shot connection and then filled the automatic
 * slots on top: 17 outbound against a target of 8, 16 of them the attacker's. Now:
 *
 * - only the anchors (block-relay-only peers saved at a clean stop, src/conn/anchors.ts) are
 *   dialled first, into the block-relay-only slots, one per network group, as Core does;
 * - previously connected full-relay peers are not dialled directly: they are handed back to the
 *   address manager and compete in normal selection, under the one-per-group rule;
 * - mesh members keep Serf's rejoin (they are our own instances, trusted, and unbudgeted), unless
 *   the node left the cluster.
 *
 * Pure: the node passes the replay, the anchors and its predicates, and carries out the plan.
 */
import { addressGroup, type GroupOptions } from '../util/host-port.js';

export interface RejoinInput {
  /** From loadAnchors(): the block-relay-only peers of the last clean stop. */
  readonly anchors: readonly string[];
  /** Previously alive outbound peers (the membership snapshot's replay). */
  readonly previous: readonly string[];
  /** The node left the cluster on its last run (and rejoinAfterLeave is off): no Serf rejoin. */
  readonly left: boolean;
  /** Addresses dialled by their own permanent requests (--connect, --add-peer, --mesh). */
  readonly configured: ReadonlySet<string>;
  /** True for an address of another instance of this relay. */
  readonly isMesh: (addr: string) => boolean;
  /** The dial scope for addresses not named by the operator (DialScope.allowsGossiped). */
  readonly allow: (addr: string) => boolean;
  /** Block-relay-only slots (ConnManager.blockRelayOnly). */
  readonly blockRelayOnly: number;
  readonly group?: GroupOptions;
}

export interface RejoinPlan {
  /** Dial first, each with ConnManager.connectAnchor(), before ConnManager.start(). */
  readonly anchors: readonly string[];
  /** Mesh members to rejoin (Serf): ConnManager.connect(addr, { kind: 'mesh' }). */
  readonly mesh: readonly string[];
  /** Previous full-relay peers: make sure the address manager knows them; never dial them here. */
  readonly toAddressTable: readonly string[];
}

export function planRejoin(input: RejoinInput): RejoinPlan {
  const anchors: string[] = [];
  const groups = new Set<string>();
  for (const a of input.anchors) {
    if (anchors.length >= input.blockRelayOnly) break;
    if (input.configured.has(a) || !input.allow(a)) continue;
    const g = addressGroup(a, input.group);
    if (groups.has(g)) continue;
    groups.add(g);
    anchors.push(a);
  }
  const mesh: string[] = [];
  const toAddressTable: string[] = [];
  for (const a of input.previous) {
    if (input.configured.has(a) || anchors.includes(a)) continue;
    if (input.isMesh(a)) {
      if (!input.left) mesh.push(a);
    } else if (input.allow(a)) {
      toAddressTable.push(a);
    }
  }
  return { anchors, mesh, toAddressTable };
}
