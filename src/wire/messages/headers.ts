import { WireError } from '../../errors.js';
import { BLOCK_HEADER_SIZE, readBlockHeader, writeBlockHeader, type BlockHeader } from '../block-header.js';
import { MAX_BLOCK_HEADERS_PER_MSG } from '../constants.js';
import { WireReader } from '../reader.js';
import { compactSizeLen, WireWriter } from '../writer.js';

/**
 * headers: ≤ 2,000 block headers. On the wire each is followed by a tx count that must be 0
 * (btcd MsgHeaders): a non-zero count is ERR_PAYLOAD_INVALID, a non-minimal zero is
 * ERR_PAYLOAD_NON_MINIMAL_VARINT.
 */
export interface HeadersMessage {
  readonly command: 'headers';
  readonly headers: readonly BlockHeader[];
}

const ENTRY_SIZE = BLOCK_HEADER_SIZE + 1;

export function decodeHeaders(payload: Uint8Array, _pver?: number): HeadersMessage {
  const r = new WireReader(payload);
  const n = r.count(MAX_BLOCK_HEADERS_PER_MSG, ENTRY_SIZE, 'headers.count');
  const headers = new Array<BlockHeader>(n);
  for (let i = 0; i < n; i++) {
    headers[i] = readBlockHeader(r);
    const at = r.pos;
    const txCount = r.compactSize('headers.txCount');
    if (txCount !== 0) {
      throw new WireError('ERR_PAYLOAD_INVALID', `headers.txCount: must be 0, got ${txCount}`, {
        field: 'headers.txCount',
        offset: at,
        index: i,
        value: txCount,
      });
    }
  }
  r.finish('headers');
  return { command: 'headers', headers };
}

export function encodeHeaders(msg: HeadersMessage, _pver?: number): Uint8Array {
  const n = msg.headers.length;
  if (n > MAX_BLOCK_HEADERS_PER_MSG) throw new RangeError(`headers: ${n} headers exceed ${MAX_BLOCK_HEADERS_PER_MSG}`);
  const w = new WireWriter(compactSizeLen(n) + n * ENTRY_SIZE);
  w.compactSize(n);
  for (const h of msg.headers) {
    writeBlockHeader(w, h);
    w.u8(0);
  }
  return w.finish();
}
