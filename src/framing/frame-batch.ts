/**
 * A batch of frames verified together: the bytes of one socket read (or of the partial frames
 * that completed in it) and one record per frame. Everything downstream of the scan — dispatch,
 * relay, forwarding — works on a batch, not on one message at a time.
 */
import type { FrameRecords } from '../wasm/frame-records.js';

export interface FrameBatch {
  /** The bytes the records refer to: frame `i`'s header starts at `records.offset(i)`. */
  readonly bytes: Uint8Array;
  /** Typed records: offset, payload length, command id, status and payload digest per frame. */
  readonly records: FrameRecords;
  /** The batch is records [first, end); each has status OK or UNKNOWN_COMMAND. */
  readonly first: number;
  readonly end: number;
  /** Stream offset of `bytes[0]` in the connection (for error reports). */
  readonly streamOffset: number;
}
