import { WireError } from '../../errors.js';
import { diffIndexesSize, readDiffIndex, writeDiffIndex } from '../diff-indexes.js';
import { WireReader } from '../reader.js';
import { MIN_TX_SIZE, walkTx } from '../tx-id.js';
import { compactSizeLen, WireWriter } from '../writer.js';

/**
 * cmpctblock (BIP152 HeaderAndShortIDs): the 80-byte header, a u64 nonce, 6-byte short ids, and
 * prefilled transactions at differentially encoded indexes. Views into the payload: the short ids
 * stay one contiguous run of 6-byte ids, no object per id.
 *
 * Bounds: short ids plus prefilled transactions ≤ MAX_CMPCT_TXS (Core InitData: MAX_BLOCK_WEIGHT
 * / MIN_SERIALIZABLE_TRANSACTION_WEIGHT), prefilled indexes ≤ 65,535. Whether the indexes fit the
 * block (index ≤ short ids + position) is the rebuild's check, as in Core.
 */
export interface PrefilledTx {
  /** Absolute index in the block. */
  readonly index: number;
  /** The serialized transaction (with witness), a view. */
  readonly tx: Uint8Array;
}

export interface CmpctBlockMessage {
  readonly command: 'cmpctblock';
  /** The 80-byte header, a view. */
  readonly header: Uint8Array;
  /** u64. */
  readonly nonce: bigint;
  /** 6 bytes per short id, little-endian, back to back (a view). */
  readonly shortIds: Uint8Array;
  readonly prefilled: readonly PrefilledTx[];
}

/** Core: MAX_BLOCK_WEIGHT / MIN_SERIALIZABLE_TRANSACTION_WEIGHT (4,000,000 / 40). */
export const MAX_CMPCT_TXS = 100_000;
export const SHORT_ID_SIZE = 6;

export function decodeCmpctBlock(payload: Uint8Array, _pver?: number): CmpctBlockMessage {
  const r = new WireReader(payload);
  const header = r.bytes(80, 'cmpctblock.header');
  const nonce = r.u64le('cmpctblock.nonce');
  const nIds = r.count(MAX_CMPCT_TXS, SHORT_ID_SIZE, 'cmpctblock.shortIds');
  const shortIds = r.bytes(SHORT_ID_SIZE * nIds, 'cmpctblock.shortIds');
  const at = r.pos;
  const nPre = r.count(MAX_CMPCT_TXS, 1 + MIN_TX_SIZE, 'cmpctblock.prefilled');
  if (nIds + nPre > MAX_CMPCT_TXS) {
    throw new WireError('ERR_PAYLOAD_COUNT_TOO_LARGE', `cmpctblock: ${nIds + nPre} transactions exceed ${MAX_CMPCT_TXS}`, { field: 'cmpctblock.prefilled', offset: at, count: nIds + nPre, max: MAX_CMPCT_TXS });
  }
  const prefilled = new Array<PrefilledTx>(nPre);
  let prev = -1;
  for (let i = 0; i < nPre; i++) {
    prev = readDiffIndex(r, prev, 'cmpctblock.prefilled.index');
    const b = walkTx(r);
    prefilled[i] = { index: prev, tx: r.buf.subarray(b.start, b.end) };
  }
  r.finish('cmpctblock');
  return { command: 'cmpctblock', header, nonce, shortIds, prefilled };
}

/** The encoded payload's length in bytes. */
export function cmpctBlockPayloadSize(msg: CmpctBlockMessage): number {
  const nIds = msg.shortIds.length / SHORT_ID_SIZE;
  let size = 80 + 8 + compactSizeLen(nIds) + msg.shortIds.length + compactSizeLen(msg.prefilled.length);
  size += diffIndexesSize(
    msg.prefilled.map((p) => p.index),
    'cmpctblock.prefilled',
  );
  for (const p of msg.prefilled) size += p.tx.length;
  return size;
}

export function encodeCmpctBlock(msg: CmpctBlockMessage, _pver?: number): Uint8Array {
  if (msg.header.length !== 80) throw new RangeError(`cmpctblock: header must be 80 bytes, got ${msg.header.length}`);
  if (msg.shortIds.length % SHORT_ID_SIZE !== 0) throw new RangeError(`cmpctblock: short ids must be 6 bytes each, got ${msg.shortIds.length} bytes`);
  const nIds = msg.shortIds.length / SHORT_ID_SIZE;
  if (nIds + msg.prefilled.length > MAX_CMPCT_TXS) throw new RangeError(`cmpctblock: ${nIds + msg.prefilled.length} transactions exceed ${MAX_CMPCT_TXS}`);
  const w = new WireWriter(cmpctBlockPayloadSize(msg));
  w.bytes(msg.header);
  w.u64le(msg.nonce, 'cmpctblock.nonce');
  w.compactSize(nIds);
  w.bytes(msg.shortIds);
  w.compactSize(msg.prefilled.length);
  let prev = -1;
  for (const p of msg.prefilled) {
    writeDiffIndex(w, p.index, prev);
    prev = p.index;
    w.bytes(p.tx);
  }
  return w.finish();
}
