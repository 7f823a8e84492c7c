import { expectEmpty } from '../reader.js';

/** sendaddrv2 (BIP155): the sender wants addrv2 instead of addr; no payload. Whether it is allowed after the handshake is the peer layer's call. */
export interface SendAddrV2Message {
  readonly command: 'sendaddrv2';
}

const MESSAGE: SendAddrV2Message = Object.freeze({ command: 'sendaddrv2' });

/** Any payload byte is ERR_PAYLOAD_TRAILING_BYTES. */
export function decodeSendAddrV2(payload: Uint8Array, _pver?: number): SendAddrV2Message {
  expectEmpty(payload, 'sendaddrv2');
  return MESSAGE;
}

export function encodeSendAddrV2(_msg?: SendAddrV2Message, _pver?: number): Uint8Array {
  return new Uint8Array(0);
}
