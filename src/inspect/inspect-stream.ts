/**
 * Decodes a captured stream of frames into one JSON record per frame, for `wirerelay inspect`.
 * Unlike a peer connection, a capture is read to the end: after a frame that cannot be framed
 * (wrong magic, impossible length) the inspector looks for the next occurrence of the network
 * magic and carries on from there, so one damaged spot does not hide the rest of the capture.
 */
import { WireError } from '../errors.js';
import type { RelayError } from '../errors.js';
import { FrameRecords } from '../wasm/frame-records.js';
import { FrameScanner } from '../wasm/frame-scanner.js';
import { hash256, nativeChecksum } from '../wasm/hasher.js';
import { errorForStatus, isFatal, Status } from '../wasm/status.js';
import { decodePayload } from '../wire/codec.js';
import { messageToJson } from '../wire/json.js';
import type { JsonObject } from '../wire/json.js';
import { commandName, HEADER_SIZE, PROTOCOL_VERSION, readCommand } from '../wire/constants.js';

export interface InspectRecord {
  readonly offset: number;
  readonly command?: string;
  readonly length?: number;
  readonly checksumOk?: boolean;
  readonly known?: boolean;
  readonly message?: JsonObject | null;
  readonly error?: { readonly code: string; readonly message: string };
}

function errorJson(err: RelayError): { code: string; message: string } {
  return { code: err.code, message: err.message };
}

/** Offset of the next `magic` (little-endian u32) at or after `from`, or -1. */
function findMagic(bytes: Uint8Array, magic: number, from: number): number {
  const b0 = magic & 0xff;
  const b1 = (magic >>> 8) & 0xff;
  const b2 = (magic >>> 16) & 0xff;
  const b3 = magic >>> 24;
  for (let i = bytes.indexOf(b0, from); i !== -1 && i + 3 < bytes.length; i = bytes.indexOf(b0, i + 1)) {
    if (bytes[i + 1] === b1 && bytes[i + 2] === b2 && bytes[i + 3] === b3) return i;
  }
  return -1;
}

export function* inspectStream(bytes: Uint8Array, magic: number, pver = PROTOCOL_VERSION): Generator<InspectRecord> {
  const scanner = new FrameScanner();
  let pos = 0;
  while (pos < bytes.length) {
    const view = bytes.subarray(pos);
    const r = scanner.scan(view, magic);
    // Copy out: the scanner reuses its record array on the next call.
    const records = new FrameRecords(r.records.copy());
    const { count, consumed } = r;
    let resyncFrom = -1;
    for (let i = 0; i < count; i++) {
      const off = records.offset(i);
      const length = records.payloadLength(i);
      const id = records.commandId(i);
      const status = records.status(i);
      const offset = pos + off;
      const command = commandName(id) ?? readCommand(view, off);
      if (isFatal(status)) {
        yield { offset, error: errorJson(errorForStatus(status, { offset })!) };
        resyncFrom = pos + off + 1;
        break;
      }
      const payload = view.subarray(off + HEADER_SIZE, off + HEADER_SIZE + length);
      if (status === Status.BAD_COMMAND || status === Status.BAD_CHECKSUM) {
        const err = errorForStatus(status, { offset })!;
        const checksumOk = status === Status.BAD_COMMAND ? checksumMatches(view, off, payload) : false;
        yield { offset, command, length, checksumOk, error: errorJson(err) };
        continue;
      }
      if (status === Status.UNKNOWN_COMMAND) {
        yield { offset, command, length, checksumOk: checksumMatches(view, off, payload), known: false, message: null };
        continue;
      }
      const name = commandName(id)!;
      try {
        const msg = decodePayload(name, payload, pver);
        yield { offset, command, length, checksumOk: true, message: messageToJson(msg, hash256) };
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        yield { offset, command, length, checksumOk: true, error: errorJson(err) };
      }
    }
    if (resyncFrom >= 0) {
      const next = findMagic(bytes, magic, resyncFrom);
      if (next === -1) return;
      pos = next;
      continue;
    }
    if (consumed === 0) {
      // An incomplete frame at the end of the capture.
      yield {
        offset: pos,
        error: { code: 'ERR_PAYLOAD_TRUNCATED', message: `incomplete frame: ${bytes.length - pos} bytes left at the end of the input` },
      };
      return;
    }
    pos += consumed;
  }
}

function checksumMatches(view: Uint8Array, off: number, payload: Uint8Array): boolean {
  const want = (view[off + 20]! | (view[off + 21]! << 8) | (view[off + 22]! << 16) | (view[off + 23]! << 24)) >>> 0;
  return nativeChecksum(payload) >>> 0 === want;
}
