import { WireReader } from '../reader.js';
import { walkTx } from '../tx-id.js';

/**
 * tx: carried as raw bytes. Decode walks the transaction once (no copy, no per-input objects) so a
 * payload that is not exactly one well-formed transaction is rejected here, not deep in a consumer.
 * txid/wtxid: see tx-id.ts.
 */
export interface TxMessage {
  readonly command: 'tx';
  /** The whole payload; shares memory with the buffer it was decoded from. */
  readonly raw: Uint8Array;
}

export function decodeTx(payload: Uint8Array, _pver?: number): TxMessage {
  const r = new WireReader(payload);
  walkTx(r);
  r.finish('tx');
  return { command: 'tx', raw: r.buf };
}

export function encodeTx(msg: TxMessage, _pver?: number): Uint8Array {
  return msg.raw;
}
