/**
 * The sending side of BIP152: a `cmpctblock` from a full block (the coinbase prefilled, as BIP152
 * advises and Core does), and the `blocktxn` answer to a peer's `getblocktxn`.
 */
import { hash256Spans } from '../../wasm/hasher.js';
import { shortIds } from '../../wasm/short-ids.js';
import type { BlockTxnMessage } from '../../wire/messages/blocktxn.js';
import type { CmpctBlockMessage } from '../../wire/messages/cmpctblock.js';
import type { GetBlockTxnMessage } from '../../wire/messages/getblocktxn.js';
import { splitBlockTransactions } from '../../wire/tx-id.js';
import { shortIdKeys } from './short-id-keys.js';

/**
 * A cmpctblock for `rawBlock` (version 2: short ids of wtxids). `wtxids` (32 bytes per tx) skips
 * hashing when the caller knows them. Throws WireError if the block does not parse (our own
 * block store gave it to us, so that is a bug, not a peer fault).
 */
export function buildCmpctBlock(rawBlock: Uint8Array, nonce: bigint, wtxids?: Uint8Array): CmpctBlockMessage {
  const txs = splitBlockTransactions(rawBlock);
  const n = txs.length;
  let ids = wtxids;
  if (ids === undefined) {
    ids = new Uint8Array(32 * n);
    const spans = new Int32Array(2 * n);
    for (let i = 0; i < n; i++) {
      spans[2 * i] = txs[i]!.byteOffset - rawBlock.byteOffset;
      spans[2 * i + 1] = txs[i]!.length;
    }
    hash256Spans(rawBlock, spans, n, 1, ids, 0);
  }
  return cmpctBlockOf(rawBlock.subarray(0, 80), txs[0]!, ids, n, nonce);
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
