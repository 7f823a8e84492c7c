import { expectEmpty } from '../reader.js';

/** getaddr: asks for known addresses; no payload. */
export interface GetAddrMessage {
  readonly command: 'getaddr';
}

const MESSAGE: GetAddrMessage = Object.freeze({ command: 'getaddr' });

/** Any payload byte is ERR_PAYLOAD_TRAILING_BYTES. */
export function decodeGetAddr(payload: Uint8Array, _pver?: number): GetAddrMessage {
  expectEmpty(payload, 'getaddr');
  return MESSAGE;
}

export function encodeGetAddr(_msg?: GetAddrMessage, _pver?: number): Uint8Array {
  return new Uint8Array(0);
}
