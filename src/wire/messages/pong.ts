import { BIP0031_VERSION } from '../constants.js';
import { WireReader } from '../reader.js';
import { WireWriter } from '../writer.js';

/**
 * pong: echoes a ping nonce. The nonce exists only for pver > 60000 (BIP31; btcd refuses pong
 * below that, we leave that to the peer layer); at or below 60000 decode gives 0n, encode omits it.
 */
export interface PongMessage {
  readonly command: 'pong';
  readonly nonce: bigint;
}

export function decodePong(payload: Uint8Array, pver: number): PongMessage {
  const r = new WireReader(payload);
  const nonce = pver > BIP0031_VERSION ? r.u64le('pong.nonce') : 0n;
  r.finish('pong');
  return { command: 'pong', nonce };
}

export function encodePong(msg: PongMessage, pver: number): Uint8Array {
  if (pver <= BIP0031_VERSION) return new Uint8Array(0);
  const w = new WireWriter(8);
  w.u64le(msg.nonce, 'pong.nonce');
  return w.finish();
}
