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
  /** Transactions a peer pushed unasked past its per-peer budget: not cached, not relayed. */
  'unsolicited_overflow',
  /** addr / addrv2 entries past the peer's address token bucket (Core#22387): not decoded. */
  'addr_rate_limited',
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
