/**
 * Status codes returned by the WASM framer (mirror of assembly/status.ts, docs/wasm-abi.md).
 * test/wasm/status-sync.test.ts checks that both files agree.
 */
import { WireError, type ErrorCode } from '../errors.js';

export const Status = Object.freeze({
  /** Frame complete, command known, checksum verified. */
  OK: 0,
  /** Well-formed command we do not know; checksum not checked (btcd). The peer ignores it. */
  UNKNOWN_COMMAND: 1,
  /** Payload ≥ nativeHashMin: the caller verifies the checksum natively (FrameScanner does). */
  CHECKSUM_DEFERRED: 2,
  /** Frame complete but the checksum is wrong. */
  BAD_CHECKSUM: 10,
  /** Command has a non-printable-ASCII byte, or a non-NUL byte after a NUL. */
  BAD_COMMAND: 11,
  /** Header length > 4,000,000: fatal, reported on the header alone. */
  OVERSIZE: 20,
  /** Wrong network magic: fatal. */
  BAD_MAGIC: 21,
  /** Length > the command's cap: fatal. */
  COMMAND_OVERSIZE: 22,
} as const);

export type StatusName = keyof typeof Status;
export type StatusCode = (typeof Status)[StatusName];

/** Statuses from this value up are fatal: the stream cannot be resynchronised after them. */
export const FIRST_FATAL = 20;

const NAMES: ReadonlyMap<number, StatusName> = new Map(
  (Object.keys(Status) as StatusName[]).map((name) => [Status[name], name]),
);

/** Name of a status code, e.g. 'BAD_MAGIC'; undefined for codes outside the ABI. */
export function statusName(status: number): StatusName | undefined {
  return NAMES.get(status);
}

/** True when the stream must be dropped: nothing after this header can be framed. */
export function isFatal(status: number): boolean {
  return status >= FIRST_FATAL;
}

const CODES: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [Status.OVERSIZE, 'ERR_FRAME_OVERSIZE'],
  [Status.BAD_MAGIC, 'ERR_FRAME_BAD_MAGIC'],
  [Status.BAD_COMMAND, 'ERR_FRAME_BAD_COMMAND'],
  [Status.COMMAND_OVERSIZE, 'ERR_FRAME_COMMAND_OVERSIZE'],
  [Status.BAD_CHECKSUM, 'ERR_FRAME_BAD_CHECKSUM'],
]);

const MESSAGES: ReadonlyMap<number, string> = new Map<number, string>([
  [Status.OVERSIZE, 'frame header claims a payload over 4,000,000 bytes'],
  [Status.BAD_MAGIC, 'frame has the wrong network magic'],
  [Status.BAD_COMMAND, 'frame command is not NUL-padded printable ASCII'],
  [Status.COMMAND_OVERSIZE, "frame payload exceeds its command's maximum"],
  [Status.BAD_CHECKSUM, 'frame checksum does not match its payload'],
]);

/**
 * The WireError for an error status, or undefined for OK, UNKNOWN_COMMAND and CHECKSUM_DEFERRED
 * (not errors) and for codes outside the ABI.
 */
export function errorForStatus(status: number, details: Record<string, unknown> = {}): WireError | undefined {
  const code = CODES.get(status);
  if (code === undefined) return undefined;
  return new WireError(code, MESSAGES.get(status) ?? code, { status: statusName(status), ...details });
}
