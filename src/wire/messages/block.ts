import { readBlockHeader, type BlockHeader } from '../block-header.js';
import { WireReader } from '../reader.js';
import { MAX_TXS, MIN_TX_SIZE, walkTx } from '../tx-id.js';

/**
 * block: carried as raw bytes, plus the parsed header and tx count. Decode walks every transaction
 * (O(bytes), no copies) so trailing or malformed bytes are caught; consensus checks are not ours.
 */
export interface BlockMessage {
  readonly command: 'block';
  /** The whole payload; shares memory with the buffer it was decoded from. */
  readonly raw: Uint8Array;
  /** Views into raw. */
  readonly header: BlockHeader;
  readonly txCount: number;
}

export function decodeBlock(payload: Uint8Array, _pver?: number): BlockMessage {
  const r = new WireReader(payload);
  const header = readBlockHeader(r);
  const txCount = r.count(MAX_TXS, MIN_TX_SIZE, 'block.txCount');
  for (let i = 0; i < txCount; i++) walkTx(r);
  r.finish('block');
  return { command: 'block', raw: r.buf, header, txCount };
}

/** Sends raw as is: header and txCount are views of it, not a second source of truth. */
export function encodeBlock(msg: BlockMessage, _pver?: number): Uint8Array {
  return msg.raw;
}
