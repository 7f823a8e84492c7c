import { WireError } from '../errors.js';
import { MAX_PROTOCOL_MESSAGE_LENGTH } from './constants.js';
import type { Hash256 } from './hash.js';
import { WireReader } from './reader.js';
import { BLOCK_HEADER_SIZE } from './block-header.js';

/** Outpoint 36 + script length ≥ 1 + sequence 4. */
const MIN_TX_IN_SIZE = 41;
/** Value 8 + script length ≥ 1. */
const MIN_TX_OUT_SIZE = 9;
/** btcd minTxPayload: version 4 + two counts + lock time 4; a lower bound for a block's tx count. */
export const MIN_TX_SIZE = 10;

/** Count caps implied by the 4 MB message limit; the per-byte budget check is what really bounds work. */
const MAX_INPUTS = Math.floor(MAX_PROTOCOL_MESSAGE_LENGTH / MIN_TX_IN_SIZE);
const MAX_OUTPUTS = Math.floor(MAX_PROTOCOL_MESSAGE_LENGTH / MIN_TX_OUT_SIZE);
/** Max transactions in a block message (btcd maxTxPerBlock uses the same bound). */
export const MAX_TXS = Math.floor(MAX_PROTOCOL_MESSAGE_LENGTH / MIN_TX_SIZE);

/**
 * Where the parts of one serialized transaction sit inside a buffer (absolute offsets).
 * For a segwit tx, the txid covers version ‖ [inputsStart, outputsEnd) ‖ lock time.
 */
export interface TxBoundaries {
  readonly start: number;
  /** Offset just past the lock time. */
  readonly end: number;
  /** BIP144 marker 0x00 + flag 0x01 present. */
  readonly hasWitness: boolean;
  /** Offset of the input count (after marker and flag when present). */
  readonly inputsStart: number;
  /** Offset just past the last output: the witnesses (if any) start here. */
  readonly outputsEnd: number;
}

function invalid(message: string, offset: number): WireError {
  return new WireError('ERR_PAYLOAD_INVALID', `tx: ${message}`, { field: 'tx', offset });
}

/**
 * Walks one transaction at r.pos and leaves r after it. Nothing is copied or allocated per
 * input/output; every count is checked against the bytes left before it is looped over, so the
 * walk is O(bytes) whatever the counts claim.
 *
 * Serialization rules follow BIP144 / Bitcoin Core UnserializeTransaction: a 0x00 where the input
 * count would be is the marker and must be followed by flag 0x01 (any other flag is an error, as
 * in btcd); a witness section where every stack is empty is refused ("superfluous witness
 * record"), since it would give a second encoding of the same transaction.
 */
/**
 * The three spans of a transaction's stripped serialization (BIP144: version ‖ inputs and outputs
 * ‖ lock time) as [offset, length] pairs at spans[at .. at + 6), for a batched hash of many txids.
 */
export function strippedSpans(b: TxBoundaries, spans: Int32Array, at: number): void {
  spans[at] = b.start;
  spans[at + 1] = 4;
  spans[at + 2] = b.inputsStart;
  spans[at + 3] = b.outputsEnd - b.inputsStart;
  spans[at + 4] = b.end - 4;
  spans[at + 5] = 4;
}

export function walkTx(r: WireReader): TxBoundaries {
  const start = r.pos;
  r.skip(4, 'tx.version');
  let hasWitness = false;
  if (r.pos < r.end && r.buf[r.pos] === 0) {
    r.pos++;
    const flag = r.u8('tx.flag');
    if (flag !== 1) throw invalid(`segwit flag must be 0x01, got 0x${flag.toString(16)}`, r.pos - 1);
    hasWitness = true;
  }
  const inputsStart = r.pos;
  const nIn = r.count(MAX_INPUTS, MIN_TX_IN_SIZE, 'tx.inputs');
  for (let i = 0; i < nIn; i++) {
    r.skip(36, 'tx.prevout');
    r.skip(r.compactSize('tx.scriptSig'), 'tx.scriptSig');
    r.skip(4, 'tx.sequence');
  }
  const nOut = r.count(MAX_OUTPUTS, MIN_TX_OUT_SIZE, 'tx.outputs');
  for (let i = 0; i < nOut; i++) {
    r.skip(8, 'tx.value');
    r.skip(r.compactSize('tx.scriptPubKey'), 'tx.scriptPubKey');
  }
  const outputsEnd = r.pos;
  if (hasWitness) {
    let anyWitness = false;
    for (let i = 0; i < nIn; i++) {
      const items = r.count(MAX_PROTOCOL_MESSAGE_LENGTH, 1, 'tx.witness');
      if (items !== 0) anyWitness = true;
      for (let j = 0; j < items; j++) r.skip(r.compactSize('tx.witness.item'), 'tx.witness.item');
    }
    if (!anyWitness) throw invalid('superfluous witness record (marker set, every witness empty)', outputsEnd);
  }
  r.skip(4, 'tx.lockTime');
  return { start, end: r.pos, hasWitness, inputsStart, outputsEnd };
}

