/**
 * Why a relayed message did not reach its destination. A closed set, as in Tailscale DERP's
 * `dropReason*` (tailscale derp/derp_server.go): every counter exists from the start at zero, so a reason
 * that never fires still shows up as 0 in /metrics instead of being absent.
 *
 * Only reasons some path emits belong here: a counter that can only read 0 misleads. The order is
 * the flow table's column layout (in memory only; nothing stores it).
 */
export const DROP_REASONS = [
  /** The destination disconnected while the message was queued or in flight to it. */
  'gone_disconnected',
  /** The destination's send queue was full: the oldest queued message was dropped to make room. */
  'queue_head',
  /** The destination already knows the item (its known-inventory filter said so): not sent. */
  'duplicate',
  /**
   * Inventory a peer announced past its per-peer bound (Core MAX_PEER_TX_ANNOUNCEMENTS): ignored,
   * not tracked. Counted on the peer's flow to itself (what we refused to take from it).
   */
  'inv_overflow',
  /**
   * Announcements queued for a peer's trickle past MAX_TRICKLE_QUEUED (src/peer/inv-trickle.ts):
   * the oldest are dropped unsent, being the first to leave the relay cache. Counted on the peer's
   * flow to itself, 36 bytes per entry.
   */
  'announce_overflow',
  /** Transactions a peer pushed unasked past its per-peer budget: not cached, not relayed. */
  'unsolicited_overflow',
  /** addr / addrv2 entries past the peer's address token bucket (Core#22387): not decoded. */
  'addr_rate_limited',
  /**
   * BIP152 per-peer bounds and fallbacks (src/chain/compact/bounds.ts), each counted on the peer's
   * flow to itself with the bytes of the message concerned. A half-rebuilt compact block dropped
   * over MAX_PENDING_COMPACT_PER_PEER (the oldest; its `cmpctblock`'s bytes).
   */
  'cmpct_pending',
  /** A `cmpctblock` with more short ids and prefilled transactions than MAX_SHORT_IDS: not decoded. */
  'cmpct_size',
  /** A `getblocktxn` asking for an index past the block or the 16-bit range: not answered. */
  'blocktxn_index',
  /** A `cmpctblock` whose short ids cannot be told apart: not rebuilt, the full block fetched. */
  'cmpct_collision',
  /** A `cmpctblock` rebuilt into a mutated block (merkle root or witness commitment): the full block fetched. */
  'cmpct_mutated',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

export const DROP_REASON_COUNT = DROP_REASONS.length;

/** Column of each reason; a plain object lookup on the drop path, built once. */
export const DROP_REASON_INDEX: Readonly<Record<DropReason, number>> = Object.freeze(
  Object.fromEntries(DROP_REASONS.map((r, i) => [r, i])) as Record<DropReason, number>,
);

export function isDropReason(value: string): value is DropReason {
  return Object.prototype.hasOwnProperty.call(DROP_REASON_INDEX, value);
}

/** Packets and bytes dropped for one reason. */
export interface DropCount {
  packets: number;
  bytes: number;
}

/** A fresh record with every reason at zero. */
export function zeroDrops(): Record<DropReason, DropCount> {
  const out = {} as Record<DropReason, DropCount>;
  for (const r of DROP_REASONS) out[r] = { packets: 0, bytes: 0 };
  return out;
}
