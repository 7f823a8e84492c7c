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

const NONCE_FIELD = { ping: 'ping.nonce', pong: 'pong.nonce' } as const;

/** The body shared by ping and pong: a u64 nonce from BIP31 on, nothing before. */
export function decodeNonceMessage(payload: Uint8Array, pver: number, command: 'ping' | 'pong'): bigint {
  const r = new WireReader(payload);
  const nonce = pver > BIP0031_VERSION ? r.u64le(NONCE_FIELD[command]) : 0n;
  r.finish(command);
  return nonce;
}

export function encodeNonceMessage(nonce: bigint, pver: number, command: 'ping' | 'pong'): Uint8Array {
  if (pver <= BIP0031_VERSION) return new Uint8Array(0);
  const w = new WireWriter(8);
  w.u64le(nonce, NONCE_FIELD[command]);
  return w.finish();
}

export function decodePing(payload: Uint8Array, pver: number): PingMessage {
  return { command: 'ping', nonce: decodeNonceMessage(payload, pver, 'ping') };
}

export function encodePing(msg: PingMessage, pver: number): Uint8Array {
  return encodeNonceMessage(msg.nonce, pver, 'ping');
}
