/**
 * The sending side of BIP152: a `cmpctblock` from a full block (the coinbase prefilled, as BIP152
 * advises and Core does), and the `blocktxn` answer to a peer's `getblocktxn`.
 */
import { blockWtxids } from '../../wasm/tx-walk.js';
import { shortIds } from '../../wasm/short-ids.js';
import type { BlockTxnMessage } from '../../wire/messages/blocktxn.js';
import type { CmpctBlockMessage } from '../../wire/messages/cmpctblock.js';
import type { GetBlockTxnMessage } from '../../wire/messages/getblocktxn.js';
import { MAX_TXS, splitBlockTransactions } from '../../wire/tx-id.js';
import { shortIdKeys } from './short-id-keys.js';

/**
 * A cmpctblock for `rawBlock` (version 2: short ids of wtxids). `wtxids` (32 bytes per tx) skips
 * hashing when the caller knows them. Throws WireError if the block does not parse (our own
 * block store gave it to us, so that is a bug, not a peer fault).
 */
export function buildCmpctBlock(rawBlock: Uint8Array, nonce: bigint, wtxids?: Uint8Array): CmpctBlockMessage {
  const txs = splitBlockTransactions(rawBlock);
  // The block split, so it walks: the WASM walk has the same rules.
  const ids = wtxids ?? blockWtxids(rawBlock, MAX_TXS)!;
  return cmpctBlockOf(rawBlock.subarray(0, 80), txs[0]!, ids, txs.length, nonce);
}

/**
 * A cmpctblock from what a rebuild already holds: the header, the coinbase (prefilled) and the
 * wtxids of all `n` transactions (32 bytes each, block order). No pass over the block's bytes.
 */
export function cmpctBlockOf(header: Uint8Array, coinbase: Uint8Array, wtxids: Uint8Array, n: number, nonce: bigint): CmpctBlockMessage {
  const ids = shortIds(shortIdKeys(header, nonce), wtxids.subarray(32), n - 1);
  return { command: 'cmpctblock', header, nonce, shortIds: ids, prefilled: [{ index: 0, tx: coinbase }] };
}

/**
 * The blocktxn answering `req` from `rawBlock`, or 'out-of-bounds' when an index is at or past the
 * block's transaction count (Core: "getblocktxn with out-of-bounds tx indices", a peer fault).
 */
export function buildBlockTxn(rawBlock: Uint8Array, req: GetBlockTxnMessage): BlockTxnMessage | 'out-of-bounds' {
  const txs = splitBlockTransactions(rawBlock);
  const out: Uint8Array[] = [];
  for (const i of req.indexes) {
    if (i >= txs.length) return 'out-of-bounds';
    out.push(txs[i]!);
  }
  return { command: 'blocktxn', blockHash: req.blockHash, txs: out };
}
