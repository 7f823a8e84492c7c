import { WireReader } from '../reader.js';
import { WireWriter } from '../writer.js';

/**
 * sendcmpct (BIP152): a 1-byte announce flag and an 8-byte version. Flag non-zero = high-bandwidth
 * (push `cmpctblock` unasked); Core reads the byte as a bool, so any non-zero value counts, and the
 * byte is kept as sent. Version 2 is the witness version Core speaks (bitcoin/bitcoin#20799).
 */
export interface SendCmpctMessage {
  readonly command: 'sendcmpct';
  /** The flag byte as sent: 0 low-bandwidth, non-zero high-bandwidth. */
  readonly announce: number;
  /** u64. */
  readonly version: bigint;
}

export function decodeSendCmpct(payload: Uint8Array, _pver?: number): SendCmpctMessage {
  const r = new WireReader(payload);
  const announce = r.u8('sendcmpct.announce');
  const version = r.u64le('sendcmpct.version');
  r.finish('sendcmpct');
  return { command: 'sendcmpct', announce, version };
}

export function encodeSendCmpct(msg: SendCmpctMessage, _pver?: number): Uint8Array {
  const w = new WireWriter(9);
  w.u8(msg.announce, 'sendcmpct.announce');
  w.u64le(msg.version, 'sendcmpct.version');
  return w.finish();
}
