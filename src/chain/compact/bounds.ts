/**
 * Per-peer bounds of compact-block relay, each with the reason a message over it is dropped
 * (docs/bounds.md style). The node wiring enforces them per peer; the rebuild enforces the
 * per-message ones itself.
 */
import { RelayError } from '../../errors.js';
import { MAX_CMPCT_TXS } from '../../wire/messages/cmpctblock.js';
import { MAX_DIFF_INDEX } from '../../wire/diff-indexes.js';

/**
 * Compact blocks a peer may have half-rebuilt (waiting for its `blocktxn`) at once. Core keeps at
 * most 3 partial downloads per block (MAX_CMPCTBLOCKS_INFLIGHT_PER_BLOCK) and 16 blocks in flight
 * per peer; bcoin 1.0.2 refuses a peer's 16th pending compact block. A relay only ever needs the
 * newest few; over the bound the oldest pending one is dropped (reason `cmpct_pending`).
 */
export const MAX_PENDING_COMPACT_PER_PEER = 4;

/**
 * Short ids plus prefilled transactions in one `cmpctblock` (Core InitData: MAX_BLOCK_WEIGHT /
 * MIN_SERIALIZABLE_TRANSACTION_WEIGHT); more is a malformed message (reason `cmpct_size`).
 */
export const MAX_SHORT_IDS = MAX_CMPCT_TXS;

/**
 * Indexes one `getblocktxn` may ask for: 16-bit differential indexes, strictly increasing, so
 * 65,536 at most; an index at or past the block's tx count is a peer fault (Core: "getblocktxn
 * with out-of-bounds tx indices"), reason `blocktxn_index`.
 */
export const MAX_REQUESTED_INDEXES = MAX_DIFF_INDEX + 1;

/** Core MAX_BLOCKTXN_DEPTH: getblocktxn is answered only for blocks this close to the tip. */
export const MAX_BLOCKTXN_DEPTH = 10;

/**
 * A hash-table probe run longer than this while indexing a block's short ids means a crafted id
 * distribution: fall back to the full block (Core's "bucket_size > 12" rule in InitData).
 */
export const MAX_SHORT_ID_PROBE = 12;

/**
 * The per-message bound a payload that did not decode broke, if it is one of these: a
 * `cmpctblock` over MAX_SHORT_IDS (`cmpct_size`), a `getblocktxn` with more indexes or a larger
 * index than 16 bits allow (`blocktxn_index`). null for any other decode failure.
 */
export function brokenBound(command: string, err: unknown): 'cmpct_size' | 'blocktxn_index' | null {
  if (!(err instanceof RelayError)) return null;
  if (command === 'cmpctblock' && err.code === 'ERR_PAYLOAD_COUNT_TOO_LARGE') return 'cmpct_size';
  if (command === 'getblocktxn' && err.details['field'] === 'getblocktxn.indexes' && (err.code === 'ERR_PAYLOAD_COUNT_TOO_LARGE' || err.code === 'ERR_PAYLOAD_INVALID')) return 'blocktxn_index';
  return null;
}
