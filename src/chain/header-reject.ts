/**
 * Why a header was not stored. Stable codes, named after Core's reject reasons where one exists
 * (src/validation.cpp CheckBlockHeader / ContextualCheckBlockHeader, net_processing.cpp).
 *
 * | code | Core | peer fault? |
 * |---|---|---|
 * | bad-pow | CheckHeadersPoW / "high-hash" | yes: disconnect and discourage at once |
 * | unconnected | "headers do not connect" | no: answer with getheaders (one in flight, 2-minute deadline) |
 * | non-continuous | "non-continuous headers sequence" | yes |
 * | bad-diffbits | "bad-diffbits" | yes (invalid header) |
 * | time-too-old | "time-too-old" (≤ median time past) | yes (invalid header) |
 * | time-too-new | "time-too-new" (> now + 2 h) | no: not stored, may be valid later (BLOCK_TIME_FUTURE) |
 * | time-timewarp-attack | BIP94 "time-timewarp-attack" | yes (invalid header) |
 * | bad-version | "bad-version" (BIP34/66/65 heights) | yes (invalid header) |
 * | low-work-budget | (ours) the peer used its budget of headers below minimum chain work | no score: stop asking it |
 * | side-budget | (ours) too many headers off the best chain are stored | no score |
 * | bad-prevblk | "bad-prevblk" (BLOCK_INVALID_PREV): its parent's block, or an ancestor's, failed | yes |
 * | duplicate-invalid | "duplicate-invalid" (BLOCK_CACHED_INVALID): a header whose block failed, sent again | outbound peers only, and not in a cmpctblock (Core MaybePunishNodeForBlock) |
 */
export type HeaderRejectCode =
  | 'bad-pow'
  | 'unconnected'
  | 'non-continuous'
  | 'bad-diffbits'
  | 'time-too-old'
  | 'time-too-new'
  | 'time-timewarp-attack'
  | 'bad-version'
  | 'low-work-budget'
  | 'side-budget'
  | 'bad-prevblk'
  | 'duplicate-invalid';

/** Codes after which Core disconnects (and discourages) the sender. */
export const HEADER_PEER_FAULTS: ReadonlySet<HeaderRejectCode> = new Set<HeaderRejectCode>([
  'bad-pow',
  'non-continuous',
  'bad-diffbits',
  'time-too-old',
  'time-timewarp-attack',
  'bad-version',
  'bad-prevblk',
]);
