import { BIP0031_VERSION } from '../constants.js';
import { WireReader } from '../reader.js';
import { WireWriter } from '../writer.js';

/**
 * ping. The nonce exists only for pver > 60000 (BIP31); at or below that the payload is empty,
 * decode gives nonce 0n and encode leaves the nonce out.
 */
export interface PingMessage {
  readonly command: 'ping';
  readonly nonce: bigint;
}

export function decodePing(payload: Uint8Array, pver: number): PingMessage {
  const r = new WireReader(payload);
  const nonce = pver > BIP0031_VERSION ? r.u64le('ping.nonce') : 0n;
  r.finish('ping');
  return { command: 'ping', nonce };
}

export function encodePing(msg: PingMessage, pver: number): Uint8Array {
  if (pver <= BIP0031_VERSION) return new Uint8Array(0);
  const w = new WireWriter(8);
  w.u64le(msg.nonce, 'ping.nonce');
  return w.finish();
}
