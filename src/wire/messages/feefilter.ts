import { WireReader } from '../reader.js';
import { WireWriter } from '../writer.js';

/**
 * feefilter (BIP133): do not announce txs paying less than minFee sat/kB. btcd refuses it below
 * pver 70013; that gate is left to the peer layer (the layout does not change).
 */
export interface FeeFilterMessage {
  readonly command: 'feefilter';
  /** sat/kB, i64. */
  readonly minFee: bigint;
}

export function decodeFeeFilter(payload: Uint8Array, _pver?: number): FeeFilterMessage {
  const r = new WireReader(payload);
  const minFee = r.i64le('feefilter.minFee');
  r.finish('feefilter');
  return { command: 'feefilter', minFee };
}

export function encodeFeeFilter(msg: FeeFilterMessage, _pver?: number): Uint8Array {
  const w = new WireWriter(8);
  w.i64le(msg.minFee, 'feefilter.minFee');
  return w.finish();
}
