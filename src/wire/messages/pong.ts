import { decodeNonceMessage, encodeNonceMessage } from './ping.js';

/**
 * pong: echoes a ping nonce. Same body as ping (the nonce exists only for pver > 60000, BIP31;
 * btcd refuses pong below that, we leave that to the peer layer).
 */
export interface PongMessage {
  readonly command: 'pong';
  readonly nonce: bigint;
}

export function decodePong(payload: Uint8Array, pver: number): PongMessage {
  return { command: 'pong', nonce: decodeNonceMessage(payload, pver, 'pong') };
}

export function encodePong(msg: PongMessage, pver: number): Uint8Array {
  return encodeNonceMessage(msg.nonce, pver, 'pong');
}
