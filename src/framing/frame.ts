import { WireError } from '../errors.js';
import type { FrameRecords } from '../wasm/frame-records.js';
import { errorForStatus } from '../wasm/status.js';
import { commandName, HEADER_SIZE, readCommand } from '../wire/constants.js';
import type { Command } from '../wire/constants.js';

/** One verified frame of a connection's stream. `payload` is a view into the batch it arrived in. */
export interface Frame {
  /** Byte offset of the frame's header in the connection's stream (for reports and `inspect`). */
  readonly streamOffset: number;
  /** 1-based command id (src/wire/constants.ts), 0 for a command wirerelay does not know. */
  readonly commandId: number;
  /** Known command, or undefined (see `rawCommand`). */
  readonly command: Command | undefined;
  readonly payload: Uint8Array;
  /** The 12 command bytes, NUL padding stripped, for unknown commands and logs. */
  rawCommand(): string;
}

/** Builds frames lazily from a batch: the command string is decoded only when somebody asks. */
export function makeFrame(batch: Uint8Array, offset: number, length: number, commandId: number, streamOffset: number): Frame {
  const payload = batch.subarray(offset + HEADER_SIZE, offset + HEADER_SIZE + length);
  const command = commandName(commandId);
  return {
    streamOffset,
    commandId,
    command,
    payload,
    rawCommand: () => command ?? readCommand(batch, offset),
  };
}

/** The typed error for record `i` of a batch, whose status is neither OK nor UNKNOWN_COMMAND. */
export function frameError(bytes: Uint8Array, records: FrameRecords, i: number, streamOffset: number): WireError {
  const status = records.status(i);
  const off = records.offset(i);
  const details = { streamOffset: streamOffset + off, length: records.payloadLength(i), command: readCommand(bytes, off) };
  return errorForStatus(status, details) ?? new WireError('ERR_FRAME_BAD_COMMAND', `unexpected frame status ${status}`, details);
}
