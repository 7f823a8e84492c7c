import { diffIndexesSize, MAX_DIFF_INDEX, readDiffIndex, writeDiffIndex } from '../diff-indexes.js';
import { WireReader } from '../reader.js';
import { compactSizeLen, WireWriter } from '../writer.js';

/**
 * getblocktxn (BIP152 BlockTransactionsRequest): a block hash and the indexes of the transactions
 * wanted, differentially encoded, strictly increasing and ≤ 65,535 (so at most 65,536 of them).
 */
export interface GetBlockTxnMessage {
  readonly command: 'getblocktxn';
  /** Internal byte order. */
  readonly blockHash: Uint8Array;
  /** Absolute indexes, increasing. */
  readonly indexes: readonly number[];
}

export function decodeGetBlockTxn(payload: Uint8Array, _pver?: number): GetBlockTxnMessage {
  const r = new WireReader(payload);
  const blockHash = r.hash32('getblocktxn.blockHash');
  const n = r.count(MAX_DIFF_INDEX + 1, 1, 'getblocktxn.indexes');
  const indexes = new Array<number>(n);
  let prev = -1;
  for (let i = 0; i < n; i++) indexes[i] = prev = readDiffIndex(r, prev, 'getblocktxn.indexes');
  r.finish('getblocktxn');
  return { command: 'getblocktxn', blockHash, indexes };
}

/** The encoded payload's length in bytes. */
export function getBlockTxnPayloadSize(msg: GetBlockTxnMessage): number {
  return 32 + compactSizeLen(msg.indexes.length) + diffIndexesSize(msg.indexes, 'getblocktxn.indexes');
}

export function encodeGetBlockTxn(msg: GetBlockTxnMessage, _pver?: number): Uint8Array {
  const n = msg.indexes.length;
  const w = new WireWriter(getBlockTxnPayloadSize(msg));
  w.hash32(msg.blockHash, 'getblocktxn.blockHash');
  w.compactSize(n);
  let prev = -1;
  for (const i of msg.indexes) {
    writeDiffIndex(w, i, prev);
    prev = i;
  }
  return w.finish();
}