/** Boundaries of the transaction at data[offset..]; it may be followed by more bytes. */
export function parseTxBoundaries(data: Uint8Array, offset = 0): TxBoundaries {
  return walkTx(new WireReader(data, offset));
}

/** Boundaries of a buffer that must hold exactly one transaction. */
function wholeTx(raw: Uint8Array): TxBoundaries {
  const r = new WireReader(raw);
  const b = walkTx(r);
  r.finish('tx');
  return b;
}

/** txid from known boundaries: hashes the buffer in place unless the tx has witnesses. */
export function txidFromBoundaries(data: Uint8Array, b: TxBoundaries, hash256: Hash256): Uint8Array {
  if (!b.hasWitness) return hash256(data.subarray(b.start, b.end));
  // The stripped form is version ‖ inputs+outputs ‖ lock time: one copy of the non-witness part,
  // the least a single-shot Hash256 allows (witness data is never copied).
  const mid = b.outputsEnd - b.inputsStart;
  const stripped = new Uint8Array(8 + mid);
  stripped.set(data.subarray(b.start, b.start + 4), 0);
  stripped.set(data.subarray(b.inputsStart, b.outputsEnd), 4);
  stripped.set(data.subarray(b.end - 4, b.end), 4 + mid);
  return hash256(stripped);
}

/** Transaction id (BIP144: the hash of the serialization without marker, flag and witnesses). */
export function txid(raw: Uint8Array, hash256: Hash256): Uint8Array {
  return txidFromBoundaries(raw, wholeTx(raw), hash256);
}

/** Witness transaction id: the hash of all bytes; equal to the txid for a tx without witnesses. */
export function wtxid(raw: Uint8Array, hash256: Hash256): Uint8Array {
  wholeTx(raw);
  return hash256(raw);
}

/** Both ids with a single walk; the wtxid of a non-witness tx is the txid (one hash, not two). */
export function txIds(raw: Uint8Array, hash256: Hash256): { txid: Uint8Array; wtxid: Uint8Array; hasWitness: boolean; strippedSize: number } {
  const b = wholeTx(raw);
  const id = txidFromBoundaries(raw, b, hash256);
  return { txid: id, wtxid: b.hasWitness ? hash256(raw) : id, hasWitness: b.hasWitness, strippedSize: strippedSize(b) };
}

/** Size of the stripped serialization (used for weight: 3 × stripped + total). */
export function strippedSize(b: TxBoundaries): number {
  return b.hasWitness ? 8 + (b.outputsEnd - b.inputsStart) : b.end - b.start;
}

/** Block hash: double SHA-256 of the 80-byte header (the first 80 bytes of a block also work). */
export function blockHash(header: Uint8Array, hash256: Hash256): Uint8Array {
  if (header.length < BLOCK_HEADER_SIZE) {
    throw new WireError('ERR_PAYLOAD_TRUNCATED', `header: needs 80 bytes, got ${header.length}`, {
      field: 'header',
      offset: 0,
      need: BLOCK_HEADER_SIZE,
      remaining: header.length,
    });
  }
  return hash256(header.subarray(0, BLOCK_HEADER_SIZE));
}

/**
 * The transactions of a serialized block, as zero-copy subarrays in block order.
 * Throws WireError for anything that does not split exactly.
 */
export function splitBlockTransactions(rawBlock: Uint8Array): Uint8Array[] {
  const r = new WireReader(rawBlock);
  r.skip(BLOCK_HEADER_SIZE, 'block.header');
  const n = r.count(MAX_TXS, MIN_TX_SIZE, 'block.txCount');
  const out = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) {
    const b = walkTx(r);
    out[i] = r.buf.subarray(b.start, b.end);
  }
  r.finish('block');
  return out;
}
