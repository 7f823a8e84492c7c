import { WireReader } from '../reader.js';
import { MAX_TXS, MIN_TX_SIZE, walkTx } from '../tx-id.js';
import { compactSizeLen, WireWriter } from '../writer.js';

/**
 * blocktxn (BIP152 BlockTransactions): a block hash and the requested transactions in the order
 * of the request's indexes (with witness data for version 2). Each transaction is walked, so
 * trailing or malformed bytes are caught here; the txs are views into the payload.
 */
export interface BlockTxnMessage {
  readonly command: 'blocktxn';
  /** Internal byte order. */
  readonly blockHash: Uint8Array;
  readonly txs: readonly Uint8Array[];
}

export function decodeBlockTxn(payload: Uint8Array, _pver?: number): BlockTxnMessage {
  const r = new WireReader(payload);
  const blockHash = r.hash32('blocktxn.blockHash');
  const n = r.count(MAX_TXS, MIN_TX_SIZE, 'blocktxn.txs');
  const txs = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) {
    const b = walkTx(r);
    txs[i] = r.buf.subarray(b.start, b.end);
  }
  r.finish('blocktxn');
  return { command: 'blocktxn', blockHash, txs };
}

export function encodeBlockTxn(msg: BlockTxnMessage, _pver?: number): Uint8Array {
  let size = 32 + compactSizeLen(msg.txs.length);
  for (const t of msg.txs) size += t.length;
  const w = new WireWriter(size);
  w.hash32(msg.blockHash, 'blocktxn.blockHash');
  w.compactSize(msg.txs.length);
  for (const t of msg.txs) w.bytes(t);
  return w.finish();
}
