import { MAX_VAR_STR_LEN } from '../constants.js';
import { WireReader } from '../reader.js';
import { utf8Bytes, varBytesLen, WireWriter } from '../writer.js';

/**
 * reject (BIP61, removed from Bitcoin Core 0.20 but still sent by btcd). The hash is on the wire
 * exactly when the rejected message is "block" or "tx" (btcd MsgReject).
 */
export interface RejectMessage {
  readonly command: 'reject';
  /** Command of the rejected message. */
  readonly message: string;
  /** RejectCode (constants.ts), u8. */
  readonly code: number;
  readonly reason: string;
  /** Wire order; present iff message is "block" or "tx". */
  readonly hash?: Uint8Array;
}

function carriesHash(message: string): boolean {
  return message === 'block' || message === 'tx';
}

export function decodeReject(payload: Uint8Array, _pver?: number): RejectMessage {
  const r = new WireReader(payload);
  const message = r.varStr(MAX_VAR_STR_LEN, 'reject.message');
  const code = r.u8('reject.code');
  const reason = r.varStr(MAX_VAR_STR_LEN, 'reject.reason');
  if (carriesHash(message)) {
    const hash = r.hash32('reject.hash');
    r.finish('reject');
    return { command: 'reject', message, code, reason, hash };
  }
  r.finish('reject');
  return { command: 'reject', message, code, reason };
}

export function encodeReject(msg: RejectMessage, _pver?: number): Uint8Array {
  if (carriesHash(msg.message) !== (msg.hash !== undefined)) {
    throw new RangeError(`reject.hash must be set iff reject.message is "block" or "tx" (message "${msg.message}")`);
  }
  const m = utf8Bytes(msg.message);
  const reason = utf8Bytes(msg.reason);
  const w = new WireWriter(varBytesLen(m.length) + 1 + varBytesLen(reason.length) + (msg.hash ? 32 : 0));
  w.varBytes(m);
  w.u8(msg.code, 'reject.code');
  w.varBytes(reason);
  if (msg.hash) w.hash32(msg.hash, 'reject.hash');
  return w.finish();
}
